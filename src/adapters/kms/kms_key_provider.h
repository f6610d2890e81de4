// KmsKeyProvider: the KeyProvider (ports/key_provider.h) on AWS KMS or a KMS-compatible
// server. The master key never leaves KMS: a data key is wrapped with
// Encrypt(KeyId, Plaintext = data key, EncryptionContext = {"parley": context}) and
// unwrapped with Decrypt(CiphertextBlob, the same EncryptionContext), so a wrapped key only
// opens for the room and version it was made for.
//
// Wrapped format: 0x02 | CiphertextBlob (opaque, from KMS; the local keyring's blobs start
// with 0x01, so a blob of the other provider is refused with a clear reason).
//
// Errors (the port's contract): a tampered blob, a wrong context, a disabled key or one
// pending deletion, refused credentials or permissions are Code::internal (no retry helps);
// a KMS that cannot be reached, answers 5xx or throttles after the client's bounded retries
// is Code::unavailable.
//
// Each call is a network round trip: callers keep unwrapped keys in memory (RoomKeys does,
// bounded), so KMS sees about one Decrypt per room key per node, not one per message.
// Thread-safe.
#pragma once

#include <memory>

#include "adapters/kms/kms_client.h"
#include "adapters/kms/kms_config.h"
#include "ports/key_provider.h"

namespace parley::kms {

inline constexpr char kWrappedFormat = 0x02;

KeyProviderPtr makeKmsKeyProvider(KmsConfig config, std::shared_ptr<KmsStats> stats = nullptr);

}  // namespace parley::kms

// BlobStore on the S3 API (AWS S3 and compatible servers), signed with SigV4.
//
// put() buffers at most one part (S3Config::part_bytes) of the source: an object that fits
// in one part is a single PUT, a larger one a multipart upload (CreateMultipartUpload,
// UploadPart..., CompleteMultipartUpload), aborted if the source or any request fails so no
// part lingers. read() is a ranged GET, stat() a HEAD, remove() a DELETE, listOlderThan()
// pages through ListObjectsV2.
//
// Every request is retried on connection failures, 5xx, 429 and S3's throttling codes
// (SlowDown, Throttling, RequestTimeout) with capped exponential backoff and jitter, then
// fails with Code::unavailable. Other 4xx answers are Code::internal carrying S3's error
// code (e.g. SignatureDoesNotMatch, NoSuchBucket): they are configuration errors that a retry
// cannot fix. 404 NoSuchKey is Code::not_found.
//
// Requests go over plain HTTP or HTTPS (S3Config::tls, certificate and name verified) on
// kept-alive connections from a bounded pool (http_client.h); a certificate the store
// refuses is Code::internal, not retried.
//
// Thread-safe: awaitable from any executor. The connections run on the store's own thread
// and the caller resumes on its executor. Destroying the store waits for the requests in
// flight; no method may be called once destruction has begun.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include "adapters/s3/s3_config.h"
#include "ports/blob_store.h"

namespace parley::s3 {

// Counters an S3 store updates (relaxed atomics, readable from any thread).
struct S3Stats {
  std::atomic<std::uint64_t> requests{0};            // HTTP exchanges attempted
  std::atomic<std::uint64_t> retries{0};             // attempts repeated after a retryable failure
  std::atomic<std::uint64_t> multipart_uploads{0};   // completed multipart uploads
  std::atomic<std::uint64_t> aborted_uploads{0};     // multipart uploads aborted
  std::atomic<std::uint64_t> connections_opened{0};  // TCP (+TLS) connections made
};

BlobStorePtr makeS3BlobStore(S3Config config, std::shared_ptr<S3Stats> stats = nullptr);

}  // namespace parley::s3

#include "adapters/redis/codec.h"

#include <cstdint>
#include <cstring>

namespace parley::redis {
namespace {

// v1 ('E') has no reactions (read as none); v2 ('F') ends with them; v3 ('G') then has the
// thread root and summary (v1 and v2 entries predate threads: none); v4 ('H') then has the
// mentions (joinIds) and their flags (older entries predate mentions: none). v5 ('I') is
// v4's layout admitting the settings kind: a node that predates it reads a v5 entry as a
// miss (and goes to the Store) rather than as an event kind it does not know; a v1-v4 entry
// with a kind past unpin is no entry any node wrote and does not decode.
constexpr char kEventV1 = 'E';
constexpr char kEventV2 = 'F';
constexpr char kEventV3 = 'G';
constexpr char kEventV4 = 'H';
constexpr char kEventV5 = 'I';
// 'S' (v1, no MAC) entries no longer decode: they are misses, refilled from the Store.
constexpr char kSessionV2 = 'T';

// Little-endian fixed-width integers and u32-length-prefixed strings.
class Writer {
 public:
  explicit Writer(char tag) { out_.push_back(tag); }
  Writer& u64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
    return *this;
  }
  Writer& i64(std::int64_t v) { return u64(static_cast<std::uint64_t>(v)); }
  Writer& u8(std::uint8_t v) {
    out_.push_back(static_cast<char>(v));
    return *this;
  }
  Writer& str(std::string_view s) {
    const auto n = static_cast<std::uint32_t>(s.size());
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
    out_.append(s);
    return *this;
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Every read fails (and keeps failing) once the input runs short.
class Reader {
 public:
  Reader(std::string_view in, char tag) : in_(in) {
    ok_ = !in_.empty() && in_[0] == tag;
    pos_ = 1;
  }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    if (!need(8)) return 0;
    for (int i = 0; i < 8; ++i)
      v |= std::uint64_t{static_cast<unsigned char>(in_[pos_ + i])} << (8 * i);
    pos_ += 8;
    return v;
  }
  std::int64_t i64() { return static_cast<std::int64_t>(u64()); }
  std::uint8_t u8() {
    if (!need(1)) return 0;
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  std::string str() {
    if (!need(4)) return {};
    std::uint32_t n = 0;
    for (int i = 0; i < 4; ++i)
      n |= std::uint32_t{static_cast<unsigned char>(in_[pos_ + i])} << (8 * i);
    pos_ += 4;
    if (!need(n)) return {};
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  bool done() const { return ok_ && pos_ == in_.size(); }

 private:
  bool need(std::size_t n) {
    ok_ = ok_ && in_.size() - pos_ >= n;
    return ok_;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool ok_ = false;
};

}  // namespace

std::string encodeEvent(const StoredEvent& e) {
  return Writer(kEventV5)
      .i64(e.room_id)
      .i64(e.seq)
      .str(e.event_id)
      .u8(static_cast<std::uint8_t>(e.kind))
      .i64(e.sender)
      .str(e.client_msg_id)
      .i64(e.reply_to)
      .i64(e.target)
      .i64(e.created_at)
      .i64(e.edited_at)
      .u8(e.deleted ? 1 : 0)
      .u64(e.key_version)
      .str(e.sealed_body)
      .str(e.reactions)
      .i64(e.thread_root)
      .str(e.thread)
      .str(joinIds(e.mentions))
      .u8(static_cast<std::uint8_t>(mentionFlags(e)))
      .take();
}

std::optional<StoredEvent> decodeEvent(std::string_view bytes) {
  const char tag = bytes.empty() ? kEventV1 : bytes[0];
  const bool v5 = tag == kEventV5;
  const bool v4 = v5 || tag == kEventV4;
  const bool v3 = v4 || tag == kEventV3;
  const bool v2 = v3 || tag == kEventV2;
  Reader r(bytes, v5 ? kEventV5 : v4 ? kEventV4 : v3 ? kEventV3 : v2 ? kEventV2 : kEventV1);
  StoredEvent e;
  e.room_id = r.i64();
  e.seq = r.i64();
  e.event_id = r.str();
  const auto kind = r.u8();
  e.sender = r.i64();
  e.client_msg_id = r.str();
  e.reply_to = r.i64();
  e.target = r.i64();
  e.created_at = r.i64();
  e.edited_at = r.i64();
  const auto deleted = r.u8();
  const auto key_version = r.u64();
  e.sealed_body = r.str();
  if (v2) e.reactions = r.str();
  if (v3) {
    e.thread_root = r.i64();
    e.thread = r.str();
  }
  std::uint8_t flags = 0;
  if (v4) {
    e.mentions = splitIds(r.str());
    flags = r.u8();
  }
  const auto last_kind = v5 ? EventKind::settings : EventKind::unpin;
  if (!r.done() || kind > static_cast<std::uint8_t>(last_kind) || deleted > 1 ||
      key_version > UINT32_MAX || flags > (kMentionRoomFlag | kMentionHereFlag)) {
    return std::nullopt;
  }
  e.kind = static_cast<EventKind>(kind);
  e.deleted = deleted == 1;
  setMentionFlags(e, flags);
  e.key_version = static_cast<std::uint32_t>(key_version);
  return e;
}

std::string encodeSession(const CachedSession& s) {
  return Writer(kSessionV2)
      .i64(s.session.id)
      .i64(s.session.user_id)
      .str(s.session.token_hash)
      .str(s.session.device)
      .str(s.session.ip)
      .i64(s.session.created_at)
      .i64(s.session.last_seen_at)
      .i64(s.user.id)
      .str(s.user.username)
      .i64(s.user.created_at)
      .u8(s.user.disabled ? 1 : 0)
      .i64(s.valid_until)
      .str(s.mac)
      .take();
}

std::optional<CachedSession> decodeSession(std::string_view bytes) {
  Reader r(bytes, kSessionV2);
  CachedSession s;
  s.session.id = r.i64();
  s.session.user_id = r.i64();
  s.session.token_hash = r.str();
  s.session.device = r.str();
  s.session.ip = r.str();
  s.session.created_at = r.i64();
  s.session.last_seen_at = r.i64();
  s.user.id = r.i64();
  s.user.username = r.str();
  s.user.created_at = r.i64();
  const auto disabled = r.u8();
  s.valid_until = r.i64();
  s.mac = r.str();
  if (!r.done() || disabled > 1) return std::nullopt;
  s.user.disabled = disabled == 1;
  return s;
}

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

}  // namespace parley::redis

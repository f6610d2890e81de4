#include "service/audit_chain.h"

#include <sodium.h>

#include <vector>

#include "crypto/tokens.h"
#include "service/length_prefixed.h"

namespace parley {

namespace {

std::string hex(const std::string& bin) {
  std::string out(bin.size() * 2 + 1, '\0');
  sodium_bin2hex(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bin.data()),
                 bin.size());
  out.pop_back();
  return out;
}

// Walks rows in id order; what verifyAuditChain keeps between pages.
struct Walk {
  std::string key;
  std::string expected_prev;  // the hash the next chained row must name
  bool started = false;       // a chained row was seen
  AuditVerdict v;
};

// Whether the row that should follow hash `prev` comes later in `rows` (after index i).
bool comesLater(const std::vector<AuditEvent>& rows, std::size_t i, const std::string& prev) {
  for (std::size_t j = i + 1; j < rows.size(); ++j) {
    if (rows[j].prev_hash == prev) return true;
  }
  return false;
}

// Checks rows[i]; false (with the problem set) when it breaks the chain.
bool check(Walk& w, const std::vector<AuditEvent>& rows, std::size_t i) {
  const AuditEvent& r = rows[i];
  if (r.hash.empty()) {
    if (!w.started) {
      ++w.v.unchained;
      return true;
    }
    w.v.problem = "unchained";
  } else if (!crypto::equalConstantTime(auditHash(w.key, r.prev_hash, r), r.hash)) {
    w.v.problem = "altered";
  } else if (r.prev_hash != w.expected_prev) {
    w.v.problem = comesLater(rows, i, w.expected_prev) ? "reordered" : "removed";
  }
  if (!w.v.problem.empty()) {
    w.v.first_bad = r;
    return false;
  }
  w.started = true;
  w.expected_prev = r.hash;
  w.v.newest = r;
  ++w.v.events;
  return true;
}

// The anchor, checked; false (with the problem set) when its MAC does not hold.
Task<Result<bool>> startAtAnchor(Store& store, Walk& w) {
  auto anchor = co_await store.auditAnchor();
  if (!anchor && anchor.error().code == Code::not_found) co_return true;
  if (!anchor) co_return anchor.error();
  w.v.anchor = *anchor;
  w.expected_prev = anchor->hash;
  const std::string mac = auditHash(w.key, anchor->hash, auditAnchorEvent(*anchor));
  if (crypto::equalConstantTime(mac, anchor->mac)) co_return true;
  w.v.problem = "anchor altered";
  w.v.first_bad.id = anchor->through_id;
  w.v.first_bad.at = anchor->through_at;
  co_return false;
}

}  // namespace

std::string auditHash(std::string_view key, std::string_view prev_hash, const AuditEvent& e) {
  LengthPrefixed in;
  in.str("parley/audit/v1")
      .str(prev_hash)
      .num(e.user_id)
      .str(e.kind)
      .str(e.ip)
      .str(e.device)
      .str(e.detail)
      .num(e.at);
  return hex(crypto::mac(key, in.bytes()));
}

AuditChain makeAuditChain(std::string key) {
  return [key = std::move(key)](std::string_view prev, const AuditEvent& e) {
    return auditHash(key, prev, e);
  };
}

Task<Result<AuditVerdict>> verifyAuditChain(Store& store, std::string key, int page) {
  Walk w{.key = std::move(key)};
  auto anchored = co_await startAtAnchor(store, w);
  if (!anchored) co_return anchored.error();
  if (!*anchored) co_return w.v;
  std::int64_t after = 0;
  for (;;) {
    auto rows = co_await store.auditChainAfter(after, page);
    if (!rows) co_return rows.error();
    // A look-ahead of one more page tells "reordered" from "removed" near a page's end.
    for (std::size_t i = 0; i < rows->size(); ++i) {
      if (check(w, *rows, i)) continue;
      if (w.v.problem == "removed" && rows->size() - i < 64) {
        auto more = co_await store.auditChainAfter((*rows)[i].id, page);
        if (more) {
          std::vector<AuditEvent> tail(rows->begin() + static_cast<std::ptrdiff_t>(i), rows->end());
          tail.insert(tail.end(), more->begin(), more->end());
          if (comesLater(tail, 0, w.expected_prev)) w.v.problem = "reordered";
        }
      }
      co_return w.v;
    }
    if (static_cast<int>(rows->size()) < page) co_return w.v;
    after = rows->back().id;
  }
}

}  // namespace parley

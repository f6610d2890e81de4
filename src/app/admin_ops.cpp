#include "app/admin_ops.h"

#include <charconv>
#include <iostream>

#include "app/cli_text.h"
#include "crypto/password_hasher.h"
#include "crypto/tokens.h"
#include "ports/clock.h"
#include "service/accounts.h"
#include "service/password_reset.h"

namespace parley::app {

namespace {

constexpr const char* kDevice = "parley admin";

}  // namespace

// --url, else the address the serve options listen on.
std::string baseUrl(const AdminRequest& req) {
  auto it = req.flags.find("--url");
  if (it != req.flags.end()) return it->second;
  const std::string& h = req.cfg.listen_host;
  std::string host = h.find(':') != std::string::npos ? "[" + h + "]" : h;
  return "http://" + host + ":" + std::to_string(req.cfg.listen_port);
}

namespace {

Task<void> audit(Store& store, UserId user, const char* kind, const char* detail) {
  AuditEvent e{
      .user_id = user, .kind = kind, .ip = "", .device = kDevice, .detail = detail, .at = 0};
  e.at = SystemClock().now();
  co_await store.recordAudit(std::move(e));  // best effort, as the service's audit
}

Task<Result<User>> account(Store& store, const std::string& name) {
  std::string key = name;
  auto user = co_await store.userByName(std::move(key));
  if (!user && user.error().code == Code::not_found)
    co_return makeError(Code::not_found, "no such user " + name);
  co_return user;
}

// The first line of standard input, without its line end.
Result<std::string> passwordFromStdin() {
  std::string line;
  if (!std::getline(std::cin, line)) return makeError(Code::bad_request, "no password on stdin");
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (auto ok = AccountService::checkPassword(line); !ok) return ok.error();
  return line;
}

Task<Status> printResetLink(Store& store, const AdminRequest& req, UserId user, std::ostream& out) {
  const Millis now = SystemClock().now();
  auto link = co_await issueResetLink(store, user, now);
  if (!link) co_return link.error();
  out << "password link (one use, valid until " << utcText(link->expires_at) << "):\n  "
      << resetLinkUrl(baseUrl(req), link->token) << "\n";
  co_return Status{};
}

// Without --password-stdin the account gets a random password nobody knows, and a link.
Task<Status> createUser(Store& store, const AdminRequest& req, std::ostream& out) {
  if (auto ok = AccountService::checkUsername(req.user); !ok) co_return ok.error();
  const bool from_stdin = req.flags.count("--password-stdin") > 0;
  auto password = from_stdin ? passwordFromStdin() : crypto::newSessionToken().token;
  if (!password) co_return password.error();
  crypto::PasswordHasher hasher;
  auto hash = co_await hasher.hash(std::move(*password));
  if (!hash) co_return hash.error();
  std::string name = req.user;
  const Millis now = SystemClock().now();
  auto user = co_await store.createUser(std::move(name), std::move(*hash), now);
  if (!user) co_return user.error();
  bool admin = req.flags.count("--admin") > 0;
  if (admin) {
    auto set = co_await store.setUserAdmin(user->id, true);
    if (!set) co_return set.error();
  } else {
    auto first = co_await store.claimFirstAdmin(user->id);
    if (!first) co_return first.error();
    admin = *first;
  }
  co_await audit(store, user->id, "account_created",
                 admin ? "a server admin, by parley admin" : "by parley admin");
  out << "created " << user->username << " (id " << user->id << ")"
      << (admin ? ", a server admin" : "") << "\n";
  if (from_stdin) co_return Status{};
  co_return co_await printResetLink(store, req, user->id, out);
}

Task<Status> resetPassword(Store& store, const AdminRequest& req, std::ostream& out) {
  auto user = co_await account(store, req.user);
  if (!user) co_return user.error();
  auto printed = co_await printResetLink(store, req, user->id, out);
  if (!printed) co_return printed;
  co_await audit(store, user->id, "password_reset_link", "issued by parley admin");
  co_return Status{};
}

// Disabling deletes the account's sessions from the Store; a running node drops its
// cached copy within the session cache's TTL (a minute). The API's disable also closes
// open sockets at once (docs/operations.md).
Task<Status> setDisabled(Store& store, const AdminRequest& req, bool disabled, std::ostream& out) {
  auto user = co_await account(store, req.user);
  if (!user) co_return user.error();
  auto set = co_await store.setUserDisabled(user->id, disabled);
  if (!set) co_return set;
  int ended = 0;
  if (disabled) {
    auto list = co_await store.sessionsOf(user->id);
    if (!list) co_return list.error();
    for (const Session& s : *list) {
      auto gone = co_await store.deleteSession(user->id, s.id);
      if (gone) ++ended;
    }
  }
  co_await audit(store, user->id, disabled ? "account_disabled" : "account_enabled",
                 "by parley admin");
  out << (disabled ? "disabled " : "enabled ") << user->username;
  if (disabled) out << " (" << ended << " sessions ended)";
  out << "\n";
  co_return Status{};
}

Task<Status> setAdmin(Store& store, const AdminRequest& req, bool admin, std::ostream& out) {
  auto user = co_await account(store, req.user);
  if (!user) co_return user.error();
  auto set = co_await store.setUserAdmin(user->id, admin);
  if (!set) co_return set;
  co_await audit(store, user->id, admin ? "admin_granted" : "admin_revoked", "by parley admin");
  out << user->username << (admin ? " is a server admin\n" : " is no longer a server admin\n");
  co_return Status{};
}

}  // namespace

Result<std::int64_t> numberFlag(const AdminRequest& req, const char* name, std::int64_t fallback,
                                std::int64_t lo, std::int64_t hi) {
  auto it = req.flags.find(name);
  if (it == req.flags.end()) return fallback;
  std::int64_t v = 0;
  const std::string& s = it->second;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < lo || v > hi) {
    return makeError(Code::bad_request, std::string(name) + " must be " + std::to_string(lo) +
                                            " to " + std::to_string(hi));
  }
  return v;
}

namespace {

Task<Status> listUsers(Store& store, const AdminRequest& req, std::ostream& out) {
  auto after = numberFlag(req, "--after", 0, 0, INT64_MAX);
  if (!after) co_return after.error();
  auto limit = numberFlag(req, "--limit", 1000, 1, 100'000);
  if (!limit) co_return limit.error();
  UserId next = *after;
  for (std::int64_t left = *limit; left > 0;) {
    const int page = static_cast<int>(std::min<std::int64_t>(left, 1000));
    auto users = co_await store.usersPage(next, page);
    if (!users) co_return users.error();
    for (const User& u : *users) {
      out << u.id << "\t" << u.username << "\t" << (u.admin ? "admin" : "member")
          << (u.disabled ? ",disabled" : "") << "\t" << utcText(u.created_at) << "\n";
      next = u.id;
    }
    if (static_cast<int>(users->size()) < page) break;
    left -= page;
  }
  co_return Status{};
}

}  // namespace

Task<Status> runAdmin(Store& store, AdminRequest req, std::ostream& out) {
  const std::string& c = req.command;
  if (c == "create-user") co_return co_await createUser(store, req, out);
  if (c == "reset-password") co_return co_await resetPassword(store, req, out);
  if (c == "disable" || c == "enable")
    co_return co_await setDisabled(store, req, c == "disable", out);
  if (c == "grant-admin" || c == "revoke-admin")
    co_return co_await setAdmin(store, req, c == "grant-admin", out);
  if (c == "list-users") co_return co_await listUsers(store, req, out);
  if (c == "create-invite") co_return co_await createInvite(store, req, out);
  if (c == "reset-2fa") co_return co_await resetTwoFactor(store, req, out);
  co_return makeError(Code::bad_request, "unknown command " + c);
}

}  // namespace parley::app

// What each `parley admin` command does to the Store (admin_cmd.h parses the command line).
#pragma once

#include <map>
#include <ostream>
#include <string>

#include "app/config.h"
#include "ports/store.h"

namespace parley::app {

struct AdminRequest {
  std::string command;  // create-user, reset-password, disable, ...
  std::string user;     // the account it is about (empty for list-users)
  std::map<std::string, std::string> flags;
  Config cfg;
};

// Runs one command, printing what it did to `out`. bad_request for bad input (a username
// or password that is not allowed, a bad --limit), not_found for an unknown USER, conflict
// for a taken name. Every change is recorded in the audit trail (device "parley admin").
Task<Status> runAdmin(Store& store, AdminRequest req, std::ostream& out);

// For the commands' files (admin_ops.cpp, admin_signup.cpp).
// --url, else the address the serve options listen on.
std::string baseUrl(const AdminRequest& req);
// The flag `name` as an integer in lo..hi (bad_request otherwise), `fallback` if absent.
Result<std::int64_t> numberFlag(const AdminRequest& req, const char* name, std::int64_t fallback,
                                std::int64_t lo, std::int64_t hi);
// admin_signup.cpp: create-invite, reset-2fa.
Task<Status> createInvite(Store& store, const AdminRequest& req, std::ostream& out);
Task<Status> resetTwoFactor(Store& store, const AdminRequest& req, std::ostream& out);
// At `serve`'s start: if nobody may sign up freely and there is no account yet, tells the
// operator how to make the first admin.
Task<void> firstAdminHint(Store& store, const Config& cfg, std::ostream& out);

}  // namespace parley::app

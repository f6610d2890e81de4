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

}  // namespace parley::app

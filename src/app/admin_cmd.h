// `parley admin <command> USER [options]`: accounts managed from the shell, against the
// Store the serve options name (--db, --data-dir, --config, PARLEY_* variables), on either
// backend. Also the usage of every other subcommand (`parley migrate --help`).
#pragma once

#include <functional>
#include <string>

#include "app/config.h"
#include "ports/store.h"

namespace parley::app {

using StoreOpener = std::function<Result<StorePtr>(const Config&)>;

// argv[0] is "admin". Exit code: 0 done, 1 the Store failed or the user does not exist,
// 2 bad usage (printed to stderr).
int adminMain(int argc, const char* const* argv, const StoreOpener& open_store);

// True if argv (after the command word) asks for --help / -h.
bool wantsHelp(int argc, const char* const* argv);
// Prints the usage of `command` ("migrate", "keys rewrap") and returns 0.
int commandUsage(const std::string& command);

}  // namespace parley::app

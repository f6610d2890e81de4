// Checks of `parley serve` flags that need more than parsing: every URL parses the way its
// adapter will read it, the listen address is an address, and no local file of the node
// (data dir, keyring, SQLite file, blobs dir) lies inside the static dir, where the static
// route could serve it. Nothing is created or opened: a failure is one line naming the flag,
// and main exits 2 before any directory or file exists.
#pragma once

#include <string_view>

#include "app/config.h"
#include "core/error.h"

namespace parley::app {

bool isPostgresUrl(std::string_view url);
bool isS3Url(std::string_view url);

// `cfg.static_dir` must already be resolved (its default filled in), or empty.
Status checkFlags(const Config& cfg);

}  // namespace parley::app

// The built web client, served from a directory: correct content types, long caching for
// hashed asset names, no caching for the page, and a Content-Security-Policy that forbids
// inline script. Paths are confined to the directory.
#pragma once

#include <string>
#include <string_view>

#include "api/router.h"

namespace parley::api {

HttpResponse serveStatic(const std::string& dir, std::string_view path);

}  // namespace parley::api

#include "api/static_files.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/json_input.h"

namespace parley::api {

namespace {

std::string_view contentType(std::string_view ext) {
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".json") return "application/json";
  if (ext == ".woff2") return "font/woff2";
  return "application/octet-stream";
}

HttpResponse notFound() {
  HttpResponse r;
  r.status = 404;
  r.body = errorBody({Code::not_found, "no such route"});
  return r;
}

}  // namespace

HttpResponse serveStatic(const std::string& dir, std::string_view path) {
  if (dir.empty()) return notFound();
  // Only plain names below the directory: no "..", no hidden files, no backslashes.
  if (path.find("..") != std::string_view::npos || path.find("/.") != std::string_view::npos ||
      path.find('\\') != std::string_view::npos || path.find('\0') != std::string_view::npos) {
    return notFound();
  }
  bool page = path == "/" || path.find('.') == std::string_view::npos;  // client-side routes
  std::filesystem::path file =
      std::filesystem::path(dir) / (page ? "index.html" : std::string(path.substr(1)));
  std::ifstream in(file, std::ios::binary);
  if (!in) return notFound();
  std::ostringstream body;
  body << in.rdbuf();
  HttpResponse r;
  r.content_type = std::string(contentType(file.extension().string()));
  r.body = std::move(body).str();
  if (page) {
    r.headers.emplace_back("Cache-Control", "no-cache");
  } else if (path.starts_with("/assets/")) {
    r.headers.emplace_back("Cache-Control", "public, max-age=31536000, immutable");
  } else {
    r.headers.emplace_back("Cache-Control", "no-cache");
  }
  r.headers.emplace_back(
      "Content-Security-Policy",
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' "
      "blob: data:; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

}  // namespace parley::api

#include "api/json_input.h"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace parley::api {

namespace json = boost::json;

Result<json::object> parseObject(std::string_view text, int max_depth) {
  json::parse_options opts;
  opts.max_depth = static_cast<std::size_t>(max_depth);
  boost::system::error_code ec;
  json::value v = json::parse(text, ec, {}, opts);
  if (ec) return makeError(Code::bad_request, "body is not valid JSON (or nested too deep)");
  if (!v.is_object()) return makeError(Code::bad_request, "body must be a JSON object");
  return std::move(v.as_object());
}

Result<std::optional<std::string>> optString(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::string>();
  if (!it->value().is_string()) {
    return makeError(Code::bad_request, std::string(key) + " must be a string");
  }
  return std::optional<std::string>(std::string(it->value().get_string()));
}

Result<std::optional<std::int64_t>> optInt(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<std::int64_t>();
  if (it->value().is_int64()) return std::optional<std::int64_t>(it->value().get_int64());
  if (it->value().is_uint64() && it->value().get_uint64() <= INT64_MAX) {
    return std::optional<std::int64_t>(static_cast<std::int64_t>(it->value().get_uint64()));
  }
  return makeError(Code::bad_request, std::string(key) + " must be an integer");
}

Result<std::optional<bool>> optBool(const json::object& o, std::string_view key) {
  auto it = o.find(key);
  if (it == o.end() || it->value().is_null()) return std::optional<bool>();
  if (!it->value().is_bool())
    return makeError(Code::bad_request, std::string(key) + " must be a boolean");
  return std::optional<bool>(it->value().get_bool());
}

Result<std::vector<std::string>> optStringList(const json::object& o, std::string_view key) {
  std::vector<std::string> out;
  const json::value* v = o.if_contains(key);
  if (!v || v->is_null()) return out;
  const json::array* a = v->if_array();
  if (!a) return makeError(Code::bad_request, std::string(key) + " must be a list of strings");
  for (const auto& e : *a) {
    if (!e.is_string()) {
      return makeError(Code::bad_request, std::string(key) + " must be a list of strings");
    }
    out.emplace_back(e.get_string());
  }
  return out;
}

Result<std::string> reqString(const json::object& o, std::string_view key) {
  auto v = optString(o, key);
  if (!v) return v.error();
  if (!*v) return makeError(Code::bad_request, std::string(key) + " is required");
  return std::move(**v);
}

Result<std::int64_t> reqInt(const json::object& o, std::string_view key) {
  auto v = optInt(o, key);
  if (!v) return v.error();
  if (!*v) return makeError(Code::bad_request, std::string(key) + " is required");
  return **v;
}

std::string errorBody(const Error& e) {
  json::object inner{{"code", codeName(e.code)}, {"message", e.message}};
  if (e.at >= 0) inner["at"] = e.at;
  return json::serialize(json::object{{"error", std::move(inner)}});
}

}  // namespace parley::api

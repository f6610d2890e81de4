// Reading client JSON: bounded depth, typed field access, documented errors.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace parley::api {

// bad_request for anything but a JSON object no deeper than max_depth.
Result<boost::json::object> parseObject(std::string_view text, int max_depth);

// Field readers: a missing field is nullopt; a field of the wrong type is bad_request.
Result<std::optional<std::string>> optString(const boost::json::object& o, std::string_view key);
Result<std::optional<std::int64_t>> optInt(const boost::json::object& o, std::string_view key);
Result<std::optional<bool>> optBool(const boost::json::object& o, std::string_view key);
Result<std::string> reqString(const boost::json::object& o, std::string_view key);
// A list of strings; missing is empty; anything but an array of strings is bad_request.
Result<std::vector<std::string>> optStringList(const boost::json::object& o, std::string_view key);
Result<std::int64_t> reqInt(const boost::json::object& o, std::string_view key);

// The error body of docs/api.md: {"error": {"code", "message"}}.
std::string errorBody(const Error& e);

}  // namespace parley::api

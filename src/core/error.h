// Errors at the boundaries of Parley are values, never exceptions.
//
// `Error` carries one of a small, documented set of codes (docs/api.md lists them
// with their HTTP status). Services return `Result<T>`; the API layer turns an Error
// into an HTTP status + JSON body or a WebSocket error frame.
#pragma once

#include <boost/system/result.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace parley {

enum class Code {
  bad_request,          // 400: malformed JSON, missing or invalid field
  bad_query,            // 400: a search query that does not parse (Error::at says where)
  invalid_username,     // 400
  invalid_profile,      // 400: a profile field that is too long, not UTF-8, or not a zone
  weak_password,        // 400
  invalid_file,         // 400: a file id that is not an unattached upload of the sender in the room
  message_too_long,     // 413
  payload_too_large,    // 413
  unauthorized,         // 401: missing, unknown, revoked or expired token
  bad_credentials,      // 401: wrong username or password
  account_disabled,     // 401: right password, but an admin disabled the account
  wrong_password,       // 403: the current password given to a password change is wrong
  invalid_reset_link,   // 400: a password reset link that is unknown, used or expired
  invalid_invite,       // 400: a sign-up invite that is unknown, revoked, expired or used up
  registration_closed,  // 403: sign-up needs an invite (--registration invite) or is off
  otp_required,         // 401: the password was right; a second step (TOTP code) is needed
  invalid_otp,          // 401: a wrong, replayed or expired code or challenge of that step
  forbidden,            // 403: authenticated but not allowed (role)
  not_member,           // 403: not a member of the room
  origin_not_allowed,   // 403
  not_found,            // 404: unknown room, message, user or session
  conflict,             // 409: e.g. username taken, already a member
  rate_limited,         // 429
  busy,                 // 503: a bounded resource (password hashing) is saturated
  unavailable,          // 503: a dependency failed; the request may be retried
  internal,             // 500
};

// The stable, documented string form of a code ("not_member").
std::string_view codeName(Code c) noexcept;
int httpStatus(Code c) noexcept;

struct Error {
  Code code;
  std::string message;
  int retry_after_s = 0;  // rate_limited: when to try again (the Retry-After header)
  std::int64_t at = -1;   // bad_query: the byte offset in the query of what is wrong
};

inline Error makeError(Code c, std::string message) { return Error{c, std::move(message)}; }

class ErrorException : public std::runtime_error {
 public:
  explicit ErrorException(Error e) : std::runtime_error(e.message), error_(std::move(e)) {}
  const Error& error() const noexcept { return error_; }

 private:
  Error error_;
};

// Found by ADL when `Result<T>::value()` is called on an error.
[[noreturn]] inline void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw ErrorException(e);
}

template <class T>
using Result = boost::system::result<T, Error>;

// For operations with no value to return.
using Status = boost::system::result<void, Error>;

}  // namespace parley

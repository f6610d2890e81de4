#include "core/error.h"

namespace parley {

// One case per Code, so the compiler (-Wswitch) names any code added without a name here;
// lizard counts each case as a branch, but there is nothing to split.
std::string_view codeName(Code c) noexcept {
  switch (c) {
    case Code::bad_request:
      return "bad_request";
    case Code::bad_query:
      return "bad_query";
    case Code::invalid_username:
      return "invalid_username";
    case Code::invalid_profile:
      return "invalid_profile";
    case Code::weak_password:
      return "weak_password";
    case Code::invalid_file:
      return "invalid_file";
    case Code::message_too_long:
      return "message_too_long";
    case Code::payload_too_large:
      return "payload_too_large";
    case Code::unauthorized:
      return "unauthorized";
    case Code::bad_credentials:
      return "bad_credentials";
    case Code::account_disabled:
      return "account_disabled";
    case Code::wrong_password:
      return "wrong_password";
    case Code::invalid_reset_link:
      return "invalid_reset_link";
    case Code::invalid_invite:
      return "invalid_invite";
    case Code::registration_closed:
      return "registration_closed";
    case Code::otp_required:
      return "otp_required";
    case Code::invalid_otp:
      return "invalid_otp";
    case Code::forbidden:
      return "forbidden";
    case Code::not_member:
      return "not_member";
    case Code::origin_not_allowed:
      return "origin_not_allowed";
    case Code::not_found:
      return "not_found";
    case Code::conflict:
      return "conflict";
    case Code::rate_limited:
      return "rate_limited";
    case Code::busy:
      return "busy";
    case Code::unavailable:
      return "unavailable";
    case Code::internal:
      return "internal";
  }
  return "internal";
}

// One switch over Code for the same reason as codeName: -Wswitch catches a new code.
int httpStatus(Code c) noexcept {
  switch (c) {
    case Code::bad_request:
    case Code::bad_query:
    case Code::invalid_username:
    case Code::invalid_profile:
    case Code::weak_password:
    case Code::invalid_file:
    case Code::invalid_reset_link:
    case Code::invalid_invite:
      return 400;
    case Code::message_too_long:
    case Code::payload_too_large:
      return 413;
    case Code::unauthorized:
    case Code::bad_credentials:
    case Code::account_disabled:
    case Code::otp_required:
    case Code::invalid_otp:
      return 401;
    case Code::forbidden:
    case Code::wrong_password:
    case Code::registration_closed:
    case Code::not_member:
    case Code::origin_not_allowed:
      return 403;
    case Code::not_found:
      return 404;
    case Code::conflict:
      return 409;
    case Code::rate_limited:
      return 429;
    case Code::busy:
    case Code::unavailable:
      return 503;
    case Code::internal:
      return 500;
  }
  return 500;
}

}  // namespace parley

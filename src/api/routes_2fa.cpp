// Two-factor sign-in: enrolment, the second login step, disabling, an admin's reset
// (docs/api.md "Two-factor sign-in").
#include "api/json_input.h"
#include "api/qr_svg.h"
#include "api/route_table.h"
#include "core/metrics.h"
#include "service/codec.h"

namespace parley::api {

namespace json = boost::json;
template <class T>
using Awaitable = boost::asio::awaitable<T>;

HttpResponse loginResponse(const AccountService::Login& login) {
  if (!login.challenge.empty()) {
    metrics().countError(Code::otp_required);
    const char* message = login.enrol ? "this server requires two-factor sign-in: enrol to continue"
                                      : "enter the code from your authenticator app";
    return jsonResponse(401, {{"error", {{"code", "otp_required"}, {"message", message}}},
                              {"challenge", login.challenge},
                              {"enrol", login.enrol}});
  }
  json::object body{{"token", login.token},
                    {"session", codec::session(login.session, login.session.id)},
                    {"user", codec::user(login.user.id, login.user.username)}};
  if (!login.recovery_codes.empty()) {
    json::array codes;
    for (const auto& c : login.recovery_codes) codes.emplace_back(c);
    body["recovery_codes"] = std::move(codes);
  }
  auto r = jsonResponse(200, body);
  r.headers.emplace_back("Set-Cookie", "parley_session=" + login.token +
                                           "; Path=/; HttpOnly; SameSite=Strict; Max-Age=7776000");
  return r;
}

namespace {

Result<HttpResponse> enrolmentResponse(const AccountService::Enrolment& e) {
  auto svg = qrSvg(e.uri);
  if (!svg) return makeError(Code::internal, "the QR code could not be made");
  return jsonResponse(201, {{"secret", e.secret_base32}, {"uri", e.uri}, {"qr_svg", *svg}});
}

Awaitable<Result<HttpResponse>> state(Call& c) {
  auto s = co_await c.ctx.accounts.twoFactorState(*c.auth);
  if (!s) co_return s.error();
  co_return jsonResponse(
      200, {{"enabled", s->enabled}, {"pending", s->pending}, {"recovery_left", s->recovery_left}});
}

Awaitable<Result<HttpResponse>> begin(Call& c) {
  auto e = co_await c.ctx.accounts.beginEnrolment(*c.auth);
  if (!e) co_return e.error();
  co_return enrolmentResponse(*e);
}

Awaitable<Result<HttpResponse>> confirm(Call& c) {
  auto code = reqString(c.body, "code");
  if (!code) co_return code.error();
  std::string ip = c.req.remote_ip;  // (g++ 12: src/README.md)
  auto codes = co_await c.ctx.accounts.confirmEnrolment(*c.auth, std::move(*code), std::move(ip));
  if (!codes) co_return codes.error();
  json::array a;
  for (const auto& s : *codes) a.emplace_back(s);
  co_return jsonResponse(200, {{"recovery_codes", std::move(a)}});
}

Awaitable<Result<HttpResponse>> disable(Call& c) {
  auto password = reqString(c.body, "password");
  if (!password) co_return password.error();
  auto code = reqString(c.body, "code");
  if (!code) co_return code.error();
  std::string ip = c.req.remote_ip;  // (g++ 12: src/README.md)
  auto done = co_await c.ctx.accounts.disableTwoFactor(*c.auth, std::move(*password),
                                                       std::move(*code), std::move(ip));
  if (!done) co_return done.error();
  co_return noContent();
}

Awaitable<Result<HttpResponse>> secondStep(Call& c) {
  auto challenge = reqString(c.body, "challenge");
  if (!challenge) co_return challenge.error();
  auto code = optString(c.body, "code");
  if (!code) co_return code.error();
  auto recovery = optString(c.body, "recovery_code");
  if (!recovery) co_return recovery.error();
  if (code->has_value() == recovery->has_value())
    co_return makeError(Code::bad_request, "give either code or recovery_code");
  std::string totp = code->value_or("");  // (g++ 12: src/README.md)
  std::string rc = recovery->value_or("");
  std::string ip = c.req.remote_ip;
  auto login = co_await c.ctx.accounts.loginSecondStep(std::move(*challenge), std::move(totp),
                                                       std::move(rc), std::move(ip));
  if (!login) co_return login.error();
  co_return loginResponse(*login);
}

Awaitable<Result<HttpResponse>> enrolWithChallenge(Call& c) {
  auto challenge = reqString(c.body, "challenge");
  if (!challenge) co_return challenge.error();
  std::string ip = c.req.remote_ip;  // (g++ 12: src/README.md)
  auto e =
      co_await c.ctx.accounts.beginEnrolmentWithChallenge(std::move(*challenge), std::move(ip));
  if (!e) co_return e.error();
  co_return enrolmentResponse(*e);
}

Awaitable<Result<HttpResponse>> adminReset(Call& c) {
  std::string username = c.text("username");  // (g++ 12: src/README.md)
  auto done = co_await c.ctx.accounts.resetTwoFactor(*c.auth, std::move(username));
  if (!done) co_return done.error();
  co_return noContent();
}

constexpr Route kRoutes[] = {
    {"GET", "/me/2fa", &state},
    {"POST", "/me/2fa", &begin, Body::json_or_empty},
    {"POST", "/me/2fa/confirm", &confirm, Body::json},
    {"POST", "/me/2fa/disable", &disable, Body::json},
    {"POST", "/login/2fa", &secondStep, Body::json, Access::open},
    {"POST", "/login/2fa/enrol", &enrolWithChallenge, Body::json, Access::open},
    {"POST", "/admin/users/{username}/reset-2fa", &adminReset},
};

}  // namespace

std::span<const Route> twoFactorRoutes() { return kRoutes; }

}  // namespace parley::api

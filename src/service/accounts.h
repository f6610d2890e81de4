// Accounts and sessions: register, log in from many devices, authenticate a token, list and
// revoke sessions. Revocation is published on the user's bus topic so every node closes
// that session's sockets at once.
//
// Thread-safe.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "crypto/password_hasher.h"
#include "ports/bus.h"
#include "ports/cache.h"
#include "ports/clock.h"
#include "ports/store.h"
#include "service/event.h"
#include "service/invites.h"
#include "service/limits.h"
#include "service/password_reset.h"
#include "service/profile_fields.h"
#include "service/shared_secrets.h"
#include "service/users.h"

namespace parley {

// The network a login comes from: /24 for IPv4, /64 for IPv6 (first four groups).
std::string networkOf(const std::string& ip);

class AccountService {
 public:
  // `secrets` holds the key that binds cached sessions to their tokens (session_mac.h).
  AccountService(Store& store, Cache& cache, Bus& bus, crypto::PasswordHasher& hasher,
                 UserDirectory& users, SharedSecrets& secrets, const Clock& clock,
                 const ServiceLimits& limits)
      : store_(store),
        cache_(cache),
        bus_(bus),
        hasher_(hasher),
        users_(users),
        secrets_(secrets),
        clock_(clock),
        limits_(limits) {}

  const Clock& clock() const { return clock_; }

  static Status checkUsername(std::string_view name);
  static Status checkPassword(std::string_view password);

  // rate_limited (with retry_after_s) beyond the registration limits, before any hashing.
  Task<Result<User>> registerUser(std::string username, std::string password, std::string ip);

  struct Login {
    std::string token;  // shown once, never stored
    Session session;
    User user;
    // Set instead of a session when the password was right but a second step is needed
    // (otp_required): the challenge to send with the code, and whether the account must
    // enrol first (--require-2fa and no second factor yet).
    std::string challenge;
    bool enrol = false;
    std::vector<std::string> recovery_codes;  // a second step that enrolled: shown once
  };
  Task<Result<Login>> login(std::string username, std::string password, std::string device,
                            std::string ip);
  // unauthorized for an unknown, revoked or expired token. A cached entry counts only if
  // its MAC binds it to this token (else it is a miss, counted, and the Store answers).
  Task<Result<AuthContext>> authenticate(std::string_view token, std::string ip);

  Task<Status> logout(const AuthContext& ctx);
  Task<Result<std::vector<Session>>> sessions(const AuthContext& ctx);
  Task<Status> revoke(const AuthContext& ctx, SessionId id);
  Task<Result<User>> userByName(std::string username);

  // The caller's own audit trail, newest first.
  Task<Result<std::vector<AuditEvent>>> auditTrail(const AuthContext& ctx, int limit);
  // Every account's (admins only: forbidden otherwise).
  Task<Result<std::vector<AuditEvent>>> auditTrailAll(const AuthContext& ctx, int limit);
  // Admins only (forbidden otherwise): the rows matching `q`, of the account `username` if
  // not "" (none for an unknown name), newest first (account_audit.cpp).
  Task<Result<std::vector<AuditEvent>>> searchAudit(const AuthContext& ctx, AuditQuery q,
                                                    std::string username);
  // A server admin: the role in the Store (read there, not from a cached session, so a
  // revoked role counts at once), or a name given with --admin. forbidden otherwise.
  Task<Status> requireAdmin(const AuthContext& ctx);
  // Deletes audit rows older than the retention (ServiceLimits::audit_retention_ms; 0 keeps
  // them forever); returns how many. The composition root calls it periodically.
  Task<Result<std::int64_t>> pruneAudit();

  static constexpr Millis kAuditCountWindowMs = 60'000;
  // Admins only. Disabling ends every session of the account and closes its sockets on
  // every node; the account cannot log in until enabled again.
  Task<Status> setDisabled(const AuthContext& admin, std::string username, bool disabled);

  // --- passwords (account_people.cpp) ---
  // Needs the current password (wrong_password if it is not); rate limited like logins.
  // Ends every other session of the account (their sockets close with 4001 on every node).
  Task<Status> changePassword(const AuthContext& ctx, std::string current, std::string next,
                              std::string ip);
  // Admins only: a one-time reset link for `username` (password_reset.h).
  Task<Result<ResetLink>> issueResetLink(const AuthContext& admin, std::string username);
  // Spends a reset link: sets the password and ends every session of the account.
  // invalid_reset_link for an unknown, used or expired link (alike); rate limited per address.
  Task<Status> resetPassword(std::string token, std::string password, std::string ip);

  // --- sign-up and invites (account_signup.cpp) ---
  // Whether POST /register without an invite may create an account (--registration).
  // registerUser refuses with registration_closed unless it is open.
  // With an invite (any mode but closed): invalid_invite for an unknown, revoked, expired or
  // used-up code (one answer for all four, after the rate limit and before hashing is
  // wasted on nothing: the Store checks the code and creates the account atomically).
  Task<Result<InvitedUser>> registerInvited(std::string username, std::string password,
                                            std::string ip, std::string code);
  // Admins only. A room must be a group room the admin may add people to (a member of a
  // public one, an owner or admin of a private one), else not_found "no such room".
  Task<Result<NewInvite>> createInvite(const AuthContext& admin, InviteSpec spec);
  Task<Result<std::vector<Invite>>> invites(const AuthContext& admin, int limit);
  Task<Status> revokeInvite(const AuthContext& admin, std::int64_t id);

  // --- profiles and finding people (account_profile.cpp; docs/api.md "Profiles") ---
  // The caller's own profile.
  Task<Result<Profile>> myProfile(const AuthContext& ctx);
  // `username`'s profile; not_found for a user the caller may not see (--people-search
  // shared and no room in common), exactly as for one that does not exist.
  Task<Result<Profile>> profileOf(const AuthContext& ctx, std::string username);
  // Applies a checked patch (profile_fields.h) and returns the new profile; rate_limited
  // beyond ServiceLimits::profile_changes_per_hour. Audited (profile_changed, the fields in
  // the detail) and sent as a profile frame to the user's sessions and sharers on every
  // node. A patch that changes nothing is neither counted, audited nor sent.
  Task<Result<Profile>> updateProfile(const AuthContext& ctx, ProfilePatch patch);
  // --- avatars (account_avatar.cpp; docs/api.md "Avatars") ---
  // The sizes kept of every avatar (square, in pixels): what the client shows, at 2x.
  static constexpr int kAvatarSizes[] = {64, 256};
  // Makes `images` (one per kAvatarSizes, in that order, FilesService::avatarImages) the
  // caller's avatar under a new random id, or removes it (`images` empty); counted against
  // profile_changes_per_hour, audited (profile_changed, "avatar") and sent as a profile
  // frame as a patch is. Removing an avatar there is not changes nothing.
  Task<Result<Profile>> setAvatar(const AuthContext& ctx, std::vector<std::string> images);
  // Before an avatar's images are made: every attempt, good or bad, counts against twice
  // profile_changes_per_hour (at least 10) per hour, so that refused or repeated requests
  // cannot keep the image workers busy; rate_limited beyond it.
  Task<Status> admitAvatarWork(const AuthContext& ctx);
  struct AvatarFile {
    std::string jpeg;
    std::string avatar_id;  // the current avatar's
  };
  // `username`'s avatar at `size`; not_found (one answer) for a size not kept, no avatar,
  // no such user or one the caller may not see (as profileOf).
  Task<Result<AvatarFile>> avatarOf(const AuthContext& ctx, std::string username, int size);

  struct PeoplePage {
    std::vector<Profile> people;
    std::string next_cursor;  // "" at the end
  };
  // Accounts whose username or display name starts with `q` (case-insensitively), not
  // disabled, in username order; `cursor` continues a page. rate_limited beyond
  // ServiceLimits::people_search_rate_per_sec; invalid_profile for a bad `q`.
  Task<Result<PeoplePage>> findPeople(const AuthContext& ctx, std::string q, std::string cursor,
                                      int limit);

  // --- two-factor sign-in (account_2fa.cpp; docs/api.md "Two-factor sign-in") ---
  struct Enrolment {
    std::string secret_base32;  // for typing into an app
    std::string uri;            // otpauth://totp/... (what the QR code holds)
  };
  struct TwoFactorState {
    bool enabled = false;
    bool pending = false;
    int recovery_left = 0;
  };
  static constexpr Millis kChallengeTtlMs = 5 * 60 * 1000;
  static constexpr int kChallengeAttempts = 5;
  static constexpr int kRecoveryCodes = 10;

  Task<Result<TwoFactorState>> twoFactorState(const AuthContext& ctx);
  // A new pending secret (replacing a pending one); conflict if two-factor is on already.
  Task<Result<Enrolment>> beginEnrolment(const AuthContext& ctx);
  // Confirms the pending secret with a current code; returns the recovery codes (shown
  // once). invalid_otp for a wrong code; limited as logins are.
  Task<Result<std::vector<std::string>>> confirmEnrolment(const AuthContext& ctx, std::string code,
                                                          std::string ip);
  // Needs the password and a current code or a recovery code; wrong_password or invalid_otp.
  Task<Status> disableTwoFactor(const AuthContext& ctx, std::string password, std::string code,
                                std::string ip);
  // The second sign-in step: a challenge from login() and a code (or a recovery code).
  // invalid_otp for a wrong, replayed or spent code and for any challenge that is not a live
  // one (forged, expired, used, or of an account that no longer exists): the same answer.
  Task<Result<Login>> loginSecondStep(std::string challenge, std::string code,
                                      std::string recovery_code, std::string ip);
  // With an enrolment challenge (--require-2fa): a pending secret for that account.
  Task<Result<Enrolment>> beginEnrolmentWithChallenge(std::string challenge, std::string ip);
  // Admins only: removes the account's second factor (it may enrol again).
  Task<Status> resetTwoFactor(const AuthContext& admin, std::string username);

  // --- the admin console (account_admin.cpp; docs/api.md "The admin console") ---
  // Every call answers forbidden to a caller who is not a server admin before it looks at
  // its inputs, and audits what it changes (in the trail of the account changed, naming
  // the admin in the detail).
  static constexpr int kAdminPageMax = 200;
  static constexpr std::size_t kAdminQueryMax = 64;  // bytes of a search prefix
  // One page of accounts whose username starts with `q` (bad_request if longer than
  // kAdminQueryMax), ids above `after`, at most `limit` (clamped to 1..kAdminPageMax).
  Task<Result<std::vector<UserListing>>> listUsers(const AuthContext& admin, std::string q,
                                                   UserId after, int limit);
  struct CreatedUser {
    User user;
    std::optional<ResetLink> link;  // set when no password was given
  };
  // With a password (checked as at sign-up), or without one: then the account gets a
  // random password nobody knows and a one-time reset link to choose one. Sign-up limits
  // and --registration do not apply. conflict if the name is taken.
  Task<Result<CreatedUser>> createUserAsAdmin(const AuthContext& admin, std::string username,
                                              std::optional<std::string> password, bool make_admin);
  // Grants or removes the server admin role. Removing it from the last enabled account
  // that holds it answers conflict (names given with --admin are admins regardless).
  Task<Status> setAdminRole(const AuthContext& admin, std::string username, bool grant);
  // The account's sessions, newest first.
  Task<Result<std::vector<Session>>> sessionsOf(const AuthContext& admin, std::string username);
  // Ends one session of the account (its sockets close with 4001 on every node); not_found
  // if the account has no such session.
  Task<Status> endSessionOf(const AuthContext& admin, std::string username, SessionId id);
  // Writes an audit row for a change an admin made outside this service (a room's owner).
  Task<void> auditAdminChange(const AuthContext& admin, UserId subject, const char* kind,
                              const std::string& detail);

 private:
  void publishRevoke(UserId user, SessionId session);
  // Deletes every session of `user` but `keep` (0: all), drops them from the cache and
  // closes their sockets on every node.
  Task<Status> endSessions(UserId user, SessionId keep);
  // Whether `user` is a server admin by name (--admin).
  bool namedAdmin(const User& user) const;
  // The cached entry for `hash` if its MAC holds under `mac_key`; nullopt otherwise.
  Task<std::optional<CachedSession>> cachedSession(const std::string& hash,
                                                   const std::string& mac_key);
  // Caches `s` for `hash`, with its MAC under `mac_key`.
  Task<void> cacheSession(const std::string& hash, CachedSession& s, const std::string& mac_key);
  // Counts one registration against the limits; rate_limited when over.
  Task<Status> admitRegistration(const std::string& ip);
  // Counts one login attempt against the limits; rate_limited (and audited) when over.
  Task<Status> admitLogin(const User* user, const std::string& ip, const std::string& device,
                          bool known_network);
  // Scores a successful login from the audit trail (login_risk.h); when suspicious, records
  // suspicious_login, counts it and sends security_alert to the account's other sessions
  // on every node (account_audit.cpp). Best effort: a login never fails on it.
  Task<void> assessLogin(const Session& session, bool new_device, bool new_network);
  // Literal kind and detail: no std::string temporaries in co_await calls (g++ 12).
  Task<void> audit(UserId user, const char* kind, const std::string& ip, const std::string& device,
                   const char* detail = "");
  // A refused attempt, counted into one row per account, kind, network and detail per
  // kAuditCountWindowMs (Store::countAudit): a flood costs rows per minute, not per guess.
  Task<void> auditRefusal(UserId user, const char* kind, const std::string& ip,
                          const std::string& device, const char* detail);

  // account_profile.cpp: sends `p` as a profile frame to `p.user_id`'s sessions and its
  // presence peers (ServiceLimits::profile_frame_room_limit), on every node.
  Task<void> publishProfile(const Profile& p);

  // account_2fa.cpp
  struct Challenge {
    UserId user = 0;
    bool enrol = false;
    std::string device;
    std::string nonce;
  };
  // After the password checked out: a session, or a challenge if a second step is due.
  Task<Result<Login>> finishPassword(User user, std::string device, std::string ip);
  Task<Result<Login>> startSession(User user, std::string device, std::string ip);
  Task<Result<std::string>> makeChallenge(UserId user, bool enrol, const std::string& device);
  Task<std::optional<Challenge>> readChallenge(const std::string& text);
  Task<Result<std::string>> totpKey(UserId user, const std::string& sealed);
  Task<Result<Enrolment>> enrol(const User& user);
  // Confirms the account's pending secret with `code`; the recovery codes. conflict if none
  // is pending, invalid_otp for a wrong code (audited). Not rate limited: the callers are.
  Task<Result<std::vector<std::string>>> confirmPending(UserId user, const std::string& code,
                                                        const std::string& ip,
                                                        const std::string& device);
  // Whether `code` is a current code (spent now: never again) or `recovery` an unused
  // recovery code (spent now) of the account's confirmed second factor.
  Task<Result<bool>> spendSecondFactor(UserId user, const std::string& code,
                                       const std::string& recovery);

  Store& store_;
  Cache& cache_;
  Bus& bus_;
  crypto::PasswordHasher& hasher_;
  UserDirectory& users_;
  SharedSecrets& secrets_;
  const Clock& clock_;
  const ServiceLimits& limits_;
};

}  // namespace parley

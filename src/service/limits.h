// Tunables of the service layer, filled from configuration by the composition root.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "domain/types.h"

namespace parley {

struct ServiceLimits {
  std::size_t max_text_bytes = 16 * 1024;
  std::size_t max_client_msg_id = 64;
  std::size_t max_room_name = 100;
  std::size_t max_topic = 1000;
  int history_default = 50;
  int history_max = 200;
  int resume_max_events = 1000;      // per room; beyond it the client is told to resync
  int cached_events_per_room = 100;  // how far back the Cache holds each room's timeline
  // Rendered newest history pages kept in this node's memory (PageCache); 0: none.
  std::size_t history_page_cache_bytes = 64 * 1024 * 1024;
  int send_rate_per_sec = 20;            // per user
  int search_rate_per_sec = 5;           // per user (GET /search)
  int search_suggest_rate_per_sec = 20;  // per user (GET /search/suggest)
  int max_reaction_emoji = 20;           // distinct emoji on one message
  int max_pins = 50;                     // pinned messages in one room
  // Profiles and finding people (docs/api.md "Profiles", "Finding people").
  int people_search_rate_per_sec = 5;  // per user (GET /users?q=)
  int profile_changes_per_hour = 30;   // per user (PATCH /me)
  // --people-search shared: GET /users and GET /users/{username} show only people who share
  // a room with the caller (others answer as if they did not exist).
  bool people_search_shared = false;
  // Live profile frames go to sharers of direct rooms and of group rooms up to this size
  // (the presence peers); members of bigger rooms read the profile when they need it.
  std::int64_t profile_frame_room_limit = 200;
  Millis typing_interval_ms = 2000;
  Millis session_idle_ms = 30LL * 24 * 3600 * 1000;
  Millis session_max_age_ms = 90LL * 24 * 3600 * 1000;
  Millis session_touch_every_ms = 60 * 1000;  // last_seen_at is written at most this often
  Millis session_cache_ttl_ms = 60 * 1000;

  // Login attempts (docs/api.md, "Login limits").
  int login_per_ip_per_minute = 30;
  int login_per_account_ip_per_15min = 10;
  int login_per_account_unknown_network_per_hour = 50;

  // Registrations (docs/api.md, "Registration limits"), checked before any hashing.
  int register_per_ip_per_hour = 30;  // per IPv4 address or IPv6 /64
  int register_per_minute = 60;       // the whole deployment (shared through the Cache)

  // Audit rows older than this are deleted (0: kept forever).
  Millis audit_retention_ms = 180LL * 24 * 3600 * 1000;

  // Who may create an account through POST /register (docs/api.md "Sign-up and invites"):
  // anyone, only with an admin's invite, or nobody. `parley serve` defaults to invite; the
  // service's own default is open, for tests that build a service by hand.
  enum class Registration { open, invite, closed };
  Registration registration = Registration::open;
  // Every account must have a second factor: one without it enrols at its next login.
  bool require_2fa = false;

  // Usernames allowed to read every account's audit trail.
  std::vector<std::string> admin_usernames;
};

}  // namespace parley

// What the API layer needs from the rest of the node: the services, and the edge limits.
// Built once by the composition root; everything referenced outlives the server.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "service/accounts.h"
#include "service/admin_rooms.h"
#include "service/files.h"
#include "service/hub.h"
#include "service/limits.h"
#include "service/messages.h"
#include "service/pins.h"
#include "service/presence.h"
#include "service/reactions.h"
#include "service/room_deletion.h"
#include "service/room_settings.h"
#include "service/rooms.h"
#include "service/search.h"
#include "service/threads.h"

namespace parley::api {

class StaticSite;   // static_files.h
class TlsContexts;  // tls_contexts.h

struct EdgeLimits {
  std::size_t max_body = 64 * 1024;
  std::size_t max_frame = 64 * 1024;
  std::size_t max_outbound = 4 * 1024 * 1024;
  int json_max_depth = 32;
  int hello_timeout_seconds = 10;
  // Behind a proxy: take the client address from the last X-Forwarded-For entry.
  bool trust_forwarded_for = false;
  // --hsts: every HTTP response carries Strict-Transport-Security with this max-age.
  bool hsts = false;
  // --test-echo-endpoint (tests only): /api/v1/test/echo echoes every message, for the
  // Autobahn conformance suite; the WebSocket code is that of /api/v1/ws.
  bool test_echo = false;
};

struct ApiContext {
  AccountService& accounts;
  RoomService& rooms;
  MessageService& messages;
  PresenceService& presence;
  Hub& hub;
  FilesService& files;
  const ServiceLimits& limits;
  EdgeLimits edge;
  std::vector<std::string> allowed_origins;       // exact "scheme://host[:port]" strings
  std::shared_ptr<const StaticSite> static_site;  // the built web client; null: none
  SearchService* search = nullptr;                // null: search answers unavailable
  std::shared_ptr<TlsContexts> tls;               // null: plain HTTP
  ReactionService* reactions = nullptr;           // null: reactions answer unavailable
  RoomDeletion* room_deletion = nullptr;          // null: DELETE /rooms/{id} is unavailable
  ThreadService* threads = nullptr;               // null: threads answer unavailable
  AdminRooms* admin_rooms = nullptr;              // null: /admin/rooms answers unavailable
  PinService* pins = nullptr;                     // null: pins and levels answer unavailable
  RoomSettingsService* room_settings = nullptr;   // null: PATCH /rooms/{id} answers unavailable
};

}  // namespace parley::api

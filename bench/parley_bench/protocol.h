// The wire protocols parley-bench speaks (docs/benchmarks.md, "Peers"): Parley's own, socket.io's
// (Engine.IO 4 over WebSocket) and XMPP over WebSocket (RFC 7395, multi-user chat). Each turns
// the scenario's few verbs — say hello and join the connection's room, send message k, read a
// frame — into frames, so that the scenarios' accounting (message ids in the text, latency
// from the intended send time, lost and duplicate deliveries) is the same for every server.
// Frames are recognised by plain substring checks, not full parsers: the generator must stay
// cheap, and every server under test writes these frames in one fixed form.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace parley_bench {

// One connection's protocol state, owned by the scenario.
struct ProtoConn {
  int id = 0;                // the connection's index, also its resource / nick
  std::string user;          // user name (XMPP: the JID's local part)
  std::string password;      // XMPP
  std::string token;         // Parley: session token
  std::string room_name;     // socket.io, XMPP: the room joined by name
  int64_t room = 0;          // Parley, socket.io: numeric room id (socket.io: from the join ack)
  int64_t resume_from = -1;  // Parley: resume the room from this seq (-1: no resume)
  int step = 0;              // handshake progress, per protocol
};

struct Inbound {
  enum Kind {
    ignore,  // nothing for the scenario (handshake steps, pings, presence, …)
    ready,   // the connection is in its room and receives its messages
    event,   // a chat message in the room: `text` is its text, `seq` its seq if any
    ack,     // the server took message `k`
    error,   // a refusal; `text` holds the frame
    resync,  // Parley: the server asks for a resync
  };
  Kind kind = ignore;
  int64_t k = -1;
  int64_t seq = -1;
  std::string_view text;
};

class Protocol {
 public:
  virtual ~Protocol() = default;
  virtual std::string name() const = 0;
  // HTTP target of the WebSocket upgrade, and the subprotocol to ask for ("" for none).
  virtual std::string wsTarget() const = 0;
  virtual std::string subprotocol() const { return ""; }
  // The first frame once the upgrade succeeded.
  virtual std::string hello(const ProtoConn& c) const = 0;
  // Reads one frame; frames to answer with (handshake steps, pongs) go to `out`.
  virtual Inbound onFrame(ProtoConn& c, std::string_view frame, std::vector<std::string>& out) = 0;
  // The frame that sends message k with `text` to the connection's room.
  virtual std::string message(const ProtoConn& c, int64_t k, std::string_view text) const = 0;
  // XMPP acknowledges nothing: the room's reflection of a message to its sender is the ack.
  virtual bool echoIsAck() const { return false; }
  // Parley's seqs are gapless and in order per room on each connection; gaps are counted.
  virtual bool orderedSeq() const { return false; }
};

// name: parley | socketio | xmpp. xmpp_domain and muc_service are used by xmpp only.
std::unique_ptr<Protocol> makeProtocol(const std::string& name, const std::string& xmpp_domain,
                                       const std::string& muc_service);

// Parses a decimal integer at the start of s; -1 when there is none.
int64_t leadingInt(std::string_view s);

}  // namespace parley_bench

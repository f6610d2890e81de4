#include "protocol.h"

#include <boost/json.hpp>
#include <stdexcept>

namespace parley_bench {

namespace json = boost::json;

int64_t leadingInt(std::string_view s) {
  int64_t v = 0;
  size_t i = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') v = v * 10 + (s[i++] - '0');
  return i > 0 ? v : -1;
}

namespace {

int64_t intAfter(std::string_view s, std::string_view key) {
  auto p = s.find(key);
  if (p == std::string_view::npos) return -1;
  return leadingInt(s.substr(p + key.size()));
}

// The value of a JSON string field written without escapes (the generator's own texts).
std::string_view jsonText(std::string_view f) {
  constexpr std::string_view key = "\"text\":\"";
  auto p = f.find(key);
  if (p == std::string_view::npos) return {};
  p += key.size();
  auto q = f.find('"', p);
  return q == std::string_view::npos ? std::string_view{} : f.substr(p, q - p);
}

// ------------------------------------------------------------------------- Parley
// docs/protocol.md: hello with token (and resume), caught_up, send/ack, event.
class ParleyProtocol : public Protocol {
 public:
  std::string name() const override { return "parley"; }
  std::string wsTarget() const override { return "/api/v1/ws"; }
  bool orderedSeq() const override { return true; }

  std::string hello(const ProtoConn& c) const override {
    json::object resume;
    if (c.room != 0 && c.resume_from >= 0) resume[std::to_string(c.room)] = c.resume_from;
    json::object hello{{"type", "hello"}, {"token", c.token}, {"resume", resume}};
    return json::serialize(hello);
  }

  Inbound onFrame(ProtoConn&, std::string_view f, std::vector<std::string>&) override {
    Inbound in;
    auto head = f.substr(0, 24);
    if (head.find("\"type\":\"event\"") != std::string_view::npos) {
      in.kind = Inbound::event;
      in.seq = intAfter(f, "\"seq\":");
      in.text = jsonText(f);
    } else if (head.find("\"type\":\"ack\"") != std::string_view::npos) {
      in.kind = Inbound::ack;
      in.k = intAfter(f, "\"req\":");
    } else if (head.find("\"type\":\"caught_up\"") != std::string_view::npos) {
      in.kind = Inbound::ready;
    } else if (head.find("\"type\":\"error\"") != std::string_view::npos) {
      in.kind = Inbound::error;
      in.text = f;
    } else if (head.find("\"type\":\"resync\"") != std::string_view::npos) {
      in.kind = Inbound::resync;
    }
    return in;
  }

  std::string message(const ProtoConn& c, int64_t k, std::string_view text) const override {
    std::string f = R"({"type":"send","req":)" + std::to_string(k) + R"(,"room":)" +
                    std::to_string(c.room) + R"(,"client_msg_id":"m)" + std::to_string(k) +
                    R"(","text":")";
    f.append(text);
    f += "\"}";
    return f;
  }
};

// ------------------------------------------------------------------------- socket.io
// Engine.IO 4 packets over WebSocket, one per frame: 0 open, 2 ping, 3 pong, 4 message; a
// message carries a socket.io packet: 0 connect, 2 event, 3 ack, 4 connect error, then the
// ack id, then JSON (socket.io-parser's Encoder.encodeAsString). The peer's events are those of
// bench/peers/socketio/server.js: join (ack: {room:{id}}), send (ack: {room,seq}), event.
// Ack id 0 is the join; message k uses ack id k + 1.
class SocketIoProtocol : public Protocol {
 public:
  std::string name() const override { return "socketio"; }
  std::string wsTarget() const override { return "/socket.io/?EIO=4&transport=websocket"; }

  std::string hello(const ProtoConn& c) const override {
    return "40" + json::serialize(json::object{{"user", c.user}});
  }

  Inbound onFrame(ProtoConn& c, std::string_view f, std::vector<std::string>& out) override {
    Inbound in;
    if (f == "2") {
      out.emplace_back("3");
      return in;
    }
    if (f.size() < 2 || f[0] != '4') return in;  // 0 open, 6 noop, …
    char type = f[1];
    std::string_view rest = f.substr(2);
    if (type == '0') {  // connected to the namespace: join the room
      out.push_back("420" + json::serialize(json::array{"join", c.room_name}));
    } else if (type == '4') {
      in.kind = Inbound::error;
      in.text = f;
    } else if (type == '3') {
      int64_t id = leadingInt(rest);
      bool failed = rest.find("\"error\"") != std::string_view::npos;
      if (failed || id < 0) {
        in.kind = Inbound::error;
        in.text = f;
      } else if (id == 0) {
        c.room = intAfter(rest, "\"id\":");
        in.kind = c.room > 0 ? Inbound::ready : Inbound::error;
        in.text = f;
      } else {
        in.kind = Inbound::ack;
        in.k = id - 1;
      }
    } else if (type == '2' && rest.substr(0, 9) == "[\"event\",") {
      in.kind = Inbound::event;
      in.seq = intAfter(rest, "\"seq\":");
      in.text = jsonText(rest);
    }
    return in;
  }

  std::string message(const ProtoConn& c, int64_t k, std::string_view text) const override {
    std::string f = "42" + std::to_string(k + 1) + R"(["send",{"room":)" + std::to_string(c.room) +
                    R"(,"client_msg_id":"m)" + std::to_string(k) + R"(","text":")";
    f.append(text);
    f += "\"}]";
    return f;
  }
};

// ------------------------------------------------------------------------- XMPP
// RFC 7395 (XMPP over WebSocket: one stanza per frame, <open/> instead of <stream:stream>),
// SASL PLAIN (RFC 6120 §6), resource binding, then a multi-user chat join (XEP-0045 §7.2,
// no history) whose self-presence (status 110) makes the connection ready; messages are
// groupchat stanzas, reflected to their sender too.
std::string base64(std::string_view in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s : {18, 12, 6, 0}) out += t[(v >> s) & 63];
  }
  if (i + 1 == in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    out += t[(v >> 18) & 63];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

bool has(std::string_view f, std::string_view what) {
  return f.find(what) != std::string_view::npos;
}

// attr='v' or attr="v": servers choose their quotes.
bool hasAttr(std::string_view f, std::string_view attr, std::string_view v) {
  std::string a = std::string(attr) + "='" + std::string(v) + "'";
  std::string b = std::string(attr) + "=\"" + std::string(v) + "\"";
  return has(f, a) || has(f, b);
}

class XmppProtocol : public Protocol {
 public:
  XmppProtocol(std::string domain, std::string muc)
      : domain_(std::move(domain)), muc_(std::move(muc)) {}

  std::string name() const override { return "xmpp"; }
  std::string wsTarget() const override { return "/ws"; }
  std::string subprotocol() const override { return "xmpp"; }
  bool echoIsAck() const override { return true; }

  std::string hello(const ProtoConn&) const override { return open(); }

  Inbound onFrame(ProtoConn& c, std::string_view f, std::vector<std::string>& out) override {
    Inbound in;
    if (c.step == 4) {  // in the room
      if (f.substr(0, 8) == "<message") {
        if (hasAttr(f, "type", "error")) {
          in.kind = Inbound::error;
          in.text = f;
          return in;
        }
        auto b = f.find("<body>");
        auto e = f.find("</body>");
        if (b != std::string_view::npos && e != std::string_view::npos && e > b) {
          in.kind = Inbound::event;
          in.text = f.substr(b + 6, e - b - 6);
        }
      } else if (f.substr(0, 9) == "<presence" && hasAttr(f, "type", "error")) {
        in.kind = Inbound::error;
        in.text = f;
      }
      return in;
    }
    if (has(f, "<failure") || has(f, "<stream:error") || has(f, "type='error'") ||
        has(f, "type=\"error\"")) {
      in.kind = Inbound::error;
      in.text = f;
      return in;
    }
    switch (c.step) {
      case 0:  // the first features: authenticate
        if (has(f, "features") && has(f, "PLAIN")) {
          std::string plain = std::string(1, '\0') + c.user + std::string(1, '\0') + c.password;
          out.push_back("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
                        base64(plain) + "</auth>");
          c.step = 1;
        }
        break;
      case 1:  // authenticated: restart the stream
        if (has(f, "<success")) {
          out.push_back(open());
          c.step = 2;
        }
        break;
      case 2:  // the second features: bind a resource
        if (has(f, "features") && has(f, "bind")) {
          out.push_back(
              "<iq type='set' id='bind'><bind "
              "xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>c" +
              std::to_string(c.id) + "</resource></bind></iq>");
          c.step = 3;
        }
        break;
      case 3:  // bound: join the room without history; ready at the self-presence
        if (f.substr(0, 3) == "<iq" && hasAttr(f, "id", "bind") && hasAttr(f, "type", "result")) {
          out.push_back("<presence to='" + c.room_name + "@" + muc_ + "/c" + std::to_string(c.id) +
                        "'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x>"
                        "</presence>");
          c.step = 10;
        }
        break;
      case 10:
        if (f.substr(0, 9) == "<presence" && hasAttr(f, "code", "110")) {
          c.step = 4;
          in.kind = Inbound::ready;
        }
        break;
      default:
        break;
    }
    return in;
  }

  std::string message(const ProtoConn& c, int64_t k, std::string_view text) const override {
    std::string f = "<message to='" + c.room_name + "@" + muc_ + "' type='groupchat' id='m" +
                    std::to_string(k) + "'><body>";
    f.append(text);
    f += "</body></message>";
    return f;
  }

 private:
  std::string open() const {
    return "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='" + domain_ + "' version='1.0'/>";
  }

  std::string domain_;
  std::string muc_;
};

}  // namespace

std::unique_ptr<Protocol> makeProtocol(const std::string& name, const std::string& xmpp_domain,
                                       const std::string& muc_service) {
  if (name == "parley") return std::make_unique<ParleyProtocol>();
  if (name == "socketio") return std::make_unique<SocketIoProtocol>();
  if (name == "xmpp") return std::make_unique<XmppProtocol>(xmpp_domain, muc_service);
  throw std::runtime_error("unknown protocol: " + name);
}

}  // namespace parley_bench

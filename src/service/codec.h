// JSON shapes of Parley's objects, as documented in docs/api.md: the one place that decides
// how a domain value looks on the wire. The frames that carry them: service/frames.h.
#pragma once

#include <boost/json/object.hpp>
#include <string>
#include <vector>

#include "ports/store.h"
#include "service/event.h"

namespace parley::codec {

boost::json::object user(UserId id, std::string_view username);
// A user with its profile (docs/api.md "Profiles"): the fields of `user`, and
// display_name, status_text, status_emoji, time_zone (null when unset).
boost::json::object profile(const Profile& p);
boost::json::object session(const Session& s, SessionId current);
boost::json::object room(const Room& r);
boost::json::object member(const Member& m);
boost::json::object event(const Event& e);
// The file object of docs/api.md.
boost::json::object file(const FileView& f);
// The inverse of file() for a list of them (as kept in sealed message bodies); a missing
// value is no files. Code::internal for anything file() would not have made.
Result<std::vector<FileView>> filesFrom(const boost::json::value* list);

// `{"messages":[event...],"has_more":B}`, the history page (docs/api.md).
std::string eventsPage(const std::vector<Event>& events, bool has_more);

// `{"root":event,"messages":[event...],"has_more":B}`, a thread's page (docs/api.md).
std::string threadPage(const Event& root, const std::vector<Event>& replies, bool has_more);
// `{"threads":[{"room":R,"root":event,"unread":N,"last_read_seq":S}...]}` (docs/api.md);
// `roots[i]` is `threads[i].root` opened.
std::string followedThreads(const std::vector<FollowedThread>& threads,
                            const std::vector<Event>& roots);

// Appends json::serialize(event(e)) to `out`, byte for byte, without building the object:
// events are the bulk of history pages and live frames.
void appendEvent(std::string& out, const Event& e);

}  // namespace parley::codec

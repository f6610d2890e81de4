// Message search (issue #13, docs/api.md "Search"). A query is parsed and analyzed once,
// then keyed per room for the SearchIndex, which proposes candidates; each candidate is read
// from the Store, opened in memory and checked again (search/matcher.h) before it becomes a
// hit, so a message is found by its current text only (never by the text an edit replaced),
// and a deleted one never.
//
// Permissions (invariant 6): only the rooms the caller is a member of when the search runs
// are searched, and each room of a page is checked again just before the page is returned.
// An `in:` filter naming a room the caller is not in answers exactly as a room that does not
// exist: no hits.
//
// Bounds: a query's bytes and terms (search/query.h), rooms searched, candidates per room,
// messages opened per request, and a per-user request rate.
//
// Thread-safe: holds no per-call state.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ports/cache.h"
#include "ports/clock.h"
#include "ports/search_index.h"
#include "ports/store.h"
#include "search/synonyms.h"
#include "service/event.h"
#include "service/search_indexer.h"
#include "service/users.h"

namespace parley {

struct SearchOptions {
  int rate_per_sec = 5;                // per user
  int max_rooms = 200;                 // rooms searched per request (most recently active first)
  int candidates_per_room = 200;       // the newest index matches considered per room
  std::size_t catch_up_events = 2000;  // indexed in line per room before searching
  std::int64_t total_cap = 1000;       // per-room totals count up to this
  int suggest_rate_per_sec = 20;       // suggestion requests per user (one per keystroke)
  std::int64_t suggest_max_members = 1000;     // people suggested from rooms up to this size
  const search::Synonyms* synonyms = nullptr;  // --search-synonyms; outlives the service
};

struct SearchRequest {
  std::string q;
  std::optional<std::string> sort;    // relevance (default) | recent
  std::optional<std::string> cursor;  // from the previous page's next_cursor
  std::optional<std::int64_t> limit;  // 1..50, default 20
};

struct SnippetPart {
  std::string text;
  bool match = false;
};

struct SearchHit {
  RoomId room = 0;
  Seq seq = 0;
  UserId sender = 0;
  std::string sender_name;
  Millis at = 0;
  bool exact = true;  // every term matched exactly (else some only within fuzziness)
  std::vector<SnippetPart> snippet;
};

struct SearchPage {
  std::vector<SearchHit> hits;
  std::vector<std::pair<RoomId, std::int64_t>> totals;  // rooms with index matches
  std::optional<std::string> next_cursor;
};

struct SuggestRequest {
  std::string q;
  std::optional<std::int64_t> limit;  // 1..20, default 10: per kind
};

// One completion: `query` is the whole query with the part being typed replaced by it.
struct Suggestion {
  std::string text;  // the word, username, room name or operator
  std::string query;
  std::int64_t id = 0;     // the user's or room's id (0 for words and operators)
  std::int64_t count = 0;  // words: messages of the caller's rooms that have it
};

struct SuggestPage {
  std::vector<Suggestion> words, users, rooms, operators;
};

class SearchService {
 public:
  SearchService(Store& store, Cache& cache, SearchIndex& index, SearchIndexer& indexer,
                RoomKeys& keys, UserDirectory& users, const Clock& clock,
                SearchOptions options = {})
      : store_(store),
        cache_(cache),
        index_(index),
        indexer_(indexer),
        keys_(keys),
        users_(users),
        clock_(clock),
        options_(options) {}

  // bad_query (with the byte offset) for a query that does not parse; bad_request for a
  // bad sort, cursor or limit; rate_limited over the per-user rate.
  Task<Result<SearchPage>> search(const User& me, SearchRequest r);
  // Completions of the part of `r.q` being typed (service/search_suggest.cpp): bad_query for
  // a query search::parseSuggestInput refuses, bad_request for a bad limit, rate_limited over
  // the per-user rate. Words come only from rooms the caller is a member of now.
  Task<Result<SuggestPage>> suggest(const User& me, SuggestRequest r);

 private:
  struct Plan;
  struct Candidate;
  Task<Result<std::vector<RoomSummary>>> roomsToSearch(const User& me, const Plan& plan);
  Task<Status> collect(const User& me, const Plan& plan, std::vector<Candidate>& out,
                       SearchPage& page);
  Task<Status> resolveSenders(Plan& plan);
  Task<Result<std::optional<SearchHit>>> check(const Plan& plan, const Candidate& c);
  Task<Status> suggestWords(const std::vector<RoomSummary>& rooms, const std::string& head,
                            const std::string& word, int limit, SuggestPage& page);
  Task<Status> suggestUsers(const User& me, const std::string& head, const std::string& name,
                            int limit, SuggestPage& page);
  Task<Status> fillPage(const User& me, const Plan& plan, std::vector<Candidate>& all,
                        SearchPage& page);

  Store& store_;
  Cache& cache_;
  SearchIndex& index_;
  SearchIndexer& indexer_;
  RoomKeys& keys_;
  UserDirectory& users_;
  const Clock& clock_;
  const SearchOptions options_;
};

}  // namespace parley

#include "app/search_cmd.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <optional>
#include <sstream>
#include <vector>

#include "app/admin_cmd.h"
#include "app/flag_checks.h"
#include "app/key_setup.h"
#include "core/log.h"
#include "service/room_keys.h"
#include "service/search_indexer.h"

namespace parley::app {

namespace {

namespace asio = boost::asio;

int usage(std::ostream& out) {
  out << "usage: parley search reindex [--room ID] [serve options]\n\n"
         "rebuild the search index from the store: every room (or only room ID) is emptied\n"
         "in the index and indexed again from its first message. Nodes may keep running\n"
         "(searches of a room being rebuilt find only what is indexed so far). Interrupted,\n"
         "it resumes when run again with the same --room: rooms done are not redone, and the\n"
         "room it was in goes on from its watermark. Progress is kept in\n"
         "<data-dir>/search-reindex.progress. It reads --keyring, --vault-token-file, --db,\n"
         "--data-dir and --config as `parley serve` does (parley serve --help).\n";
  return &out == &std::cout ? 0 : 2;
}

int usageError(const std::string& what) {
  std::cerr << "parley search reindex: " << what << "\n";
  return 2;
}

// What a run has done: the scope it was asked ("all" or a room id), the last room finished,
// and the room begun (emptied) after it, if any.
struct Progress {
  std::string scope;
  RoomId done = 0;
  RoomId begun = 0;
};

std::filesystem::path progressFile(const Config& cfg) {
  return std::filesystem::path(cfg.data_dir) / "search-reindex.progress";
}

Progress readProgress(const Config& cfg, const std::string& scope) {
  std::ifstream in(progressFile(cfg));
  Progress p{scope, 0, 0};
  std::string tag, file_scope;
  if (in >> tag >> file_scope >> p.done >> p.begun && tag == "v1" && file_scope == scope) {
    return p;
  }
  return {scope, 0, 0};  // none, or another scope's: start over
}

void writeProgress(const Config& cfg, const Progress& p) {
  const auto file = progressFile(cfg);
  const auto tmp = file.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << "v1 " << p.scope << " " << p.done << " " << p.begun << "\n";
  }
  std::filesystem::rename(tmp, file);
}

// The rooms that have a data key (a room without one holds no message), after `after`.
Task<Result<std::vector<RoomId>>> roomsAfter(Store& store, RoomId after, int limit) {
  std::vector<RoomId> out;
  RoomId from = after;
  while (out.size() < static_cast<std::size_t>(limit)) {
    auto keys = co_await store.roomKeysAfter(from, std::numeric_limits<std::uint32_t>::max(), 1);
    if (!keys) co_return keys.error();
    if (keys->empty()) break;
    from = keys->front().room_id;
    out.push_back(from);
  }
  co_return out;
}

// One room: emptied unless it was begun by an interrupted run, then indexed to its end.
Task<Result<Seq>> reindexRoom(Store& store, SearchIndex& index, SearchIndexer& indexer, RoomId room,
                              bool begun) {
  if (!begun) {
    auto dropped = co_await index.dropRoom(room);
    if (!dropped) co_return dropped.error();
  }
  auto r = co_await store.roomById(room);
  if (!r) co_return r.error();
  auto done = co_await indexer.catchUp(room, r->last_seq, std::numeric_limits<std::size_t>::max());
  if (!done) co_return done.error();
  co_return r->last_seq;
}

Task<Status> reindex(const Config& cfg, Store& store, SearchIndex& index, SearchIndexer& indexer,
                     std::optional<RoomId> only) {
  Progress p = readProgress(cfg, only ? std::to_string(*only) : "all");
  std::size_t rooms = 0;
  while (true) {
    std::vector<RoomId> next;
    if (only && p.done != *only) next.push_back(*only);
    if (!only) {
      auto page = co_await roomsAfter(store, p.done, 100);
      if (!page) co_return page.error();
      next = std::move(*page);
    }
    if (next.empty()) break;
    for (RoomId room : next) {
      const bool begun = p.begun == room;
      p.begun = room;
      writeProgress(cfg, p);
      auto seq = co_await reindexRoom(store, index, indexer, room, begun);
      if (!seq && seq.error().code == Code::not_found) continue;  // deleted meanwhile
      if (!seq) co_return seq.error();
      p.done = room;
      p.begun = 0;
      writeProgress(cfg, p);
      ++rooms;
      std::cout << "reindexed room " << room << " through seq " << *seq << std::endl;
    }
    if (only) break;
  }
  std::filesystem::remove(progressFile(cfg));
  std::cout << "done: " << rooms << " room" << (rooms == 1 ? "" : "s") << " reindexed" << std::endl;
  co_return Status{};
}

int run(const Config& cfg, const SearchOpeners& open, std::optional<RoomId> only) {
  auto keys = openKeys(cfg);
  if (!keys) return usageError("--keyring: " + keys.error().message) - 1;
  auto store = open.store(cfg);
  if (!store) return usageError("--db: " + store.error().message) - 1;
  auto index = open.index(cfg);
  if (!index) return usageError("search index: " + index.error().message) - 1;
  RoomKeys room_keys(**store, **keys);
  SearchIndexer indexer(**store, **index, room_keys);
  asio::io_context io;
  auto done = asio::co_spawn(io, reindex(cfg, **store, **index, indexer, only), asio::use_future);
  io.run();
  auto st = done.get();
  if (!st) return usageError(st.error().message + " (run it again: it resumes)") - 1;
  return 0;
}

}  // namespace

int searchMain(int argc, const char* const* argv, const SearchOpeners& open) {
  if (argc < 2) return usage(std::cerr);
  const std::string sub = argv[1];
  if (sub == "--help" || sub == "-h" || sub == "help") return usage(std::cout);
  if (sub != "reindex") return usageError("unknown command " + sub + " (parley search --help)");
  if (wantsHelp(argc - 1, argv + 1)) return usage(std::cout);
  std::vector<const char*> rest{"reindex"};
  std::optional<RoomId> only;
  for (int i = 2; i < argc; ++i) {
    if (std::string_view(argv[i]) != "--room") {
      rest.push_back(argv[i]);
      continue;
    }
    if (i + 1 >= argc) return usageError("--room needs a room id");
    std::string_view v = argv[++i];
    RoomId id = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), id);
    if (ec != std::errc() || end != v.data() + v.size() || id <= 0) {
      return usageError("--room must be a room id (a positive number), not '" + std::string(v) +
                        "'");
    }
    only = id;
  }
  auto cfg = parseServeArgs(static_cast<int>(rest.size()), rest.data());
  if (!cfg) return usageError(cfg.error().message);
  if (!*cfg) return 0;
  log::init(log::Level::warn);
  if (auto st = checkFlags(**cfg); !st) return usageError(st.error().message);
  std::error_code ec;
  std::filesystem::create_directories((*cfg)->data_dir, ec);
  return run(**cfg, open, only);
}

Result<std::shared_ptr<const search::Synonyms>> loadSynonyms(const std::string& path) {
  if (path.empty()) return std::shared_ptr<const search::Synonyms>();
  std::ifstream in(path, std::ios::binary);
  if (!in) return makeError(Code::bad_request, "--search-synonyms " + path + ": cannot be read");
  std::ostringstream text;
  text << in.rdbuf();
  auto parsed = search::parseSynonyms(text.str());
  if (auto* e = std::get_if<search::SynonymError>(&parsed)) {
    return makeError(Code::bad_request, "--search-synonyms " + path + ": line " +
                                            std::to_string(e->line) + ": " + e->what);
  }
  return std::shared_ptr<const search::Synonyms>(
      std::make_shared<search::Synonyms>(std::move(std::get<search::Synonyms>(parsed))));
}

}  // namespace parley::app

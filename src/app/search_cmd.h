// `parley search reindex [--room ID] [serve options]` (docs/operations.md, "Search"): rebuilds
// the search index from the Store, and --search-synonyms loading for `serve`.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "app/config.h"
#include "ports/key_provider.h"
#include "ports/search_index.h"
#include "ports/store.h"
#include "search/synonyms.h"

namespace parley::app {

struct SearchOpeners {
  std::function<Result<StorePtr>(const Config&)> store;
  std::function<Result<SearchIndexPtr>(const Config&)> index;
};

// argv[0] is "search". Exit code: 0 done, 1 the Store, keys or index failed (run it again:
// it resumes), 2 bad usage.
int searchMain(int argc, const char* const* argv, const SearchOpeners& open);

// The synonyms of --search-synonyms (null when the flag is empty); bad_request, one line
// with the file and the line number, for a file that cannot be read or parsed.
Result<std::shared_ptr<const search::Synonyms>> loadSynonyms(const std::string& path);

}  // namespace parley::app

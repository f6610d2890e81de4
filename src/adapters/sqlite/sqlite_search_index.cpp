#include "adapters/sqlite/sqlite_search_index.h"

#include "adapters/sqlite/job.h"
#include "adapters/sqlite/search_ops.h"
#include "adapters/sqlite/search_vocab_ops.h"
#include "adapters/sqlite/workers.h"

namespace parley::sqlite {

namespace {

class SqliteSearchIndex final : public SearchIndex {
 public:
  SqliteSearchIndex(std::unique_ptr<Db> writer, std::vector<std::unique_ptr<Db>> readers)
      : writer_(std::move(writer)), readers_(std::move(readers)) {}

  Task<Result<Seq>> watermark(RoomId room) override {
    return read<Result<Seq>>([room](Db& db) { return search_ops::watermark(db, room); });
  }
  Task<Status> apply(IndexBatch batch) override {
    return write<Status>([b = std::move(batch)](Db& db) { return search_ops::apply(db, b); });
  }
  Task<Result<std::vector<IndexHit>>> search(IndexQuery q) override {
    return read<Result<std::vector<IndexHit>>>(
        [q = std::move(q)](Db& db) { return search_ops::search(db, q); });
  }
  Task<Result<std::int64_t>> count(IndexQuery q, std::int64_t cap) override {
    return read<Result<std::int64_t>>(
        [q = std::move(q), cap](Db& db) { return search_ops::count(db, q, cap); });
  }
  Task<Result<std::vector<SuggestHit>>> suggest(SuggestQuery q) override {
    return read<Result<std::vector<SuggestHit>>>(
        [q = std::move(q)](Db& db) { return search_vocab_ops::suggest(db, q); });
  }
  Task<Status> dropRoom(RoomId room) override {
    return write<Status>([room](Db& db) { return search_ops::dropRoom(db, room); });
  }

 private:
  template <class T, class Work>
  Task<T> write(Work work) {
    return submit<T>(writer_.queue(), std::move(work));
  }
  template <class T, class Work>
  Task<T> read(Work work) {
    return submit<T>(readers_.queue(), std::move(work));
  }

  // Declared last, destroyed first: ~ReaderPool and ~Writer finish queued work.
  Writer writer_;
  ReaderPool readers_;
};

}  // namespace

Result<SearchIndexPtr> openSqliteSearchIndex(const std::filesystem::path& file) {
  auto writer = Db::open(file, Db::Mode::read_write_create);
  if (!writer) return writer.error();
  try {
    search_ops::createSchema(**writer);
  } catch (const SqliteError& e) {
    return e.error();
  }
  std::vector<std::unique_ptr<Db>> readers;
  auto reader = Db::open(file, Db::Mode::read_only);
  if (!reader) return reader.error();
  readers.push_back(std::move(*reader));
  return SearchIndexPtr(
      std::make_unique<SqliteSearchIndex>(std::move(*writer), std::move(readers)));
}

}  // namespace parley::sqlite

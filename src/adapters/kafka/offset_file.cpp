#include "adapters/kafka/offset_file.h"

#include <cstdio>
#include <fstream>
#include <sstream>

#include "core/log.h"

namespace parley::kafka {

// Format: "parley-kafka-offsets 1 TOPIC\n" then one "PARTITION OFFSET\n" per partition.
Offsets loadOffsets(const std::string& path, const std::string& topic) {
  std::ifstream in(path);
  if (!in) return {};
  std::string magic, topic_read;
  int version = 0;
  in >> magic >> version >> topic_read;
  if (!in || magic != "parley-kafka-offsets" || version != 1 || topic_read != topic) return {};
  Offsets out;
  int partition = 0;
  std::int64_t offset = 0;
  while (in >> partition >> offset) {
    if (partition < 0 || partition > 100'000 || offset < 0) return {};
    out[partition] = offset;
  }
  if (!in.eof()) return {};
  return out;
}

bool saveOffsets(const std::string& path, const std::string& topic, const Offsets& offsets) {
  std::ostringstream text;
  text << "parley-kafka-offsets 1 " << topic << "\n";
  for (const auto& [p, o] : offsets) text << p << " " << o << "\n";
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << text.str();
    out.flush();
    if (!out) {
      log::warn("kafka_offsets_not_saved", {{"path", path}});
      return false;
    }
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    log::warn("kafka_offsets_not_saved", {{"path", path}});
    return false;
  }
  return true;
}

}  // namespace parley::kafka

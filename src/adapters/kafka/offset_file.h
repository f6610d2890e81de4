// The offsets a node has processed, kept in a small file of its own (in --data-dir), so that
// after a restart it reads on from them. Written whole to a temporary file and renamed, so a
// crash leaves the old or the new file, never half of one. A file that does not parse, or
// names another topic, reads as empty: the node then starts at the end of each partition.
#pragma once

#include <cstdint>
#include <map>
#include <string>

namespace parley::kafka {

using Offsets = std::map<int, std::int64_t>;  // partition -> next offset to read

Offsets loadOffsets(const std::string& path, const std::string& topic);
// False (and logged) when the file could not be written.
bool saveOffsets(const std::string& path, const std::string& topic, const Offsets& offsets);

}  // namespace parley::kafka

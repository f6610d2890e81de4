#include "proc_stats.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace parley_bench {

namespace {

struct StatLine {
  pid_t ppid = 0;
  unsigned long long ticks = 0;  // utime + stime + cutime + cstime
};

std::optional<StatLine> readStat(const std::string& path) {
  std::ifstream stat(path);
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  auto close = line.rfind(')');
  if (close == std::string::npos || close + 2 > line.size()) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  StatLine out;
  // After ')': field 3 is state, 4 ppid; utime, stime, cutime, cstime are 14 to 17.
  for (int i = 3; i <= 17 && rest >> field; ++i) {
    if (i == 4) out.ppid = static_cast<pid_t>(std::stol(field));
    if (i >= 14) out.ticks += static_cast<unsigned long long>(std::stoll(field));
  }
  return out;
}

}  // namespace

std::optional<double> sampleProcessTree(pid_t root) {
  std::map<pid_t, StatLine> all;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    try {
      if (auto st = readStat(entry.path().string() + "/stat")) all[std::stoi(name)] = *st;
    } catch (const std::exception&) {
      // a process that went away mid-read, or a line we cannot parse: not part of the sum
    }
  }
  if (!all.contains(root)) return std::nullopt;
  std::map<pid_t, std::vector<pid_t>> children;
  for (const auto& [pid, st] : all) children[st.ppid].push_back(pid);
  unsigned long long ticks = 0;
  std::vector<pid_t> todo{root};
  while (!todo.empty()) {
    pid_t p = todo.back();
    todo.pop_back();
    ticks += all[p].ticks;
    for (pid_t c : children[p]) todo.push_back(c);
  }
  return static_cast<double>(ticks) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<ProcSample> sampleProcess(pid_t pid) {
  const std::string base = "/proc/" + std::to_string(pid);
  std::ifstream stat(base + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return std::nullopt;
  // The command name (field 2) may hold spaces; the fields after it follow the last ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  unsigned long utime = 0, stime = 0;
  // After ')': field 3 is state; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i == 14) utime = std::stoul(field);
    if (i == 15) stime = std::stoul(field);
  }
  ProcSample sample;
  sample.cpu_seconds =
      static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  std::ifstream status(base + "/status");
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) {
      sample.rss_kib = std::stol(line.substr(6));
      break;
    }
  }
  return sample;
}

}  // namespace parley_bench

// Resource use of a server process, read from /proc/PID/stat and /proc/PID/status.
#pragma once

#include <sys/types.h>

#include <optional>

namespace parley_bench {

struct ProcSample {
  double cpu_seconds = 0;  // utime + stime, all threads
  long rss_kib = 0;        // VmRSS
};

// Nullopt when the process is gone or /proc cannot be read.
std::optional<ProcSample> sampleProcess(pid_t pid);

}  // namespace parley_bench

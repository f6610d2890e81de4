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

// CPU seconds of `root` and every process descending from it (utime + stime + cutime +
// cstime of each, so that children that exited and were reaped still count), read from
// /proc/*/stat: a database's whole process tree (PostgreSQL's postmaster, its backends
// and background writers; a Redis server). Nullopt when `root` is gone.
std::optional<double> sampleProcessTree(pid_t root);

}  // namespace parley_bench

// The Prometheus text of Metrics: every series has its HELP and TYPE, gauges may go below
// zero, and labelled series share one header.
#include "core/metrics.h"

#include <gtest/gtest.h>

namespace parley {
namespace {

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(MetricsTest, RendersCountersAndGaugesWithTheirHeaders) {
  Metrics m;
  m.connections.add(3);
  m.history_page_bytes.add(-14);
  m.logins_new_network.inc(18);
  m.file_integrity_failures.inc(25);
  const std::string text = m.render();
  EXPECT_TRUE(has(text,
                  "# HELP parley_connections Open WebSocket connections.\n"
                  "# TYPE parley_connections gauge\nparley_connections 3\n"));
  EXPECT_TRUE(has(text,
                  "# TYPE parley_history_page_cache_bytes gauge\n"
                  "parley_history_page_cache_bytes -14\n"));
  EXPECT_TRUE(has(text,
                  "# HELP parley_logins_new_network_total Logins from a network not seen before.\n"
                  "# TYPE parley_logins_new_network_total counter\n"
                  "parley_logins_new_network_total 18\n"));
  EXPECT_TRUE(has(text, "\nparley_file_integrity_failures_total 25\n"));
  EXPECT_TRUE(has(text, "parley_messages_total 0\n"));
}

TEST(MetricsTest, LabelledSeriesShareOneHeader) {
  Metrics m;
  m.history_cache_hits.inc(2);
  m.countError(Code::busy);
  const std::string text = m.render();
  EXPECT_TRUE(has(text,
                  "# TYPE parley_history_reads_total counter\n"
                  "parley_history_reads_total{source=\"page\"} 0\n"
                  "parley_history_reads_total{source=\"cache\"} 2\n"
                  "parley_history_reads_total{source=\"store\"} 0\n"));
  EXPECT_TRUE(has(text, "parley_errors_total{code=\"busy\"} 1\n"));
  EXPECT_TRUE(has(text, "parley_errors_total{code=\"internal\"} 0\n"));
  EXPECT_TRUE(has(text, "# TYPE parley_send_to_ack_seconds histogram\n"));
}

}  // namespace
}  // namespace parley

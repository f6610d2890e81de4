import { describe, expect, it } from "vitest";
import { metricSum } from "../src/views/admin/metrics";

const TEXT = `# HELP parley_connections Open WebSocket connections
# TYPE parley_connections gauge
parley_connections 3
parley_connections_total 41
parley_errors_total{code="not_found"} 2
parley_errors_total{code="forbidden"} 5
parley_messages_total 1200
`;

describe("metricSum", () => {
  it("reads a plain series, not one whose name only starts the same", () => {
    expect(metricSum(TEXT, "parley_connections")).toBe(3);
    expect(metricSum(TEXT, "parley_messages_total")).toBe(1200);
  });
  it("adds every labelled series", () => {
    expect(metricSum(TEXT, "parley_errors_total")).toBe(7);
  });
  it("answers null for a metric that is not there, and skips comments", () => {
    expect(metricSum(TEXT, "parley_nope")).toBeNull();
    expect(metricSum("# parley_connections 9\n", "parley_connections")).toBeNull();
  });
});

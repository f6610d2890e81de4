"""bench/storm.py splits its samples at parley-bench's wall-clock marks: the steady rate is
taken from a second after traffic starts until the drop, the storm's from the drop until
the last socket caught up, values between two samples interpolated."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
from storm import StormSampler  # noqa: E402


def sampler(samples):
    s = StormSampler("postgresql://unused", "unused", [])
    s.samples = samples
    return s


def test_steady_and_storm_rates_and_cache_ratio():
    # 10 statements/s of steady traffic for 4 s, then 1,000 more over the 2 s storm, in which
    # the cache answered 95 reads and the store 5.
    samples = [(1000.0 * t, 10 * t, 0, 0) for t in range(0, 5)]
    samples += [(5000.0, 540, 95, 5), (6000.0, 1050, 95, 5), (7000.0, 1060, 95, 5)]
    report = {"traffic_started_unix_ms": 0, "dropped_unix_ms": 4000,
              "resumed_unix_ms": 6000, "dropped_connections": 100}
    s = sampler(samples).summary(report)
    assert s["db_statements_per_second_steady"] == pytest.approx(10)
    assert s["db_statements_per_second_storm"] == pytest.approx(505)
    assert s["db_storm_to_steady_ratio"] == pytest.approx(50.5)
    assert s["db_statements_per_resume"] == pytest.approx((1010 - 20) / 100)
    assert s["storm_cache_hit_ratio"] == pytest.approx(0.95)


def test_interpolates_between_samples():
    samples = [(0.0, 0, 0, 0), (2000.0, 40, 0, 0), (4000.0, 80, 10, 0)]
    report = {"traffic_started_unix_ms": 0, "dropped_unix_ms": 2000, "resumed_unix_ms": 3000}
    s = sampler(samples).summary(report)
    assert s["db_statements_per_second_steady"] == pytest.approx(20)
    assert s["db_statements_per_second_storm"] == pytest.approx(20)
    assert s["storm_cache_hits"] == pytest.approx(5)


@pytest.mark.parametrize("report", [
    {},  # the run failed before the drop
    {"traffic_started_unix_ms": 0, "dropped_unix_ms": 2000},  # never all resumed
    {"traffic_started_unix_ms": 0, "dropped_unix_ms": 2000, "resumed_unix_ms": 9000},  # past the samples
    {"traffic_started_unix_ms": 1500, "dropped_unix_ms": 2000, "resumed_unix_ms": 3000},  # no steady second
])
def test_reports_no_figure_it_cannot_support(report):
    samples = [(0.0, 0, 0, 0), (2000.0, 40, 0, 0), (4000.0, 80, 10, 0)]
    assert sampler(samples).summary(report) == {"storm_samples": 3}

"""What a reconnect storm costs PostgreSQL, and how much of it the cache answered (S5 on
--backend scaled; issue #18's "PostgreSQL queries under 2x the steady rate, at least 95 %
resumed from the cache").

While a run's traffic flows, a thread samples every PERIOD seconds:
- the statements PostgreSQL executed in the run's database (pg_stat_statements, which counts a
  statement when it finishes, unlike pg_stat_database's delayed flushes), read over a
  connection to the services' maintenance database so the sampler's own queries are not
  counted;
- the nodes' parley_cache_hits_total / parley_cache_misses_total (timeline reads answered by
  the cache or by the store), summed over the nodes.
parley-bench's report marks, in wall-clock milliseconds, when traffic started, when every
receiving socket was dropped and when the last one was caught up again; summary() splits the
samples there (values between two samples are interpolated linearly).
"""
from __future__ import annotations

import re
import subprocess
import threading
import time
import urllib.request

PERIOD = 0.1
CACHE_RE = re.compile(r"^parley_cache_(hits|misses)_total (\d+)$", re.M)


class StormSampler:
    def __init__(self, admin_url: str, db_name: str, node_urls: list[str]):
        self.admin_url = admin_url
        self.db_name = db_name
        self.node_urls = node_urls
        self.samples: list[tuple[float, int, int, int]] = []  # unix ms, statements, hits, misses
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def enable(admin_url: str) -> None:
        subprocess.run(["psql", admin_url, "-qc", "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"],
                       check=True, capture_output=True, timeout=30)

    def __enter__(self) -> "StormSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def top(self, limit: int = 15) -> list[str]:
        """The statements run most often in the run's database so far, for reading by hand."""
        sql = ("SELECT s.calls || ' ' || regexp_replace(left(s.query, 120), '\\s+', ' ', 'g') "
               "FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid "
               f"WHERE d.datname = '{self.db_name}' ORDER BY s.calls DESC LIMIT {limit}")
        out = subprocess.run(["psql", self.admin_url, "-XAtc", sql], check=True,
                             capture_output=True, text=True, timeout=10).stdout
        return out.splitlines()

    def _statements(self) -> int:
        sql = ("SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s "
               f"JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '{self.db_name}'")
        out = subprocess.run(["psql", self.admin_url, "-XAtc", sql], check=True,
                             capture_output=True, text=True, timeout=10).stdout
        return int(out.strip() or 0)

    def _cache(self) -> tuple[int, int]:
        hits = misses = 0
        for u in self.node_urls:
            with urllib.request.urlopen(u + "/metrics", timeout=5) as r:
                for kind, n in CACHE_RE.findall(r.read().decode()):
                    if kind == "hits":
                        hits += int(n)
                    else:
                        misses += int(n)
        return hits, misses

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                t = time.time() * 1000
                statements = self._statements()
                hits, misses = self._cache()
                self.samples.append((t, statements, hits, misses))
            except (OSError, subprocess.SubprocessError, ValueError):
                pass  # a node going away at the end of the run; the samples so far stand
            self._stop.wait(PERIOD)

    def _at(self, t: float, column: int) -> float | None:
        s = self.samples
        for a, b in zip(s, s[1:]):
            if a[0] <= t <= b[0]:
                f = (t - a[0]) / (b[0] - a[0]) if b[0] > a[0] else 0.0
                return a[column] + f * (b[column] - a[column])
        return None

    def summary(self, report: dict) -> dict:
        start, dropped = report.get("traffic_started_unix_ms"), report.get("dropped_unix_ms")
        resumed = report.get("resumed_unix_ms")
        if start is None or dropped is None or resumed is None or len(self.samples) < 3:
            return {"storm_samples": len(self.samples)}
        steady_from = start + 1000  # past the first messages' connection warm-up
        q = [self._at(t, 1) for t in (steady_from, dropped, resumed)]
        hits = [self._at(t, 2) for t in (dropped, resumed)]
        misses = [self._at(t, 3) for t in (dropped, resumed)]
        if None in q or None in hits or None in misses or dropped <= steady_from:
            return {"storm_samples": len(self.samples)}
        steady = (q[1] - q[0]) / ((dropped - steady_from) / 1000)
        storm_s = (resumed - dropped) / 1000
        storm = (q[2] - q[1]) / storm_s if storm_s > 0 else 0.0
        h, m = hits[1] - hits[0], misses[1] - misses[0]
        sockets = report.get("dropped_connections") or 0
        return {
            "storm_samples": len(self.samples),
            "db_statements_per_second_steady": steady,
            "db_statements_per_second_storm": storm,
            "db_storm_to_steady_ratio": storm / steady if steady > 0 else None,
            # Beyond what steady traffic would have run over the storm, per resumed socket.
            "db_statements_per_resume": (q[2] - q[1] - steady * storm_s) / sockets if sockets else None,
            "storm_cache_hits": h,
            "storm_cache_misses": m,
            "storm_cache_hit_ratio": h / (h + m) if h + m else None,
        }

"""The attack suite shares the integration suite's fixtures (servers on a fresh data dir,
users, the per-test time bound, both backends): it loads that conftest under its own name,
so the two folders can be collected in one pytest run."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_INTEGRATION = Path(__file__).resolve().parents[1] / "integration"
sys.path.insert(0, str(_INTEGRATION))

_spec = importlib.util.spec_from_file_location("parley_integration_conftest",
                                               _INTEGRATION / "conftest.py")
_shared = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_shared)

# Fixtures and the time-bound hook, re-exported so pytest finds them here too.
globals().update({k: v for k, v in vars(_shared).items()
                  if not k.startswith("_")})

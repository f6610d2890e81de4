"""The fault suite shares the integration suite's helpers and its per-test time bound (the
`timeout_s` marker): it loads that conftest under its own name, as tests/security does, so
the folders can be collected in one pytest run. Its own fixtures are in `world.py`."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_INTEGRATION = _HERE.parents[0] / "integration"
sys.path.insert(0, str(_INTEGRATION))
sys.path.insert(0, str(_HERE))

_spec = importlib.util.spec_from_file_location("parley_integration_conftest",
                                               _INTEGRATION / "conftest.py")
_shared = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_shared)

globals().update({k: v for k, v in vars(_shared).items() if not k.startswith("_")})

from world import deployment  # noqa: E402,F401  (a fixture)

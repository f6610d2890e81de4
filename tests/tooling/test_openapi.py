"""docs/openapi.yaml is what scripts/openapi.py writes, and names every documented error code.
(The route list against the server's route table: router_test, IsTheRouteListOfOpenapiYaml;
the spec against the running server: scripts/schemathesis.sh.)"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_docs_openapi_yaml_is_what_the_generator_writes():
    r = subprocess.run([sys.executable, "scripts/openapi.py", "--check"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr


def test_every_code_of_the_error_table_is_in_the_spec_with_its_status():
    table = dict(re.findall(r"^\| `([a-z_]+)` \| (\d{3}) \|", (ROOT / "docs/api.md").read_text(),
                            re.M))
    spec = yaml.safe_load((ROOT / "docs/openapi.yaml").read_text())
    codes = spec["components"]["schemas"]["Error"]["properties"]["error"]["properties"]["code"]
    assert set(codes["enum"]) == set(table)
    # Each operation's error answer at status S lists only codes docs/api.md gives status S.
    responses = spec["components"]["responses"]
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            for status, resp in op["responses"].items():
                if "$ref" not in resp:
                    continue
                name = resp["$ref"].rsplit("/", 1)[1]
                schema = responses[name]["content"]["application/json"]["schema"]
                enum = schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"]
                for code in enum:
                    assert table[code] == status, (method, path, status, code)

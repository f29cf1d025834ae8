"""Running a Lambda handler the way AWS would: its layers' packages and the app alone on the path (no venv),
fed one event; what it answered and every module it loaded come back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.infra.test_layers import layer_closure, populate_app, populate_site

PROBE = r"""
import json, sys
app, site, module_name, event, extra = sys.argv[1:6]
sys.path[:0] = [app, site]
import importlib
module = importlib.import_module(module_name)
for name in filter(None, extra.split(",")):  # modules the function must be able to load too
    importlib.import_module(name)

class Context:
    function_name = "parley-probe"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:parley-probe"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    def get_remaining_time_in_millis(self):
        return 10_000

response = module.handler(json.loads(event), Context())
print("PROBE " + json.dumps({"loaded": sorted(sys.modules), "response": response}))
"""


def run_handler(
    tmp_path: Path, handler: str, layers: list[str], event: str, *, also_imports: tuple[str, ...] = (),
    timeout: int = 180,
) -> dict[str, Any]:
    """``handler`` (a dotted module path) imported from exactly ``layers`` and the app, and called once."""
    site, app = tmp_path / "layers", tmp_path / "app"
    site.mkdir()
    app.mkdir()
    populate_site(layer_closure(layers), site)
    populate_app(app)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp_path),
        "PARLEY_STORE_URL": f"sqlite:///{tmp_path / 'p.db'}", "PARLEY_JWT_SECRET": "probe-secret-not-for-use",
        "PARLEY_FEED": "off", "POWERTOOLS_SERVICE_NAME": "parley", "POWERTOOLS_METRICS_NAMESPACE": "Parley",
    }
    run = subprocess.run(
        [sys.executable, "-I", "-S", "-c", PROBE, str(app), str(site), handler, event, ",".join(also_imports)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=timeout,
    )
    lines = [line for line in run.stdout.splitlines() if line.startswith("PROBE ")]
    assert run.returncode == 0 and lines, run.stderr[-3000:]
    return json.loads(lines[-1][len("PROBE "):])

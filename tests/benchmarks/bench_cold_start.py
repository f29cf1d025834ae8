"""Cold start: the import cost of the API handler against `import fastapi, mangum`, in the same run.

Measured twice: in the development virtualenv (which also holds the test tools, e.g. `cryptography`, that
PyJWT picks up when present), and in a virtualenv holding exactly the requirements of the layers template.yaml
attaches to ApiFunction (layers/<name>/requirements.txt of base, api and agent, in that order), which is
what the function imports in AWS. Goal: <= 1.5x. The import followed by a first request (GET /health through
the handler) is measured too, against the same baseline: what a cold request waits for in all.

Bytecode comes from a private cache filled by one untimed import of each side first, as the stream bench does:
pip compiles the layers' packages when it installs them, while the project's sources (PYTHONDONTWRITEBYTECODE
set, or freshly edited) would otherwise be compiled on every timed run, and the ratio would measure the compiler.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import venv
from pathlib import Path

from cfnlint.decode import decode_str

from tests.infra.test_layers import attached_layers, runtime_settings

ROOT = Path(__file__).resolve().parents[2]
RUNTIME_VENV = ROOT / "build" / "bench-runtime-venv"
GOAL = 1.5
RUNS = 7


def import_ms(python: str, statement: str, cwd: Path, env: dict[str, str]) -> float:
    """One fresh interpreter's summed top-level cumulative import times (microseconds -> ms)."""
    result = subprocess.run(
        [python, "-X", "importtime", "-c", statement], capture_output=True, text=True, cwd=cwd, env=env, check=True
    )
    total = 0
    for line in result.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \| (\S.*)$", line)
        if match and not match.group(2).startswith(" "):  # top-level entries only: no double counting
            total += int(match.group(1))
    return total / 1000


def template() -> dict:
    decoded, problems = decode_str((ROOT / "template.yaml").read_text())
    assert not problems, problems
    return decoded


FIRST_EVENT = """
import json, time
start = time.perf_counter()
import functions.api.handler as api
event = {"version": "2.0", "routeKey": "$default", "rawPath": "/health", "rawQueryString": "",
         "headers": {"host": "bench"}, "isBase64Encoded": False,
         "requestContext": {"http": {"method": "GET", "path": "/health", "protocol": "HTTP/1.1",
                                     "sourceIp": "192.0.2.1", "userAgent": "bench"},
                            "requestId": "bench", "routeKey": "$default", "stage": "$default"}}
class Context:
    function_name, memory_limit_in_mb, aws_request_id = "api", 512, "bench"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:api"
    def get_remaining_time_in_millis(self):
        return 29_000
assert api.handler(event, Context())["statusCode"] == 200
print((time.perf_counter() - start) * 1000)
"""


def first_event_ms(python: str, cwd: Path, env: dict[str, str]) -> float:
    """Wall time of the handler's import plus its first request, in a fresh interpreter (ms)."""
    run = subprocess.run([python, "-c", FIRST_EVENT], capture_output=True, text=True, cwd=cwd, env=env, check=True)
    return float(run.stdout.splitlines()[-1])


def wall_import_ms(python: str, statement: str, cwd: Path, env: dict[str, str]) -> float:
    code = f"import time\nstart = time.perf_counter()\n{statement}\nprint((time.perf_counter() - start) * 1000)"
    run = subprocess.run([python, "-c", code], capture_output=True, text=True, cwd=cwd, env=env, check=True)
    return float(run.stdout.splitlines()[-1])


def api_layers() -> list[str]:
    return attached_layers(template(), "ApiFunction")


def runtime_python(layers: list[str]) -> str:
    """A virtualenv with exactly these layers' requirements (concatenated), rebuilt when they change."""
    wanted = "".join(f"# layers/{name}/requirements.txt\n" + (ROOT / "layers" / name / "requirements.txt").read_text()
                     for name in layers)
    python = RUNTIME_VENV / "bin" / "python"
    stamp = RUNTIME_VENV / "requirements.txt"
    if not python.exists() or not stamp.exists() or stamp.read_text() != wanted:
        venv.create(RUNTIME_VENV, with_pip=True, clear=True)
        pending = RUNTIME_VENV / "requirements.pending.txt"
        pending.write_text(wanted)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "-r", str(pending)], check=True)
        pending.replace(stamp)  # the stamp only once the install succeeded
    return str(python)


def measure(python: str, tmp_path: Path) -> tuple[float, float]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PARLEY_", "AWS_LAMBDA", "LAMBDA_")) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(runtime_settings(template()))  # as deployed: Powertools' service, no pydantic plugin scan
    env.update(PYTHONPATH=str(ROOT), PARLEY_FEED="off", PARLEY_JWT_SECRET="bench",
               PARLEY_STORE_URL=f"sqlite:///{tmp_path / 'cold.db'}",
               PYTHONPYCACHEPREFIX=str(tmp_path / f"pycache-{Path(python).parent.parent.name}"))
    for statement in ("import fastapi, mangum", "import functions.api.handler"):  # fills the bytecode cache
        subprocess.run([python, "-c", statement], capture_output=True, cwd=tmp_path, env=env, check=True)
    subprocess.run([python, "-c", FIRST_EVENT], capture_output=True, cwd=tmp_path, env=env, check=True)
    baselines, handlers, walls, firsts = [], [], [], []
    for _ in range(RUNS):  # interleaved, so both sides see the same machine
        baselines.append(import_ms(python, "import fastapi, mangum", tmp_path, env))
        handlers.append(import_ms(python, "import functions.api.handler", tmp_path, env))
        walls.append(wall_import_ms(python, "import fastapi, mangum", tmp_path, env))
        firsts.append(first_event_ms(python, tmp_path, env))
    paired = [h / b for h, b in zip(handlers, baselines, strict=True)]
    paired_first = [f / w for f, w in zip(firsts, walls, strict=True)]
    return (statistics.median(baselines), statistics.median(handlers), min(paired), statistics.median(paired),
            statistics.median(firsts), min(paired_first), statistics.median(paired_first))


def test_handler_import_cost_against_fastapi_and_mangum(tmp_path, say) -> None:
    layers = api_layers()
    runtime = (f"ApiFunction layers {'+'.join(layers)}", runtime_python(layers))
    for label, python in (("dev venv", sys.executable), runtime):
        baseline, handler, low, ratio, first, first_low, first_ratio = measure(python, tmp_path)
        verdict = "within" if ratio <= GOAL else "OVER"
        say(f"cold start ({label}): handler {handler:.0f} ms vs fastapi+mangum {baseline:.0f} ms = {ratio:.2f}x "
            f"(min {low:.2f}x; {verdict} the {GOAL}x goal; median of {RUNS} paired runs); import + first request "
            f"{first:.0f} ms = {first_ratio:.2f}x (min {first_low:.2f}x) the same baseline's wall time")

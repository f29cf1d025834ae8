"""What a handler's cold start loads: the use cases re-exported on first use, and core models built on first use.

Each check runs in a fresh interpreter, since what one test imports would hide what another's import loads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def run(tmp_path: Path, code: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "AWS_", "LAMBDA_"))}
    env.update(PYTHONPATH=str(REPO), PARLEY_STORE_URL="dynamodb://parley", PARLEY_FEED="off",
               PARLEY_JWT_SECRET="cold-imports-test-secret-0123456789", AWS_DEFAULT_REGION="us-east-1",
               PARLEY_NOTIFY_QUEUE_URL="https://sqs.us-east-1.amazonaws.com/123456789012/parley-notify.fifo",
               PARLEY_EVENTS_STREAM="parley-events", POWERTOOLS_METRICS_DISABLED="true")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_every_use_case_the_package_names_is_the_one_its_module_defines():
    import importlib

    import core.usecases as uc

    for name in uc.__all__:
        group = importlib.import_module(f"core.usecases.{uc._EXPORTS[name]}")
        module, _, attribute = group._EXPORTS[name].partition(":")
        defined = getattr(importlib.import_module(f"{group.__name__}.{module}"), attribute or name)
        assert getattr(uc, name) is getattr(group, name) is defined
    with pytest.raises(AttributeError):
        uc.no_such_use_case  # noqa: B018


def test_positions_is_the_function_even_when_its_module_was_imported_first(tmp_path):
    found = run(tmp_path, (
        "import importlib, json\n"
        "module = importlib.import_module('core.usecases.trading.positions')\n"
        "import core.usecases as uc\n"
        "print(json.dumps({'function': callable(uc.positions) and uc.positions is module.positions}))\n"
    ))
    assert found == {"function": True}


@pytest.mark.parametrize("handler", ["functions.workers.outbox", "functions.webhooks.sendgrid",
                                     "functions.api.handler"])
def test_a_handler_that_calls_few_use_cases_does_not_load_the_others_at_import(tmp_path, handler):
    found = run(tmp_path, (
        f"import json, sys\nimport {handler}\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('core.usecases.'))))\n"
    ))
    assert not {"core.usecases.trading.confirmations", "core.usecases.trading.positions",
                "core.usecases.admin.risk_admin", "core.usecases.trading.amend",
                "core.usecases.market.alerts"} & set(found), found


def test_a_stream_cold_start_builds_only_the_models_its_import_validates(tmp_path):
    """The shipped catalog (Instrument), the settings and the paper venue are read at import; the order request
    is FastAPI's body model. Every other core model builds its schema when first used."""
    found = run(tmp_path, (
        "import json, sys\nimport functions.streams.kinesis\nfrom pydantic import BaseModel\n"
        "built = sorted(f'{m.__name__}.{c.__name__}' for m in list(sys.modules.values())\n"
        "               if (getattr(m, '__name__', '') or '').split('.')[0] in ('core', 'infra')\n"
        "               for c in vars(m).values()\n"
        "               if isinstance(c, type) and issubclass(c, BaseModel) and c.__module__ == m.__name__\n"
        "               and c.__pydantic_complete__)\n"
        "print(json.dumps(built))\n"
    ))
    assert set(found) <= {"core.instruments.Instrument", "infra.settings.Settings", "core.venues.Venue",
                          "core.orders.OrderRequest"}, found


def test_the_api_cold_start_loads_no_jwt_library_until_a_token_is_checked(tmp_path):
    found = run(tmp_path, (
        "import json, sys\nimport functions.api.handler\nbefore = 'jwt' in sys.modules\n"
        "from infra.tokens import verify_token\nfrom core.errors import Unauthorized\n"
        "try:\n    verify_token('not-a-token', 'cold-imports-test-secret-0123456789')\n"
        "except Unauthorized as refused:\n    code = refused.code\n"
        "print(json.dumps({'before': before, 'after': 'jwt' in sys.modules, 'code': code}))\n"
    ))
    assert found == {"before": False, "after": True, "code": "invalid_token"}

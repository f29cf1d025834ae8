"""The import rule of the design, read from the source with ``ast``, and the API handler's cold-start imports."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LAYERS = ("core", "agent", "channels", "functions", "infra")
# Libraries of the edges: AWS, HTTP, LLM and chat providers. The domain uses none of them.
EDGE_LIBRARIES = frozenset(
    {
        "boto3", "botocore", "fastapi", "mangum", "starlette", "langchain", "openai", "twilio", "sendgrid",
        "telegram", "aws_lambda_powertools",
    }
)
# The DynamoDB adapter is the one place in core that talks to AWS.
AWS_ADAPTER = "core/store/dynamodb.py"
AWS_SDK = frozenset({"boto3", "botocore"})


def python_files(package: str) -> list[Path]:
    return sorted(p for p in (REPO / package).rglob("*.py") if "__pycache__" not in p.parts)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module a source imports, at any depth (functions too), with relative imports made absolute."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                found.add(".".join([*base, node.module] if node.module else base))
            else:
                found.add(node.module or "")
    return found


def top_levels(path: Path) -> set[str]:
    modules = imported_modules(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")
    return {m.split(".")[0] for m in modules if m}


def is_edge_library(top: str) -> bool:
    return top in EDGE_LIBRARIES or top.startswith("langchain_")


def files_of(package: str) -> list[Path]:
    if not (REPO / package).is_dir():
        pytest.skip(f"no {package}/ package in this checkout yet")
    return python_files(package)


def label(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


# -- the checker itself ---------------------------------------------------------------------------


def test_the_checker_sees_plain_from_nested_and_relative_imports():
    source = (
        "import boto3.session\n"
        "from infra.settings import Settings\n"
        "from . import ports\n"
        "from ..orders import Order\n"
        "def lazy():\n"
        "    import openai\n"
    )
    found = imported_modules(source, "core.store.thing")
    assert found == {"boto3.session", "infra.settings", "core.store", "core.orders", "openai"}
    assert imported_modules("from . import x\n", "core.store", is_package=True) == {"core.store"}
    assert imported_modules("from .codec import dump\n", "core.store", is_package=True) == {"core.store.codec"}


def test_the_checker_finds_the_packages_it_checks():
    core = python_files("core")
    assert len(core) >= 10
    assert REPO / "core" / "orders.py" in core
    assert "pydantic" in top_levels(REPO / "core" / "orders.py")


# -- the rule -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", python_files("core"), ids=label)
def test_core_imports_no_other_layer(path):
    assert not top_levels(path) & {"agent", "channels", "functions", "infra"}


@pytest.mark.parametrize("path", python_files("core"), ids=label)
def test_core_imports_no_edge_library_except_the_aws_sdk_in_the_dynamodb_adapter(path):
    edge = {top for top in top_levels(path) if is_edge_library(top)}
    if label(path) == AWS_ADAPTER:
        edge -= AWS_SDK
    assert not edge


@pytest.mark.parametrize("path", python_files("core"), ids=label)
def test_core_uses_only_the_standard_library_pydantic_and_itself(path):
    allowed = set(sys.stdlib_module_names) | {"core", "pydantic"}
    if label(path) == AWS_ADAPTER:
        allowed |= AWS_SDK
    assert top_levels(path) <= allowed


def test_the_aws_sdk_stays_inside_the_dynamodb_adapter():
    users = {label(p) for p in python_files("core") if top_levels(p) & AWS_SDK}
    assert users <= {AWS_ADAPTER}


@pytest.mark.parametrize(("package", "others"), [("agent", {"channels"}), ("channels", {"agent"})])
def test_agent_and_channels_import_neither_each_other_nor_the_wiring_layers(package, others):
    offenders = {
        label(path): sorted(top_levels(path) & (others | {"functions", "infra"})) for path in files_of(package)
    }
    assert {name: tops for name, tops in offenders.items() if tops} == {}


# -- cold start of the API handler ----------------------------------------------------------------

HEAVY = ("boto3", "aws_xray_sdk", "langchain", "openai")
PROBE = "import json, sys\nimport functions.api.handler\nprint(json.dumps(sorted(sys.modules)))\n"


def test_the_api_handler_imports_without_the_aws_sdk_xray_or_llm_libraries(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "AWS_", "LAMBDA_"))}
    env.update(
        PYTHONPATH=str(REPO),
        PARLEY_STORE_URL=f"sqlite:///{tmp_path / 'p.db'}",
        PARLEY_JWT_SECRET="import-rule-test-secret-0123456789abcdef",
        PARLEY_FEED="off",
    )
    run = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    loaded = json.loads(run.stdout.strip().splitlines()[-1])
    assert "functions.api.handler" in loaded
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY or m.startswith("langchain_")]
    assert heavy == []
    # Powertools probes for botocore with a bare ``import botocore`` (its user-agent hook); that loads only
    # the package's small __init__. No botocore module that does real work may be loaded.
    assert [m for m in loaded if m.startswith("botocore.")] == []

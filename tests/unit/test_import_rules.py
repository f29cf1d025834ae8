"""The import rule of the design, read from the source with ``ast``, and the handlers' cold-start imports: the API
handler's, and the agent kept behind the language port (core/ports/language.py) until something reads words."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "agent", "channels", "infra", "functions", "local")
# The floors of docs/architecture.md: what each package may import of the project. No exceptions.
MAY_IMPORT = {
    "core": {"core"},
    "agent": {"core", "agent"},
    "channels": {"core", "channels"},
    "infra": {"core", "agent", "channels", "infra"},
    "functions": {"core", "agent", "channels", "infra", "functions"},
    "local": set(PACKAGES),
}
# Libraries of the edges: AWS, HTTP, LLM and chat providers. The domain uses none of them.
EDGE_LIBRARIES = frozenset(
    {
        "boto3", "botocore", "fastapi", "mangum", "starlette", "langchain", "openai", "twilio", "sendgrid",
        "telegram", "aws_lambda_powertools",
    }
)


def python_files(package: str) -> list[Path]:
    return sorted(p for p in (REPO / package).rglob("*.py") if "__pycache__" not in p.parts)


def all_files() -> list[Path]:
    return [path for package in PACKAGES if (REPO / package).is_dir() for path in python_files(package)]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(source: str, module: str, is_package: bool = False) -> list[tuple[str, list[str]]]:
    """(module, names) for every import statement at any depth (functions and TYPE_CHECKING blocks too),
    relative imports made absolute: ``import a.b`` gives ("a.b", []), ``from a import b`` ("a", ["b"])."""
    found: list[tuple[str, list[str]]] = []
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, node.module] if node.module else base)
            else:
                origin = node.module or ""
            found.append((origin, [alias.name for alias in node.names]))
    return found


def imported_modules(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every module a source imports; ``from a import b`` counts as importing ``a`` and the candidate ``a.b``."""
    found: set[str] = set()
    for origin, names in imports(source, module, is_package):
        found.add(origin)
        found.update(f"{origin}.{name}" for name in names)
    return found


def top_levels(path: Path) -> set[str]:
    modules = imported_modules(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")
    return {m.split(".")[0] for m in modules if m}


def is_edge_library(top: str) -> bool:
    return top in EDGE_LIBRARIES or top.startswith("langchain_")


def label(path: Path) -> str:
    return path.relative_to(REPO).as_posix()


@cache
def module_graph() -> dict[str, set[str]]:
    """Project module -> the project modules it imports. ``from a import b`` names the module ``a.b`` when
    there is one (the package ``a`` itself is only counted when ``b`` is not a module). Read once per run."""
    files = {module_name(p): p for p in all_files()}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        edges: set[str] = set()
        for origin, names in imports(path.read_text(encoding="utf-8"), name, path.name == "__init__.py"):
            if not names and origin in files:
                edges.add(origin)
            for imported in names:
                candidate = f"{origin}.{imported}"
                if candidate in files:
                    edges.add(candidate)
                elif origin in files:
                    edges.add(origin)
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


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
    assert {"boto3.session", "infra.settings", "core.store", "core.store.ports", "core.orders", "openai"} <= found
    assert "core.store" in imported_modules("from . import x\n", "core.store", is_package=True)
    assert "core.store.codec" in imported_modules("from .codec import dump\n", "core.store", is_package=True)


def test_the_checker_finds_the_packages_it_checks():
    core = python_files("core")
    assert len(core) >= 10
    assert REPO / "core" / "orders.py" in core
    assert "pydantic" in top_levels(REPO / "core" / "orders.py")


def test_the_cycle_finder_finds_a_cycle_and_nothing_in_a_tree():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b", "c"}, "b": {"c"}, "c": set()}) == []


# -- the rule -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", all_files(), ids=label)
def test_each_package_imports_only_its_own_floor_and_the_floors_below(path):
    package = label(path).split("/")[0]
    project = top_levels(path) & set(PACKAGES)
    assert project <= MAY_IMPORT[package], sorted(project - MAY_IMPORT[package])


@pytest.mark.parametrize("path", python_files("core"), ids=label)
def test_core_uses_only_the_standard_library_pydantic_and_itself(path):
    # annotated_types is pydantic's own metadata vocabulary (core.numbers groups an amount's rules with it)
    assert top_levels(path) <= set(sys.stdlib_module_names) | {"core", "pydantic", "annotated_types"}


@pytest.mark.parametrize("path", python_files("core"), ids=label)
def test_core_imports_no_edge_library(path):
    assert not {top for top in top_levels(path) if is_edge_library(top)}


# The wording room (core/wording): words made from data, below every use case, port and store, so any door
# and any use case can word a message and no wording module can reach for state.
WORDING_MAY_NOT_IMPORT = ("core.usecases", "core.ports")


@pytest.mark.parametrize("path", python_files("core/wording"), ids=label)
def test_the_wording_imports_no_use_case_and_no_port(path):
    modules = imported_modules(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")
    assert not {m for m in modules if m.startswith(WORDING_MAY_NOT_IMPORT)}


def test_people_facing_numbers_are_formatted_only_by_the_wording_formatters():
    """The grouped-thousands format spec (``:,``) is written in core/wording/formats.py alone among the modules
    that word replies and notifications; core/risk.py is switched by its owner (one part of issue 19)."""
    messaging = REPO / "core" / "usecases" / "messaging"
    worders = [REPO / "agent" / "replies.py", REPO / "agent" / "conversation.py", messaging / "outbox.py",
               messaging / "delivery.py", messaging / "inbox.py", *python_files("core/wording")]
    assert len(python_files("core/wording")) >= 4
    spelled = [path.name for path in worders if ":," in path.read_text(encoding="utf-8")]
    assert spelled == ["formats.py"]


def test_no_two_modules_import_each_other_directly_or_around_a_loop():
    graph = module_graph()
    assert len(graph) > 50
    assert cycles(graph) == []


# The agent's reading and answering (grammar, conversation, LLM) sits behind the language port: the handlers and the
# adapters ask Deps.language, and only the composition root builds the agent's implementation.
AGENT_BEHIND_THE_PORT = ("agent.language", "agent.conversation", "agent.grammar", "agent.llm", "agent.tools")
COMPOSITION_ROOT = "infra/bootstrap.py"


@pytest.mark.parametrize("path", python_files("functions") + python_files("infra"), ids=label)
def test_handlers_and_adapters_reach_the_agent_only_through_the_language_port(path):
    modules = imported_modules(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")
    reached = sorted(m for m in modules if m.startswith(AGENT_BEHIND_THE_PORT))
    assert reached == ([] if label(path) != COMPOSITION_ROOT else ["agent.language", "agent.language.AgentLanguage"])


# -- rooms inside core ------------------------------------------------------------------------------

RISK_GATE = "core.risk"


def in_risk_gate(module: str) -> bool:
    return module == RISK_GATE or module.startswith(RISK_GATE + ".")


def test_the_risk_gate_reads_no_port_and_calls_no_use_case():
    """The gate is pure: its callers gather the context through the unit of work and it only judges."""
    graph = module_graph()
    gate = [module_name(path) for path in python_files("core/risk")]
    assert len(gate) > 1
    reached = {name: sorted(m for m in graph[name] if m.startswith(("core.ports", "core.usecases"))) for name in gate}
    assert {name: found for name, found in reached.items() if found} == {}


def test_outside_the_risk_gate_only_the_names_of_core_risk_are_imported():
    """The gate's modules are its own business: the rest of the project imports ``from core.risk import ...``,
    so the gate can be split or merged again without touching a caller."""
    inner = {
        name: sorted(m for m in edges if in_risk_gate(m) and m != RISK_GATE)
        for name, edges in module_graph().items()
        if not in_risk_gate(name)
    }
    assert {name: found for name, found in inner.items() if found} == {}


# -- cold start of the API handler ----------------------------------------------------------------

HEAVY = ("boto3", "aws_xray_sdk", "langchain", "openai")
PROBE = "import json, sys\nimport functions.api.handler\nprint(json.dumps(sorted(sys.modules)))\n"


def loaded_after(tmp_path: Path, probe: str) -> list[str]:
    """The modules a fresh interpreter holds after running ``probe`` (which prints them last), on a local store."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "AWS_", "LAMBDA_"))}
    env.update(
        PYTHONPATH=str(REPO),
        PARLEY_STORE_URL=f"sqlite:///{tmp_path / 'p.db'}",
        PARLEY_JWT_SECRET="import-rule-test-secret-0123456789abcdef",
        PARLEY_FEED="off",
    )
    run = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout.strip().splitlines()[-1])


def test_the_api_handler_imports_without_the_aws_sdk_xray_or_llm_libraries(tmp_path):
    loaded = loaded_after(tmp_path, PROBE)
    assert "functions.api.handler" in loaded
    heavy = [m for m in loaded if m.split(".")[0] in HEAVY or m.startswith("langchain_")]
    assert heavy == []
    # Powertools probes for botocore with a bare ``import botocore`` (its user-agent hook); that loads only
    # the package's small __init__. No botocore module that does real work may be loaded.
    assert [m for m in loaded if m.startswith("botocore.")] == []
    # The chat route's reply shape only: the grammar and the conversation wait for the first chat.
    assert [m for m in loaded if m.split(".")[0] == "agent"] == ["agent", "agent.limits", "agent.replies"]


# -- channels: one home per provider --------------------------------------------------------------------------

PROVIDERS = ("telegram", "twilio", "sendgrid")
PROVIDER_SDKS = frozenset({"telegram", "twilio", "sendgrid", "python_http_client"})
CHANNEL_MEMBERS = ("Channel.TELEGRAM", "Channel.SMS", "Channel.WHATSAPP", "Channel.EMAIL")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_each_provider_has_one_home_with_the_same_three_modules(provider):
    home = REPO / "channels" / provider
    assert {"inbound.py", "sender.py", "policy.py"} <= {p.name for p in home.glob("*.py")}


@pytest.mark.parametrize("path", all_files(), ids=label)
def test_provider_sdks_are_imported_only_in_their_providers_home(path):
    sdks = top_levels(path) & PROVIDER_SDKS
    parts = path.relative_to(REPO).parts
    if parts[0] == "channels" and len(parts) > 2 and parts[1] in PROVIDERS:
        sdks -= {parts[1]} | ({"python_http_client"} if parts[1] == "sendgrid" else set())
    assert not sdks, f"{label(path)} imports {sorted(sdks)}: a provider's SDK belongs in channels/<provider>/"


@pytest.mark.parametrize("path", all_files(), ids=label)
def test_a_providers_home_imports_no_other_providers_home(path):
    parts = path.relative_to(REPO).parts
    if parts[0] != "channels" or len(parts) < 3 or parts[1] not in PROVIDERS:
        return
    module = module_name(path)
    others = {m for m in imported_modules(path.read_text(encoding="utf-8"), module)
              if m.startswith("channels.") and m.split(".")[1] in PROVIDERS and m.split(".")[1] != parts[1]}
    assert not others, f"{label(path)} imports {sorted(others)}"


@pytest.mark.parametrize("path", [*(REPO / "channels").glob("*/policy.py"), REPO / "channels" / "policies.py"],
                         ids=label)
def test_channel_policies_import_no_edge_library_as_every_function_loads_them(path):
    assert not {top for top in top_levels(path) if is_edge_library(top)}


WORDING = ("_noun", "_subject")  # inbox's text for a channel (whose words are another part's), not a rule


@pytest.mark.parametrize("name", ["delivery.py", "outbound.py", "inbox.py"])
def test_the_messaging_use_cases_ask_the_channel_policy_instead_of_testing_channel_names(name):
    """No keyword list, and no condition on a channel by name: the channel's ChannelPolicy answers those."""
    tree = ast.parse((REPO / "core" / "usecases" / "messaging" / name).read_text(encoding="utf-8"))
    words = {node.value.strip().lower() for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)}
    assert not words & {"stop", "unstop", "stopall", "unsubscribe", "start", "optin", "optout"}
    rules = [f for f in tree.body if isinstance(f, ast.FunctionDef) and f.name not in WORDING]
    named = {member for f in rules for node in ast.walk(f) if isinstance(node, ast.Compare | ast.IfExp | ast.If)
             for member in CHANNEL_MEMBERS if member in ast.unparse(node.test if hasattr(node, "test") else node)}
    assert not named, f"{name} tests {sorted(named)} by name"


# Handlers that read no words on a cold start: their platform's language port is built on the first word read.
QUIET_HANDLERS = (
    "functions.streams.kinesis", "functions.streams.msk", "functions.webhooks.signals", "functions.webhooks.telegram",
    "functions.webhooks.twilio", "functions.webhooks.sendgrid", "functions.workers.notify",
    "functions.workers.conversation",
)


def test_the_stream_webhook_and_worker_handlers_load_nothing_of_the_agent_on_a_cold_start(tmp_path):
    probe = "import json, sys\n" + "".join(f"import {h}\n" for h in QUIET_HANDLERS) + (
        "print(json.dumps(sorted(sys.modules)))\n")
    loaded = loaded_after(tmp_path, probe)
    assert set(QUIET_HANDLERS) <= set(loaded)
    assert [m for m in loaded if m.split(".")[0] == "agent"] == []


def test_the_language_port_loads_the_agent_on_the_first_word_read_and_not_before(tmp_path):
    probe = (
        "import json, sys\nfrom infra.bootstrap import build_platform\nplatform = build_platform(secret='s')\n"
        "before = sorted(m for m in sys.modules if m.split('.')[0] == 'agent')\n"
        "assert platform.language.asks_only('positions')\n"
        "print(json.dumps(before + ['--'] + sorted(sys.modules)))\n"
    )
    loaded = loaded_after(tmp_path, probe)
    before, after = loaded[: loaded.index("--")], loaded[loaded.index("--") + 1:]
    assert before == []
    assert {"agent.language", "agent.grammar"} <= set(after)
    assert [m for m in after if m.split(".")[0] in HEAVY or m.startswith("langchain_")] == []


# -- the store rooms: the port's groups mirrored by every backend ---------------------------------------------------

STORE_PORT = REPO / "core" / "ports" / "store"
STORE_BACKENDS = REPO / "infra" / "stores"


def store_groups() -> set[str]:
    """The port's modules (one per repository group, and ``unit``), as every backend must name its own."""
    return {path.stem for path in STORE_PORT.glob("*.py") if path.name != "__init__.py"}


def store_backends() -> list[Path]:
    return sorted(path for path in STORE_BACKENDS.iterdir() if (path / "__init__.py").is_file())


def test_the_store_port_has_a_module_per_repository_group_and_the_unit():
    assert {"trading", "market", "messaging", "platform", "unit"} <= store_groups()
    assert [path.name for path in store_backends()] == ["dynamodb", "memory", "sqlite"]


@pytest.mark.parametrize("backend", store_backends(), ids=lambda path: path.name)
def test_each_store_backend_has_a_module_of_the_same_name_for_each_module_of_the_port(backend):
    assert store_groups() <= {path.stem for path in backend.glob("*.py")}


@pytest.mark.parametrize("backend", store_backends(), ids=lambda path: path.name)
def test_a_store_backend_imports_no_other_backend_only_the_shared_codec(backend):
    """SQLite and memory must load without boto3, and no backend leans on another's machinery."""
    others = {f"infra.stores.{path.name}" for path in store_backends()} - {f"infra.stores.{backend.name}"}
    for path in python_files(f"infra/stores/{backend.name}"):
        modules = imported_modules(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")
        leaked = {m for m in modules if any(m == other or m.startswith(f"{other}.") for other in others)}
        assert not leaked, (label(path), sorted(leaked))


def test_code_outside_the_stores_opens_a_backend_by_its_package_never_by_its_inner_modules():
    """Doors see ``infra.stores`` (``open_store``), ``infra.stores.codec`` and a backend package's exports; which
    module of a backend holds a repository is the backend's own business."""
    inner = tuple(f"infra.stores.{path.name}." for path in store_backends())
    project = {module_name(path) for path in all_files()}
    for path in all_files():
        if label(path).startswith("infra/stores/"):
            continue
        modules = imported_modules(path.read_text(encoding="utf-8"), module_name(path), path.name == "__init__.py")
        assert not [m for m in modules if m.startswith(inner) and m in project], label(path)


# -- the use case groups ------------------------------------------------------------------------------
# core/usecases is a package of groups (trading, market, messaging, admin, common), each with a facade: doors
# (every package but core) import ``core.usecases`` or a group's facade, never a group's inner modules, so a
# group can move code between its modules without touching a door. Core itself and the tests may import anything.

USECASES = REPO / "core" / "usecases"
DOORS = ("agent", "channels", "functions", "infra", "local")


def usecase_groups() -> list[str]:
    return sorted(path.name for path in USECASES.iterdir() if (path / "__init__.py").is_file())


def inner_usecase_modules(source: str, module: str, is_package: bool = False) -> list[str]:
    """The use case modules below a facade that ``source`` imports."""
    project = {module_name(path) for path in python_files("core/usecases")}
    facades = {"core.usecases", *(f"core.usecases.{group}" for group in usecase_groups())}
    found: set[str] = set()
    for origin, names in imports(source, module, is_package):
        exported = facade_exports(origin) if origin in facades else set()
        found.add(origin)
        found.update(f"{origin}.{name}" for name in names if name not in exported)
    return sorted(m for m in found if m in project and m not in facades)


@cache
def facade_exports(facade: str) -> frozenset[str]:
    """The names a facade re-exports (its ``_EXPORTS``): ``from core.usecases.trading import reconcile`` is the
    function the facade names, not the module of the same name."""
    tree = ast.parse((REPO / Path(*facade.split("."), "__init__.py")).read_text(encoding="utf-8"))
    table = next(node.value for node in tree.body if isinstance(node, ast.Assign)
                 and any(isinstance(target, ast.Name) and target.id == "_EXPORTS" for target in node.targets))
    return frozenset(ast.literal_eval(table))


def test_the_use_cases_are_grouped_in_packages_and_nothing_is_left_flat():
    assert usecase_groups() == ["admin", "common", "market", "messaging", "trading"]
    assert sorted(path.name for path in USECASES.glob("*.py")) == ["__init__.py", "_lazy.py"]


@pytest.mark.parametrize("group", usecase_groups())
def test_each_use_case_group_has_a_facade_that_states_its_consistency_model(group):
    facade = (USECASES / group / "__init__.py").read_text(encoding="utf-8")
    assert "Consistency:" in (ast.get_docstring(ast.parse(facade)) or "")
    assert "lazy_exports(__name__, _EXPORTS)" in facade


def test_the_door_checker_catches_an_inner_use_case_module_in_every_form_of_import():
    inner = [
        "from core.usecases.messaging.inbox import accept",
        "from core.usecases.messaging import inbox",
        "import core.usecases.trading.orders",
        "def later():\n    from core.usecases.admin.venues import set_live_trading",
    ]
    for source in inner:
        assert inner_usecase_modules(source, "functions.webhooks.example"), source
    facades = ["from core.usecases.messaging import accept_message", "from core import usecases as uc",
               "from core.usecases import messaging", "from core.usecases import Deps"]
    for source in facades:
        assert inner_usecase_modules(source, "functions.webhooks.example") == [], source


@pytest.mark.parametrize("path", [path for door in DOORS for path in python_files(door)], ids=label)
def test_doors_import_the_use_case_facades_never_their_inner_modules(path):
    source = path.read_text(encoding="utf-8")
    assert inner_usecase_modules(source, module_name(path), path.name == "__init__.py") == []

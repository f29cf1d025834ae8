"""Lambda layers by need: each function attaches the layers its handler imports, and nothing else.

The layers are template.yaml's AWS::Serverless::LayerVersion resources, each built by deploy/package.sh
from layers/<name>/requirements.txt. The import probe below rebuilds the API function's import path from
exactly the layers the template attaches to it (plus what the Lambda runtime ships), out of the
distributions installed in this virtualenv, and imports the handler there with the virtualenv's
site-packages off the path. Offline: nothing is downloaded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tomllib
from importlib.metadata import Distribution, PackageNotFoundError, distribution
from pathlib import Path, PurePosixPath

import pytest
from cfnlint.decode import decode_str
from packaging.markers import Marker
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
PACKAGE_SH = ROOT / "deploy" / "package.sh"
EVENT = ROOT / "tests" / "events" / "apigw_http_v2.json"
LAYER_URI = re.compile(r"build/layers/(?P<name>[a-z][a-z0-9-]*)/")
# What the Lambda Python runtime ships next to the function: boto3 and its dependencies.
RUNTIME_SHIPPED = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")
# The packages deploy/package.sh copies into build/app (those that exist). `local` is never shipped.
APP_PACKAGES = ("core", "agent", "channels", "functions", "infra")
EXPECTED_LAYERS = {
    "base": {"pydantic", "aws-lambda-powertools", "tzdata"},
    "api": {"fastapi", "mangum", "pyjwt", "swagger-ui-bundle-v2"},
    "agent": {"langchain", "langchain-openai"},
    "brokers": {"alpaca-py", "ccxt"},
    "channels": {"python-telegram-bot", "twilio", "sendgrid"},
}
# Layers built on top of some layers only (deploy/package.sh's ON_TOP_OF), not on every layer before them.
ON_TOP_OF = {"brokers": ["base"], "channels": ["base"]}
# Layers built on some layers but pinned to the versions of others too (deploy/package.sh's PINNED_TO): they
# may also ride on top of the whole chain (base, api, agent), their shared packages being the same versions.
PINNED_TO = {"channels": ["api", "agent"]}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.fixture(scope="module")
def template() -> dict:
    decoded, problems = decode_str(TEMPLATE.read_text())
    assert not problems, problems
    return decoded


def layer_resources(template: dict) -> dict[str, str]:
    """Logical id -> layer name (the <name> of its ContentUri build/layers/<name>/)."""
    layers = {}
    for logical_id, res in template["Resources"].items():
        if res["Type"] == "AWS::Serverless::LayerVersion":
            match = LAYER_URI.fullmatch(res["Properties"]["ContentUri"])
            assert match, (logical_id, res["Properties"]["ContentUri"])
            layers[logical_id] = match["name"]
    return layers


def functions_of(template: dict) -> dict[str, dict]:
    return {k: r["Properties"] for k, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::Function"}


def runtime_settings(template: dict) -> dict[str, str]:
    """The environment every function gets from Globals that is a plain value and not Parley's own configuration
    (POWERTOOLS_*, PYDANTIC_*): what a measurement of a function's import must run with to be the deployed one."""
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    return {name: value for name, value in variables.items()
            if isinstance(value, str) and not name.startswith("PARLEY_")}


def attached_layers(template: dict, function: str) -> list[str]:
    """The layer names a function attaches, in its order."""
    by_id = layer_resources(template)
    refs = functions_of(template)[function].get("Layers", [])
    assert all(isinstance(ref, dict) and set(ref) == {"Ref"} and ref["Ref"] in by_id for ref in refs), refs
    return [by_id[ref["Ref"]] for ref in refs]


def packaged_layers() -> list[str]:
    """The LAYERS=(...) list of deploy/package.sh, in build order."""
    match = re.search(r"^LAYERS=\(([^)]*)\)", PACKAGE_SH.read_text(), re.MULTILINE)
    assert match, "deploy/package.sh has no LAYERS=(...) line"
    return match.group(1).split()


def requirements(layer: str) -> list[Requirement]:
    lines = (ROOT / "layers" / layer / "requirements.txt").read_text().splitlines()
    return [Requirement(line.split("#", 1)[0]) for line in lines if line.split("#", 1)[0].strip()]


# --- The layers, the template and the build agree ------------------------------------------------------


def test_every_layer_version_is_built_from_a_requirements_file_that_exists(template):
    layers = layer_resources(template)
    assert sorted(layers.values()) == sorted(EXPECTED_LAYERS)
    runtime = template["Globals"]["Function"]["Runtime"]
    for logical_id, name in layers.items():
        assert (ROOT / "layers" / name / "requirements.txt").is_file(), (logical_id, name)
        props = template["Resources"][logical_id]["Properties"]
        assert props["CompatibleRuntimes"] == [runtime], logical_id
        assert props["CompatibleArchitectures"] == template["Globals"]["Function"]["Architectures"], logical_id
    assert not (ROOT / "layers" / "dependencies").exists()


def test_package_sh_builds_exactly_the_templates_layers(template):
    assert sorted(packaged_layers()) == sorted(layer_resources(template).values())
    assert packaged_layers()[0] == "base"


def test_no_layers_are_attached_through_globals(template):
    assert "Layers" not in template["Globals"]["Function"]


def test_every_function_attaches_a_leading_run_of_the_layers_in_build_order(template):
    """A later layer leaves out what the earlier ones hold, so it is usable only on top of them: a leading run
    of the chain (base, api, agent), or a layer built on some layers only right after exactly those."""
    order = packaged_layers()
    chain = [layer for layer in order if layer not in ON_TOP_OF]
    functions = functions_of(template)
    assert functions
    for name in functions:
        attached = attached_layers(template, name)
        assert set(attached) <= set(order), (name, attached)
        runs = [chain[:n] for n in range(1, len(chain) + 1)] + [[*below, top] for top, below in ON_TOP_OF.items()]
        runs += [[*chain, top] for top in PINNED_TO]
        assert attached in runs, (name, attached)
        assert "base" in attached, name


def test_package_sh_builds_the_brokers_and_channels_layers_on_the_base_layer_only():
    script = PACKAGE_SH.read_text()
    assert re.search(r'^declare -A ON_TOP_OF=\(\[brokers\]="base" \[channels\]="base"\)$', script, re.MULTILINE)
    assert re.search(r'^declare -A PINNED_TO=\(\[channels\]="api agent"\)$', script, re.MULTILINE)


def test_the_api_function_attaches_base_api_and_agent(template):
    assert functions_of(template)["ApiFunction"]["Handler"] == "functions.api.handler.handler"
    assert attached_layers(template, "ApiFunction") == ["base", "api", "agent"]


def test_each_layer_requires_its_packages_with_the_ranges_of_pyproject():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = {canonical(req.name): req for req in map(Requirement, pyproject["project"]["dependencies"])}
    seen: set[str] = set()
    for layer, expected in EXPECTED_LAYERS.items():
        reqs = {canonical(req.name): req for req in requirements(layer)}
        assert set(reqs) == expected, layer
        assert not set(reqs) & seen, layer  # one layer per requirement
        seen |= set(reqs)
        for name, req in reqs.items():
            assert (req.specifier, req.extras, req.marker) == (
                declared[name].specifier, declared[name].extras, declared[name].marker
            ), (layer, str(req), str(declared[name]))
    # The runtime ships boto3/botocore (a copy would shadow them); uvicorn serves only the local platform.
    assert not seen & {"boto3", "botocore", "s3transfer", "uvicorn"}


# --- The API handler imports from exactly its layers ---------------------------------------------------


def resolve(roots: list[Requirement]) -> dict[str, Distribution]:
    """The installed distributions that ``roots`` need, transitively, with extras and markers honoured."""
    found: dict[str, Distribution] = {}
    extras_done: dict[str, set[str]] = {}
    pending = list(roots)
    while pending:
        req = pending.pop()
        name = canonical(req.name)
        wanted = {""} | {canonical(e) for e in req.extras}
        new = wanted - extras_done.get(name, set())
        if not new:
            continue
        try:
            dist = found[name] if name in found else distribution(req.name)
        except PackageNotFoundError:
            pytest.fail(f"{req.name} (needed for the layers) is not installed in this virtualenv")
        found[name] = dist
        extras_done.setdefault(name, set()).update(new)
        for line in dist.requires or []:
            dep = Requirement(line)
            if dep.marker is None or any(_applies(dep.marker, extra) for extra in new):
                pending.append(dep)
    return found


def _applies(marker: Marker, extra: str) -> bool:
    return marker.evaluate({"extra": extra})


def layer_closure(layers: list[str]) -> dict[str, Distribution]:
    roots = [req for layer in layers for req in requirements(layer)]
    runtime = []
    for name in RUNTIME_SHIPPED:
        try:
            distribution(name)
        except PackageNotFoundError:
            continue  # nothing here needs it, or resolving the layers says so
        runtime.append(Requirement(name))
    return resolve(roots + runtime)


def _relative_files(dist: Distribution) -> list[PurePosixPath]:
    """A distribution's installed files relative to its site-packages (no scripts, no bytecode)."""
    files = []
    for entry in dist.files or []:
        path = PurePosixPath(entry.as_posix())
        if path.parts[0] == ".." or "__pycache__" in path.parts or path.suffix == ".pyc":
            continue
        files.append(path)
    return files


def populate_site(dists: dict[str, Distribution], site: Path) -> None:
    """Link the distributions' top-level files and folders into ``site``.

    A folder is linked whole only when it holds nothing but these distributions' files (so its bytecode
    cache is reused); a folder shared with other installed distributions (a namespace) is rebuilt file by
    file, so nothing that is not in the layers comes along.
    """
    claimed: dict[Path, set[PurePosixPath]] = {}  # top-level path -> files of the chosen dists in it
    for dist in dists.values():
        for rel in _relative_files(dist):
            claimed.setdefault(Path(dist.locate_file(rel.parts[0])), set()).add(rel)
    for top, files in claimed.items():
        if top.is_file():
            (site / top.name).symlink_to(top)
            continue
        if not top.is_dir():
            continue
        base = top.parent
        on_disk = {
            PurePosixPath(Path(folder, f).relative_to(base).as_posix())
            for folder, subdirs, names in os.walk(top)
            for f in names
            if "__pycache__" not in Path(folder).parts and not f.endswith(".pyc")
        }
        if on_disk <= files:
            (site / top.name).symlink_to(top, target_is_directory=True)
            continue
        for rel in files:
            source = base / rel
            if source.exists():
                (site / rel).parent.mkdir(parents=True, exist_ok=True)
                (site / rel).symlink_to(source)


def populate_app(app: Path) -> list[str]:
    linked = []
    for pkg in APP_PACKAGES:
        if (ROOT / pkg).is_dir():
            (app / pkg).symlink_to(ROOT / pkg, target_is_directory=True)
            linked.append(pkg)
    return linked


PROBE = r"""
import json, sys
app, site, event = sys.argv[1:4]
sys.path[:0] = [app, site]
import functions.api.handler as module

class Context:
    function_name = "parley-api"
    memory_limit_in_mb = 512
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:parley-api"
    aws_request_id = "c6af9ac6-7b61-11e6-9a41-93e812345678"
    def get_remaining_time_in_millis(self):
        return 10_000

loaded = sorted(sys.modules)
response = module.handler(json.loads(event), Context())
files = sorted({m.__file__ for m in list(sys.modules.values()) if getattr(m, "__file__", None)})
print("PROBE " + json.dumps({"loaded": loaded, "files": files, "status": response["statusCode"],
                             "body": response["body"], "path": sys.path}))
"""


def run_probe(tmp_path: Path, dists: dict[str, Distribution]) -> subprocess.CompletedProcess:
    site, app = tmp_path / "layers", tmp_path / "app"
    site.mkdir()
    app.mkdir()
    populate_site(dists, site)
    assert populate_app(app)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "PARLEY_STORE_URL": f"sqlite:///{tmp_path / 'p.db'}",
        "PARLEY_JWT_SECRET": "layer-probe-secret-0123456789abcdef-not-for-use",
        "PARLEY_FEED": "off",
        "POWERTOOLS_SERVICE_NAME": "parley",
        "POWERTOOLS_METRICS_NAMESPACE": "Parley",
    }
    # -I: no PYTHON* variables, no user site, no current folder; -S: not even this virtualenv's site-packages.
    return subprocess.run(
        [sys.executable, "-I", "-S", "-c", PROBE, str(app), str(site), EVENT.read_text()],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60,
    )


def probe_result(run: subprocess.CompletedProcess) -> dict:
    lines = [line for line in run.stdout.splitlines() if line.startswith("PROBE ")]
    assert run.returncode == 0 and lines, run.stderr[-3000:]
    return json.loads(lines[-1][len("PROBE "):])


@pytest.fixture(scope="module")
def api_closure(template) -> dict[str, Distribution]:
    return layer_closure(attached_layers(template, "ApiFunction"))


def test_the_api_handler_imports_and_serves_from_exactly_its_layers(template, api_closure, tmp_path):
    for name in ("fastapi", "mangum", "pydantic", "aws-lambda-powertools", "pyjwt", "langchain", "botocore"):
        assert name in api_closure, name
    assert "uvicorn" not in api_closure
    result = probe_result(run_probe(tmp_path, api_closure))

    assert result["status"] == 200, result["body"]
    assert json.loads(result["body"])["status"] == "ok"
    loaded = result["loaded"]
    # The LLM stack loads on the first free-text chat with a key set, never on a cold start.
    assert not [m for m in loaded if m.split(".")[0] in ("langchain", "langchain_core", "langchain_openai", "openai")]
    # The CLI, the local server and the feeds are not shipped and nothing shipped imports them.
    assert not [m for m in loaded if m == "local" or m.startswith("local.")]
    assert "functions.api.handler" in loaded
    # Every module came from the stdlib, the linked layers or the linked app: nothing else was reachable.
    stdlib = {os.path.realpath(sysconfig.get_paths()[key]) for key in ("stdlib", "platstdlib")}
    allowed = (*stdlib, str(tmp_path / "layers"), str(tmp_path / "app"))
    reached = [f for f in result["files"] if not f.startswith(allowed) and not os.path.realpath(f).startswith(allowed)]
    assert not reached, reached
    venv_site = {os.path.realpath(p) for p in sysconfig.get_paths().values()} - stdlib
    assert not [p for p in result["path"] if os.path.realpath(p) in venv_site]


def test_the_probe_fails_without_a_layer_package(api_closure, tmp_path):
    """Leaving fastapi's distribution out of the layers breaks the import: the probe can fail."""
    without = {name: dist for name, dist in api_closure.items() if name != "fastapi"}
    run = run_probe(tmp_path, without)
    assert run.returncode != 0
    assert "No module named 'fastapi'" in run.stderr, run.stderr[-3000:]


# --- The app build ships exactly the packages, with nothing to delete ----------------------------------


def build_app(build: Path, bytecode_python: str) -> subprocess.CompletedProcess:
    """deploy/package.sh --app-only into ``build``, compiling with ``bytecode_python`` ("": sources only)."""
    env = {**os.environ, "PARLEY_BUILD_DIR": str(build), "BYTECODE_PYTHON": bytecode_python}
    return subprocess.run(["bash", str(PACKAGE_SH), "--app-only"], capture_output=True, text=True, env=env,
                          timeout=120)


def lambda_python(template: dict) -> str | None:
    """An interpreter of the functions' Python (template.yaml's runtime) on this machine, if there is one."""
    version = template["Globals"]["Function"]["Runtime"].removeprefix("python")
    found = shutil.which(f"python{version}")
    if found and subprocess.run([found, "-c", "pass"], capture_output=True).returncode == 0:
        return found
    return None


def test_the_app_build_copies_the_packages_and_never_local(tmp_path):
    build = tmp_path / "build"
    run = build_app(build, "")
    assert run.returncode == 0, run.stderr
    assert "ships without bytecode" in run.stderr
    app = build / "app"
    shipped = sorted(p.name for p in app.iterdir())
    assert {"core", "functions", "infra"} <= set(shipped)
    assert set(shipped) <= set(APP_PACKAGES)
    assert "local" not in shipped
    assert not (build / "layers").exists()  # --app-only downloads nothing
    assert not list(app.rglob("__pycache__")) and not list(app.rglob("*.pyc"))
    # Each shipped package is copied whole: every source file of the checkout is there.
    for pkg in shipped:
        source = {p.relative_to(ROOT) for p in (ROOT / pkg).rglob("*") if p.is_file()
                  and "__pycache__" not in p.parts and p.suffix != ".pyc"}
        copied = {p.relative_to(app) for p in (app / pkg).rglob("*") if p.is_file()}
        assert copied == source, pkg


def test_package_sh_deletes_nothing_from_the_app_after_copying_it():
    text = PACKAGE_SH.read_text()
    assert not re.search(r'rm -rf "\$APP_DIR/', text)
    assert not re.search(r"rm -rf \S*(local|feeds|scripts|samconfig)", text)
    copy_list = re.search(r"^APP_PACKAGES=\(([^)]*)\)", text, re.MULTILINE)
    assert copy_list and tuple(copy_list.group(1).split()) == APP_PACKAGES


def test_the_app_ships_bytecode_for_the_lambda_python_that_stays_valid_whatever_the_mtimes(template, tmp_path):
    """/var/task is read-only: without bytecode in the package, every cold start compiles every module it imports.
    Each source gets a pyc for the runtime's Python, hash-based and unchecked (flags 0b01), so the mtimes the zip
    gives the files cannot make it stale."""
    python = lambda_python(template)
    if python is None:
        pytest.skip("no interpreter of the functions' Python version on this machine")
    build = tmp_path / "build"
    run = build_app(build, python)
    assert run.returncode == 0, run.stderr
    tag = subprocess.run([python, "-c", "import sys; print(sys.implementation.cache_tag)"], capture_output=True,
                         text=True, check=True).stdout.strip()
    app = build / "app"
    sources = list(app.rglob("*.py"))
    assert sources
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        assert compiled.is_file(), compiled
        assert int.from_bytes(compiled.read_bytes()[4:8], "little") == 0b01, compiled


def test_bytecode_from_another_python_version_fails_the_build(template, tmp_path):
    """Bytecode for another version would be ignored by the runtime: the build refuses it instead."""
    runtime = template["Globals"]["Function"]["Runtime"].removeprefix("python")
    assert f"{sys.version_info[0]}.{sys.version_info[1]}" != runtime, "run this test with another Python"
    run = build_app(tmp_path / "build", sys.executable)
    assert run.returncode != 0
    assert f"the functions run {runtime}" in run.stderr


PLUGINS_SCANNED = """
import functions.api.handler
from pydantic.plugin import _loader
print(_loader._plugins is not None)
"""


@pytest.mark.parametrize("deployed", [True, False])
def test_a_cold_start_with_the_templates_settings_never_scans_distributions_for_pydantic_plugins(
        template, tmp_path, deployed):
    """The scan reads every layer distribution's entry points on the first model built; Parley has no plugin.
    Without the template's setting the scan runs (the probe can fail)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PARLEY_", "PYDANTIC_"))}
    env.update(PYTHONPATH=str(ROOT), PARLEY_FEED="off", PARLEY_JWT_SECRET="test",
               PARLEY_STORE_URL=f"sqlite:///{tmp_path / 'plugins.db'}")
    if deployed:
        env.update(runtime_settings(template))
    run = subprocess.run([sys.executable, "-c", PLUGINS_SCANNED], capture_output=True, text=True, env=env,
                         cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip() == str(not deployed)

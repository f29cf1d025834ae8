"""The test tiers are given by folder (tests/markers.py), so ``make test-fast`` runs what it says."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests import markers

TESTS = markers.TESTS


def test_every_folder_holding_tests_has_a_tier() -> None:
    folders = {p.relative_to(TESTS).parts[0] for p in TESTS.rglob("test_*.py")}
    assert folders - set(markers.TIERS) == set()


def test_a_test_in_a_folder_without_a_tier_stops_the_run() -> None:
    with pytest.raises(pytest.UsageError, match="tests/newfolder has no tier"):
        markers.tier_of(TESTS / "newfolder" / "test_x.py")


@pytest.mark.parametrize(
    ("folder", "tier"),
    [("unit", "unit"), ("agent", "unit"), ("integration", "integration"), ("functional", "integration"),
     ("channels", "integration"), ("e2e", "e2e"), ("benchmarks", None)],
)
def test_a_test_file_takes_the_tier_of_its_folder(folder: str, tier: str | None) -> None:
    assert markers.tier_of(TESTS / folder / "test_x.py") == tier


@pytest.mark.parametrize(
    "source",
    ["from moto import mock_aws\n", "import boto3\n", "def f():\n    import botocore.stub\n",
     f"TEMPLATE = ROOT / {'template.yaml'!r}\n"],
)
def test_a_module_that_runs_aws_code_or_reads_the_template_touches_aws(source: str) -> None:
    assert markers.touches_aws(source)


@pytest.mark.parametrize(
    "source",
    ["import json\n", 'SOURCE = "import boto3.session"\n', "from infra.stores import open_store\n",
     "API_SECONDS = 28  # the API function's timeout (29 s in template.yaml)\n"],
)
def test_a_module_that_only_names_aws_in_a_string_or_a_comment_does_not(source: str) -> None:
    assert not markers.touches_aws(source)


def test_a_module_whose_tests_helper_imports_moto_touches_aws(tmp_path: Path) -> None:
    """aws_calls.py counts botocore calls for the tests that import it."""
    user = tmp_path / "test_user.py"
    user.write_text("from tests.functional.aws_calls import counting_aws_calls\n")
    assert markers.module_touches_aws(user)


def test_this_module_is_marked_unit_and_not_aws(request: pytest.FixtureRequest) -> None:
    names = {m.name for m in request.node.iter_markers()}
    assert "unit" in names and "aws" not in names


@pytest.mark.parametrize("backend", ["sqlite", "dynamodb"])
def test_a_test_run_on_dynamodb_is_marked_aws_and_its_sqlite_twin_is_not(
    backend: str, request: pytest.FixtureRequest
) -> None:
    assert (request.node.get_closest_marker("aws") is not None) is (backend == "dynamodb")

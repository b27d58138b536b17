"""The GraphQL-over-HTTP audit suite of npm ``graphql-http`` against a live gateway.

``audit.mjs`` runs the package's ``auditServer`` against the default gateway and prints
each audit's verdict. Every MUST passes; what a SHOULD or MAY recommends and the gateway
does not do is a warning, and each warning is written down in the README's "Conformance"
section, so a new one fails here until it is fixed or documented. Node and the package
(pinned in ``package.json``, installed by ``scripts/assets``) must be there under
``CI=true``; elsewhere their absence skips.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI, LiveServer

ROOT = Path(__file__).resolve().parents[2]
AUDIT = Path(__file__).with_name("audit.mjs")
PACKAGE = ROOT / "node_modules" / "graphql-http" / "package.json"
README = ROOT / "README.md"


def _node() -> str:
    """The node binary; fails under CI=true, skips elsewhere, when node or the suite is missing."""
    node = shutil.which("node")
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["graphql-http"]
    problem = None
    if node is None:
        problem = "node is not installed"
    elif not PACKAGE.is_file():
        problem = "npm's graphql-http is not installed: run scripts/assets"
    elif (installed := json.loads(PACKAGE.read_text())["version"]) != pinned:
        problem = f"graphql-http {installed} is installed, package.json pins {pinned}"
    if problem is not None:
        if IN_CI:
            pytest.fail(f"{problem}, and CI=true forbids skipping")
        pytest.skip(problem)
    assert node is not None
    return node


@pytest.fixture(scope="module")
def results(default_gateway: LiveServer) -> list[dict[str, Any]]:
    """Every audit's verdict: ``{id, name, status, reason, httpStatus}``."""
    node = _node()
    run = subprocess.run(
        [node, str(AUDIT), f"{default_gateway.url}/graphql"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    verdicts: list[dict[str, Any]] = json.loads(run.stdout)
    counts = Counter((v["name"].split()[0], v["status"]) for v in verdicts)
    print(f"graphql-http audits: {len(verdicts)}; by level and verdict: {dict(counts)}")
    for verdict in verdicts:
        if verdict["status"] != "ok":
            print(f"  {verdict['status'].upper()} {verdict['id']} {verdict['name']}")
            print(f"       {verdict['reason']} (HTTP {verdict['httpStatus']})")
    return verdicts


def _section(title: str) -> str:
    match = re.search(rf"^## {title}\n(.*?)(?=^## )", README.read_text(), re.DOTALL | re.MULTILINE)
    assert match, f"the README has no {title!r} section"
    return match.group(1)


def test_the_whole_suite_ran(results: list[dict[str, Any]]) -> None:
    levels = Counter(verdict["name"].split()[0] for verdict in results)
    assert len(results) >= 45, results
    assert set(levels) == {"MUST", "SHOULD", "MAY"}
    assert all(v["status"] in ("ok", "warn", "notice", "error") for v in results)


def test_every_must_passes(results: list[dict[str, Any]]) -> None:
    musts = [verdict for verdict in results if verdict["name"].startswith("MUST")]
    failed = [v for v in results if v["status"] == "error" or (v in musts and v["status"] != "ok")]
    assert len(musts) >= 10
    assert not failed, json.dumps(failed, indent=1)


def test_the_warnings_are_the_ones_the_readme_lists(results: list[dict[str, Any]]) -> None:
    section = _section("Conformance")
    documented = set(re.findall(r"`([0-9A-F]{4})`", section))
    warned = {verdict["id"] for verdict in results if verdict["status"] != "ok"}
    assert warned == documented, (
        f"warned but not in the README: {sorted(warned - documented)}; "
        f"in the README but passing now: {sorted(documented - warned)}"
    )
    musts = sum(verdict["name"].startswith("MUST") for verdict in results)
    assert f"{len(results)} audits" in section
    assert f"all {musts} MUST" in section

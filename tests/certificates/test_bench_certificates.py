"""The certificate benchmark runs end to end at a tiny size and prints every figure with its unit."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
FIGURE = re.compile(r"(?P<name>[a-z_]+): (?P<value>\d+(?:\.\d+)?) (?P<unit>\S+)")
UNITS = {
    "certificates": "rows",
    "certificate_batch_pages": "pages",
    "certificate_batch_seconds": "s",
    "certificate_split_seconds": "s",
    "certificate_each_seconds": "s",
    "certificate_each_ratio": "x",
    "certificate_bare_seconds": "s",
    "certificate_batch_ratio": "x",
}


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    out = tmp_path_factory.mktemp("bench_certificates")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "certificates.py"),
            *("--count", "3", "--each", "2", "--bare", "2", "--out", str(out)),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env=os.environ.copy(),
    )
    return result, out


def test_benchmark_prints_every_figure_with_its_unit(run):
    result, _ = run
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "database: sqlite"
    printed = {}
    for line in lines[1:]:
        match = FIGURE.fullmatch(line)
        assert match, f"not 'name: value unit': {line!r}"
        printed[match["name"]] = (float(match["value"]), match["unit"])
    assert {name: unit for name, (_, unit) in printed.items()} == UNITS
    assert printed["certificates"] == (3, "rows")
    assert printed["certificate_batch_pages"] == (3, "pages")
    assert printed["certificate_batch_seconds"][0] > 0


def test_benchmark_leaves_nothing_behind(run):
    result, out = run
    assert result.returncode == 0, result.stderr
    assert list(out.iterdir()) == []

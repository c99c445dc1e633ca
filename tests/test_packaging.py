"""pyproject.toml and environment.yml must ask for the same packages."""

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _norm(requirement: str) -> str:
    return re.sub(r"\s+", "", requirement).lower()


def test_environment_yml_lists_the_same_packages_as_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = {_norm(r) for r in project["dependencies"] + project["optional-dependencies"]["test"]}
    text = (ROOT / "environment.yml").read_text()
    pip_section = text.split("- pip:", 1)[1]
    listed = {_norm(m) for m in re.findall(r"^\s+- (.+)$", pip_section, flags=re.M) if not m.startswith("-e")}
    assert listed == wanted, f"only in environment.yml: {listed - wanted}; only in pyproject: {wanted - listed}"


def test_environment_yml_installs_the_package_itself_with_its_test_extra():
    assert re.search(r"^\s+- -e \.\[test\]\s*$", (ROOT / "environment.yml").read_text(), flags=re.M)


def test_the_shipped_classifier_weights_are_package_data():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "assets/*.pt" in pyproject["tool"]["setuptools"]["package-data"]["gan_course"]
    assert (ROOT / "gan_course" / "assets" / "classifier.pt").stat().st_size > 100_000


def test_the_shipped_runs_are_package_data():
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["gan_course"]
    package = ROOT / "gan_course"
    covered = {p for pattern in patterns for p in package.glob(pattern) if p.is_file()}
    runs = [p for p in (package / "assets" / "runs").rglob("*") if p.is_file()]
    assert len(runs) >= 25 and not set(runs) - covered, f"not package data: {sorted(set(runs) - covered)}"


def test_every_file_the_scheduler_starts_first_exists():
    """conftest's LONGEST_FIRST and LAST order xdist's files by name: a renamed file would silently fall in between."""
    import importlib.util
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    spec = importlib.util.spec_from_file_location("tests_conftest", root / "tests" / "conftest.py")
    conftest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conftest)  # by path: under xdist, `import conftest` can find tests/browser's
    named = conftest.LONGEST_FIRST + conftest.LAST
    assert [p for p in named if not (root / p).is_file()] == []

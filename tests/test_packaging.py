"""A Space installs requirements.txt, a laptop pyproject.toml: both must ask for the same packages."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from packaging.requirements import Requirement  # pytest's own dependency
from packaging.specifiers import SpecifierSet

tomllib = pytest.importorskip("tomllib")  # Python 3.11+
REPO = Path(__file__).resolve().parents[1]


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["project"]


def _front_matter() -> str:
    readme = (REPO / "README.md").read_text()
    assert readme.startswith("---\n"), "README.md must open with the Space's front matter"
    return readme.split("---")[1]


def _front_value(key: str) -> str:
    match = re.search(rf'^{key}: "?([^"\n]+)"?$', _front_matter(), re.MULTILINE)
    assert match, f"README.md's front matter has no {key}"
    return match.group(1).strip()


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_space_requirements_match_the_package_dependencies_except_gradio() -> None:
    package = {_name(r): r.replace(" ", "") for r in _project()["dependencies"]}
    lines = [line.strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    space = {_name(line): line.replace(" ", "") for line in lines if line and not line.startswith(("#", "-"))}
    assert "gradio" not in space  # a Space takes gradio from README's sdk_version
    assert space == {name: spec for name, spec in package.items() if name != "gradio"}


def test_space_front_matter_runs_app_py_on_the_gradio_and_python_the_package_allows() -> None:
    assert _front_value("sdk") == "gradio" and _front_value("app_file") == "app.py"
    gradio = next(Requirement(r) for r in _project()["dependencies"] if _name(r) == "gradio")
    assert gradio.specifier.contains(_front_value("sdk_version")), \
        f"the Space's sdk_version {_front_value('sdk_version')} is outside pyproject's {gradio}"
    python = SpecifierSet(_project()["requires-python"])
    assert python.contains(_front_value("python_version")), \
        f"the Space's python_version {_front_value('python_version')} is outside requires-python {python}"

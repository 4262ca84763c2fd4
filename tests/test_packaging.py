"""A Space installs requirements.txt, a laptop pyproject.toml: both must ask for the same packages."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11+
REPO = Path(__file__).resolve().parents[1]


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~\[; ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_space_requirements_match_the_package_dependencies_except_gradio() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    package = {_name(r): r.replace(" ", "") for r in project["dependencies"]}
    lines = [line.strip() for line in (REPO / "requirements.txt").read_text().splitlines()]
    space = {_name(line): line.replace(" ", "") for line in lines if line and not line.startswith(("#", "-"))}
    assert "gradio" not in space  # a Space takes gradio from README's sdk_version
    assert space == {name: spec for name, spec in package.items() if name != "gradio"}


def test_space_front_matter_pins_the_gradio_the_package_allows() -> None:
    readme = (REPO / "README.md").read_text()
    front = readme.split("---")[1]
    assert readme.startswith("---\n") and "sdk: gradio" in front and "app_file: app.py" in front
    version = re.search(r'sdk_version: "?([\d.]+)"?', front).group(1)
    major, minor = (int(x) for x in version.split(".")[:2])
    assert major == 6 and minor >= 22  # pyproject: gradio>=6.22,<7

"""The classroom load benchmark in a short form: a few students explore while two train, on a real server.

Nothing is timed strictly (CI machines are noisy): every request must succeed, both training
streams must keep sending updates while the students explore, and the server must survive.
The full benchmark and its figures: `python benchmarks/classroom_load.py`, docs/performance.md (A class of 30).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.timeout(400)
def test_a_small_class_gets_every_answer_while_two_students_keep_training(tmp_path: Path, mnist_root: Path) -> None:
    out = tmp_path / "load.json"
    subprocess.run([sys.executable, str(REPO / "benchmarks" / "classroom_load.py"), "--students", "5",
                    "--seconds", "8", "--cpu-window", "0", "--after", "2", "--nearest-samples", "0",
                    "--json", str(out)], check=True, timeout=380, cwd=REPO,
                   env={**os.environ, "GAN_EXPLORER_DATA": str(mnist_root)})
    report = json.loads(out.read_text())
    assert report["error_count"] == 0, report["errors"]
    assert report["served"]["/generate"] > 0 and report["served"]["/interpolate"] > 0
    assert all(n >= 2 for n in report["train_updates"]), f"a training stream went quiet: {report}"
    assert report["server_alive"]

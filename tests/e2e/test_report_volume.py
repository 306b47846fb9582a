"""`ops-perf report -o` onto another filesystem (a mounted volume): issue 15 item 6.

A real tmpfs mounted by the test (root only; skipped with the reason elsewhere), so that a rename
between the report's temporary folder and its destination would cross filesystems as it did
("Invalid cross-device link")."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fixtures_report.synth import basic_run, write_run

pytestmark = pytest.mark.e2e


@pytest.fixture
def volume(tmp_path: Path):
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root and mount(8)")
    mount_point = tmp_path / "volume"
    mount_point.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount_point)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_report_is_written_onto_a_mounted_volume(tmp_path: Path, volume: Path) -> None:
    assert os.stat(volume).st_dev != os.stat(tmp_path).st_dev, "the volume is not another filesystem"
    prefix = write_run(tmp_path / "results", basic_run("stg-baseline"))
    for out in (volume, volume / "sub"):  # the mount point itself, and a new folder on it
        done = subprocess.run(
            [sys.executable, "-m", "ops_perf", "report", str(prefix), "-o", str(out)],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert (out / "PERFORMANCE_REPORT.md").is_file() and (out / "charts").is_dir()
        assert not [p for p in out.iterdir() if p.name.startswith(".")], "the temporary folder is left behind"

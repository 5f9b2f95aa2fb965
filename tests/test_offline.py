"""A chapter executes with the network cut: nothing in lib, JAX or the kernel downloads."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OFFLINE = ROOT / "tools" / "offline.sh"


def network_can_be_cut() -> bool:
    """Whether this system lets us run a command in a new network namespace (tools/offline.sh)."""
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    try:
        probe = subprocess.run(["unshare", "-n", "sh", "-c", "ip link set lo up"], capture_output=True,
                               timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


@pytest.mark.slow
@pytest.mark.skipif(not network_can_be_cut(), reason="no network namespaces on this system")
def test_worked_example_executes_without_network(tmp_path):
    jupytext = Path(sys.executable).parent / "jupytext"
    output = tmp_path / "worked-example.ipynb"
    # The probe inside proves the namespace really has no route out.
    probe = subprocess.run([str(OFFLINE), sys.executable, "-c",
                            "import socket; socket.create_connection(('pypi.org', 443), timeout=3)"],
                           capture_output=True, text=True)
    assert probe.returncode != 0, "the network was not cut"
    result = subprocess.run([str(OFFLINE), str(jupytext), "--to", "ipynb", "--execute",
                             str(ROOT / "chapters" / "worked-example.md"), "-o", str(output)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    assert '"output_type": "error"' not in output.read_text()


def test_probe_says_no_without_running_unshare_where_it_is_missing(monkeypatch):
    def must_not_run(*args, **kwargs):
        raise AssertionError("unshare was run although it is not installed")

    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(subprocess, "run", must_not_run)
    assert network_can_be_cut() is False

"""Killed exports leave nothing the next run does not remove: a process killed (SIGKILL) while
it writes a package leaves its hidden partial, and the next export into that folder removes it,
while the partial of an export still running is left alone."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from archiver.cli import main
from archiver.fileio import TEMP_PREFIX

PEER_WACZ = Path(__file__).parents[1].parent / "shared" / "peer-wacz"

# an export's writing, in a process of its own: killed halfway, or held open until told
WRITER = """
import os, signal, sys
from pathlib import Path
from archiver.exchange.output import new_file, new_folder
out, kind, end = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
with (new_file if kind == "file" else new_folder)(out) as tmp:
    if kind == "file":
        tmp.write_bytes(b"a partial package " * 50_000)
    else:
        (tmp / "data").mkdir()
        (tmp / "data" / "text.txt").write_bytes(b"a partial bag")
    if end == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    print("writing", flush=True)
    sys.stdin.read()
"""


def write(out: Path, kind: str, end: str) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(out), kind, end], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    if end == "kill":
        proc.wait(timeout=60)
        assert proc.returncode == -9
    else:
        assert proc.stdout is not None and proc.stdout.readline() == "writing\n"
    return proc


def partials(folder: Path) -> list[str]:
    return sorted(p.name.split("-", 3)[-1] for p in folder.iterdir()
                  if p.name.startswith(TEMP_PREFIX))


@pytest.fixture
def root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A collection holding one real package imported (ArchiveWeb.page's)."""
    root = tmp_path / "col"
    assert main(["init", "--root", str(root)]) == 0
    assert main(["import", str(PEER_WACZ / "rwp-example.wacz"), "--root", str(root),
                 "--url", "https://webrecorder.net/"]) == 0
    capsys.readouterr()
    return root


@pytest.mark.parametrize(("export", "killed"), [("wacz", "file"), ("wacz", "folder"),
                                                ("bagit", "file"), ("bagit", "folder")])
def test_the_next_export_removes_what_a_killed_one_left(root: Path, tmp_path: Path,
                                                        export: str, killed: str,
                                                        capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    running = write(out / "running.wacz", "file", "hold")  # each run sweeps first
    write(out / "killed", killed, "kill")  # and leaves the running one's
    assert partials(out) == ["killed", "running.wacz"]
    target = out / ("new.wacz" if export == "wacz" else "new-bag")
    code = main(["export", export, str(target), "--root", str(root)])
    assert code == 0, capsys.readouterr().err
    # the killed run's partial is gone; the running one's is still being written
    assert partials(out) == ["running.wacz"]
    running.communicate("", timeout=60)
    assert running.returncode == 0
    assert partials(out) == [] and (out / "running.wacz").stat().st_size == 900_000
    assert sorted(p.name for p in out.iterdir()) == sorted(["running.wacz", target.name])


def test_a_file_named_like_a_partial_but_held_is_kept(tmp_path: Path) -> None:
    """A lock, not a name, marks a partial as abandoned: a held one is never removed, a
    name that is not an export's partial never looked at."""
    from archiver.exchange.output import remove_leftovers

    held = write(tmp_path / "held.wacz", "folder", "hold")
    other = tmp_path / f"{TEMP_PREFIX}not-hex-notes.txt"
    other.write_text("mine")
    assert remove_leftovers(tmp_path) == []
    held.communicate("", timeout=60)
    assert other.read_text() == "mine" and (tmp_path / "held.wacz" / "data").is_dir()

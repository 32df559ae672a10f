"""The quick start runs as written: ``examples/quickstart.sh`` runs every command the quick start
shows, offline (examples/site on 127.0.0.1, the TSA of examples/tsa.py), and what they print
is what the quick start shows, once the few things that differ from run to run are replaced:

- the folder the session runs in -> ``/tmp/qs`` (the quick start shows that folder);
- the port after ``127.0.0.1:`` -> ``PORT`` (the test takes free ports);
- UUIDs -> ``<uuid>`` (WARC record ids);
- date-times, ISO (``2026-12-03T13:13:32+00:00``, ``2026-12-03 13:13:32,518``), compact
  (``20261203T131332Z``) or WARC-style 14 digits -> ``<time>``; dates -> ``<date>``;
- runs of 8 or more hex digits -> ``<hex>`` (sha256 digests, fingerprints, ids made of hashes);
- ``N bytes`` -> ``<n> bytes`` (sizes change with the times and ports written into the WARCs).

Anything else that differs fails, with a diff of the quick start against the transcript."""

from __future__ import annotations

import difflib
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "quickstart.sh"
# Where the quick start is written: the page, and its section (None: the whole page).
QUICKSTART = (ROOT / "docs" / "quickstart.md", None)
# The README's short version: its commands, in order, are the quick start's, and what output it
# shows is the quick start's too.
README_QUICKSTART = (ROOT / "README.md", "## Quick start")
SHOWN_FOLDER = "/tmp/qs"

_NORMALISE = [
    (re.compile(r"\burn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"),
     "urn:uuid:<uuid>"),
    (re.compile(r"\b127\.0\.0\.1:\d+\b"), "127.0.0.1:PORT"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:\d{2})?"),
     "<time>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "<date>"),
    (re.compile(r"\b\d{8}T\d{6}Z\b"), "<time>"),
    (re.compile(r"(?<![0-9a-f])\d{14}(?![0-9a-f])"), "<time>"),
    (re.compile(r"(?<![0-9A-Za-z])[0-9a-f]{8,}(?![0-9a-z])"), "<hex>"),
    (re.compile(r"\b\d+ bytes\b"), "<n> bytes"),
]


def normalise(line: str, folder: str | None = None) -> str:
    """``line`` with what changes from run to run replaced (the module's docstring lists it)."""
    if folder:
        line = line.replace(folder, SHOWN_FOLDER)
    for pattern, replacement in _NORMALISE:
        line = pattern.sub(replacement, line)
    return line.rstrip()


def session(lines: list[str]) -> list[tuple[str, list[str]]]:
    """Console lines as (command, output lines): a line starting ``$ `` is a command (going on
    to the next line while it ends with ``\\``); the lines after it, its output."""
    steps: list[tuple[str, list[str]]] = []
    continued = False
    for line in lines:
        if continued:
            command, output = steps[-1]
            steps[-1] = (command + "\n" + line, output)
            continued = line.endswith("\\")
        elif line.startswith("$ "):
            steps.append((line[2:], []))
            continued = line.endswith("\\")
        elif steps:
            steps[-1][1].append(line)
    return [(command, _trim(output)) for command, output in steps]


def _trim(output: list[str]) -> list[str]:
    while output and not output[-1].strip():
        output.pop()
    return output


def shown_session(where: tuple[Path, str | None] = QUICKSTART) -> list[tuple[str, list[str]]]:
    """The commands and output of the quick start's ``console`` blocks, in order."""
    page, heading = where
    text = page.read_text(encoding="utf-8")
    if heading is not None:
        assert heading in text.splitlines(), f"{page.name} has no section {heading!r}"
        text = text.split(heading + "\n", 1)[1]
        text = re.split(r"^## ", text, maxsplit=1, flags=re.MULTILINE)[0]
    blocks = re.findall(r"^```console\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)
    return session([line for block in blocks for line in block.splitlines()])


def render(steps: list[tuple[str, list[str]]], folder: str | None = None) -> list[str]:
    """Steps as normalised console lines, one list to diff."""
    lines: list[str] = []
    for command, output in steps:
        lines += [normalise("$ " + part, folder) for part in command.split("\n")]
        lines += [normalise(line, folder) for line in output]
    return lines


def _free_ports() -> tuple[int, int]:
    """Two different ports on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as first, socket.socket() as second:
        first.bind(("127.0.0.1", 0))
        second.bind(("127.0.0.1", 0))
        return first.getsockname()[1], second.getsockname()[1]


def test_the_normalisations_keep_what_matters() -> None:
    """What a normalisation replaces is only what changes from run to run."""
    assert normalise("sealed 2 source(s) as seals/000001-20261203T131332Z") == \
        "sealed 2 source(s) as seals/000001-<time>"
    assert normalise("at 2026-12-03T13:13:32+00:00, root sha256:0491d81d78344d6cc94c") == \
        "at <time>, root sha256:<hex>"
    assert normalise("corpus/u/u-20261203123232-774926b0.warc.gz#<urn:uuid:"
                     "753068fa-1640-43d1-ab07-cec206a9f298>") == \
        "corpus/u/u-<time>-<hex>.warc.gz#<urn:uuid:<uuid>>"
    assert normalise("/tmp/x/qs/home/.config", "/tmp/x/qs") == "/tmp/qs/home/.config"
    assert normalise("published 2026-12-03, 2 bytes") == "published <date>, <n> bytes"
    # counts, ids and words stay as they are
    assert normalise("2 sources: 1 errors, 2 warnings, 0 accepted") == \
        "2 sources: 1 errors, 2 warnings, 0 accepted"
    assert normalise("accepted duplicate-line at corpus/001_ccd05f44f5e742bf.txt:8") == \
        "accepted duplicate-line at corpus/001_<hex>.txt:8"
    assert normalise("13 file(s) of 46662 bytes in deposit") == \
        "13 file(s) of <n> bytes in deposit"
    assert normalise("payload digests: 2 both") == "payload digests: 2 both"


def test_the_session_reader_joins_continued_commands() -> None:
    steps = session(["$ archiver add a \\", "    --title t", "added a", "", "$ ls", "x"])
    assert steps == [("archiver add a \\\n    --title t", ["added a"]), ("ls", ["x"])]


def test_the_quick_start_runs_as_written(tmp_path: Path) -> None:
    """examples/quickstart.sh prints, command by command, what the quick start shows."""
    venv = Path(sys.prefix)  # the venv running the tests: archiver, bagit.py
    for tool in ("openssl", "unzip"):
        if shutil.which(tool) is None:
            message = f"{tool} is not installed; the quick start needs it"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
    folder = tmp_path / "qs"
    site_port, tsa_port = _free_ports()
    env = {**os.environ, "QUICKSTART_DIR": str(folder), "QUICKSTART_VENV": str(venv),
           "QUICKSTART_SITE_PORT": str(site_port), "QUICKSTART_TSA_PORT": str(tsa_port)}
    done = subprocess.run(["bash", str(SCRIPT)], env=env, capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    shown = render(shown_session())
    printed = render(session(done.stdout.splitlines()), str(folder.resolve()))
    assert len(shown) > 50, "the quick start shows almost nothing"
    diff = "\n".join(difflib.unified_diff(shown, printed, "quick start (shown)",
                                          "examples/quickstart.sh (printed)", lineterm=""))
    assert shown == printed, "the quick start's output is not what its commands print:\n" + diff
    # the script's servers are gone with it
    for port in (site_port, tsa_port):
        with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), 1):
            pass


def test_the_readme_shows_the_quick_start_in_short() -> None:
    """Each command of the README's short quick start is one of the full quick start's, in
    the same order; where the README shows its output, it is the full quick start's."""
    full = [(normalise(c), [normalise(line) for line in out]) for c, out in shown_session()]
    short = shown_session(README_QUICKSTART)
    assert len(short) >= 8, "the README's quick start shows almost nothing"
    at = 0
    for command, output in short:
        command, output = normalise(command), [normalise(line) for line in output]
        found = next((i for i in range(at, len(full)) if full[i][0] == command), None)
        assert found is not None, f"not in the quick start (or out of order): $ {command}"
        assert output in ([], full[found][1]), f"$ {command} prints otherwise:\n" + "\n".join(
            difflib.unified_diff(full[found][1], output, "quick start", "README", lineterm=""))
        at = found + 1


def test_the_tsa_names_a_busy_port(tmp_path: Path) -> None:
    """examples/tsa.py on a port that is taken says so in one line, exit 2, and writes no CA."""
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, str(ROOT / "examples" / "tsa.py"), "--port",
                               str(port), "--ca-out", str(tmp_path / "ca.pem")],
                              capture_output=True, text=True, timeout=120)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == f"tsa.py: cannot serve on 127.0.0.1:{port}: Address already in use\n"
    assert not list(tmp_path.iterdir())

"""jwarc's own WARC validator (``ValidateTool``, vendored in tests/vendor/jwarc), compiled once
per test session and run on a file."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

SOURCES = Path(__file__).parent / "vendor" / "jwarc"
MAIN = "org.netpreserve.jwarc.tools.ValidateTool"
# ValidateTool -v: each record's line, then its log lines indented by four spaces
_RECORD = re.compile(r"^(?:\S+: )?  offset (\d+) \(length \d+\) (\S+) (.*)$")


@dataclass(frozen=True)
class Record:
    """One record as jwarc's validator reported it."""

    offset: int
    type: str
    content_type: str
    log: tuple[str, ...]  # what it checked and said, "payload digest pass", "ERROR: ..."


@dataclass(frozen=True)
class Verdict:
    """What ``ValidateTool -v FILE`` said: its exit code, its records and its stderr."""

    code: int
    records: tuple[Record, ...]
    stderr: str

    @property
    def errors(self) -> list[str]:
        """Every ERROR line it logged, in a record or on stderr."""
        return [line for record in self.records for line in record.log
                if line.startswith("ERROR")] + [line for line in self.stderr.splitlines()
                                                if line.strip()]


@dataclass(frozen=True)
class Jwarc:
    """jwarc's classes, compiled, and the java that runs them."""

    java: str
    classes: Path

    def validate(self, warc: Path, *options: str) -> Verdict:
        """Run jwarc's validator, verbose (it logs every check it made), on ``warc``."""
        done = subprocess.run([self.java, "-cp", str(self.classes), MAIN, "-v", "-j", "1",
                               *options, str(warc)], capture_output=True, text=True,
                              timeout=120)
        return Verdict(done.returncode, _records(done.stdout), done.stderr)


def _records(stdout: str) -> tuple[Record, ...]:
    records: list[Record] = []
    for line in stdout.splitlines():
        if match := _RECORD.match(line):
            records.append(Record(int(match[1]), match[2], match[3], ()))
        elif line.startswith("    ") and records:
            last = records[-1]
            records[-1] = Record(last.offset, last.type, last.content_type,
                                 (*last.log, line.strip()))
    return tuple(records)


@pytest.fixture(scope="session", name="jwarc")
def jwarc_fixture(tmp_path_factory: pytest.TempPathFactory) -> Jwarc:
    """jwarc's validator compiled from its vendored sources into a session tmpdir; skips only
    when no JDK is installed outside CI (under CI it must be: .ci/run installs one)."""
    javac, java = shutil.which("javac"), shutil.which("java")
    if javac is None or java is None:
        if os.environ.get("CI"):
            pytest.fail("no JDK is installed (apt-get install default-jdk-headless); CI must "
                        "run jwarc's validator")
        pytest.skip("no JDK is installed (javac, java)")
    classes = tmp_path_factory.mktemp("jwarc-classes")
    sources = sorted(str(path) for path in SOURCES.rglob("*.java"))
    subprocess.run([javac, "-nowarn", "-encoding", "UTF-8", "-d", str(classes), *sources],
                   check=True, capture_output=True, timeout=300)
    return Jwarc(java, classes)

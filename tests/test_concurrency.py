"""Overlapping runs in real processes: the collection lock, a killed run's leftovers, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from archiver.capture.pages import source_id_for
from archiver.cli import main
from archiver.collection import Collection
from archiver.fidelity.extract import extract
from archiver.manifest import load_manifest
from tests.conftest import Site
from tests.test_originals import PAGE as ORIGINAL

REPO = Path(__file__).resolve().parents[1]
PAGE = """<!DOCTYPE html><html lang="en"><head><title>Page {n}</title></head><body>
<article><h1>Page {n} of the series</h1>
<p>The council published its decision on the {n}th day, according to
<a href="https://example.org/decision-{n}">the decision</a>, after a long debate.</p>
<p>Residents said the ruling would change how the market square is used on weekends.</p>
</article></body></html>"""


def archiver(*argv: str) -> subprocess.Popen[str]:
    """``archiver ARGV`` in its own process (and process group), output captured."""
    return subprocess.Popen([sys.executable, "-m", "archiver", *argv], cwd=REPO, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)


def hold(root: Path, script: str) -> subprocess.Popen[str]:
    """Run ``script`` under the collection's write lock in another process; return once it
    holds the lock (it prints ``held``) and is waiting to be killed."""
    code = ("import sys, time\nfrom pathlib import Path\n"
            "from archiver.collection import Collection\n"
            "c = Collection.open(Path(sys.argv[1]))\n"
            "with c.writing():\n"
            + "".join(f"    {line}\n" for line in script.splitlines())
            + "    print('held', flush=True)\n    time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code, str(root)], cwd=REPO, text=True,
                            stdout=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def kill9(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGKILL)
    proc.wait()


@contextmanager
def held_elsewhere(root: Path) -> Iterator[None]:
    """Another process holds the collection's write lock meanwhile (this process's own lock
    is re-entrant, so it cannot stand in for another run)."""
    holder = hold(root, "pass")
    try:
        yield
    finally:
        kill9(holder)


def verify_json(root: Path, capsys: pytest.CaptureFixture[str], *extra: str
                ) -> tuple[int, dict]:
    code = main(["verify", "--root", str(root), "--format", "json", "--jobs", "1", *extra])
    return code, json.loads(capsys.readouterr().out)



def collection_findings(report: dict) -> list[dict]:
    """The collection's findings but ``unsealed``: no collection here is sealed
    (tests/test_custody.py makes that warning fire)."""
    return [f for f in report["collection"]["findings"] if f["code"] != "unsealed"]

def codes(report: dict) -> list[str]:
    found = collection_findings(report) + [f for d in report["documents"]
                                                for f in d["findings"]]
    return sorted(f["code"] for f in found if f["severity"] == "error")


def pages(site: Site, prefix: str, count: int, delay: float = 0.0) -> list[str]:
    return [site.add(f"{prefix}/{n}", PAGE.format(n=n), delay=delay) for n in range(count)]


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return Collection.init(tmp_path / "col").root


def test_two_captures_of_the_same_urls_lose_nothing(root: Path, http_site: Site, capsys
                                                    ) -> None:
    for round_ in range(2):
        urls = pages(http_site, f"/both/{round_}", 5, delay=0.02)
        first, second = (archiver("capture", *urls, "--root", str(root), "--allow-private",
                                  "--jobs", "2") for _ in range(2))
        results = [(p.wait(), *p.communicate()) for p in (first, second)]
        # both download; each page is committed by one run, and refused by the other as
        # existing (whichever commits first takes the id)
        assert all(code in (0, 1) for code, _, _ in results)
        errs = "".join(err for _, _, err in results)
        assert errs.count("already exists") == 5 and "Traceback" not in errs
        outs = "".join(out for _, out, _ in results)
        assert sorted(line.split(":")[0] for line in outs.splitlines()) == sorted(
            map(source_id_for, urls))
        code, report = verify_json(root, capsys)
        assert code == 0 and codes(report) == []
        for sid in map(source_id_for, urls):
            for entry in load_manifest(root / f"manifests/{sid}.json").files:
                assert (root / entry.path).is_file()


def test_verify_during_a_slow_capture_answers_at_once(root: Path, http_site: Site, capsys
                                                      ) -> None:
    """A capture downloads outside the collection's lock: verify, run with --wait 0 while a
    page is still downloading, is not kept waiting and sees the committed state whole."""
    urls = pages(http_site, "/during", 3, delay=0.1) + pages(http_site, "/during-slow", 1,
                                                             delay=30)
    capture = archiver("capture", *urls, "--root", str(root), "--allow-private", "--jobs", "1",
                       "--timeout", "60")
    try:
        while not any(path.startswith("/during-slow/") for path, _ in http_site.requests):
            time.sleep(0.01)
        code, report = verify_json(root, capsys, "--wait", "0")
        assert capture.poll() is None  # the slow page is still downloading
        assert code == 0 and codes(report) == [] and collection_findings(report) == []
        assert len(report["documents"]) == 3  # the committed captures, each whole
    finally:
        capture.send_signal(signal.SIGINT)
        capture.communicate(timeout=20)


def test_a_second_writer_waits_then_says_busy(root: Path, tmp_path: Path, capsys) -> None:
    text = tmp_path / "t.txt"
    text.write_text("A text.")
    holder = hold(root, "pass")
    try:
        code = main(["add", str(text), "--url", "https://e.org/t", "--root", str(root),
                     "--wait", "0.2"])
        err = capsys.readouterr().err
        assert code == 2
        assert err == (f"archiver: {root}: waiting for another archiver run to finish "
                       "(at most 0.2 s)\n"
                       f"archiver: {root}: collection is busy: another archiver run has held "
                       "its lock for 0.2 s; try again later\n")
        assert main(["verify", "--root", str(root), "--wait", "0"]) == 2
        assert "collection is busy" in capsys.readouterr().err
    finally:
        kill9(holder)
    # SIGKILL ends the holder's lock with it
    assert main(["add", str(text), "--url", "https://e.org/t", "--root", str(root),
                 "--wait", "0"]) == 0


def test_a_killed_captures_leftovers_are_rolled_back(root: Path, http_site: Site, capsys
                                                      ) -> None:
    [url] = pages(http_site, "/killed", 1)
    sid = source_id_for(url)
    kill9(hold(root, f"s = c.staging().__enter__()\n"
                     f"s.write('corpus/{sid}.txt', [b'half a capture'])\n"
                     f"s.write('corpus/{sid}/{sid}-1.warc.gz', [b'WARC/1.1'])\n"
                     "open(c.corpus_dir / '.archiver-tmp-0123', 'wb').write(b'torn')"))
    code, report = verify_json(root, capsys)
    assert code == 0 and {f["code"] for f in collection_findings(report)} == {"temp-file"}
    assert main(["capture", url, "--root", str(root), "--allow-private"]) == 0
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"archiver: {root}: rolled back an interrupted run "
                             "(corpus/.archiver-tmp-journal-")
    assert err[0].endswith("): removed 2 unrecorded file(s)")
    assert err[1] == f"archiver: {root}: removed corpus/.archiver-tmp-0123, left by an " \
                     "interrupted write"
    code, report = verify_json(root, capsys)
    assert code == 0 and collection_findings(report) == []
    assert b"half a capture" not in (root / f"corpus/{sid}.txt").read_bytes()


def repairable(root: Path, site: Site) -> tuple[str, int]:
    """Add a text whose one link target was lost, and capture its page; return the source id
    and the placeholder's line."""
    url = site.add(f"/repair/{root.parent.name}", ORIGINAL)
    damaged = extract(ORIGINAL.encode(), url).text.replace(
        "](" + site.url("/docs/annex.pdf") + ")", "](#)")
    text = root.parent / "received.txt"
    text.write_text(damaged, encoding="utf-8")
    assert main(["add", str(text), "--root", str(root), "--url", url]) == 0
    assert main(["capture", "--pending", "--root", str(root), "--allow-private"]) == 0
    line = next(n for n, s in enumerate(damaged.split("\n"), 1) if "(#)" in s)
    return "received", line


def test_a_killed_repairs_leftovers_never_block_the_next(root: Path, http_site: Site, capsys
                                                          ) -> None:
    sid, _ = repairable(root, http_site)
    kill9(hold(root, f"s = c.staging().__enter__()\n"
                     f"s.write('corpus/{sid}.v2.txt', [b'half a repair'])"))
    capsys.readouterr()
    assert main(["repair", sid, "--apply", "--root", str(root)]) == 0
    assert "rolled back an interrupted run" in capsys.readouterr().err
    assert load_manifest(root / f"manifests/{sid}.json").text.path == f"corpus/{sid}.v2.txt"
    _, report = verify_json(root, capsys)  # exit 1: the received text's other damage
    assert collection_findings(report) == []
    assert not {"file-missing", "hash-mismatch", "file-unreferenced"} & set(codes(report))


def test_repair_and_accept_together_lose_no_update(root: Path, http_site: Site, capsys
                                                    ) -> None:
    sid, line = repairable(root, http_site)
    repair = archiver("repair", sid, "--apply", "--root", str(root))
    accept = archiver("accept", sid, "link-placeholder", "--line", str(line), "--reason",
                      "reviewed", "--root", str(root))
    (repaired, _, repair_err), (accepted, _, accept_err) = (
        (p.wait(), *p.communicate()) for p in (repair, accept))
    assert repaired == 0, repair_err
    manifest = load_manifest(root / f"manifests/{sid}.json")
    assert manifest.history[-1].action == "repaired"
    # the acceptance came first and is kept, or came after the repair had removed its finding
    if accepted == 0:
        assert [a.code for a in manifest.accepted] == ["link-placeholder"]
    else:
        assert accepted == 2 and "no link-placeholder finding" in accept_err
        assert manifest.accepted == []


def test_ctrl_c_during_capture_is_one_line_exit_130(root: Path, http_site: Site, capsys
                                                    ) -> None:
    """Ctrl-C stops downloads in flight at once (not when --timeout runs out: the server
    here answers after 30 s, and the capture would wait 60)."""
    urls = pages(http_site, "/interrupt", 2, delay=0.05) + pages(http_site, "/interrupt-slow",
                                                                 2, delay=30)
    capture = archiver("capture", *urls, "--root", str(root), "--allow-private", "--jobs", "4",
                       "--timeout", "60")
    while sum(path.startswith("/interrupt-slow/") for path, _ in http_site.requests) < 2:
        time.sleep(0.01)
    os.killpg(capture.pid, signal.SIGINT)  # what a terminal's Ctrl-C does, workers included
    _, err = capture.communicate(timeout=20)  # well before the slow pages could answer
    assert capture.returncode == 130
    assert err == "archiver: interrupted\n"
    # captures in flight either committed whole or left nothing
    code, report = verify_json(root, capsys)
    assert code == 0 and codes(report) == [] and collection_findings(report) == []


def test_a_capture_killed_mid_run_then_rerun(root: Path, http_site: Site, capsys) -> None:
    urls = pages(http_site, "/kill9", 2) + pages(http_site, "/kill9-slow", 2, delay=3.0)
    capture = archiver("capture", *urls, "--root", str(root), "--allow-private", "--jobs", "1")
    while len(list((root / "manifests").glob("*.json"))) < 2:
        time.sleep(0.01)
    kill9(capture)
    code = main(["capture", *urls, "--root", str(root), "--allow-private", "--wait", "5"])
    err = capsys.readouterr().err
    assert code == 1 and err.count("already exists") == 2 and "Traceback" not in err
    code, report = verify_json(root, capsys)
    assert code == 0 and codes(report) == [] and len(report["documents"]) == 4
    assert collection_findings(report) == []

"""verify against archived originals: WARC integrity, manifest cross-checks, fidelity, cache;
and the capture, repair and check-warc commands end to end, from a real server on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import run
from forge import rechain

from archiver.cache import Cache
from archiver.cli import main
from archiver.fidelity.extract import extract
from archiver.manifest import Extracted, Manifest, load_manifest, save_manifest

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Council adopts resolution on water rights</title></head><body>
<nav><a href="/">Home</a> <a href="/news">News</a> <a href="/annex-nav">the annex</a></nav>
<article><h1>Council adopts resolution on water rights</h1>
<p>The Human Rights Council adopted a resolution on Tuesday that recognises access to clean
water as a human right, after three weeks of negotiations between delegations.</p>
<p>“This is a turning point for millions of people,” said the rapporteur, who presented
<a href="/docs/annex.pdf">the annex</a> with the full list of commitments to the council.</p>
<p>Several states abstained, arguing that the text went beyond what had been agreed in the
preparatory meetings held in Geneva earlier this year.</p>
</article><footer>Copyright 2024. <a href="/privacy">Privacy</a></footer></body></html>"""


def verify_json(capsys, root: Path, *extra: str) -> tuple[int, dict]:
    code, out, _ = run(capsys, "verify", "--root", str(root), "--format", "json", "--jobs", "1",
                       *extra)
    return code, json.loads(out)


def found(report: dict) -> set[tuple[str, str | None, int | None]]:
    return {(f["code"], f["path"], f["line"]) for d in report["documents"]
            for f in d["findings"]}


@pytest.fixture
def captured(tmp_path: Path, http_site, capsys) -> tuple[Path, str]:
    """A collection with one source captured from a local page; returns (root, source id)."""
    root = tmp_path / "col"
    run(capsys, "init", "--root", str(root))
    url = http_site.add("/orig/page", PAGE)
    code, out, err = run(capsys, "capture", url, "--root", str(root), "--allow-private")
    assert code == 0, err
    [source_id] = [p.stem for p in (root / "manifests").glob("*.json")]
    assert out.startswith(f"{source_id}: captured {url} (HTTP 200)")
    return root, source_id


def test_a_fresh_capture_verifies_with_full_fidelity(captured, capsys) -> None:
    root, _ = captured
    code, report = verify_json(capsys, root)
    assert code == 0
    [doc] = report["documents"]
    assert doc["findings"] == [] and doc["status"] == "ok"
    assert doc["fidelity_score"] == 1.0


def test_a_record_id_the_warc_lacks(captured, capsys) -> None:
    root, source_id = captured
    path = root / f"manifests/{source_id}.json"
    manifest = load_manifest(path)
    capture = manifest.captures[0]
    capture.request_record_id = "<urn:uuid:00000000-0000-0000-0000-000000000000>"
    save_manifest(path, manifest)
    code, report = verify_json(capsys, root)
    assert code == 1
    assert ("capture-record-missing", capture.warc_path, None) in found(report)


def test_a_response_that_disagrees_with_the_manifest(captured, capsys) -> None:
    root, source_id = captured
    path = root / f"manifests/{source_id}.json"
    manifest = load_manifest(path)
    capture = manifest.captures[0]
    capture.final_url = "https://elsewhere.example/page"
    capture.payload_digest = "sha256:" + "A" * 52
    save_manifest(path, manifest)
    code, report = verify_json(capsys, root)
    assert code == 1
    messages = [f["message"] for f in report["documents"][0]["findings"]
                if f["code"] == "capture-mismatch"]
    assert len(messages) == 2
    assert "the response is for" in messages[0] and "payload digest" in messages[1]


def test_a_damaged_warc_fails_fixity_and_integrity(captured, capsys) -> None:
    root, source_id = captured
    warc_rel = load_manifest(root / f"manifests/{source_id}.json").captures[0].warc_path
    warc = root / warc_rel
    data = bytearray(warc.read_bytes())
    warc.write_bytes(bytes(data[: len(data) - 40]))  # cut short inside the last record
    code, report = verify_json(capsys, root)
    assert code == 1
    codes = {c for c, p, _ in found(report) if p == warc_rel}
    assert {"hash-mismatch", "warc-truncated"} <= codes


def _record_extractor(root: Path, source_id: str, **fields: str) -> tuple[Path, Manifest]:
    """Rewrite the extractor a real capture's manifest records (``name``, ``version``), as a
    collection made elsewhere or long ago would record it (by an archiver whose history
    entries recorded no state); return the manifest and its path."""
    path = root / f"manifests/{source_id}.json"
    manifest = load_manifest(path)
    assert manifest.text is not None and isinstance(manifest.text.origin, Extracted)
    manifest.text.origin.extractor = manifest.text.origin.extractor.model_copy(update=fields)
    save_manifest(path, manifest)
    data = json.loads(path.read_bytes())
    for entry in data["history"]:
        del entry["state"]
    rechain(data)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path, load_manifest(path)


def test_a_capture_still_gets_a_verdict_after_the_extractor_is_upgraded(captured, capsys
                                                                       ) -> None:
    """A manifest written by a real capture, its extractor version set to one that is not
    installed (as after an upgrade, or on a fresh machine years later)."""
    root, source_id = captured
    _, manifest = _record_extractor(root, source_id, version="0.0.1")
    code, report = verify_json(capsys, root)
    assert code == 0
    [doc] = report["documents"]
    assert doc["findings"] == [] and doc["fidelity_score"] == 1.0
    # damage is still found; what the text lacks is judged with the installed extractor
    text = root / manifest.text.path
    changed = text.read_text(encoding="utf-8").replace(
        "turning point", "small step").replace(
        "The Human Rights Council adopted a resolution on Tuesday that recognises access to "
        "clean water as a human right, after three weeks of negotiations between "
        "delegations.\n", "")
    assert changed.count("\n") == text.read_text(encoding="utf-8").count("\n") - 1
    # changed through the tool (a text changed by hand is history-mismatch)
    changed_file = root.parent / "changed.txt"
    changed_file.write_text(changed, encoding="utf-8")
    assert main(["edit", source_id, "--text", str(changed_file), "--reason", "a misquote",
                 "--root", str(root)]) == 0
    code, report = verify_json(capsys, root)
    assert code == 1
    findings = {f["code"]: f["message"] for f in report["documents"][0]["findings"]}
    assert set(findings) == {"quote-altered", "text-missing"}
    assert "the text was extracted with 0.0.1" in findings["text-missing"]


def test_an_extractor_archiver_cannot_run_leaves_fidelity_unverified(captured, capsys) -> None:
    root, source_id = captured
    _, manifest = _record_extractor(root, source_id, name="readability")
    code, report = verify_json(capsys, root)
    assert code == 0
    [doc] = report["documents"]
    assert [(f["code"], f["path"]) for f in doc["findings"]] == [
        ("fidelity-unverified", manifest.text.path)]
    assert "readability" in doc["findings"][0]["message"]
    assert "fidelity_score" not in doc


def test_an_http_error_is_archived_as_evidence_without_text(tmp_path: Path, http_site, capsys
                                                           ) -> None:
    root = tmp_path / "col"
    run(capsys, "init", "--root", str(root))
    url = http_site.add("/orig/gone", "<html><body><p>Not here</p></body></html>", status=404)
    code, out, err = run(capsys, "capture", url, "--root", str(root), "--allow-private")
    assert code == 0
    assert "(HTTP 404)" in out and "warning capture-http-error" in err
    code, report = verify_json(capsys, root)
    assert code == 0
    assert {c for c, _, _ in found(report)} == {"capture-http-error", "text-not-extracted"}


def test_capture_failure_is_one_line_exit_1_and_writes_nothing(tmp_path: Path, closed_port,
                                                             capsys) -> None:
    root = tmp_path / "col"
    run(capsys, "init", "--root", str(root))
    url = f"http://127.0.0.1:{closed_port}/x"
    code, out, err = run(capsys, "capture", url, "--root", str(root), "--allow-private")
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and err.startswith(f"archiver: {url}: ")
    # the collection's lock file is all that a failed capture leaves
    assert sorted(p.name for p in root.rglob("*")) == [".archiver-lock", "corpus", "manifests"]


def test_capture_refuses_loopback_without_allow_private(tmp_path: Path, http_site, capsys
                                                        ) -> None:
    root = tmp_path / "col"
    run(capsys, "init", "--root", str(root))
    code, _, err = run(capsys, "capture", http_site.add("/orig/p", PAGE), "--root", str(root))
    assert code == 1 and "127.0.0.1" in err
    assert list((root / "manifests").iterdir()) == []


def test_capture_usage_errors(tmp_path: Path, capsys) -> None:
    run(capsys, "init", "--root", str(tmp_path))
    code, _, err = run(capsys, "capture", "--root", str(tmp_path))
    assert code == 2 and "give URLs, or --id ID, or --pending" in err
    code, _, err = run(capsys, "capture", "http://x.invalid/", "--pending", "--root",
                       str(tmp_path))
    assert code == 2


def test_fidelity_cache_is_used_and_keyed_by_hashes(captured, capsys) -> None:
    root, _ = captured
    _, cold = verify_json(capsys, root)
    [(key, saved)] = fidelity_entries(root)
    # A planted cache entry is what a warm run reports: the key, not the content, decides.
    data = json.loads(saved)
    data["score"] = 0.5
    Cache.of(root).put("fidelity", key, json.dumps(data).encode())
    _, warm = verify_json(capsys, root)
    assert warm["documents"][0]["fidelity_score"] == 0.5
    _, fresh = verify_json(capsys, root, "--no-cache")
    assert fresh == cold


@pytest.mark.parametrize("saved", [b"", b'{"findings": [', b'{"score": 1.0}', b"[]"])
def test_unusable_fidelity_cache_entry_is_computed_again(captured, capsys, saved) -> None:
    root, _ = captured
    _, cold = verify_json(capsys, root)
    [(key, _)] = fidelity_entries(root)
    Cache.of(root).put("fidelity", key, saved)
    _, again = verify_json(capsys, root)
    assert again == cold
    assert json.loads(Cache.of(root).get("fidelity", key))["score"] == (
        cold["documents"][0]["fidelity_score"])


def test_cache_overwritten_with_garbage_is_no_cache(captured, capsys) -> None:
    root, _ = captured
    _, cold = verify_json(capsys, root)
    cache = Cache.of(root).path
    assert cache is not None
    cache.write_bytes(b"not a database" * 100)
    for wal in cache.parent.glob("cache.sqlite-*"):
        wal.unlink()
    _, again = verify_json(capsys, root)
    assert again == cold


def test_worker_processes_share_the_cache(captured, http_site, capsys) -> None:
    root, _ = captured
    other = http_site.add("/orig/other", PAGE.replace("Tuesday", "Monday"))
    assert run(capsys, "capture", other, "--root", str(root), "--allow-private")[0] == 0
    _, serial = verify_json(capsys, root, "--no-cache")
    # this process has the cache open when it forks the workers: each opens its own
    _, warm_here = verify_json(capsys, root)
    parallel = [json.loads(run(capsys, "verify", "--root", str(root), "--format", "json",
                               "--jobs", "2", *extra)[1]) for extra in (["--no-cache"], [])]
    assert parallel == [serial, serial] and warm_here == serial
    assert len(fidelity_entries(root)) == 2


def fidelity_entries(root: Path) -> list[tuple[str, bytes | None]]:
    """The fidelity results in the user's cache: keys read with sqlite3 directly, values
    through the cache (which checks their HMAC)."""
    cache = Cache.of(root)
    assert cache.path is not None
    with contextlib.closing(sqlite3.connect(cache.path)) as db:
        keys = db.execute("SELECT key FROM entries WHERE kind = 'fidelity'").fetchall()
    return [(key, cache.get("fidelity", key)) for (key,) in keys]


def test_a_cache_edited_or_planted_by_hand_never_passes_a_misquote(
        tmp_path: Path, http_site, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """The other side clears the cached fidelity findings of a misquoted text, in the
    user's cache or in an old cache left inside the collection: verify still fails it, and
    a copy of the collection verifies the same with or without any cache."""
    url = http_site.add("/orig/quoted", PAGE)
    quoted = extract(PAGE.encode(), url).text.replace("turning point", "small step")
    root = tmp_path / "col"
    run(capsys, "init", "--root", str(root))
    src = tmp_path / "quoted.txt"
    src.write_text(quoted, encoding="utf-8")
    assert run(capsys, "add", str(src), "--root", str(root), "--url", url)[0] == 0
    assert run(capsys, "capture", "--pending", "--root", str(root), "--allow-private")[0] == 0
    code, cold = verify_json(capsys, root)
    assert code == 1 and "quote-altered" in {c for c, _, _ in found(cold)}
    [(key, saved)] = fidelity_entries(root)
    assert saved is not None
    cleared = json.dumps({"findings": [], "score": 1.0}).encode()
    path = Cache.of(root).path
    assert path is not None
    with contextlib.closing(sqlite3.connect(path)) as db:
        [(stored,)] = db.execute("SELECT value FROM entries WHERE key = ?", (key,)).fetchall()
        db.execute("UPDATE entries SET value = ? WHERE key = ?", (stored[:32] + cleared, key))
        db.commit()
    assert verify_json(capsys, root) == (1, cold)
    # an old cache inside the collection, cleared the same way: never read
    legacy = root / ".archiver-cache"
    legacy.mkdir()
    with contextlib.closing(sqlite3.connect(legacy / "cache.sqlite")) as db:
        db.execute("CREATE TABLE entries (kind TEXT NOT NULL, key TEXT NOT NULL, value BLOB "
                   "NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID")
        db.execute("INSERT INTO entries VALUES ('fidelity', ?, ?)", (key, cleared))
        db.commit()
    copy = tmp_path / "copy"
    shutil.copytree(root, copy)
    assert verify_json(capsys, copy) == (1, cold)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "no-cache-yet"))
    assert verify_json(capsys, copy) == (1, cold)
    assert verify_json(capsys, copy, "--no-cache") == (1, cold)
    assert (legacy / "cache.sqlite").stat().st_size == (
        copy / ".archiver-cache" / "cache.sqlite").stat().st_size


def test_received_text_against_its_capture_then_repair(tmp_path: Path, http_site, capsys
                                                       ) -> None:
    """The seeds' workflow: a text received with damage, captured later, verified against
    the original, its lost link restored by repair."""
    url = http_site.add("/orig/received", PAGE)
    original = extract(PAGE.encode(), url).text
    assert "[the annex](" in original
    damaged = original.replace("](" + http_site.url("/docs/annex.pdf") + ")", "](#)")
    damaged = damaged.replace("three weeks", "two weeks")
    damaged = damaged.replace("turning point", "small step")
    assert damaged.count("](#)") == 1
    root = tmp_path / "col"
    run(capsys, "init", "--root", str(root))
    src = tmp_path / "received.txt"
    src.write_text(damaged, encoding="utf-8")
    assert run(capsys, "add", str(src), "--root", str(root), "--url", url)[0] == 0
    code, _, err = run(capsys, "capture", "--pending", "--root", str(root), "--allow-private")
    assert code == 0, err

    code, report = verify_json(capsys, root)
    assert code == 1  # the misquote is an error
    lines = {n: line for n, line in enumerate(damaged.split("\n"), 1)}
    line_of = {key: next(n for n, line in lines.items() if key in line)
               for key in ("two weeks", "small step")}
    findings = found(report)
    assert ("text-altered", "corpus/received.txt", line_of["two weeks"]) in findings
    assert ("quote-altered", "corpus/received.txt", line_of["small step"]) in findings
    assert ("link-placeholder", "corpus/received.txt", line_of["small step"]) in findings
    assert report["documents"][0]["fidelity_score"] < 1.0

    code, out, err = run(capsys, "repair", "received", "--root", str(root))
    assert code == 0, err
    assert f"+{lines[line_of['small step']]}".replace(
        "(#)", "(" + http_site.url("/docs/annex.pdf") + ")") in out
    assert "--apply" in err
    code, _, err = run(capsys, "repair", "received", "--apply", "--root", str(root))
    assert code == 0, err
    manifest = load_manifest(root / "manifests/received.json")
    assert manifest.text is not None and manifest.text.path == "corpus/received.v2.txt"
    assert manifest.history[-1].action == "repaired"
    code, report = verify_json(capsys, root)
    assert not {c for c, _, _ in found(report)} & {"link-placeholder", "hash-mismatch",
                                                   "file-unreferenced"}


def test_check_warc_command(captured, capsys) -> None:
    root, source_id = captured
    warc = root / load_manifest(root / f"manifests/{source_id}.json").captures[0].warc_path
    code, out, _ = run(capsys, "check-warc", str(warc), "--format", "json")
    assert code == 0
    [report] = json.loads(out)
    assert report["verdict"] == "intact"
    assert [r["type"] for r in report["records"]] == ["warcinfo", "request", "response"]
    assert report["records"][2]["payload_digest"] == "verified"
    code, out, _ = run(capsys, "check-warc", str(warc))  # the text form says what it verified
    assert code == 0 and out.strip().endswith(": intact (3 records; payload digests verified: 2 "
                                              "over an unchunked body (every convention agrees))")
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 0xFF
    warc.write_bytes(bytes(data))
    code, out, _ = run(capsys, "check-warc", str(warc))
    assert code == 1 and "damaged" in out
    code, _, err = run(capsys, "check-warc", str(root / "nope.warc"))
    assert code == 2 and err.startswith("archiver: ")

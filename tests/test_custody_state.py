"""A seal tells the truth about today, and every change is recorded or it is an error: a
collection the tool built and sealed, then damaged in the test as someone with write access
would (by hand, or with the library and every hash recomputed), draws its exact finding, the
tool refuses to build on it, and ``seal`` refuses to sign over it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from forge import rechain, tamper

from archiver.collection import Collection
from archiver.custody.check import check_custody
from archiver.custody.seal import seal_dirs
from archiver.fileio import sha256_bytes
from archiver.history import record, walk_states
from archiver.manifest import FieldChange, load_manifest, save_manifest
from archiver.state import state_sha256
from archiver.verify import check_source
from tests import test_custody
from tests.test_custody import run

PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Council told to act</title></head><body><article>
<h1>Council told to act</h1>
<p>The council should address the crisis as a matter of priority, the groups said today in
a joint statement. \u201cWe cannot wait another year,\u201d said the director of the group.</p>
<p>Activists have also started to draw attention to the harassment of communities abroad,
including in the United States and in Europe.</p>
</article></body></html>"""
# the fixture of test_custody: each test's own config folder
config_home = test_custody.config_home

TEXT = "The one text.\n\nIt says \u201cnothing\u201d twice.\n"


@pytest.fixture
def root(tmp_path: Path, capsys: pytest.CaptureFixture[str], http_site) -> Path:
    """A collection of a received text (``one``), a captured page (``page``) and the key
    ``alice``, sealed once."""
    root = tmp_path / "col"
    assert run(capsys, "init", "--root", str(root))[0] == 0
    src = tmp_path / "one.txt"
    src.write_text(TEXT, "utf-8")
    assert run(capsys, "add", str(src), "--root", str(root), "--id", "one",
               "--url", "https://example.org/one")[0] == 0
    url = http_site.add("/custody-state/page", PAGE)
    assert run(capsys, "capture", url, "--root", str(root), "--new-id", "page",
               "--allow-private")[0] == 0
    assert run(capsys, "key", "new", "alice", "--root", str(root))[0] == 0
    assert seal(capsys, root)[0] == 0
    return root


def seal(capsys: pytest.CaptureFixture[str], root: Path) -> tuple[int, str, str]:
    return run(capsys, "seal", "--root", str(root), "--no-timestamp")


def verify(capsys: pytest.CaptureFixture[str], root: Path) -> tuple[int, dict[str, Any], str]:
    code, out, _ = run(capsys, "verify", "--root", str(root), "--format", "json", "--jobs", "1")
    report = json.loads(out)
    return code, report, run(capsys, "verify", "--root", str(root), "--jobs", "1")[1]


def found(report: dict[str, Any]) -> dict[str, list[tuple[str | None, str]]]:
    """code -> sorted [(path, severity)] over every finding of the report."""
    out: dict[str, list[tuple[str | None, str]]] = {}
    every = [f for d in report["documents"] for f in d["findings"]]
    for f in every + report["collection"]["findings"]:
        out.setdefault(f["code"], []).append((f["path"], f["severity"]))
    return {code: sorted(paths) for code, paths in out.items()}


def messages(report: dict[str, Any], code: str) -> list[str]:
    return [f["message"] for d in report["documents"] for f in d["findings"]
            if f["code"] == code]


def custody(report: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(d for d in report["documents"] if d["id"] == sid)["custody"]


def seals(root: Path) -> list[str]:
    return [p.name for p in seal_dirs(Collection(root))]


# --- 18.3: a seal tells the truth about today


def test_a_sealed_text_edited_by_hand_is_changed_in_every_report(root: Path, tmp_path: Path,
                                                                capsys) -> None:
    (root / "corpus" / "one.txt").write_text("The one text, forged.\n", "utf-8")
    code, report, text = verify(capsys, root)
    assert code == 1
    assert found(report)["hash-mismatch"] == [("corpus/one.txt", "error")]
    assert found(report)["unsealed-change"] == [("corpus/one.txt", "error")]
    assert custody(report, "one")["status"] == "changed"
    assert custody(report, "one")["text"].startswith("changed since the seal 000001-")
    assert custody(report, "page")["status"] == "sealed"
    [changed] = [line for line in text.splitlines() if "custody: changed" in line]
    assert changed.endswith(": corpus/one.txt (1 of 2 sources)")
    [sealed] = [line for line in text.splitlines() if "custody: sealed" in line]
    assert sealed.endswith("(1 source(s))")
    page = tmp_path / "report.html"
    run(capsys, "report", "--root", str(root), "--output", str(page), "--jobs", "1")
    html = page.read_text("utf-8")
    section = html[html.index('id="src-one"'):html.index('id="src-page"')]
    assert "exactly as sealed" not in section and ">changed<" in section
    assert "sealed at (UTC)" not in section and "seal made at (UTC)" in section
    assert 'class="label error">changed<' in section
    assert html.count("exactly as sealed") == 1  # the page, which is


def test_custody_without_fixity_verdicts_hashes_the_sealed_files(root: Path) -> None:
    (root / "corpus" / "one.txt").write_text("The one text, forged.\n", "utf-8")
    collection = Collection.open(root)
    report = check_custody(collection, collection.ids())
    assert report.sources["one"].status == "changed"
    assert [(f.code, f.path, f.severity.value) for f in report.sources["one"].findings] == [
        ("unsealed-change", "corpus/one.txt", "error")]
    assert report.sources["page"].status == "sealed"


def test_a_sealed_text_edited_by_hand_beside_a_recorded_change_is_an_error(root: Path,
                                                                          capsys) -> None:
    assert run(capsys, "set", "one", "language", "en", "--reason", "read it",
               "--root", str(root))[0] == 0
    (root / "corpus" / "one.txt").write_text("The one text, forged.\n", "utf-8")
    code, report, _ = verify(capsys, root)
    assert code == 1
    assert found(report)["unsealed-change"] == [("corpus/one.txt", "error"),
                                                ("manifests/one.json", "warning")]


# --- 19.2: every change is recorded or it is an error


def _capture(data: dict[str, Any]) -> dict[str, Any]:
    return data["captures"][0]


HAND_CHANGES = {
    "title": lambda d: d["metadata"]["title"].update(value="Council told to wait"),
    "url": lambda d: d["metadata"]["url"].update(value="https://example.org/elsewhere"),
    "ip": lambda d: _capture(d).update(ip_address="203.0.113.9"),
    "captured_at": lambda d: _capture(d).update(captured_at="2020-01-01T00:00:00Z"),
}


@pytest.mark.parametrize("field", sorted(HAND_CHANGES))
def test_a_sealed_field_changed_by_hand_is_refused_by_the_tool_and_an_error(
        root: Path, capsys, field: str) -> None:
    assert _capture(json.loads((root / "manifests/page.json").read_bytes()))["ip_address"]
    tamper(root, "page", HAND_CHANGES[field])
    before = (root / "manifests/page.json").read_bytes()
    code, _, err = run(capsys, "set", "page", "language", "fr", "--reason", "r",
                       "--root", str(root))
    assert code == 2 and err.startswith("archiver: manifests/page.json: changed outside the "
                                        "tool since history entry 2")
    assert (root / "manifests/page.json").read_bytes() == before
    code, report, _ = verify(capsys, root)
    assert code == 1
    assert found(report)["history-mismatch"] == [("manifests/page.json", "error")]
    assert found(report)["unsealed-change"] == [("manifests/page.json", "error")]
    assert custody(report, "page")["status"] == "changed"
    assert seal(capsys, root)[0] == 1 and len(seals(root)) == 1


def _bless(root: Path, sid: str, change: Callable[[Any], None],
           monkeypatch: pytest.MonkeyPatch) -> None:
    """A forger with the library: change the manifest, then append a ``set language`` entry
    with every hash recomputed over the changed state (what a tool that did not refuse would
    have written)."""
    path = root / "manifests" / f"{sid}.json"
    manifest = load_manifest(path)
    change(manifest)
    manifest.base = manifest.state()
    before = manifest.metadata.language.model_dump(mode="json", exclude_none=True)
    manifest.metadata.language = manifest.metadata.language.model_validate(
        {"value": "fr", "status": "inferred"})
    with monkeypatch.context() as patched:
        patched.setattr("archiver.history.require_intact", lambda manifest: None)
        record(manifest, "set", "r", field_change=FieldChange(
            field="language", before=before,
            after=manifest.metadata.language.model_dump(mode="json", exclude_none=True)))
    save_manifest(path, manifest)


def test_a_hand_change_blessed_by_a_later_entry_is_history_broken(
        root: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    def change(manifest: Any) -> None:
        manifest.captures[0].ip_address = "203.0.113.9"
    _bless(root, "page", change, monkeypatch)
    code, report, _ = verify(capsys, root)
    assert code == 1
    assert found(report)["history-broken"] == [("manifests/page.json", "error")]
    assert messages(report, "history-broken") == [
        "history entry 3 does not start from the state history entry 2 (extracted) recorded: "
        "a change between them that no entry records"]
    assert found(report)["unsealed-change"] == [("manifests/page.json", "error")]
    assert "its state as sealed" in messages(report, "unsealed-change")[0]
    assert seal(capsys, root)[0] == 1 and len(seals(root)) == 1


def test_the_sealed_state_is_ground_truth_when_every_entry_is_rewritten(root: Path,
                                                                        capsys) -> None:
    """A forger who rewrites the state every entry records: the chain and the walk hold, but
    the seal keeps the sha256 of the last entry it sealed."""
    tamper(root, "page", lambda d: d["metadata"]["title"].update(value="Council told to wait"))
    manifest = load_manifest(root / "manifests/page.json")
    digest = manifest.state()

    def restate(data: dict[str, Any]) -> None:
        last = data["history"][-1]["state"]
        last["sha256_after"] = state_sha256(digest)
        last["parts"]["metadata.title"]["after"] = digest["metadata.title"]
        rechain(data)
    tamper(root, "page", restate)
    code, report, _ = verify(capsys, root)
    assert code == 1
    assert "history-mismatch" not in found(report)
    assert found(report)["history-broken"] == [("manifests/page.json", "error")]
    assert messages(report, "history-broken") == [
        "history entries 1 to 2 are not the ones sealed: the chain was recomputed, but the "
        "seal 000001-" + seals(root)[0][7:] + " holds its sha256"]
    assert found(report)["unsealed-change"] == [("manifests/page.json", "error")]
    # whatever tool command runs since
    assert run(capsys, "set", "page", "language", "fr", "--reason", "r",
               "--root", str(root))[0] == 0
    code, report, _ = verify(capsys, root)
    assert code == 1 and found(report)["unsealed-change"] == [("manifests/page.json", "error")]


def test_a_sealed_history_entry_rewritten_with_the_chain_recomputed(root: Path,
                                                                    capsys) -> None:
    def rewrite(data: dict[str, Any]) -> None:
        data["history"][0]["reason"] = "added from a trusted friend"
        rechain(data)
    tamper(root, "one", rewrite)
    assert run(capsys, "set", "one", "language", "en", "--reason", "r",
               "--root", str(root))[0] == 0  # the chain holds: only the seal tells
    code, report, _ = verify(capsys, root)
    assert code == 1
    assert found(report)["history-broken"] == [("manifests/one.json", "error")]
    assert messages(report, "history-broken")[0].startswith(
        "history entries 1 to 1 are not the ones sealed")
    assert found(report)["unsealed-change"] == [("manifests/one.json", "error")]


def test_sealed_entries_removed_are_an_error(root: Path, capsys) -> None:
    def cut(data: dict[str, Any]) -> None:
        data["history"] = data["history"][:1]
        rechain(data)
    tamper(root, "page", cut)
    code, report, _ = verify(capsys, root)
    assert code == 1
    assert "it holds 1 history entries, the seal 2: sealed entries were removed" in messages(
        report, "unsealed-change")[0]


def test_a_text_version_overwritten_in_place_is_history_broken(root: Path, capsys) -> None:
    """A hand-made ``edited`` entry, its chain recomputed, over a version written in place."""
    forged = b"The one text, forged.\n"
    (root / "corpus" / "one.txt").write_bytes(forged)

    def overwrite(data: dict[str, Any]) -> None:
        [entry] = data["files"]
        old = entry["sha256"]
        entry.update(sha256=sha256_bytes(forged), size=len(forged))
        data["history"].append({**data["history"][0], "action": "edited", "reason": "fixed",
                                "path": "corpus/one.txt", "previous_path": "corpus/one.txt",
                                "sha256_before": old, "sha256_after": sha256_bytes(forged)})
        del data["history"][-1]["state"]
        rechain(data)
    tamper(root, "one", overwrite)
    code, report, _ = verify(capsys, root)
    assert code == 1 and "hash-mismatch" not in found(report)
    assert found(report)["history-broken"] == [("manifests/one.json", "error")]
    assert messages(report, "history-broken") == [
        "history entry 2 (edited) brings in corpus/one.txt, which history entry 1 brought in: "
        "a file is never overwritten"]
    assert found(report)["unsealed-change"] == [("corpus/one.txt", "error"),
                                                ("manifests/one.json", "error")]


def test_a_text_version_overwritten_with_the_library_is_history_broken(root: Path,
                                                                       capsys) -> None:
    """The same through the library's own ``record``: its state shows the file rewritten."""
    forged = b"The one text, forged.\n"
    (root / "corpus" / "one.txt").write_bytes(forged)
    path = root / "manifests/one.json"
    manifest = load_manifest(path)
    old = manifest.files[0].sha256
    manifest.files[0].sha256, manifest.files[0].size = sha256_bytes(forged), len(forged)
    record(manifest, "edited", "fixed", path="corpus/one.txt", previous_path="corpus/one.txt",
           sha256_before=old, sha256_after=sha256_bytes(forged))
    save_manifest(path, manifest)
    collection = Collection.open(root)
    broken = [f.message for f in check_source(collection, "one").findings
              if f.code == "history-broken"]
    assert broken == ["history entry 2 (edited) brings in corpus/one.txt, which history "
                      "entry 1 brought in: a file is never overwritten"]
    assert walk_states(manifest).problems == [(
        "history-broken", "history entry 2 (edited) changes files/corpus/one.txt, which was "
                          "recorded before it: a file or capture is never overwritten or "
                          "removed")]


def test_a_set_entry_that_changes_another_field_is_history_broken(root: Path, capsys) -> None:
    path = root / "manifests/one.json"
    manifest = load_manifest(path)
    manifest.metadata.url = manifest.metadata.url.model_validate(
        {"value": "https://example.org/elsewhere", "status": "confirmed"})
    before = manifest.metadata.language.model_dump(mode="json", exclude_none=True)
    manifest.metadata.language = manifest.metadata.language.model_validate(
        {"value": "en", "status": "inferred"})
    record(manifest, "set", "r", field_change=FieldChange(
        field="language", before=before,
        after=manifest.metadata.language.model_dump(mode="json", exclude_none=True)))
    save_manifest(path, manifest)
    code, report, _ = verify(capsys, root)
    assert code == 1
    assert messages(report, "history-broken") == [
        "history entry 2 (set) changes metadata.url, which 'set' entries do not change"]
    assert found(report)["unsealed-change"] == [("manifests/one.json", "warning")]


def test_a_sealed_acceptance_altered_is_an_error(root: Path, tmp_path: Path, capsys) -> None:
    page = json.loads((root / "manifests/page.json").read_bytes())
    text = (root / page["text"]["path"]).read_text("utf-8")
    misquoted = tmp_path / "misquoted.txt"
    misquoted.write_text(text.replace("another year", "another month"), "utf-8")
    assert run(capsys, "edit", "page", "--text", str(misquoted), "--reason", "r",
               "--root", str(root))[0] == 0
    code, report, _ = verify(capsys, root)
    assert code == 1 and found(report)["quote-altered"] == [("corpus/page.v2.txt", "error")]
    assert seal(capsys, root)[0] == 0  # a content finding is evidence: it may be sealed
    assert len(seals(root)) == 2
    assert run(capsys, "accept", "page", "quote-altered", "--reason", "the speaker said so",
               "--root", str(root))[0] == 0
    assert seal(capsys, root)[0] == 0
    assert verify(capsys, root)[0] == 0
    tamper(root, "page", lambda d: d["accepted"][0].update(reason="a typo"))
    code, report, _ = verify(capsys, root)
    assert code == 1
    assert found(report)["unsealed-change"] == [("manifests/page.json", "error")]
    assert "an acceptance sealed was altered or removed" in messages(report,
                                                                     "unsealed-change")[0]
    # appended after the seal, one is a warning
    tamper(root, "page", lambda d: d["accepted"][0].update(reason="the speaker said so"))
    assert verify(capsys, root)[0] == 0


# --- seal never signs over tampering


def test_seal_refuses_a_change_nothing_accounts_for_and_seals_a_misquote(root: Path,
                                                                          tmp_path: Path,
                                                                          capsys) -> None:
    tamper(root, "one", lambda d: d["metadata"]["url"].update(value="https://e.org/x"))
    code, _, err = seal(capsys, root)
    assert code == 1 and err.startswith("archiver: manifests/one.json: history-mismatch: ")
    assert "nothing was sealed" in err and len(seals(root)) == 1
    assert verify(capsys, root)[0] == 1  # not laundered


def test_seal_refuses_a_history_that_does_not_chain(root: Path, capsys) -> None:
    tamper(root, "one", lambda d: d["history"][0].update(reason="rewritten"))
    code, _, err = seal(capsys, root)
    assert code == 1 and "archiver: manifests/one.json: history-broken: " in err
    assert len(seals(root)) == 1


def test_seal_refuses_a_private_key_in_keys(root: Path, config_home: Path, capsys) -> None:
    key = config_home / "archiver" / "keys" / "alice.key"
    (root / "keys" / "alice.key").write_bytes(key.read_bytes())
    code, _, err = seal(capsys, root)
    assert code == 1 and "seal-invalid" in err and len(seals(root)) == 1


def test_seal_refuses_a_damaged_warc(root: Path, capsys) -> None:
    page = json.loads((root / "manifests/page.json").read_bytes())
    warc = root / page["captures"][0]["warc_path"]
    data = bytearray(warc.read_bytes())
    data[len(data) // 2] ^= 1
    warc.write_bytes(bytes(data))
    code, _, err = seal(capsys, root)
    assert code == 1 and f"archiver: {page['captures'][0]['warc_path']}: " in err
    assert len(seals(root)) == 1


def test_a_tool_change_since_the_seal_is_a_warning_and_sealed_again(root: Path,
                                                                     capsys) -> None:
    assert run(capsys, "set", "page", "title", "Council told to act now", "--reason", "r",
               "--root", str(root))[0] == 0
    code, report, _ = verify(capsys, root)
    assert code == 0 and found(report)["unsealed-change"] == [("manifests/page.json",
                                                               "warning")]
    assert seal(capsys, root)[0] == 0
    code, report, _ = verify(capsys, root)
    assert code == 0 and "unsealed-change" not in found(report)
    assert {custody(report, i)["status"] for i in ("one", "page")} == {"sealed"}


def test_accept_refuses_a_manifest_changed_outside_the_tool(root: Path, capsys) -> None:
    tamper(root, "one", lambda d: d["metadata"]["url"].update(value="https://e.org/x"))
    before = (root / "manifests/one.json").read_bytes()
    code, _, err = run(capsys, "accept", "one", "capture-http-error", "--reason", "r",
                       "--root", str(root))
    assert code == 2 and "changed outside the tool since history entry 1" in err
    assert (root / "manifests/one.json").read_bytes() == before


def test_a_seal_made_before_states_were_recorded_still_verifies(root: Path,
                                                                config_home: Path,
                                                                capsys) -> None:
    """A seal whose ``recorded`` holds counts only (its statement re-signed by alice, as an
    older archiver wrote it) verifies; a change since is judged by its counts."""
    from archiver.custody.keys import default_key_file, load_private_key

    [folder] = seal_dirs(Collection(root))
    statement = json.loads((folder / "seal.json").read_bytes())
    for source in statement["sources"]:
        for name in ("history_head", "state", "accepted_sha256"):
            del source["recorded"][name]
    data = json.dumps(statement, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()
    (folder / "seal.json").write_bytes(data)
    private = load_private_key(default_key_file("alice"), None)
    (folder / "seal.sig").write_bytes(private.sign(data))
    if (folder / "tokens.json").exists():  # the tokens are bound to the statement's sha256
        tokens = json.loads((folder / "tokens.json").read_bytes())
        tokens["statement_sha256"] = hashlib.sha256(data).hexdigest()
        listing = json.dumps(tokens, sort_keys=True, separators=(",", ":")).encode()
        (folder / "tokens.json").write_bytes(listing)
        (folder / "tokens.sig").write_bytes(private.sign(listing))
    code, report, _ = verify(capsys, root)
    assert code == 0 and {custody(report, i)["status"] for i in ("one", "page")} == {"sealed"}
    assert run(capsys, "set", "one", "language", "en", "--reason", "r",
               "--root", str(root))[0] == 0
    code, report, _ = verify(capsys, root)
    assert code == 0 and found(report)["unsealed-change"] == [("manifests/one.json",
                                                               "warning")]
    (root / "corpus" / "one.txt").write_text("The one text, forged.\n", "utf-8")
    code, report, _ = verify(capsys, root)
    assert code == 1 and found(report)["unsealed-change"] == [("corpus/one.txt", "error"),
                                                              ("manifests/one.json",
                                                               "warning")]


def test_an_extracted_entry_that_changes_a_known_claim_is_history_broken(root: Path,
                                                                        capsys) -> None:
    """What a page says is recorded only where nothing was known: an ``extracted`` entry
    made with the library over a changed URL does not fit its action."""
    path = root / "manifests/page.json"
    manifest = load_manifest(path)
    manifest.metadata.url = manifest.metadata.url.model_validate(
        {"value": "https://example.org/elsewhere", "status": "extracted"})
    text = manifest.text
    assert text is not None
    new = "corpus/page.v2.txt"
    (root / new).write_bytes(b"x\n")
    manifest.files.append(manifest.files[-1].model_copy(
        update={"path": new, "sha256": sha256_bytes(b"x\n"), "size": 2}))
    manifest.text = text.model_copy(update={"path": new})
    record(manifest, "extracted", "again", path=new, sha256_after=sha256_bytes(b"x\n"))
    save_manifest(path, manifest)
    code, report, _ = verify(capsys, root)
    assert code == 1
    assert messages(report, "history-broken") == [
        "history entry 3 (extracted) changes metadata.url, which 'extracted' entries do not "
        "change"]

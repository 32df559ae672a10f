"""History: every change through the tool (add, capture, edit, set, withdraw, repair) appends a
chained entry with who, when and archiver's version; a collection the tool built, tampered
with in the test, draws the exact finding; the README's recipes recompute the chain."""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from forge import rechain, tamper

from archiver import __version__
from archiver.cli import main
from archiver.collection import Collection
from archiver.corrections import SETTABLE, edit_text, set_field, withdraw_source
from archiver.errors import ArchiverError
from archiver.fileio import sha256_bytes
from archiver.history import canonical_bytes, chain_breaks, current_user, entry_sha256
from archiver.manifest import Status, load_manifest
from archiver.verify import verify
from tests.test_concurrency import hold, kill9

ROOT = Path(__file__).resolve().parents[1]
SEED = "000_47ab86cb897dd57c"
TEXT = "A text with a \u201cquotation\u201d, na\u00efve caf\u00e9 and a tab\there.\n"
EDITED = TEXT + "A line the archivist restored from the original.\n"
PAGE = """<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>Rights body needs to step up</title></head><body><article>
<h1>Rights body needs to step up</h1>
<p>The Human Rights Council should address the worsening crisis as a matter of priority,
the groups said today in a joint statement to the council.</p>
<p>Activists have also started to draw more attention to the harassment of diaspora
communities abroad, including in the United States.</p>
</article></body></html>"""


def cli(capsys: pytest.CaptureFixture[str], root: Path, *args: str) -> tuple[int, str]:
    code = main([*args, "--root", str(root)])
    return code, capsys.readouterr().err


def build(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[Path, str]:
    """A collection made by the tool: one source added, edited and corrected."""
    root = tmp_path / "collection"
    Collection.init(root)
    given, edited = tmp_path / "given.txt", tmp_path / "edited.txt"
    given.write_text(TEXT, encoding="utf-8")
    edited.write_text(EDITED, encoding="utf-8")
    assert cli(capsys, root, "add", str(given), "--id", "src", "--url",
               "https://example.org/a", "--by", "Ana")[0] == 0
    assert cli(capsys, root, "edit", "src", "--text", str(edited), "--reason",
               "the last line was lost", "--by", "Ben")[0] == 0
    assert cli(capsys, root, "set", "src", "title", "Rights body needs to step up",
               "--status", "confirmed", "--note", "the page's headline",
               "--reason", "title was unknown")[0] == 0
    return root, "src"


def manifest_path(root: Path, sid: str) -> Path:
    return root / "manifests" / f"{sid}.json"


def history_findings(root: Path) -> list[tuple[str, str | None, str]]:
    result = verify(Collection.open(root), jobs=1)
    return [(f.code, f.path, f.message) for f in result.all_findings()
            if f.code.startswith("history-")]


def codes(root: Path) -> set[tuple[str, str | None]]:
    return {(code, path) for code, path, _ in history_findings(root)}


def test_every_change_is_a_chained_entry_with_who_when_and_version(tmp_path, capsys) -> None:
    root, sid = build(tmp_path, capsys)
    manifest = load_manifest(manifest_path(root, sid))
    assert [e.action for e in manifest.history] == ["received", "edited", "set"]
    assert [e.by for e in manifest.history] == ["Ana", "Ben", current_user()]
    assert {(e.tool.name, e.tool.version) for e in manifest.history if e.tool} == {
        ("archiver", __version__)}
    raw = json.loads(manifest_path(root, sid).read_bytes())["history"]
    assert raw[0]["chain_sha256"] == sha256_bytes(b"src")
    assert [e["chain_sha256"] for e in raw[1:]] == [entry_sha256(e) for e in raw[:-1]]
    assert manifest.history_head == entry_sha256(raw[-1])
    assert chain_breaks(sid, raw, manifest.history_head) == []
    result = verify(Collection.open(root), jobs=1)
    assert not result.failed() and codes(root) == set()


def test_canonical_bytes_are_rfc8785_which_plain_json_dumps_matches() -> None:
    entry = {"reason": "caf\u00e9 \u201cq\u201d\n\x01\x7f", "at": "2026-01-01T00:00:00Z",
             "changes": [{"line": 3, "before": "a", "after": "b"}], "b": None}
    assert canonical_bytes(entry) == json.dumps(
        entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    assert canonical_bytes({"b": 1, "a": [True]}) == b'{"a":[true],"b":1}'


def test_edit_keeps_every_version_and_refuses_an_unchanged_text(tmp_path, capsys) -> None:
    root, sid = build(tmp_path, capsys)
    manifest = load_manifest(manifest_path(root, sid))
    received, edited = manifest.history[0], manifest.history[1]
    assert (edited.path, edited.previous_path) == ("corpus/src.v2.txt", "corpus/src.txt")
    assert edited.sha256_before == received.sha256_after == sha256_bytes(TEXT.encode())
    assert edited.sha256_after == sha256_bytes(EDITED.encode())
    assert edited.reason == "the last line was lost"
    assert (root / "corpus/src.txt").read_text("utf-8") == TEXT  # the received text stays
    assert manifest.text is not None and manifest.text.path == "corpus/src.v2.txt"
    before = manifest_path(root, sid).read_bytes()
    same = tmp_path / "same.txt"
    same.write_text(EDITED, encoding="utf-8")
    code, err = cli(capsys, root, "edit", sid, "--text", str(same), "--reason", "again")
    assert code == 2
    assert err == "archiver: corpus/src.v2.txt: the new text is the current text: nothing to " \
                  "record\n"
    latin = tmp_path / "latin.txt"
    latin.write_bytes("caf\u00e9".encode("latin-1"))
    assert cli(capsys, root, "edit", sid, "--text", str(latin), "--reason", "x")[0] == 2
    assert manifest_path(root, sid).read_bytes() == before
    third = tmp_path / "third.txt"
    third.write_text(EDITED + "More.\n", encoding="utf-8")
    updated = edit_text(Collection.open(root), sid, third, reason="a third", by="Cy")
    assert updated.text is not None and updated.text.path == "corpus/src.v3.txt"
    assert {f.path for f in updated.files} == {"corpus/src.txt", "corpus/src.v2.txt",
                                               "corpus/src.v3.txt"}
    assert codes(root) == set()


def test_set_records_the_old_and_the_new_claim(tmp_path, capsys) -> None:
    root, sid = build(tmp_path, capsys)
    entry = load_manifest(manifest_path(root, sid)).history[-1]
    change = entry.field_change
    assert change is not None and change.field == "title"
    assert change.before is not None and change.before.status is Status.UNKNOWN
    assert change.after is not None
    assert (change.after.value, change.after.status, change.after.note) == (
        "Rights body needs to step up", Status.CONFIRMED, "the page's headline")
    collection = Collection.open(root)
    set_field(collection, sid, "authors", "Jane Doe; John Roe", reason="byline", by="Ana")
    set_field(collection, sid, "published", "2020-03-12", reason="dateline")
    set_field(collection, sid, "title", "", status=Status.UNKNOWN, reason="not certain")
    meta = load_manifest(manifest_path(root, sid)).metadata
    assert meta.authors.value == ["Jane Doe", "John Roe"]
    assert str(meta.published.value) == "2020-03-12"
    assert (meta.title.value, meta.title.status) == (None, Status.UNKNOWN)
    assert codes(root) == set()


@pytest.mark.parametrize(("args", "message"), [
    (["src", "colour", "red"],
     f"archiver: colour: not a metadata field set can change (one of: {', '.join(SETTABLE)})\n"),
    (["src", "mirrors", "https://example.org/b"], "archiver: mirrors: not a metadata field"),
    (["src", "published", "12 March 2020"], "archiver: published: use YYYY-MM-DD, or an ISO "
                                            "date and time with its zone"),
    (["src", "language", "english"], "archiver: language: use a BCP 47 language tag"),
    (["src", "url", "ftp://example.org/a"], "archiver: ftp://example.org/a: --url: give"),
    (["src", "title", "x", "--status", "unknown"], "archiver: title: a claim with status "
                                                   "unknown has no value"),
    (["src", "title", "Rights body needs to step up", "--status", "confirmed", "--note",
      "the page's headline"], "archiver: title: the claim is unchanged: nothing to record\n"),
    (["src", "title", "y", "--reason", " "], "archiver: src: a change needs a reason"),
    (["nosuch", "title", "y"], "archiver: "),
])
def test_set_refuses_in_one_line(tmp_path, capsys, args: list[str], message: str) -> None:
    root, sid = build(tmp_path, capsys)
    before = manifest_path(root, sid).read_bytes()
    reason = [] if "--reason" in args else ["--reason", "r"]
    code, err = cli(capsys, root, "set", *args, *reason)
    assert code == 2
    assert err.startswith(message) and err.count("\n") == 1, err
    assert manifest_path(root, sid).read_bytes() == before


def test_by_defaults_to_the_login_user_and_falls_back_cleanly(tmp_path, capsys,
                                                              monkeypatch) -> None:
    assert current_user() == getpass.getuser()

    def no_user() -> str:
        raise OSError("no user name")
    monkeypatch.setattr(getpass, "getuser", no_user)
    assert current_user() == f"uid {os.getuid()}"
    root, sid = build(tmp_path, capsys)  # --help and every command still work
    assert load_manifest(manifest_path(root, sid)).history[-1].by == f"uid {os.getuid()}"


def _drop(n: int) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["history"].pop(n)


def _swap(data: dict[str, Any]) -> None:
    history = data["history"]
    history[0], history[1] = history[1], history[0]


def _reason(n: int) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["history"][n].update(reason="a reason nobody gave")


def _unchain(data: dict[str, Any]) -> None:
    del data["history"][1]["chain_sha256"]


def _no_head(data: dict[str, Any]) -> None:
    del data["history_head"]


@pytest.mark.parametrize(("change", "says"), [
    (_drop(1), "history entry 2 (set at"),  # the edit removed: the set no longer chains
    (_drop(-1), "history_head is not the sha256 of the last history entry"),
    (_drop(0), "history entry 1 (edited at"),
    (_swap, "does not chain to the entry before it"),
    (_reason(0), "history entry 2 (edited at"),
    (_reason(-1), "history_head is not the sha256"),
    (_unchain, "has no chain_sha256 after chained entries"),
    (_no_head, "history_head is missing"),
], ids=["remove-middle", "remove-last", "remove-first", "swap", "alter-reason",
        "alter-last-reason", "unchain", "remove-head"])
def test_a_tampered_history_is_history_broken(tmp_path, capsys, change, says) -> None:
    root, sid = build(tmp_path, capsys)
    tamper(root, sid, change)
    found = history_findings(root)
    broken = [m for c, p, m in found if c == "history-broken" and p == f"manifests/{sid}.json"]
    assert broken and says in broken[0], found
    code, _ = cli(capsys, root, "verify", "--jobs", "1")
    assert code == 1


def test_writers_refuse_to_append_to_a_broken_history(tmp_path, capsys) -> None:
    root, sid = build(tmp_path, capsys)
    tamper(root, sid, _reason(-1))  # a new entry would chain onto the altered one
    before = manifest_path(root, sid).read_bytes()
    code, err = cli(capsys, root, "set", sid, "publisher", "ISHR", "--reason", "r")
    assert code == 2
    assert err.startswith(f"archiver: manifests/{sid}.json: history_head is not the sha256")
    assert "nothing was written" in err and err.count("\n") == 1
    assert cli(capsys, root, "withdraw", sid, "--reason", "r")[0] == 2
    assert manifest_path(root, sid).read_bytes() == before


def test_a_changed_text_with_its_hash_updated_by_hand_is_history_mismatch(tmp_path,
                                                                          capsys) -> None:
    root, sid = build(tmp_path, capsys)
    forged = EDITED.replace("restored", "invented").encode()
    (root / "corpus/src.v2.txt").write_bytes(forged)

    def update_hash(data: dict[str, Any]) -> None:
        for f in data["files"]:
            if f["path"] == "corpus/src.v2.txt":
                f.update(sha256=sha256_bytes(forged), size=len(forged))
    tamper(root, sid, update_hash)
    assert codes(root) == {("history-mismatch", f"manifests/{sid}.json")}
    [(_, _, message)] = history_findings(root)
    assert message.startswith("corpus/src.v2.txt: the manifest records sha256 ")
    assert "its latest history entry (2, edited)" in message


@pytest.mark.parametrize(("change", "says"), [
    (lambda d: d["metadata"]["title"].update(value="Another title"),
     "metadata.title is not the claim history entry 3 set"),
    (lambda d: d["text"].update(path="corpus/src.txt"),
     "text.path is corpus/src.txt, but the latest text version in the history is "
     "corpus/src.v2.txt"),
    (lambda d: d["files"].pop(0),
     "corpus/src.txt: history entry 1 (received) records it, but the manifest no longer"),
    (lambda d: d["files"].append({"path": "corpus/src.extra.txt", "sha256": "0" * 64,
                                  "size": 0, "media_type": "text/plain", "role": "text"}),
     "corpus/src.extra.txt: among the files, but no history entry records it"),
], ids=["metadata", "text-path", "version-removed", "file-added"])
def test_a_state_the_history_does_not_record_is_history_mismatch(tmp_path, capsys, change,
                                                                 says) -> None:
    root, sid = build(tmp_path, capsys)
    tamper(root, sid, change)
    found = history_findings(root)
    assert [c for c, _, _ in found] == ["history-mismatch"], found
    assert says in found[0][2]


def _forge(root: Path, sid: str, change: Callable[[dict[str, Any]], None]) -> None:
    def forge(data: dict[str, Any]) -> None:
        change(data)
        rechain(data)
    tamper(root, sid, forge)


def test_a_rechained_version_that_does_not_follow_its_previous_is_history_broken(
        tmp_path, capsys) -> None:
    """Even with every hash recomputed, an entry's old state must be the one recorded."""
    root, sid = build(tmp_path, capsys)
    _forge(root, sid, lambda d: d["history"][1].update(sha256_before="0" * 64))
    assert [(c, m) for c, _, m in history_findings(root)] == [(
        "history-broken", "history entry 2 (edited): sha256_before is not the sha256 the "
                          "history records for corpus/src.txt")]


def test_a_rechained_set_that_does_not_follow_the_last_set_is_history_broken(
        tmp_path, capsys) -> None:
    root, sid = build(tmp_path, capsys)
    set_field(Collection.open(root), sid, "title", "A second title", reason="corrected")
    _forge(root, sid, lambda d: d["history"][3]["field_change"]["before"].update(
        value="A forged old title"))
    assert [(c, m) for c, _, m in history_findings(root)] == [(
        "history-broken",
        "history entry 4 (set title): its old value is not the one history entry 3 set")]


def test_withdrawn_source_keeps_its_files_and_custody_checks(tmp_path, capsys) -> None:
    root, sid = build(tmp_path, capsys)
    files = sorted(p.name for p in (root / "corpus").iterdir())
    code, err = cli(capsys, root, "withdraw", sid, "--reason", "a forgery", "--by", "Ana")
    assert code == 0 and "files stay" in err
    manifest = load_manifest(manifest_path(root, sid))
    assert manifest.withdrawal is not None and manifest.withdrawal.reason == "a forgery"
    assert sorted(p.name for p in (root / "corpus").iterdir()) == files
    code = main(["verify", "--root", str(root), "--format", "json", "--jobs", "1"])
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    [doc] = report["documents"]
    assert doc["withdrawn"] == "a forgery" and doc["findings"] == []  # no capture-pending
    assert main(["verify", "--root", str(root)]) == 0
    assert "withdrawn: a forgery" in capsys.readouterr().out
    # its files are still checked
    (root / "corpus/src.txt").write_text("changed", encoding="utf-8")
    result = verify(Collection.open(root), jobs=1)
    assert [(f.code, f.path) for f in result.all_findings()] == [
        ("hash-mismatch", "corpus/src.txt"), ("unsealed", "seals")]


def test_a_withdrawn_source_is_refused_by_every_writer(tmp_path, capsys) -> None:
    root, sid = build(tmp_path, capsys)
    withdraw_source(Collection.open(root), sid, reason="out of scope")
    before = manifest_path(root, sid).read_bytes()
    other = tmp_path / "other.txt"
    other.write_text("Other.\n", encoding="utf-8")
    for args in (["edit", sid, "--text", str(other), "--reason", "r"],
                 ["set", sid, "publisher", "ISHR", "--reason", "r"],
                 ["withdraw", sid, "--reason", "again"],
                 ["repair", sid]):
        code, err = cli(capsys, root, *args)
        assert code == 2, args
        assert err.startswith(f"archiver: {sid}: withdrawn from the collection on "), err
        assert "(out of scope); nothing was changed" in err and err.count("\n") == 1
    code, err = cli(capsys, root, "capture", "--id", sid, "--allow-private")
    assert code == 2 and f"archiver: {sid}: withdrawn from the collection" in err
    code, err = cli(capsys, root, "capture", "--pending")
    assert code == 0 and err == ""
    assert manifest_path(root, sid).read_bytes() == before


def test_capture_records_each_warc_and_text(tmp_path, capsys, http_site) -> None:
    root = tmp_path / "collection"
    Collection.init(root)
    url = http_site.add("/history/page", PAGE)
    code, _ = cli(capsys, root, "capture", url, "--allow-private", "--by", "Dee")
    assert code == 0
    [sid] = Collection.open(root).ids()
    code, _ = cli(capsys, root, "capture", "--id", sid, "--allow-private")
    assert code == 0
    manifest = load_manifest(manifest_path(root, sid))
    assert [(e.action, e.by) for e in manifest.history] == [
        ("captured", "Dee"), ("extracted", "Dee"), ("captured", current_user())]
    first, second = manifest.captures
    assert [(e.path, e.sha256_after, e.at) for e in manifest.history if e.action == "captured"
            ] == [(c.warc_path, c.warc_sha256, c.captured_at) for c in (first, second)]
    assert not verify(Collection.open(root), jobs=1).failed() and codes(root) == set()
    # a WARC listed by hand, with no entry, after the chain began
    tamper(root, sid, lambda d: d["history"].pop() and rechain(d))
    assert [m for _, _, m in history_findings(root)] == [
        f"{second.warc_path}: among the files, but no history entry records it: added "
        "outside the tool"]


def test_a_legacy_history_is_accepted_and_chained_onto(tmp_path, capsys, http_site) -> None:
    """A manifest made before the chain: no chain hash, no head, no captured entries."""
    root = tmp_path / "collection"
    Collection.init(root)
    url = http_site.add("/history/legacy", PAGE)
    assert cli(capsys, root, "capture", url, "--allow-private")[0] == 0
    [sid] = Collection.open(root).ids()

    def as_legacy(data: dict[str, Any]) -> None:
        data["history"] = [e for e in data["history"] if e["action"] != "captured"]
        for entry in data["history"]:
            for name in ("chain_sha256", "by", "tool", "state"):
                entry.pop(name, None)
        del data["history_head"]
    tamper(root, sid, as_legacy)
    legacy = json.loads(manifest_path(root, sid).read_bytes())["history"]
    assert codes(root) == set()
    text = load_manifest(manifest_path(root, sid)).text
    assert text is not None
    edited = tmp_path / "edited.txt"
    edited.write_text((root / text.path).read_text("utf-8") + "\nAdded.\n", encoding="utf-8")
    assert cli(capsys, root, "edit", sid, "--text", str(edited), "--reason", "r")[0] == 0
    raw = json.loads(manifest_path(root, sid).read_bytes())["history"]
    assert raw[:-1] == legacy  # the legacy prefix is kept as it was
    assert raw[-1]["chain_sha256"] == entry_sha256(legacy[-1])
    assert codes(root) == set()
    tamper(root, sid, lambda d: d["history"][0].update(reason="rewritten"))
    assert codes(root) == {("history-broken", f"manifests/{sid}.json")}


def test_this_repositorys_seed_manifests_pass_and_are_never_written(tmp_path) -> None:
    result = verify(Collection.open(ROOT), [SEED], jobs=1)
    assert not result.failed() and not [f for f in result.all_findings()
                                        if f.code.startswith("history-")]
    copy = tmp_path / "seeds"
    shutil.copytree(ROOT / "manifests", copy / "manifests")
    shutil.copytree(ROOT / "corpus", copy / "corpus")
    collection = Collection.open(copy)
    set_field(collection, SEED, "publisher", "ISHR", reason="shorter", by="Ana")
    manifest = load_manifest(collection.manifest_path(SEED))
    raw = json.loads((ROOT / "manifests" / f"{SEED}.json").read_bytes())["history"]
    assert manifest.history[-1].chain_sha256 == entry_sha256(raw[0])
    assert codes(copy) == set()
    with pytest.raises(ArchiverError, match="a change needs a reason"):
        withdraw_source(collection, SEED, reason="")


def _readme_block(language: str) -> str:
    readme = (ROOT / "docs" / "history.md").read_text("utf-8")
    section = readme[readme.index("### The history chain, and how to check it"):]
    return re.search(rf"```{language}\n(.*?)```", section, re.S)[1]  # type: ignore[index]


def test_the_readme_python_recipe_recomputes_the_chain(tmp_path, capsys) -> None:
    root, sid = build(tmp_path, capsys)
    script = tmp_path / "chain.py"
    script.write_text(_readme_block("python"), encoding="utf-8")
    seed = ROOT / "manifests" / f"{SEED}.json"
    path = manifest_path(root, sid)
    out = subprocess.run([sys.executable, str(script), str(path), str(seed)], check=True,
                         capture_output=True, text=True).stdout
    assert out == "".join(f"{path} {what} ok\n" for what in
                          ("entry 1", "entry 2", "entry 3", "head"))  # the seed: legacy only
    tamper(root, sid, _reason(0))
    out = subprocess.run([sys.executable, str(script), str(path)], check=True,
                         capture_output=True, text=True).stdout
    assert f"{path} entry 2 BROKEN\n" in out and "entry 3 ok" in out


def test_the_readme_jq_recipe_recomputes_the_chain(tmp_path, capsys) -> None:
    if shutil.which("jq") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("jq is not installed (.ci/run installs it)")
        pytest.skip("jq is not installed")
    root, sid = build(tmp_path, capsys)
    path = manifest_path(root, sid)
    script = re.sub(r"^m=\S+", f"m={path}", _readme_block("sh"), count=1)
    out = subprocess.run(["bash", "-euo", "pipefail", "-c", script], check=True,
                         capture_output=True, text=True).stdout.split("\n")
    hashes = [line.split()[0] for line in out[:4]]
    links, head = out[4:7], out[7]
    assert links == hashes[:3] and head == hashes[3]
    raw = json.loads(path.read_bytes())
    assert hashes == [hashlib.sha256(b"src").hexdigest(),
                      *(entry_sha256(e) for e in raw["history"])]


def test_edit_set_and_withdraw_hold_the_collection_lock(tmp_path, capsys) -> None:
    root, sid = build(tmp_path, capsys)
    before = manifest_path(root, sid).read_bytes()
    other = tmp_path / "other.txt"
    other.write_text("Other.\n", encoding="utf-8")
    holder = hold(root, "pass")
    try:
        for args in (["edit", sid, "--text", str(other)], ["set", sid, "publisher", "ISHR"],
                     ["withdraw", sid]):
            code, err = cli(capsys, root, *args, "--reason", "r", "--wait", "0")
            assert code == 2
            assert err.endswith(f"archiver: {root.resolve()}: collection is busy: another "
                                "archiver run has held its lock for 0 s; try again later\n")
    finally:
        kill9(holder)
    assert manifest_path(root, sid).read_bytes() == before


def test_edit_refuses_a_text_that_changed_since_its_manifest(tmp_path, capsys) -> None:
    root, sid = build(tmp_path, capsys)
    (root / "corpus/src.v2.txt").write_text("changed by hand\n", encoding="utf-8")
    before = manifest_path(root, sid).read_bytes()
    new = tmp_path / "new.txt"
    new.write_text("A new text.\n", encoding="utf-8")
    code, err = cli(capsys, root, "edit", sid, "--text", str(new), "--reason", "r")
    assert (code, err) == (2, "archiver: corpus/src.v2.txt: the text does not match its "
                              "manifest hash; verify and restore it before changing it\n")
    assert manifest_path(root, sid).read_bytes() == before
    assert not (root / "corpus/src.v3.txt").exists()

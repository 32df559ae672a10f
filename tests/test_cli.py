"""The command line: init, add, usage errors and exit codes, output formats."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from conftest import run

from archiver import __version__


@pytest.fixture
def root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "col"
    assert run(capsys, "init", "--root", str(root))[0] == 0
    src = tmp_path / "note.txt"
    src.write_text("Title\n\nRead [this](#) now.", encoding="utf-8")
    assert run(capsys, "add", str(src), "--root", str(root), "--url", "https://e.org/n")[0] == 0
    return root


def test_init_makes_an_empty_collection_that_verifies(tmp_path: Path, capsys) -> None:
    code, _, err = run(capsys, "init", "--root", str(tmp_path))
    assert code == 0 and "initialised" in err
    assert (tmp_path / "manifests").is_dir() and (tmp_path / "corpus").is_dir()
    code, out, _ = run(capsys, "verify", "--root", str(tmp_path))
    assert code == 0 and "0 sources" in out


def test_add_copies_byte_for_byte_and_records_provenance(tmp_path: Path, capsys) -> None:
    run(capsys, "init", "--root", str(tmp_path))
    src = tmp_path / "in.txt"
    src.write_bytes(b"\n\nline\xc2\xa0with nbsp\r\nno trailing newline")
    code, _, err = run(capsys, "add", str(src), "--id", "my-id", "--root", str(tmp_path),
                       "--url", "https://e.org/x", "--title", "T", "--publisher", "P",
                       "--published", "2020-03-12", "--language", "en",
                       "--received-from", "a colleague")
    assert code == 0, err
    assert (tmp_path / "corpus/my-id.txt").read_bytes() == src.read_bytes()
    manifest = json.loads((tmp_path / "manifests/my-id.json").read_text())
    assert manifest["files"][0]["size"] == len(src.read_bytes())
    assert manifest["text"]["origin"]["received_from"] == "a colleague"
    assert manifest["metadata"]["url"] == {"value": "https://e.org/x", "status": "inferred",
                                           "note": "given to archiver add"}
    assert manifest["metadata"]["authors"] == {"status": "unknown"}
    assert manifest["history"][0]["action"] == "received"


def test_add_refuses_an_existing_id_and_writes_nothing(root: Path, tmp_path: Path,
                                                      capsys) -> None:
    other = tmp_path / "note.txt"
    other.write_text("different text", encoding="utf-8")
    before = sorted(p.name for p in (root / "corpus").iterdir())
    manifest = (root / "manifests/note.json").read_bytes()
    code, out, err = run(capsys, "add", str(other), "--root", str(root), "--url", "https://e.org")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "source 'note' exists already" in err
    assert sorted(p.name for p in (root / "corpus").iterdir()) == before
    assert (root / "manifests/note.json").read_bytes() == manifest


@pytest.mark.parametrize(("argv", "message"), [
    (["add", "missing.txt", "--url", "https://e.org"], "missing.txt: not a readable file"),
    (["add", "x.txt", "--url", "https://e.org/u", "--id", "../evil"], "not a valid source id"),
    (["add", "x.txt", "--url", "https://e.org/u", "--published", "yesterday"],
     "--published: use YYYY-MM-DD"),
    (["add", "x.txt", "--url", "https://e.org/u", "--language", "English"],
     "--language: use a BCP 47 language tag"),
    (["add", "x.txt", "--url", "e.org/u"], "--url: give the http(s) URL"),
    (["add", "x.txt", "--url", "file:///etc/passwd"], "--url: give the http(s) URL"),
    (["add", "x.txt", "--url", "https://e.org/u", "--id", "schema"], "a reserved id"),
    (["add", "x.txt", "--url", "https://e.org/u", "--id", "Schema"], "a reserved id"),
    (["add", "x.txt", "--url", "https://e.org/u", "--id", "note.v2"], "a reserved id"),
    (["add", "latin1.txt", "--url", "https://e.org/u"], "not UTF-8 text (byte 0xe9 at offset 3)"),
    (["add", "empty.txt", "--url", "https://e.org/u"], "empty file"),
])
def test_bad_add_input_is_one_line_exit_2(root: Path, tmp_path: Path, capsys, argv, message
                                          ) -> None:
    (tmp_path / "x.txt").write_text("x")
    (tmp_path / "latin1.txt").write_bytes("Caf\u00e9".encode("latin-1"))
    (tmp_path / "empty.txt").write_bytes(b"")
    argv = [str(tmp_path / a) if a.endswith(".txt") else a for a in argv]
    before = sorted(p.relative_to(root) for p in root.rglob("*"))
    code, _, err = run(capsys, *argv, "--root", str(root))
    assert code == 2
    assert err.startswith("archiver: ") and err.count("\n") == 1
    assert message in err
    assert sorted(p.relative_to(root) for p in root.rglob("*")) == before


def test_no_collection_is_exit_2(tmp_path: Path, capsys) -> None:
    code, out, err = run(capsys, "verify", "--root", str(tmp_path))
    assert code == 2 and out == ""
    assert "no collection here" in err and "Traceback" not in err


def test_usage_error_is_exit_2(capsys) -> None:
    assert run(capsys, "verify", "--format", "yaml")[0] == 2
    assert run(capsys, "frobnicate")[0] == 2
    assert run(capsys, "verify", "--jobs", "0")[0] == 2


def test_version_and_module_entry_point() -> None:
    done = subprocess.run([sys.executable, "-m", "archiver", "--version"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout.strip() == f"archiver {__version__}"


def test_text_report(root: Path, capsys) -> None:
    code, out, _ = run(capsys, "verify", "--root", str(root))
    assert code == 0
    assert out.startswith("1 sources: 0 with errors, 1 with warnings, 0 ok\n"
                          "open findings by code: 1 capture-pending, 1 link-placeholder, "
                          "1 unsealed\n"
                          "custody: unsealed: the collection has no seal (1 of 1 sources)\n")
    # no title given: the URL names it; custody, then the findings
    assert ("\nnote  warnings  https://e.org/n\n"
            "  warning capture-pending  manifests/note.json\n") in out
    assert "\n  warning link-placeholder  corpus/note.txt\n      line 3: " in out
    assert out.rstrip().endswith("1 sources: 0 errors, 3 warnings, 0 accepted")


def test_github_annotations_point_at_file_and_line(root: Path, capsys) -> None:
    code, out, _ = run(capsys, "verify", "--root", str(root), "--format", "github")
    assert code == 0
    lines = out.splitlines()
    assert any(line.startswith("::warning file=corpus/note.txt,line=3,title=link-placeholder::")
               for line in lines)
    assert any(line.startswith("::warning file=manifests/note.json,title=capture-pending::")
               for line in lines)


def test_junit_report_to_a_file(root: Path, tmp_path: Path, capsys) -> None:
    (root / "corpus/note.txt").write_text("tampered")
    target = tmp_path / "report.xml"
    code, out, _ = run(capsys, "verify", "--root", str(root), "--format", "junit",
                       "--output", str(target))
    assert code == 1 and out == ""
    suite = ET.parse(target).getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    case = suite.find("testcase[@name='note']")
    assert case is not None
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "hash-mismatch"


def test_output_to_an_unwritable_place_is_exit_2(root: Path, capsys) -> None:
    code, _, _ = run(capsys, "verify", "--root", str(root), "--output",
                     str(root / "reports/new/x.json"))
    assert code == 0 and (root / "reports/new/x.json").is_file()  # folders are created
    # a file where a folder should be cannot be written through
    code, _, err = run(capsys, "verify", "--root", str(root), "--output",
                       str(root / "corpus/note.txt/x.json"))
    assert code == 2 and "cannot write" in err


def test_audit_log_gets_one_line_per_run(root: Path, tmp_path: Path, capsys) -> None:
    log = tmp_path / "audit/verify.jsonl"
    assert run(capsys, "verify", "--root", str(root), "--log", str(log))[0] == 0
    (root / "corpus/note.txt").write_text("tampered")
    assert run(capsys, "verify", "--root", str(root), "--log", str(log))[0] == 1
    first, second = (json.loads(line) for line in log.read_text().splitlines())
    assert first["tool"] == {"name": "archiver", "version": __version__}
    [doc] = first["documents"]
    [entry] = doc["files"]
    assert entry["path"] == "corpus/note.txt" and entry["verdict"] == "ok"
    assert len(entry["sha256"]) == 64
    assert second["documents"][0]["files"][0]["verdict"] == "failed"
    assert second["errors"] == 1 and first["time"] <= second["time"]


def test_init_in_a_collection_says_so_and_changes_nothing(root: Path, capsys) -> None:
    before = {p: p.stat().st_mtime_ns for p in root.rglob("*")}
    code, _, err = run(capsys, "init", "--root", str(root))
    assert code == 2
    assert err == f"archiver: {root}: a collection exists here already; nothing was changed\n"
    assert {p: p.stat().st_mtime_ns for p in root.rglob("*")} == before


def test_version_and_help_load_no_heavy_library() -> None:
    heavy = ["numpy", "trafilatura", "rapidfuzz", "requests", "pydantic", "rich", "lxml"]
    for flags in (["--version"], ["--help"], ["verify", "--help"]):
        probe = ("import sys\nfrom archiver.cli import main\n"
                 f"main({flags!r})\n"
                 f"print([m for m in {heavy!r} if m in sys.modules])")
        done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                              check=True)
        assert done.stdout.strip().splitlines()[-1] == "[]", flags


def test_format_choices_and_user_agent_are_the_libraries() -> None:
    from archiver import cli
    from archiver.capture import fetch
    from archiver.report.formats import RENDERERS, WARC_RENDERERS

    assert list(cli.FORMATS) == sorted(RENDERERS)
    assert list(cli.WARC_FORMATS) == sorted(WARC_RENDERERS)
    assert cli.DEFAULT_USER_AGENT == fetch.DEFAULT_USER_AGENT


@pytest.mark.parametrize("command", [
    ["repair", "nosuch"], ["repair", "nosuch", "--apply"],
    ["accept", "nosuch", "link-placeholder", "--reason", "r"],
    ["edit", "nosuch", "--text", "TEXT", "--reason", "r"],
    ["set", "nosuch", "title", "T", "--reason", "r"], ["withdraw", "nosuch", "--reason", "r"],
    ["capture", "--id", "nosuch"], ["verify", "nosuch"],
])
def test_a_source_that_is_not_there_is_named_as_such(root: Path, tmp_path: Path, capsys,
                                                     command: list[str]) -> None:
    text = tmp_path / "new.txt"
    text.write_text("A new text.\n", encoding="utf-8")
    argv = [str(text) if a == "TEXT" else a for a in command]
    before = sorted(p.relative_to(root) for p in root.rglob("*") if ".archiver" not in str(p))
    code, _, err = run(capsys, *argv, "--root", str(root))
    assert (code, err) == (2, "archiver: nosuch: no such source in this collection\n")
    assert sorted(p.relative_to(root) for p in root.rglob("*")
                  if ".archiver" not in str(p)) == before


def test_global_options_go_before_or_after_the_command(root: Path, tmp_path: Path,
                                                       capsys) -> None:
    code, out, _ = run(capsys, "--root", str(root), "verify")
    assert code == 0 and "link-placeholder" in out  # the collection given before the command
    code, out, _ = run(capsys, "--root", str(root), "--wait", "5", "verify", "--format", "json")
    assert json.loads(out)["summary"]["documents"] == 1
    # given after the command too, the later one wins
    code, _, err = run(capsys, "--root", str(root), "verify", "--root", str(tmp_path / "no"))
    assert (code, err) == (2, f"archiver: {tmp_path / 'no'}: no such folder; give the "
                              "collection's folder with --root\n")


def test_a_folder_that_is_not_there_or_not_a_folder_is_named_as_such(tmp_path: Path,
                                                                     capsys) -> None:
    code, _, err = run(capsys, "verify", "--root", str(tmp_path / "nowhere"))
    assert (code, err) == (2, f"archiver: {tmp_path / 'nowhere'}: no such folder; give the "
                              "collection's folder with --root\n")
    (tmp_path / "file").write_text("x")
    code, _, err = run(capsys, "verify", "--root", str(tmp_path / "file"))
    assert (code, err) == (2, f"archiver: {tmp_path / 'file'}: not a folder; give the "
                              "collection's folder with --root\n")


@pytest.mark.parametrize("inside", ["corpus/nested", "manifests/x", "corpus", "keys/a/b"])
def test_init_inside_a_collection_refuses_and_names_it(root: Path, capsys, inside) -> None:
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))
    code, _, err = run(capsys, "init", "--root", str(root / inside))
    assert code == 2
    assert err == (f"archiver: {root / inside}: inside the collection {root}, whose files it "
                   "would mix with; make it outside; nothing was changed\n")
    assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*")) == before


def test_no_python_warning_reaches_the_user(root: Path) -> None:
    """A library's warning (here one raised on purpose through -c) is not printed; the
    command runs in a process of its own, as a user runs it, with warnings left on."""
    script = ("import warnings, sys\n"
              "import archiver.cli as cli\n"
              "def noisy(args):\n"
              "    warnings.warn('old API', DeprecationWarning)\n"
              "    return 0\n"
              "cli.cmd_init = noisy\n"
              "sys.exit(cli.main(['init', '--root', sys.argv[1]]))\n")
    done = subprocess.run([sys.executable, "-W", "default", "-c", script, str(root / "..")],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "old API" in done.stderr  # -W given: the developer asked to see warnings
    done = subprocess.run([sys.executable, "-c", script.replace("warnings.warn('old API', "
                           "DeprecationWarning)", "warnings.warn('old API', UserWarning)"),
                           str(root / "..")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stderr == ""


def _commands(parser=None, prefix=()):
    """(name words, parser) of every command, subcommands of export and key included."""
    import argparse

    from archiver.cli import build_parser

    parser = parser or build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                nested = list(_commands(sub, (*prefix, name)))
                yield from nested or [((*prefix, name), sub)]


def test_every_command_explains_itself(capsys) -> None:
    """Each command's --help ends with real examples; each argument and option says what it
    is for, with an upper-case metavar; options that do nothing for a command are absent."""
    import argparse

    from archiver.cli import main

    commands = dict(_commands())
    assert {("key", "new"), ("key", "list"), ("export", "wacz"), ("verify",)} <= set(commands)
    for words, parser in commands.items():
        examples = parser.epilog.split("examples:\n", 1)[1].splitlines()
        assert examples and all(e.startswith(f"  $ archiver {' '.join(words)}")
                                for e in examples), words
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            assert action.help, (words, action.dest)
            if action.metavar is not None:
                assert action.metavar.replace("WIDTHxHEIGHT", "SIZE").isupper() or (
                    ":" in action.metavar), (words, action.metavar)
            elif not action.option_strings:  # an option's value shows as its DEST upper-cased
                assert action.choices, (words, action.dest)
        options = {o for a in parser._actions for o in a.option_strings}
        reads_a_collection = words[0] not in ("check-warc", "check-timestamp", "schema")
        assert ("--root" in options) == reads_a_collection, words
        assert main([*words, "--help"]) == 0
        out = capsys.readouterr().out
        assert out.rstrip().endswith(examples[-1].strip()), words

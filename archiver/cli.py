"""Command line: argparse only; the one module that prints or exits. ``main(argv) -> int``."""

from __future__ import annotations

import argparse
import functools
import gc
import getpass
import io
import re
import sys
import textwrap
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

from archiver import __version__
from archiver.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, ArchiverError
from archiver.fileio import atomic_write_bytes

if TYPE_CHECKING:
    from rich.progress import Progress

    from archiver.capture.browser import Chromium
    from archiver.collection import Collection
    from archiver.custody.trust import Trust
    from archiver.manifest import Claim
    from archiver.verify import VerifyResult

# Commands import their library code when they run: --version and --help load none of
# numpy, trafilatura, rapidfuzz or requests. The choices below are the renderers' names.
FORMATS = ("github", "json", "junit", "text")
WARC_FORMATS = ("json", "text")
DEFAULT_USER_AGENT = f"archiver/{__version__}"
STATUS_HELP = """\
what the report's words mean:
  errors    the source has at least one open error: its files, WARC or quotations are
            not what was recorded or published; the run fails (exit 1)
  warnings  the source has open warnings only: damage or differences a person should
            review (repair, or accept with a reason); fails only with --strict
  ok        the source has no open finding (it may have accepted ones)
  accepted  a finding a reviewer accepted, with the reason; still listed, never fails
  error / warning before a finding: its severity (docs/findings.md lists every code)"""
BY_HELP = "who makes the change, for the history (default: the login user name)"
REASON_HELP = "why, in a sentence: kept in the source's history and shown in reports"
ID_HELP = "the source's id (its manifest is manifests/ID.json)"
# Each command's --help ends with these examples (the quick start runs most of them).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "init": ("archiver init --root harbour-case",),
    "schema": ("archiver schema > manifest.schema.json",),
    "add": ("archiver add from-union.txt --id union-copy --url https://example.org/harbour "
            "--title \"Harbour stays open\" --received-from \"fishers' union\"",),
    "verify": ("archiver verify", "archiver verify union-copy --format json --output verify.json",
               "archiver verify --strict --problems-only --log audit.jsonl",
               "archiver verify live-blog --replay"),
    "report": ("archiver report --output report.html",
               "archiver report --output report.html --replay",
               "archiver report --output report/   (a folder: an index and a page per source)"),
    "check-warc": ("archiver check-warc corpus/harbour-ruling/*.warc.gz",
                   "archiver check-warc crawl.wacz --format json"),
    "check-timestamp": ("archiver check-timestamp seals/000001-20261203T131332Z/tsa-1.tsr "
                        "--data seals/000001-20261203T131332Z/seal.json",
                        "archiver check-timestamp reply.tsr --digest sha256:<hex> --ca root.pem"),
    "capture": ("archiver capture https://example.org/news/harbour --new-id harbour-ruling",
                "archiver capture https://example.org/live-blog --browser --new-id live-blog",
                "archiver capture --id union-copy",
                "archiver capture --id union-copy --from-archive https://web.archive.org/web/ "
                "--at 2026-11-30T12:00:00Z"),
    "import": ("archiver import crawl.warc.gz --url https://example.org/news/harbour "
               "--id harbour-ruling",),
    "repair": ("archiver repair union-copy", "archiver repair union-copy --apply"),
    "restore": ("archiver restore --from /media/usb/harbour-deposit",
                "archiver restore union-copy --from harbour.wacz --log audit.jsonl"),
    "wacz": ("archiver export wacz harbour.wacz --title \"The harbour ruling\"",),
    "bagit": ("archiver export bagit harbour-deposit --info "
              "\"Source-Organization=Example Library\"",),
    "new": ("archiver key new alice",),
    "list": ("archiver key list",),
    "seal": ("archiver seal --tsa http://timestamp.digicert.com "
             "--message \"captures of the ruling\"",),
    "accept": ("archiver accept union-copy link-placeholder --line 3 --reason \"the page links "
               "nowhere either\"",),
    "unaccept": ("archiver unaccept union-copy link-placeholder --line 3 --reason \"accepted by "
                 "mistake\"",),
    "edit": ("archiver edit union-copy --text corrected.txt --reason \"the union sent a "
             "corrected copy\"",),
    "set": ("archiver set harbour-ruling published 2026-11-30 --status confirmed "
            "--note \"the page's dateline\" --reason \"read from the page\"",),
    "withdraw": ("archiver withdraw union-copy --reason \"the union asked us to withdraw it\"",),
}



def _open(args: argparse.Namespace) -> Collection:
    from archiver.collection import Collection

    return Collection.open(Path(args.root))


def _waiting(collection: Collection, args: argparse.Namespace) -> Callable[[], None]:
    """Say once that this run waits for another's lock, and for how long at most."""
    return lambda: print(f"archiver: {collection.root}: waiting for another archiver run "
                         f"to finish (at most {args.wait:g} s)", file=sys.stderr)


@contextmanager
def _writing(collection: Collection, args: argparse.Namespace) -> Iterator[None]:
    """Hold the collection's write lock; say what was rolled back from killed runs."""
    with collection.writing(wait=args.wait, on_wait=_waiting(collection, args)) as rolled_back:
        for line in rolled_back:
            print(f"archiver: {collection.root}: {line}", file=sys.stderr)
        yield


def _emit(render: Callable[[IO[str]], None], output: str | None) -> None:
    """Render to stdout, or atomically to ``output`` (a half-written report never exists)."""
    if output is None:
        render(sys.stdout)
        return
    buffer = io.StringIO()
    render(buffer)
    try:
        atomic_write_bytes(Path(output), buffer.getvalue().encode("utf-8"))
    except OSError as exc:
        raise ArchiverError(output, f"cannot write: {exc.strerror}") from None


def _progress() -> Progress:
    """A progress bar on stderr, shown only on a terminal."""
    from rich.console import Console
    from rich.progress import Progress

    return Progress(console=Console(stderr=True, soft_wrap=True, highlight=False, emoji=False),
                    transient=True, disable=not sys.stderr.isatty())


def cmd_init(args: argparse.Namespace) -> int:
    """Create an empty collection."""
    from archiver.collection import Collection

    collection = Collection.init(Path(args.root))
    print(f"initialised an empty collection in {collection.root}", file=sys.stderr)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the manifest's JSON Schema."""
    from archiver.manifest import schema_text

    sys.stdout.write(schema_text())
    return EXIT_OK


def _claim(value: str | None) -> Claim:  # type: ignore[type-arg]
    from archiver.manifest import Claim, Status

    if value is None:
        return Claim(status=Status.UNKNOWN)
    return Claim(value=value, status=Status.INFERRED, note="given to archiver add")


def cmd_add(args: argparse.Namespace) -> int:
    """Register an existing text as a new source."""
    from pydantic import ValidationError

    from archiver.history import current_user
    from archiver.manifest import FIELD_FORMATS, Metadata
    from archiver.sources import add_source, check_url

    collection = _open(args)
    text = Path(args.path)
    check_url(args.url)
    try:
        metadata = Metadata(
            title=_claim(args.title), publisher=_claim(args.publisher),
            published=_claim(args.published), language=_claim(args.language),
            url=_claim(args.url),
        )
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        raise ArchiverError(text, f"--{field}: {FIELD_FORMATS.get(field, 'not valid')}"
                            ) from None
    with _writing(collection, args):
        manifest = add_source(collection, text, args.id or text.stem, metadata,
                              received_from=args.received_from or current_user(), by=args.by)
    print(f"added {manifest.id}: {manifest.files[0].path}", file=sys.stderr)
    return EXIT_OK


def _verified(collection: Collection, args: argparse.Namespace, trust: Trust | None = None
              ) -> VerifyResult:
    """Verify the sources ``args.ids`` (default: all) with a progress bar on stderr."""
    from archiver.verify import verify

    run = functools.partial(verify, collection, args.ids or None, jobs=args.jobs,
                            use_cache=not args.no_cache, trust=trust)
    if not sys.stderr.isatty():  # no bar to show: rich.progress, 10 ms to load, is not needed
        return run()
    with _progress() as progress:
        bar = progress.add_task("verifying", total=len(args.ids or collection.ids()))
        return run(progress=lambda _: progress.advance(bar))


def cmd_verify(args: argparse.Namespace) -> int:
    """Check every source; report all findings."""
    from archiver.auditlog import append_log
    from archiver.report.formats import RENDERERS, render_text

    if args.problems_only and args.format != "text":
        raise ArchiverError(None, "--problems-only shapes the text report; the other formats "
                                  "list every finding")
    from archiver.custody.trust import Trust

    trust = Trust.load(trust_keys=args.trust_key, tsa_ca=[Path(p) for p in args.tsa_ca],
                       expect=args.expect_seal)
    collection = _open(args)
    # the read lock: no writer commits between listing the manifests and the corpus
    with collection.reading(wait=args.wait, on_wait=_waiting(collection, args)):
        result = _verified(collection, args, trust)
        if args.replay:
            _replayed(collection, result, args)
    for digest, after in trust.found.items():
        print(f"archiver: the seal sha256:{digest} is in the chain; {after} seal(s) follow it",
              file=sys.stderr)
    if args.format == "text":
        _emit(lambda out: render_text(result, out, problems_only=args.problems_only),
              args.output)
    else:
        _emit(lambda out: RENDERERS[args.format](result, out), args.output)
    if args.log:
        try:
            append_log(Path(args.log), result, collection.root)
        except OSError as exc:
            raise ArchiverError(args.log, f"cannot append to the audit log: {exc.strerror}"
                                ) from None
    return EXIT_FINDINGS if result.failed(strict=args.strict) else EXIT_OK


# A single-page report past this many sources is too large for a browser to open usefully
# (1,000 sources of real pages: about 70 MB); a folder report has no such bound.
_ONE_PAGE_SOURCES = 1000


def _replayed(collection: Collection, result: VerifyResult, args: argparse.Namespace,
              images: dict[str, bytes] | None = None) -> None:
    """Add the findings of replaying each browser capture (verify --replay) to ``result``;
    ``images`` gets where each replay's screenshot differs (report --replay)."""
    from archiver.replay import ReplayOptions, pywb_bin, replay_findings

    options = ReplayOptions(pywb=pywb_bin(args.pywb), browser_path=args.browser_path)
    found = replay_findings(collection, [d.id for d in result.documents], options, images)
    for document in result.documents:
        document.findings = sorted(document.findings + found.get(document.id, []),
                                   key=lambda f: (f.path or "", f.line or 0, f.code))


def cmd_report(args: argparse.Namespace) -> int:
    """Write the HTML report of the collection (or of the sources named) for reviewers."""
    from archiver.manifest import now
    from archiver.report.html import render_html
    from archiver.report.view import build_report

    collection = _open(args)
    folder = not args.output.lower().endswith((".html", ".htm"))
    if folder and args.replay:
        raise ArchiverError(args.output, "--replay shows its images in a one-page report: give "
                                         "a PATH ending in .html")
    images: dict[str, bytes] = {}
    with collection.reading(wait=args.wait, on_wait=_waiting(collection, args)):
        count = len(args.ids or collection.ids())
        if not folder and count > _ONE_PAGE_SOURCES:  # said before minutes of verifying
            raise ArchiverError(args.output, f"{count} sources are too many for one page: "
                                             "name a folder (a PATH not ending in .html) to "
                                             "write an index and a page per source")
        result = _verified(collection, args)
        if args.replay:
            _replayed(collection, result, args, images)
        if folder:
            from archiver.report.folder import write_report_folder

            write_report_folder(collection, result, now(), Path(args.output), jobs=args.jobs)
        else:
            page = render_html(build_report(collection, result, now(), images))
    if not folder:
        _emit(lambda out: out.write(page), args.output)
    print(f"wrote the report of {len(result.documents)} source(s) to {args.output}",
          file=sys.stderr)
    return EXIT_OK


def cmd_accept(args: argparse.Namespace) -> int:
    """Record a reviewed finding as accepted."""
    from archiver.history import current_user
    from archiver.sources import accept_finding

    collection = _open(args)
    with _writing(collection, args):
        acceptance = accept_finding(collection, args.id, args.code, line=args.line,
                                    reason=args.reason, path=args.path,
                                    by=args.by or current_user())
    where = f":{acceptance.line}" if acceptance.line else ""
    print(f"accepted {acceptance.code} at {acceptance.path}{where}", file=sys.stderr)
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    """Restore missing or damaged files from a replica, checked against the manifests."""
    from archiver.auditlog import append_entry, stamped
    from archiver.exchange.restore import entries, restore

    collection = _open(args)
    with _writing(collection, args):
        result = restore(collection, args.ids or None, Path(args.source))
        if args.log and (result.restored or result.missing):
            try:
                append_entry(Path(args.log), stamped(result.as_dict(), collection.root))
            except OSError as exc:
                raise ArchiverError(args.log, "restored, but cannot append to the audit log: "
                                              f"{exc.strerror}") from None
    for line in entries(result):
        print(line, file=sys.stderr)
    return EXIT_FINDINGS if result.missing else EXIT_OK


def cmd_unaccept(args: argparse.Namespace) -> int:
    """Take an acceptance back: the finding counts again."""
    from archiver.history import current_user
    from archiver.sources import unaccept_finding

    collection = _open(args)
    with _writing(collection, args):
        acceptance = unaccept_finding(collection, args.id, args.code, line=args.line,
                                      path=args.path, reason=args.reason,
                                      by=args.by or current_user())
    where = f":{acceptance.line}" if acceptance.line else ""
    print(f"took back the acceptance of {acceptance.code} at {acceptance.path}{where}",
          file=sys.stderr)
    return EXIT_OK


def cmd_check_warc(args: argparse.Namespace) -> int:
    """Check the integrity of WARC files."""
    from archiver.report.formats import WARC_RENDERERS
    from archiver.warc.check import check_warc

    reports = [check_warc(Path(f)) for f in args.files]
    _emit(lambda out: WARC_RENDERERS[args.format](reports, out), args.output)
    return EXIT_OK if all(r.verdict == "intact" for r in reports) else EXIT_FINDINGS


def cmd_check_timestamp(args: argparse.Namespace) -> int:
    """Check one RFC 3161 reply offline, with the code seal and verify use."""
    from archiver.custody.timestamp import (
        TimestampUnreadable,
        cert_fingerprint,
        cert_name,
        check_timestamp,
        load_certificates,
        load_roots,
        parse_digest,
    )

    if (args.data is None) == (args.digest is None):
        raise ArchiverError(None, "check-timestamp: give --data FILE or --digest ALG:HEX (one)")
    try:
        reply = Path(args.file).read_bytes()
        expected = Path(args.data).read_bytes() if args.data else parse_digest(args.digest)
    except OSError as exc:
        raise ArchiverError(exc.filename, f"cannot read: {exc.strerror}") from None
    roots = load_roots([Path(p) for p in args.ca])
    try:
        found = check_timestamp(reply, expected, roots,
                                load_certificates([Path(p) for p in args.cert]))
    except TimestampUnreadable as exc:
        raise ArchiverError(args.file, exc.reason) from None
    print(f"{args.file}: {found.verdict}")
    print(f"authority: {found.tsa or 'unknown'}")
    print(f"genTime: {found.gen_time.isoformat() if found.gen_time else 'unknown'}")
    print(f"hash: {found.hash_name}")
    for n, cert in enumerate(found.chain):
        role = "root (trusted)" if n == len(found.chain) - 1 else "TSA" if n == 0 else "via"
        print(f"chain: {role}: {cert_name(cert)} {cert_fingerprint(cert)}")
    for what in found.set_aside:
        print(f"set aside: {what} (no chain uses it)")
    if found.reason:
        print(f"why: {found.reason}")
    return EXIT_OK if found.verdict == "valid" else EXIT_FINDINGS


def cmd_capture(args: argparse.Namespace) -> int:
    """Capture URLs as new sources, or the URLs of existing sources."""
    if sum(map(bool, (args.urls, args.id, args.pending))) != 1:
        raise ArchiverError(None, "capture: give URLs, or --id ID, or --pending (one of them)")
    if args.new_id is not None and not args.urls:
        raise ArchiverError(args.new_id, "--new-id names the new source of one URL: give it")
    # started before the imports and checks below, so that the browser's start overlaps them
    chromium = _start_browser(args) if args.browser else None
    try:
        from archiver.capture.pages import CaptureOptions

        collection = _open(args)
        options = CaptureOptions(
            timeout=args.timeout, max_bytes=args.max_bytes, max_redirects=args.max_redirects,
            user_agent=args.user_agent, allow_private=args.allow_private, jobs=args.jobs,
            per_host=args.per_host, delay=args.delay, from_archive=args.from_archive,
            at=args.at)
        with _writing(collection, args):  # rolls back killed runs; then each capture
            pass                          # downloads without the lock, locks to commit
        return _capture(collection, args, options, chromium)
    finally:
        if chromium is not None:
            chromium.close()


def _start_browser(args: argparse.Namespace) -> Chromium:
    """The browser of ``capture --browser``, starting (capture.browser.Chromium)."""
    from archiver.capture.browser import BrowserOptions, Chromium
    from archiver.capture.cdp import find_browser

    if args.from_archive:
        raise ArchiverError("--browser", "a browser capture loads the live page: not with "
                                         "--from-archive")
    width, _, height = args.viewport.partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise ArchiverError("--viewport", f"give WIDTHxHEIGHT (1280x800), not {args.viewport}")
    page = BrowserOptions(timeout=args.timeout, max_bytes=args.max_bytes,
                          allow_private=args.allow_private, width=int(width),
                          height=int(height), trusted_spki=tuple(args.trust_spki))
    return Chromium(find_browser(args.browser_path), page)


def _capture(collection: Collection, args: argparse.Namespace, options: object,
             chromium: Chromium | None) -> int:
    from archiver.capture.pages import capture_existing, capture_urls, pending_ids

    ids = [] if args.urls else pending_ids(collection) if args.pending else args.id
    total = len(set(args.urls)) if args.urls else len(ids)
    if chromium is not None:
        from archiver.capture.browserpages import (
            BrowserRun,
            capture_existing_browser,
            capture_urls_browser,
        )

        run = BrowserRun(page=chromium.options, jobs=args.jobs, browser_path=args.browser_path)
        outcomes = (capture_urls_browser(collection, args.urls, run, new_id=args.new_id,
                                         by=args.by, wait=args.wait, chromium=chromium)
                    if args.urls
                    else capture_existing_browser(collection, ids, run, by=args.by,
                                                  wait=args.wait, chromium=chromium))
    elif args.urls:
        outcomes = capture_urls(collection, args.urls, options, new_id=args.new_id, by=args.by,
                                wait=args.wait)
    else:
        outcomes = capture_existing(collection, ids, options, by=args.by, wait=args.wait)
    from archiver.report.visible import visible  # a page's URL or title, shown escaped

    worst = EXIT_OK
    with _progress() as progress:
        bar = progress.add_task("capturing", total=total)
        for outcome in outcomes:
            progress.advance(bar)
            if outcome.error is not None:
                progress.console.print(visible(f"archiver: {outcome.message}"), markup=False)
                worst = max(worst, outcome.error.exit_code)
                continue
            print(visible(outcome.message))
            for warning in outcome.warnings:
                progress.console.print(visible(f"archiver: {warning.path}: warning "
                                               f"{warning.code}: {warning.message}"),
                                       markup=False)
    return worst


def cmd_repair(args: argparse.Namespace) -> int:
    """Propose (or, with --apply, make) the repair of lost link targets."""
    collection = _open(args)
    if not args.apply:  # only a diff: the read lock, so no run commits while it reads
        with collection.reading(wait=args.wait, on_wait=_waiting(collection, args)):
            return _repair(collection, args)
    with _writing(collection, args):
        return _repair(collection, args)


def _repair(collection: Collection, args: argparse.Namespace) -> int:
    from archiver.fidelity.repair import apply_repairs, plan_source_repairs, render_diff
    from archiver.manifest import load_manifest

    manifest = load_manifest(collection.source_manifest_path(args.id))
    if manifest.text is not None and not collection.resolve(manifest.text.path).is_file():
        raise ArchiverError(manifest.text.path, "the text is missing; restore it from a backup "
                                                "('archiver verify' reports file-missing)")
    plan, evidence = plan_source_repairs(collection, manifest)
    assert manifest.text is not None  # plan_source_repairs refuses a source without text
    text = collection.resolve(manifest.text.path).read_text("utf-8")
    sys.stdout.write(render_diff(plan, text, manifest.text.path))
    for item in plan.unresolved:
        print(f"archiver: {manifest.text.path}:{item.line}: unresolved {item.text!r}: "
              f"{item.reason}", file=sys.stderr)
    if args.apply and plan.edits:
        updated = apply_repairs(collection, manifest, plan, evidence, by=args.by)
        assert updated.text is not None
        print(f"restored {len(plan.edits)} link target(s) into {updated.text.path} "
              f"(from {evidence})", file=sys.stderr)
    elif plan.edits:
        print(f"{len(plan.edits)} link target(s) can be restored; run again with --apply",
              file=sys.stderr)
    elif not plan.unresolved:
        print(f"nothing to repair: no link in {manifest.text.path} lost its target",
              file=sys.stderr)
    return EXIT_FINDINGS if plan.unresolved else EXIT_OK


def cmd_edit(args: argparse.Namespace) -> int:
    """Record a changed text as a new text version."""
    from archiver.corrections import edit_text

    collection = _open(args)
    with _writing(collection, args):
        manifest = edit_text(collection, args.id, Path(args.text), reason=args.reason,
                             by=args.by)
    assert manifest.text is not None
    print(f"{manifest.id}: recorded the new text as {manifest.text.path}", file=sys.stderr)
    return EXIT_OK


def cmd_set(args: argparse.Namespace) -> int:
    """Correct one metadata claim."""
    from archiver.corrections import set_field
    from archiver.manifest import Status

    collection = _open(args)
    with _writing(collection, args):
        set_field(collection, args.id, args.field, args.value, reason=args.reason,
                  status=Status(args.status), note=args.note, by=args.by)
    print(f"{args.id}: set {args.field} ({args.status})", file=sys.stderr)
    return EXIT_OK


def cmd_withdraw(args: argparse.Namespace) -> int:
    """Withdraw a source from the active collection, keeping its files."""
    from archiver.corrections import withdraw_source

    collection = _open(args)
    with _writing(collection, args):
        withdraw_source(collection, args.id, reason=args.reason, by=args.by)
    print(f"{args.id}: withdrawn; its files stay and verify still checks them",
          file=sys.stderr)
    return EXIT_OK


def cmd_export_wacz(args: argparse.Namespace) -> int:
    """Write chosen sources as a WACZ package, signed if given a key."""
    from archiver.exchange.selection import describe
    from archiver.exchange.wacz import export_wacz

    collection = _open(args)
    key = None
    if args.sign_key_file:
        from archiver.exchange.waczsign import load_signing_key

        key = load_signing_key(Path(args.sign_key_file))
    # the read lock: no writer commits while the package is read out of the collection
    with collection.reading(wait=args.wait, on_wait=_waiting(collection, args)):
        result = export_wacz(collection, args.ids or None, Path(args.out),
                             describe(collection, args.title, args.description), sign_key=key)
    print(f"exported {result.sources} source(s), {result.warcs} WARC(s) and {result.pages} "
          f"page(s) to {result.path}{', signed' if result.signed else ''}", file=sys.stderr)
    return EXIT_OK


def cmd_export_bagit(args: argparse.Namespace) -> int:
    """Write chosen sources as a BagIt bag."""
    from archiver.exchange.bag import export_bag
    from archiver.exchange.selection import describe

    collection = _open(args)
    with collection.reading(wait=args.wait, on_wait=_waiting(collection, args)):
        result = export_bag(collection, args.ids or None, Path(args.out),
                            describe(collection, args.title, args.description), dict(args.info))
    print(f"bagged {result.sources} source(s), {result.files} file(s) of {result.payload_bytes} "
          f"bytes in {result.path}", file=sys.stderr)
    return EXIT_OK


def _bag_info(text: str) -> tuple[str, str]:
    label, sep, value = text.partition("=")
    if not (sep and re.fullmatch(r"[A-Za-z][A-Za-z0-9-]*", label) and value.strip()):
        raise argparse.ArgumentTypeError("use LABEL=VALUE, e.g. Source-Organization=Example "
                                         "Library")
    return label, value.strip()


def cmd_import(args: argparse.Namespace) -> int:
    """Register a capture another tool made (WARC, WARC.GZ, WACZ) as a source's capture."""
    from archiver.exchange.importer import ImportOptions, ImportRefusedError, import_capture

    collection = _open(args)
    options = ImportOptions(url=args.url, source_id=args.id, record_id=args.record_id,
                            accept_nonconformant=args.accept_nonconformant,
                            by=args.by)
    try:
        with _writing(collection, args):
            outcome = import_capture(collection, Path(args.file), options)
    except ImportRefusedError as exc:
        from archiver.report.visible import visible

        for finding in exc.findings:  # a hostile file's text, shown escaped on one line
            print(visible(f"archiver: {finding.path}: {finding.severity.value} "
                          f"{finding.code}: {finding.message}"), file=sys.stderr)
        raise
    capture = outcome.capture
    made = f"made by {capture.tool.name} {capture.tool.version}"
    print(f"{outcome.source_id}: imported {capture.page_url} (HTTP {capture.http_status}, "
          f"{made}) as {capture.warc_path}"
          + (f", text {outcome.text_path}" if outcome.text_path else ""))
    imported = capture.imported
    if imported is not None and imported.signature is not None:
        signature = imported.signature
        who = f" by {signature.signer}" if signature.signer else ""
        print(f"archiver: {capture.warc_path}: signature: {signature.status}"
              f"{f' ({signature.mode}{who})' if signature.mode else ''}", file=sys.stderr)
    from archiver.report.visible import visible

    for warning in outcome.warnings:
        print(visible(f"archiver: {warning.path}: warning {warning.code}: {warning.message}"),
              file=sys.stderr)
    return EXIT_OK


PASSPHRASE_ENV = "ARCHIVER_PASSPHRASE"


def _passphrase(args: argparse.Namespace, key_file: Path | None = None) -> bytes | None:
    """From --passphrase-file, else $ARCHIVER_PASSPHRASE, else a prompt on a terminal (for a
    new key, or a key file that is encrypted); None for no passphrase."""
    import os

    if args.passphrase_file:
        try:
            return Path(args.passphrase_file).read_bytes().rstrip(b"\r\n") or None
        except OSError as exc:
            raise ArchiverError(args.passphrase_file, f"cannot read: {exc.strerror}") from None
    if os.environ.get(PASSPHRASE_ENV):
        return os.environ[PASSPHRASE_ENV].encode("utf-8")
    if not sys.stdin.isatty():
        return None
    if key_file is None:
        first = getpass.getpass("passphrase for the new key (empty for none): ")
        if first != getpass.getpass("the same passphrase again: "):
            raise ArchiverError(None, "the two passphrases differ; no key was made")
        return first.encode("utf-8") or None
    try:
        encrypted = b"ENCRYPTED" in key_file.read_bytes()
    except OSError:
        return None  # load_private_key says why it cannot read the file
    return getpass.getpass(f"passphrase for {key_file}: ").encode("utf-8") if encrypted else None


def cmd_key(args: argparse.Namespace) -> int:
    """Make a signing key (``key new NAME``) or list the collection's keys (``key list``)."""
    from archiver.custody.keys import collection_keys, default_key_file, new_key
    from archiver.custody.trust import TrustFile

    collection = _open(args)
    if args.action == "list":
        keys, bad = collection_keys(collection)
        pinned = TrustFile.load().keys
        for key in keys:
            local = default_key_file(key.name)
            mine = f"private key in {local}" if local.is_file() else "no private key here"
            pin = "pinned" if key.fingerprint in pinned else "not pinned in your trust file"
            print(f"{key.name}  {key.fingerprint}  {key.path}  ({mine}; {pin})")
        for path, reason in bad:
            print(f"archiver: {path}: {reason}", file=sys.stderr)
        if not keys:
            print("no keys: 'archiver key new NAME' makes one", file=sys.stderr)
        return EXIT_FINDINGS if bad else EXIT_OK
    key_file = Path(args.key_file) if args.key_file else default_key_file(args.name)
    passphrase = _passphrase(args)
    with _writing(collection, args):
        key = new_key(collection, args.name, key_file, passphrase)
    TrustFile.load().update(lambda trust: trust.keys.__setitem__(key.fingerprint, key.name))
    print(f"made key {key.name} {key.fingerprint}: public key {key.path}, private key "
          f"{key_file} ({'passphrase' if passphrase else 'no passphrase'}); keep the private "
          "key out of the collection and back it up", file=sys.stderr)
    return EXIT_OK


def cmd_seal(args: argparse.Namespace) -> int:
    """Sign and timestamp the collection's current state as a new seal."""
    from archiver.custody.keys import (
        add_public_key,
        collection_keys,
        default_key_file,
        load_private_key,
    )
    from archiver.custody.seal import make_seal
    from archiver.custody.timestamp import load_roots
    from archiver.custody.trust import TrustFile

    if not args.tsa and not args.no_timestamp:
        raise ArchiverError(None, "seal: give --tsa URL (one or more), or --no-timestamp "
                                  "to seal without proof of time")
    if args.tsa and args.no_timestamp:
        raise ArchiverError(None, "seal: --tsa and --no-timestamp exclude each other")
    collection = _open(args)
    keys, _ = collection_keys(collection)
    if args.key is None and len(keys) != 1:
        raise ArchiverError(collection.root / "keys", f"{len(keys)} keys here: give --key NAME"
                            + ("" if keys else " after 'archiver key new NAME'"))
    key = next((k for k in keys if args.key in (None, k.name)), None)
    key_file = Path(args.key_file) if args.key_file else default_key_file(key.name if key
                                                                          else args.key)
    if key is None and not key_file.is_file():
        raise ArchiverError(args.key, f"no such key in keys/ ('archiver key list'), nor a "
                                      f"private key {key_file}")
    private = load_private_key(key_file, _passphrase(args, key_file))
    roots = load_roots([Path(p) for p in args.tsa_ca]) if args.tsa else []
    with _writing(collection, args):
        if key is None:  # a key made for another collection: its public half comes here
            key = add_public_key(collection, args.key, private)
            print(f"archiver: added {key.path} ({key.fingerprint}) from {key_file}",
                  file=sys.stderr)
        result = make_seal(collection, key, private, tsas=args.tsa, roots=roots,
                           message=args.message, timeout=args.tsa_timeout)
    if result.tokens:  # the roots this user chose to trust at sealing, for verify later
        chosen = [token.chain[-1] for _, token in result.tokens]
        TrustFile.load().update(lambda trust: trust.add_roots(chosen))
    for failure in result.failures:
        print(f"archiver: {failure}: this TSA failed; the others' tokens were kept",
              file=sys.stderr)
    for url, token in result.tokens:
        print(f"timestamped by {token.tsa} ({url}) at {token.gen_time.isoformat()}, root "
              f"{token.root_fingerprint}", file=sys.stderr)
    if not result.tokens:
        print("archiver: warning: sealed WITHOUT a timestamp (--no-timestamp): the seal proves "
              "who vouched, not when", file=sys.stderr)
    print(f"sealed {len(result.statement.sources)} source(s) as "
          f"{collection.relative(result.path)}")
    print(f"sha256:{result.sha256}  {collection.relative(result.path)}/seal.json")
    print("archiver: publish the sha256 line above somewhere the collection's keeper cannot "
          "change; 'archiver verify --expect-seal <sha256>' then fails on a chain without this "
          "seal", file=sys.stderr)
    return EXIT_OK


def _wait(text: str) -> float:
    value = float(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _moment(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError("use an ISO date and time with its zone, such as "
                                         "2024-05-01T12:00:00Z") from None
    if value.tzinfo is None:
        raise argparse.ArgumentTypeError("give the zone too, such as 2024-05-01T12:00:00Z")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="archiver",
        description="Capture, verify and repair a collection of source documents.",
        epilog="Exit codes: 0 ok, 1 findings (or a failed capture), 2 usage or unusable input.",
    )
    parser.add_argument("--version", action="version", version=f"archiver {__version__}")
    # --root and --wait go before the command or after it: given after, they win; the
    # command's own copies default to SUPPRESS so that they never undo the ones given before
    common = argparse.ArgumentParser(add_help=False)
    for target, default in ((parser, True), (common, False)):
        target.add_argument("--root", default="." if default else argparse.SUPPRESS,
                            metavar="DIR", help="the collection's folder (default: .)")
        target.add_argument("--wait", type=_wait, metavar="SECONDS",
                            default=60.0 if default else argparse.SUPPRESS,
                            help="how long to wait for another run that holds the "
                                 "collection's lock (default 60)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str, *,
            to: Any = sub, collection: bool = True, epilog: str = "") -> argparse.ArgumentParser:
        """A command: its help, its examples at the end, and --root/--wait if it works on
        a collection (check-warc, check-timestamp and schema read no collection)."""
        examples = "examples:\n" + "\n".join(f"  $ {e}" for e in EXAMPLES[name])
        p = to.add_parser(name, parents=[common] if collection else [], help=help_,
                          description=textwrap.fill(help_, 79),
                          epilog=f"{epilog}\n\n{examples}".strip(),
                          formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        return p

    add("init", cmd_init, "make an empty collection (manifests/ and corpus/)")
    add("schema", cmd_schema, "print the manifest JSON Schema", collection=False)

    p = add("add", cmd_add, "register an existing text as a new source")
    p.add_argument("path", metavar="FILE", help="the text file (UTF-8) to copy into corpus/")
    p.add_argument("--id", metavar="ID", help="the new source's id (default: the file stem)")
    p.add_argument("--url", required=True, help="where the text was published")
    p.add_argument("--title", help="the text's title, as published")
    p.add_argument("--publisher", help="who published it (a newspaper, an agency, a UN body)")
    p.add_argument("--published", help="YYYY-MM-DD or an ISO datetime with zone")
    p.add_argument("--language", help="BCP 47 tag, e.g. en")
    p.add_argument("--received-from", help="who gave the text (default: the current user)")
    p.add_argument("--by", help=BY_HELP)

    p = add("verify", cmd_verify, "check fixity, WARC integrity, fidelity and text damage",
            epilog=STATUS_HELP)
    p.add_argument("ids", nargs="*", metavar="ID", help="sources to check (default: all)")
    p.add_argument("--format", choices=FORMATS, default="text",
                   help="text (for people, the default), json (for scripts), github "
                        "(workflow annotations) or junit (CI test reports)")
    p.add_argument("--output", metavar="FILE",
                   help="write the report to this file instead of stdout")
    p.add_argument("--strict", action="store_true", help="fail on warnings not accepted")
    p.add_argument("--problems-only", action="store_true",
                   help="text report: only the sources with open findings, and no accepted "
                        "finding (the counts still cover every source)")
    p.add_argument("--jobs", type=_positive_int, help="parallel workers (default: all cores, "
                   "at most one per 8 sources)")
    p.add_argument("--log", metavar="FILE",
                   help="append one JSON line for this run to this audit log")
    p.add_argument("--trust-key", action="append", default=[], metavar="sha256:HEX",
                   help="pin a signer's key fingerprint, obtained from the signer (repeatable; "
                        "adds to the trust file's)")
    p.add_argument("--tsa-ca", action="append", default=[], metavar="PEM",
                   help="trusted TSA roots (repeatable; default: the certifi bundle), beside "
                        "the trust file's")
    p.add_argument("--expect-seal", action="append", default=[], metavar="SHA256",
                   help="fail unless the seal of this sha256 (as 'archiver seal' printed it) "
                        "is in the chain (repeatable)")
    p.add_argument("--replay", action="store_true",
                   help="replay each browser capture in pywb in headless Chromium and compare "
                        "requests, resources, text and screenshot with the capture")
    p.add_argument("--pywb", metavar="BIN",
                   help="with --replay: pywb's bin/ folder (default: $ARCHIVER_PYWB)")
    p.add_argument("--browser-path", metavar="PATH",
                   help="with --replay: the Chromium to run (default: chromium on PATH)")
    p.add_argument("--no-cache", action="store_true",
                   help="check every WARC and recompute fidelity and text damage instead of "
                        "using results cached by hashes ($XDG_CACHE_HOME/archiver/cache.sqlite)")

    p = add("report", cmd_report, "write a self-contained HTML report for reviewers: each "
            "source's facts, files, captures, custody, fidelity and findings")
    p.add_argument("ids", nargs="*", metavar="ID", help="sources to report (default: all)")
    p.add_argument("--output", required=True, metavar="PATH",
                   help="a PATH ending in .html: one page (opens offline, prints by source; "
                        f"at most {_ONE_PAGE_SOURCES:,} sources); any other PATH: a folder "
                        "with index.html (counts, problems first, a filter) and one page per "
                        "source in sources/, for a collection of any size")
    p.add_argument("--jobs", type=_positive_int, help="parallel workers (default: all cores, "
                   "at most one per 8 sources)")
    p.add_argument("--no-cache", action="store_true",
                   help="check every WARC and recompute fidelity and text damage instead of "
                        "using the cache")
    p.add_argument("--replay", action="store_true",
                   help="also replay each browser capture in pywb in headless Chromium (as "
                        "verify --replay does), and show where a replay's screenshot differs "
                        "(one-page report)")
    p.add_argument("--pywb", metavar="BIN",
                   help="with --replay: pywb's bin/ folder (default: $ARCHIVER_PYWB)")
    p.add_argument("--browser-path", metavar="PATH",
                   help="with --replay: the Chromium to run (default: chromium on PATH)")

    p = add("check-warc", cmd_check_warc, "check the integrity of WARC, ARC and WACZ files, "
            "record by record", collection=False)
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="a WARC (.warc, .warc.gz), ARC or WACZ file (several may be given)")
    p.add_argument("--format", choices=WARC_FORMATS, default="text",
                   help="text (the default) or json")
    p.add_argument("--output", metavar="FILE",
                   help="write the report to this file instead of stdout")

    p = add("check-timestamp", cmd_check_timestamp, "check an RFC 3161 timestamp reply offline "
            "at its genTime: exit 0 valid, 1 invalid, 2 unreadable", collection=False)
    p.add_argument("file", metavar="FILE", help="the reply (TimeStampResp, DER) as received")
    p.add_argument("--data", metavar="FILE", help="the bytes it stamps")
    p.add_argument("--digest", metavar="ALG:HEX", help="or their digest (sha256:…, sha384:…, "
                   "sha512:…)")
    p.add_argument("--ca", action="append", default=[], metavar="PEM",
                   help="trusted roots (repeatable; default: the certifi bundle)")
    p.add_argument("--cert", action="append", default=[], metavar="PEM",
                   help="more certificates to build the chain from, trusted for nothing "
                        "(e.g. the TSA's own, when the token embeds none)")

    p = add("capture", cmd_capture, "archive pages as WARC, extract their text, record them")
    p.add_argument("urls", nargs="*", metavar="URL", help="make a new source for each URL")
    p.add_argument("--new-id", metavar="NAME",
                   help="the id of the new source made from the one URL given (default: its "
                        "host and a hash of the URL); refused if a source has it")
    p.add_argument("--id", action="append", default=[], metavar="ID",
                   help="capture the URL of this existing source (repeatable)")
    p.add_argument("--pending", action="store_true",
                   help="capture every source whose capture is pending")
    p.add_argument("--jobs", type=_positive_int, default=4, metavar="N",
                   help="captures at once (default 4)")
    p.add_argument("--per-host", type=_positive_int, default=1, metavar="N",
                   help="requests at a time to one host (default 1)")
    p.add_argument("--delay", type=float, default=0.0, metavar="SECONDS",
                   help="seconds between requests to one host (default 0)")
    p.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS",
                   help="deadline in seconds for each exchange, connect to last byte "
                        "(default 30)")
    p.add_argument("--max-bytes", type=int, default=100 * 1024 * 1024, metavar="N",
                   help="largest response body accepted (default 100 MB)")
    p.add_argument("--max-redirects", type=int, default=10, metavar="N",
                   help="redirects followed at most, each archived (default 10)")
    p.add_argument("--user-agent", default=DEFAULT_USER_AGENT, metavar="TEXT",
                   help=f"the User-Agent header sent (default {DEFAULT_USER_AGENT})")
    p.add_argument("--allow-private", action="store_true",
                   help="allow loopback, private and link-local addresses")
    p.add_argument("--by", help=BY_HELP)
    p.add_argument("--from-archive", metavar="TIMEGATE",
                   help="fetch the archived original from this web archive's Memento TimeGate "
                        "prefix (http://host/collection/), raw as archived")
    p.add_argument("--at", type=_moment, metavar="DATETIME",
                   help="with --from-archive: the memento nearest this ISO time with its "
                        "zone (default: the latest)")
    p.add_argument("--browser", action="store_true",
                   help="load each page in headless Chromium: record every resource it "
                        "fetches, screenshots, the rendered DOM and its text")
    p.add_argument("--browser-path", metavar="PATH",
                   help="with --browser: the Chromium to run (default: chromium, "
                        "chromium-browser or google-chrome on PATH)")
    p.add_argument("--viewport", default="1280x800", metavar="WIDTHxHEIGHT",
                   help="with --browser: the window size in CSS pixels (default 1280x800)")
    p.add_argument("--trust-spki", action="append", default=[], metavar="HASH",
                   help="with --browser: also trust a certificate whose public key has this "
                        "base64 SPKI sha256 (recorded in the WARC); repeatable")

    p = add("import", cmd_import, "register a capture another tool made (WARC, WARC.GZ, WACZ) "
                                  "as a source's capture")
    p.add_argument("file", metavar="FILE", help="the WARC, WARC.GZ or WACZ file another tool "
                   "made (copied into the collection byte for byte)")
    p.add_argument("--url", required=True, help="the URL whose response the file holds")
    p.add_argument("--id", metavar="ID",
                   help="the source: an existing one keeps its text and gains the capture; a "
                        "new one gets its text extracted (default: an id made from the URL)")
    p.add_argument("--record-id", metavar="URN", help="the response record to use (default: "
                   "the latest response for the URL)")
    p.add_argument("--accept-nonconformant", action="store_true",
                   help="import a file whose content is intact but whose framing breaks the "
                        "standard; the acceptance is recorded")
    p.add_argument("--by", help=BY_HELP)

    p = add("restore", cmd_restore, "restore missing or damaged files from a replica (a copy "
            "of the collection, an exported bag or WACZ), taking only bytes whose sha256 and "
            "size match the manifest")
    p.add_argument("ids", nargs="*", metavar="ID", help="sources to restore (default: all)")
    p.add_argument("--from", dest="source", required=True, metavar="PATH",
                   help="the replica: a collection folder, a bag folder, or a .wacz file")
    p.add_argument("--log", metavar="FILE",
                   help="append one JSON line of what was restored to this audit log")

    p = add("repair", cmd_repair, "restore lost link targets from the archived original")
    p.add_argument("id", metavar="ID", help=ID_HELP)
    p.add_argument("--apply", action="store_true",
                   help="write the repaired text as a new version and record it")
    p.add_argument("--by", help=BY_HELP)

    p = sub.add_parser("export", help="write sources as a WACZ package or a BagIt bag",
                       description="write sources as a WACZ package or a BagIt bag")
    export = p.add_subparsers(dest="package", required=True, metavar="FORMAT")
    for name, func, target, help_ in (
            ("wacz", cmd_export_wacz, "FILE",
             "a WACZ 1.1.1 package for ReplayWeb.page and pywb"),
            ("bagit", cmd_export_bagit, "DIR", "an RFC 8493 bag for a repository deposit")):
        p = add(name, func, help_, to=export)
        p.add_argument("out", metavar=target, help="the package to write (a .wacz file, or "
                       "the bag's folder); it must not exist")
        p.add_argument("ids", nargs="*", metavar="ID", help="sources to export (default: all)")
        p.add_argument("--title", metavar="TEXT", help="the package's title (default: named "
                       "after the collection's folder)")
        p.add_argument("--description", metavar="TEXT",
                       help="what the package holds, in a few sentences")
        if name == "wacz":
            p.add_argument("--sign-key-file", metavar="PEM",
                           help="sign the package with this ECDSA P-384 private key (WACZ "
                                "signing, anonymous mode)")
        else:
            p.add_argument("--info", action="append", type=_bag_info, default=[],
                           metavar="LABEL=VALUE",
                           help="add a bag-info.txt field, e.g. Source-Organization=... "
                                "(repeatable)")

    p = sub.add_parser("key", help="make a signing key (key new NAME) or list the "
                       "collection's keys (key list)",
                       description="make a signing key (key new NAME) or list the "
                                   "collection's keys (key list)")
    key = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = add("new", cmd_key, "make an Ed25519 signing key: the private key in your config "
            "folder, the public key in keys/NAME.pub, its fingerprint pinned in your trust "
            "file", to=key)
    p.add_argument("name", metavar="NAME", help="the key's name, e.g. your own (alice)")
    p.add_argument("--key-file", metavar="FILE", help="where the private key goes (default: "
                   "$XDG_CONFIG_HOME/archiver/keys/NAME.key)")
    p.add_argument("--passphrase-file", metavar="FILE", help="protect the private key with "
                   f"the passphrase in this file (or set {PASSPHRASE_ENV})")
    add("list", cmd_key, "list the collection's keys: name, fingerprint, file, whether the "
        "private key is on this machine and whether your trust file pins it", to=key)

    p = add("seal", cmd_seal, "sign and timestamp the collection's current state as a new seal")
    p.add_argument("--key", metavar="NAME",
                   help="the key to sign with: one in keys/, or one made for another of your "
                        "collections (default: the only one in keys/)")
    p.add_argument("--key-file", metavar="FILE", help="the private key (default: "
                                      "$XDG_CONFIG_HOME/archiver/keys/NAME.key)")
    p.add_argument("--passphrase-file", metavar="FILE",
                   help=f"the private key's passphrase (or set {PASSPHRASE_ENV})")
    p.add_argument("--tsa", action="append", default=[], metavar="URL",
                   help="an RFC 3161 timestamp authority (repeatable, for redundancy)")
    p.add_argument("--tsa-ca", action="append", default=[], metavar="PEM",
                   help="trusted root certificates of the TSAs (default: the certifi bundle)")
    p.add_argument("--tsa-timeout", type=float, default=30.0, metavar="SECONDS",
                   help="seconds to wait for each TSA (default 30)")
    p.add_argument("--no-timestamp", action="store_true",
                   help="seal without any timestamp (it then proves who, not when)")
    p.add_argument("--message", metavar="TEXT",
                   help="a note kept in the seal (what this batch of work was)")

    p = add("accept", cmd_accept, "record a reviewed finding as accepted, with the reason")
    p.add_argument("id", metavar="ID", help=ID_HELP)
    p.add_argument("code", metavar="CODE", help="the finding's code, as verify prints it "
                   "(e.g. link-placeholder)")
    p.add_argument("--line", type=_positive_int,
                   help="the finding's line (needed only when the code fires on more than "
                        "one line)")
    p.add_argument("--path", metavar="PATH",
                   help="the finding's file, if the code fires on more than one")
    p.add_argument("--reason", required=True, help=REASON_HELP)
    p.add_argument("--by", help="who reviewed it (default: the login user name)")

    p = add("unaccept", cmd_unaccept, "take an acceptance back (recorded in the history, "
            "with the reason): the finding counts again")
    p.add_argument("id", metavar="ID", help=ID_HELP)
    p.add_argument("code", metavar="CODE", help="the accepted finding's code")
    p.add_argument("--line", type=_positive_int, metavar="N",
                   help="the accepted finding's line (needed only when the code was accepted "
                        "on more than one)")
    p.add_argument("--path", metavar="PATH", help="the accepted finding's file, if needed")
    p.add_argument("--reason", required=True, help=REASON_HELP)
    p.add_argument("--by", help=BY_HELP)

    p = add("edit", cmd_edit, "record a changed text as the source's new text version")
    p.add_argument("id", metavar="ID", help=ID_HELP)
    p.add_argument("--text", required=True, metavar="FILE", help="the new text (UTF-8)")
    p.add_argument("--reason", required=True, help=REASON_HELP)
    p.add_argument("--by", help=BY_HELP)

    p = add("set", cmd_set, "correct one metadata claim, recording the old and the new")
    p.add_argument("id", metavar="ID", help=ID_HELP)
    p.add_argument("field", metavar="FIELD", help="title, publisher, authors (';' between "
                   "names), published, updated, language or url")
    p.add_argument("value", metavar="VALUE", help="the new value ('' with --status unknown)")
    p.add_argument("--status", choices=("confirmed", "inferred", "unknown"), default="inferred",
                   help="confirmed: seen in the original or a stored copy; inferred: reasoned "
                        "from evidence, given in --note (default); unknown: not established")
    p.add_argument("--note", metavar="TEXT", help="the evidence for the claim")
    p.add_argument("--reason", required=True, help=REASON_HELP)
    p.add_argument("--by", help=BY_HELP)

    p = add("withdraw", cmd_withdraw, "withdraw a source from the active collection; its "
            "files stay and verify still checks them")
    p.add_argument("id", metavar="ID", help=ID_HELP)
    p.add_argument("--reason", required=True, help=REASON_HELP)
    p.add_argument("--by", help=BY_HELP)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        with warnings.catch_warnings():
            if not sys.warnoptions:  # a library's DeprecationWarning is no news to a user
                warnings.simplefilter("ignore")
            return int(args.func(args))
    except ArchiverError as exc:
        from archiver.report.visible import visible  # a reason may quote a hostile file

        print(f"archiver: {visible(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("archiver: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_USAGE


def run() -> NoReturn:
    """The ``archiver`` command: ``main``, then every object frozen before the process ends.

    Frozen, they are skipped by the full collections the interpreter runs as it shuts down,
    which would free nothing the end of the process does not, and take a sixth of a
    ``verify`` of a few sources (``benchmarks/bench_speed.py``). (A higher threshold for
    the young generation would spare a few ms of start-up too, but lets extraction's lxml
    trees, collected only as cycles, pile up: a cold verify's workers then grow past 600 MB.)"""
    code = main()
    gc.freeze()
    sys.exit(code)

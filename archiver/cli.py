"""Command line: argparse only; the one module that prints or exits. ``main(argv) -> int``."""

from __future__ import annotations

import argparse
import getpass
import io
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from archiver import __version__
from archiver.auditlog import append_log
from archiver.collection import Collection
from archiver.errors import EXIT_FINDINGS, EXIT_OK, EXIT_USAGE, ArchiverError
from archiver.fileio import atomic_write_bytes
from archiver.manifest import Claim, Metadata, Status, describe_error, schema_text
from archiver.report import RENDERERS
from archiver.sources import accept_finding, add_source
from archiver.verify import verify


def _open(args: argparse.Namespace) -> Collection:
    return Collection.open(Path(args.root))


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


def cmd_init(args: argparse.Namespace) -> int:
    """Create an empty collection."""
    collection = Collection.init(Path(args.root))
    print(f"initialised an empty collection in {collection.root}", file=sys.stderr)
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the manifest's JSON Schema."""
    sys.stdout.write(schema_text())
    return EXIT_OK


def _claim(value: str | None) -> Claim:  # type: ignore[type-arg]
    if value is None:
        return Claim(status=Status.UNKNOWN)
    return Claim(value=value, status=Status.INFERRED, note="given to archiver add")


def cmd_add(args: argparse.Namespace) -> int:
    """Register an existing text as a new source."""
    collection = _open(args)
    text = Path(args.path)
    try:
        metadata = Metadata(
            title=_claim(args.title), publisher=_claim(args.publisher),
            published=_claim(args.published), language=_claim(args.language),
            url=_claim(args.url),
        )
    except ValidationError as exc:
        raise ArchiverError(text, describe_error(exc)[1]) from None
    manifest = add_source(collection, text, args.id or text.stem, metadata,
                          received_from=args.received_from)
    print(f"added {manifest.id}: {manifest.files[0].path}", file=sys.stderr)
    return EXIT_OK


def cmd_verify(args: argparse.Namespace) -> int:
    """Check every source; report all findings."""
    collection = _open(args)
    result = verify(collection, args.ids or None, jobs=args.jobs)
    _emit(lambda out: RENDERERS[args.format](result, out), args.output)
    if args.log:
        try:
            append_log(Path(args.log), result, collection.root)
        except OSError as exc:
            raise ArchiverError(args.log, f"cannot append to the audit log: {exc.strerror}"
                                ) from None
    return EXIT_FINDINGS if result.failed(strict=args.strict) else EXIT_OK


def cmd_accept(args: argparse.Namespace) -> int:
    """Record a reviewed finding as accepted."""
    collection = _open(args)
    acceptance = accept_finding(collection, args.id, args.code, line=args.line,
                                reason=args.reason, path=args.path, by=args.by)
    where = f":{acceptance.line}" if acceptance.line else ""
    print(f"accepted {acceptance.code} at {acceptance.path}{where}", file=sys.stderr)
    return EXIT_OK


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", default=".", help="the collection's folder (default: .)")
    parser = argparse.ArgumentParser(
        prog="archiver",
        description="Capture, verify and repair a collection of source documents.",
        epilog="Exit codes: 0 ok, 1 findings (or a failed capture), 2 usage or unusable input.",
    )
    parser.add_argument("--version", action="version", version=f"archiver {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, func: Callable[[argparse.Namespace], int], help_: str
            ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, parents=[common], help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    add("init", cmd_init, "make an empty collection (manifests/ and corpus/)")
    add("schema", cmd_schema, "print the manifest JSON Schema")

    p = add("add", cmd_add, "register an existing text as a new source")
    p.add_argument("path", help="the text file to copy into corpus/")
    p.add_argument("--id", help="source id (default: the file stem)")
    p.add_argument("--url", required=True, help="where the text was published")
    p.add_argument("--title")
    p.add_argument("--publisher")
    p.add_argument("--published", help="YYYY-MM-DD or an ISO datetime with zone")
    p.add_argument("--language", help="BCP 47 tag, e.g. en")
    p.add_argument("--received-from", default=getpass.getuser(),
                   help="who gave the text (default: the current user)")

    p = add("verify", cmd_verify, "check fixity, WARC integrity, fidelity and text damage")
    p.add_argument("ids", nargs="*", metavar="ID", help="sources to check (default: all)")
    p.add_argument("--format", choices=sorted(RENDERERS), default="text")
    p.add_argument("--output", help="write the report to this file instead of stdout")
    p.add_argument("--strict", action="store_true", help="fail on warnings not accepted")
    p.add_argument("--jobs", type=_positive_int, help="parallel workers (default: all cores)")
    p.add_argument("--log", help="append one JSON line for this run to this audit log")

    p = add("accept", cmd_accept, "record a reviewed finding as accepted, with the reason")
    p.add_argument("id")
    p.add_argument("code")
    p.add_argument("--line", type=_positive_int)
    p.add_argument("--path", help="the finding's file, if the code fires on more than one")
    p.add_argument("--reason", required=True)
    p.add_argument("--by", default=getpass.getuser(), help="who reviewed it")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return int(args.func(args))
    except ArchiverError as exc:
        print(f"archiver: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("archiver: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_USAGE


"""The manifest: one Pydantic-validated JSON file per source (metadata, files, provenance)."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    model_validator,
)
from pydantic_core import PydanticCustomError

from archiver.errors import ArchiverError
from archiver.fileio import atomic_write_bytes
from archiver.state import Parts, parts

SCHEMA_VERSION = 1
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"
_SAFE_PARTS = re.compile(r"^[^\x00-\x1f\\]+$")


def _check_relpath(value: str) -> str:
    """Refuse any path that could leave the collection: absolute, ``..``, backslashes, empty."""
    pure = PurePosixPath(value)
    if (
        not value
        or pure.is_absolute()
        or value.startswith("~")
        or any(part in ("..", ".", "") for part in value.split("/"))
        or not _SAFE_PARTS.match(value)
    ):
        raise PydanticCustomError(
            "path_unsafe",
            "path '{path}' leaves the collection (it must be relative, POSIX, without '..')",
            {"path": value},
        )
    return value


RelPath = Annotated[str, AfterValidator(_check_relpath)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
SourceId = Annotated[str, Field(pattern=ID_PATTERN)]
Timestamp = AwareDatetime


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, validate_assignment=True)


class Status(StrEnum):
    """How sure a metadata claim is."""

    CONFIRMED = "confirmed"  # seen in the original or a stored copy of it
    INFERRED = "inferred"  # reasoned from evidence, given in the note
    UNKNOWN = "unknown"  # not established
    EXTRACTED = "extracted"  # read by the tool from a captured page


T = TypeVar("T")


class Claim(_Model, Generic[T]):
    """A metadata value with how sure it is and the evidence for it."""

    value: T | None = None
    status: Status
    note: str | None = None

    @model_validator(mode="after")
    def _unknown_has_no_value(self) -> Claim[T]:
        if self.status is Status.UNKNOWN and self.value not in (None, [], ""):
            raise ValueError("a claim with status 'unknown' must not carry a value")
        if self.status is not Status.UNKNOWN and self.value is None:
            raise ValueError(f"a claim with status {self.status.value!r} needs a value")
        return self


PublicationTime = AwareDatetime | date


def unknown() -> Claim[Any]:
    """A claim that nothing is known."""
    return Claim(status=Status.UNKNOWN)


class Metadata(_Model):
    """What is known of the original publication."""

    title: Claim[str] = Field(default_factory=unknown)
    publisher: Claim[str] = Field(default_factory=unknown)
    authors: Claim[list[str]] = Field(default_factory=unknown)
    published: Claim[PublicationTime] = Field(default_factory=unknown)
    updated: Claim[PublicationTime] | None = None
    language: Claim[Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]] = Field(
        default_factory=unknown
    )
    url: Claim[str] = Field(default_factory=unknown)
    mirrors: list[Claim[str]] = Field(default_factory=list)


_WHEN = "use YYYY-MM-DD, or an ISO date and time with its zone (2024-05-01T12:00:00+02:00)"
# How to write a metadata value that failed validation, in plain words (add, set).
FIELD_FORMATS = {"published": _WHEN, "updated": _WHEN,
                 "language": "use a BCP 47 language tag, such as en or pt-BR"}


class FileRole(StrEnum):
    """What a file is to its source."""

    TEXT = "text"
    WARC = "warc"


class FileEntry(_Model):
    """A file the source owns, with its fixity."""

    path: RelPath
    sha256: Sha256
    size: Annotated[int, Field(ge=0)]
    media_type: str
    role: FileRole


class Received(_Model):
    """The text was given to the collection as it is (not derived by the tool)."""

    kind: Literal["received"] = "received"
    received_from: str
    received_at: Timestamp | date | None = None
    note: str | None = None


class Extractor(_Model):
    """The program that turned an archived page into text, exactly enough to re-run it."""

    name: str
    version: str
    options: dict[str, Any] = Field(default_factory=dict)
    # what the tool did to the page before the extractor saw it, by step name, in order
    preprocessing: list[str] = Field(default_factory=list)


class Extracted(_Model):
    """The text was extracted by the tool from one of the source's captures."""

    kind: Literal["extracted"] = "extracted"
    capture_id: str
    extractor: Extractor
    extracted_at: Timestamp


Origin = Annotated[Received | Extracted, Field(discriminator="kind")]


class TextRecord(_Model):
    """The source's stored text and how it came to be."""

    path: RelPath
    origin: Origin


class Tool(_Model):
    """A program and its version."""

    name: str
    version: str


class Exchange(_Model):
    """One archived HTTP request/response pair (one redirect hop)."""

    url: str
    http_status: int
    request_record_id: str | None = None  # None: the WARC holds no request (an import)
    response_record_id: str
    location: str | None = None


class SignatureStatus(_Model):
    """Whether an imported WACZ was signed, by whom, and whether the signature verified."""

    status: Literal["unsigned", "verified", "untrusted", "invalid"]
    mode: Literal["anonymous", "domain"] | None = None
    signer: str | None = None  # the domain, or the anonymous key's sha256
    software: str | None = None
    created: str | None = None
    timestamp: str | None = None  # the TSA's time, domain mode
    problems: list[str] = Field(default_factory=list)


class Nonconformance(_Model):
    """A person's acceptance, at import, of a WARC whose framing breaks the standard."""

    findings: list[str]  # the warc-nonconformant messages accepted, as check-warc gave them
    accepted_at: Timestamp
    accepted_by: str | None = None


class Revisit(_Model):
    """The revisit record an imported capture was chosen by: the moment the page was seen,
    its payload stored once before in the record the capture names as its response."""

    record_id: str
    target_uri: str
    date: str
    member: RelPath | None = None
    refers_to: str | None = None  # how it named its original: WARC-Refers-To, or
    refers_to_uri: str | None = None  # WARC-Refers-To-Target-URI and -Date
    refers_to_date: str | None = None


class Imported(_Model):
    """A capture made by another tool, imported byte for byte (``archiver import``)."""

    original_name: str
    original_sha256: Sha256
    imported_at: Timestamp
    made_by: str | None = None  # the maker's own words: warcinfo software, datapackage software
    warc_software: str | None = None  # for a WACZ, what its WARC's warcinfo says
    record_chosen: Literal["latest", "given"] = "latest"
    nonconformant: Nonconformance | None = None
    signature: SignatureStatus | None = None  # WACZ only
    revisit: Revisit | None = None  # the page was held as a revisit of the response named
    # the response carried no WARC-Payload-Digest: the capture's is archiver's, computed
    # over the payload as stored (sha256, transfer coding kept)
    payload_digest_computed: bool = False
    notes: list[str] = Field(default_factory=list)  # what reading the response worked around


class Memento(_Model):
    """A capture fetched from a web archive (RFC 7089): the original as that archive holds it."""

    archive: str  # the TimeGate asked
    memento_url: str  # the memento the TimeGate named
    raw_url: str  # the URL fetched: the memento's original bytes, not rewritten (``id_``)
    memento_datetime: Timestamp
    original_url: str
    accept_datetime: Timestamp | None = None  # what was asked for (--at), if anything


class BrowserRecord(_Model):
    """A resource record a browser capture made of what the page showed (screenshot, DOM,
    text, page info): its record id, URI and the sha256 of its block."""

    record_id: str
    uri: str
    sha256: Sha256


class BrowserResource(_Model):
    """One response the page received, as recorded: its response record and body's sha256
    (None: no body kept, e.g. a redirect)."""

    url: str
    http_status: int
    record_id: str
    sha256: Sha256 | None = None


class BrowserCapture(_Model):
    """How a page was captured in a browser, and the records of what it showed."""

    browser: Tool  # e.g. HeadlessChrome 156.0.8078.129
    user_agent: str
    viewport: str  # WIDTHxHEIGHT in CSS pixels
    wait_policy: str  # when the page counted as done, in words
    waited: dict[str, str] = Field(default_factory=dict)  # what each step of the wait found
    screenshot: BrowserRecord  # urn:view: (viewport PNG)
    full_page: BrowserRecord  # urn:fullPage:
    dom: BrowserRecord  # urn:dom: (the rendered DOM, which the text is extracted from)
    text: BrowserRecord  # urn:text: (the page's innerText)
    pageinfo: BrowserRecord  # urn:pageinfo: (every resource, TLS chain, console, timings)
    resources: list[BrowserResource] = Field(default_factory=list)


class Capture(_Model):
    """An archived original: the WARC that holds what the server sent."""

    id: Annotated[str, Field(pattern=ID_PATTERN)]
    requested_url: str
    final_url: str
    warc_path: RelPath
    warc_sha256: Sha256
    # a WACZ's capture: the WARC inside it (its path in the zip) that holds the records
    warc_member: RelPath | None = None
    request_record_id: str | None = None  # None: the WARC holds no request (an import)
    response_record_id: str
    captured_at: Timestamp
    http_status: int
    content_type: str | None = None
    payload_digest: str
    ip_address: str | None = None
    tool: Tool
    redirects: list[Exchange] = Field(default_factory=list)
    imported: Imported | None = None
    memento: Memento | None = None
    method: Literal["http", "browser"] | None = None  # None: http (older manifests)
    browser: BrowserCapture | None = None  # a browser capture's records

    @property
    def page_url(self) -> str:
        """The URL the page was published at, which its links resolve against: a memento's
        original URL, else the final URL fetched."""
        if self.memento:
            return self.memento.original_url
        if self.imported and self.imported.revisit:  # the page seen, not the one revisited
            return self.imported.revisit.target_uri
        return self.final_url

    @property
    def described(self) -> str:
        """What was captured, for a person: the URL, and for a memento who archived it when."""
        if self.memento is None:
            return self.final_url
        return (f"{self.memento.original_url} as archived by {self.memento.archive} at "
                f"{self.memento.memento_datetime:%Y-%m-%dT%H:%M:%SZ}")


class PendingCapture(_Model):
    """Why a source has no archived original yet."""

    reason: str
    since: Timestamp | date


class LinkEdit(_Model):
    """One change within an edit: a line's old and new content, and the evidence for it."""

    line: Annotated[int, Field(ge=1)]
    before: str
    after: str
    evidence: str | None = None


# What each history action is: one that brings a file into the source (a text version, a
# capture's WARC) names it, with its sha256; the others change no file.
FILE_ACTIONS = frozenset({"received", "extracted", "captured", "repaired", "edited"})
TEXT_ACTIONS = frozenset({"received", "extracted", "repaired", "edited"})
Action = Literal["received", "extracted", "captured", "repaired", "edited", "set", "withdrawn",
                 "unaccepted"]


class FieldChange(_Model):
    """A metadata correction: the field, and its claim (value, status, note) before and after;
    None where the field was or is absent (``updated``)."""

    field: str
    before: Claim[Any] | None = None
    after: Claim[Any] | None = None


class PartChange(_Model):
    """One part of the manifest's state (``archiver.state``) that an entry changed: its sha256
    before and after; None where the part was or is absent."""

    before: Sha256 | None = None
    after: Sha256 | None = None


class StateChange(_Model):
    """What an entry did to the manifest's state: the sha256 of the state after it, and each
    part it changed, so that a change no entry accounts for shows."""

    sha256_after: Sha256
    parts: dict[str, PartChange] = Field(default_factory=dict)


# New fields of a history entry must default to None (omitted when stored): an entry's stored
# bytes are hashed, so a field that appeared in old entries on re-saving would break the chain.
class HistoryEntry(_Model):
    """One change to the source, who made it with which tool, and the sha256 that chains it
    to the entry before it (see archiver.history)."""

    at: Timestamp
    action: Action
    path: RelPath | None = None  # the file this change brought in (file actions only)
    previous_path: RelPath | None = None  # an edit writes a new version; the old one is kept
    sha256_before: Sha256 | None = None
    sha256_after: Sha256 | None = None
    reason: str
    tool: Tool | None = None
    changes: list[LinkEdit] = Field(default_factory=list)
    field_change: FieldChange | None = None  # "set" only
    by: str | None = None  # who ran the tool (absent in entries made before it was recorded)
    chain_sha256: Sha256 | None = None  # absent in the legacy prefix (made before the chain)
    state: StateChange | None = None  # absent in entries made before states were recorded
    # "unaccepted" only: the acceptance taken back, by its place in ``accepted`` (1 = first);
    # acceptances are never removed, so their places never change
    acceptance: Annotated[int, Field(ge=1)] | None = None

    @model_validator(mode="after")
    def _fits_action(self) -> HistoryEntry:
        if self.action in FILE_ACTIONS and (self.path is None or self.sha256_after is None):
            raise ValueError(f"a {self.action!r} entry needs path and sha256_after")
        if self.action not in FILE_ACTIONS and self.path is not None:
            raise ValueError(f"a {self.action!r} entry changes no file: it has no path")
        if (self.action == "set") != (self.field_change is not None):
            raise ValueError("field_change belongs to 'set' entries, and each needs one")
        if (self.action == "unaccepted") != (self.acceptance is not None):
            raise ValueError("acceptance belongs to 'unaccepted' entries, and each needs one")
        return self


class Acceptance(_Model):
    """A finding a person reviewed and accepted; it no longer applies once its line changes."""

    code: str
    path: RelPath
    line: Annotated[int, Field(ge=1)] | None = None
    line_sha256: Sha256 | None = None
    reason: Annotated[str, Field(min_length=1)]
    accepted_at: Timestamp
    accepted_by: str | None = None


class Manifest(_Model):
    """Everything the collection knows and can prove about one source."""

    schema_version: Literal[1] = SCHEMA_VERSION
    id: SourceId
    metadata: Metadata = Field(default_factory=Metadata)
    files: list[FileEntry] = Field(default_factory=list)
    text: TextRecord | None = None
    captures: list[Capture] = Field(default_factory=list)
    capture_pending: PendingCapture | None = None
    history: list[HistoryEntry] = Field(default_factory=list)
    # sha256 of the last history entry's canonical bytes, so a removed last entry shows
    history_head: Sha256 | None = None
    accepted: list[Acceptance] = Field(default_factory=list)
    # the state as read from disk, or as the last history entry recorded it (archiver.history);
    # computed from the stored form kept at reading, only if a writer asks for it
    _base: Parts | None = PrivateAttr(default=None)
    _read: dict[str, Any] | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self) -> Manifest:
        paths = [f.path for f in self.files]
        if len(paths) != len(set(paths)):
            raise ValueError("files lists a path twice")
        known = set(paths)
        if self.text is not None and self.text.path not in known:
            raise ValueError(f"text.path {self.text.path!r} is not among files")
        capture_ids = [c.id for c in self.captures]
        if len(capture_ids) != len(set(capture_ids)):
            raise ValueError("captures lists an id twice")
        for capture in self.captures:
            if capture.warc_path not in known:
                raise ValueError(f"capture {capture.id!r}: warc_path is not among files")
        origin = self.text.origin if self.text is not None else None
        if isinstance(origin, Extracted) and origin.capture_id not in capture_ids:
            raise ValueError("text.origin.capture_id names no capture")
        if not self.captures and self.capture_pending is None:
            raise ValueError("a source without captures must say why (capture_pending)")
        return self

    def __eq__(self, other: object) -> bool:
        """Equal content (fields), whatever state each was read with."""
        if not isinstance(other, Manifest):
            return NotImplemented
        return self.__dict__ == other.__dict__

    __hash__ = None  # type: ignore[assignment]  # mutable, as pydantic leaves it

    def stored(self) -> dict[str, Any]:
        """The manifest in the JSON form it is stored in (nulls left out)."""
        return self.model_dump(mode="json", exclude_none=True)

    def state(self) -> Parts:
        """Its present state: the sha256 of each part (``archiver.state``)."""
        return parts(self.stored())

    @property
    def base(self) -> Parts | None:
        """The state it was read with (None for a manifest made in memory), which the next
        history entry records as its state before."""
        if self._base is None and self._read is not None:
            self._base, self._read = parts(self._read), None
        return self._base

    @base.setter
    def base(self, state: Parts) -> None:
        self._base, self._read = state, None

    def file(self, path: str) -> FileEntry | None:
        """The file entry for ``path``, if the source owns it."""
        return next((f for f in self.files if f.path == path), None)

    def capture(self, capture_id: str) -> Capture | None:
        """The capture with ``capture_id``, if any."""
        return next((c for c in self.captures if c.id == capture_id), None)

    def revocations(self) -> dict[int, HistoryEntry]:
        """The ``unaccepted`` history entries, by the place (1 = first) of the acceptance
        each takes back."""
        return {e.acceptance: e for e in self.history
                if e.action == "unaccepted" and e.acceptance is not None}

    def active_acceptances(self) -> list[Acceptance]:
        """The acceptances that apply: every one, but those a history entry took back."""
        taken_back = self.revocations()
        return [a for n, a in enumerate(self.accepted, 1) if n not in taken_back]

    @property
    def withdrawal(self) -> HistoryEntry | None:
        """The entry that withdrew the source from the active collection, if one did."""
        return next((e for e in self.history if e.action == "withdrawn"), None)


def now() -> datetime:
    """The current time, timezone-aware, to the second."""
    return datetime.now(UTC).replace(microsecond=0)


def iso_time(at: datetime) -> str:
    """A time as manifests and reports give it: ISO 8601, ``Z`` for UTC."""
    return at.isoformat().replace("+00:00", "Z")


def schema() -> dict[str, Any]:
    """The manifest's JSON Schema."""
    out = Manifest.model_json_schema()
    out["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    out["$id"] = f"https://archiver.invalid/manifest/v{SCHEMA_VERSION}.json"
    return out


def schema_text() -> str:
    """The manifest's JSON Schema as committed (stable key order, trailing newline)."""
    return json.dumps(schema(), indent=2, ensure_ascii=False) + "\n"


def describe_error(error: ValidationError, *, most: int = 3) -> tuple[str, str]:
    """(first error type, one line naming each field and reason) of a validation error."""
    errors = error.errors(include_url=False)
    parts = [f"{'.'.join(str(p) for p in e['loc']) or '(top level)'}: {e['msg']}"
             for e in errors[:most]]
    if len(errors) > most:
        parts.append(f"and {len(errors) - most} more")
    return errors[0]["type"], "; ".join(parts)


def parse_manifest(data: bytes, path: Path) -> Manifest:
    """Validate manifest bytes; raise ManifestError naming the field and reason."""
    try:
        manifest = Manifest.model_validate_json(data)
    except ValidationError as exc:
        kind, summary = describe_error(exc)
        raise ManifestError(path, summary, unsafe=kind == "path_unsafe") from None
    manifest._read = manifest.stored()  # a copy: what the manifest held when read
    return manifest


def read_manifest(path: Path) -> tuple[Manifest, bytes]:
    """Read and validate the manifest at ``path``; return it with the bytes it was read from
    (its history chain is checked on those, as an outsider would check it)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ManifestError(path, f"cannot read: {exc.strerror}") from None
    return parse_manifest(data, path), data


def load_manifest(path: Path) -> Manifest:
    """Read and validate the manifest at ``path``."""
    return read_manifest(path)[0]


def dump_manifest(manifest: Manifest) -> bytes:
    """Serialise a manifest: stable, readable JSON with a trailing newline."""
    data = manifest.stored()
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def save_manifest(path: Path, manifest: Manifest) -> None:
    """Validate and atomically write ``manifest`` to ``path``."""
    data = dump_manifest(manifest)
    parse_manifest(data, path)  # never write what we could not read back
    atomic_write_bytes(path, data)


class ManifestError(ArchiverError):
    """A manifest cannot be read or breaks the schema."""

    def __init__(self, path: str | Path, reason: str, *, unsafe: bool = False) -> None:
        super().__init__(path, reason)
        self.unsafe = unsafe

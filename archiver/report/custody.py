"""What the HTML report says of a source's custody: the latest seal as verify checked it
(signer, timestamps, or why there is none), and in plain words what it proves and what not."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from archiver.custody.check import SourceCustody
from archiver.findings import Finding, Severity
from archiver.manifest import iso_time

if TYPE_CHECKING:
    from archiver.custody.chain import SealCheck


@dataclass(frozen=True)
class Stamp:
    """One verified RFC 3161 timestamp of the seal."""

    tsa: str
    gen_time: str
    root_sha256: str


@dataclass
class CustodyView:
    """A source's custody: status (sealed, changed, new, unsealed, invalid), the custody line
    verify prints, the seal's details, the paths changed since it, and the plain words."""

    status: str
    line: str
    seal: str | None = None
    sealed_at: str | None = None
    signer: str | None = None
    fingerprint: str | None = None
    message: str | None = None
    stamps: list[Stamp] = field(default_factory=list)
    changed: list[Finding] = field(default_factory=list)
    shows: list[str] = field(default_factory=list)
    does_not_show: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The label class the report gives the status: a change nothing accounts for is an
        error."""
        if any(f.severity is Severity.ERROR for f in self.changed):
            return "error"
        return {"sealed": "ok", "changed": "warning", "new": "warning"}.get(self.status,
                                                                             "error")


_NOT_SEALED = ("When the files were made, beyond the times this tool wrote down: the source is "
               "not sealed, so no signature or independent timestamp vouches for them")
_LIMITS = ("That the publisher's server sent these bytes: the WARC records what arrived, and "
           "TLS leaves no signature to keep.",
           "That the signer is honest or what is sealed is true: a seal binds the holder of the "
           "key to this state of the files; it does not make that state true.")


def custody_view(custody: SourceCustody | None) -> CustodyView:
    """The report's custody of one source, from verify's check of it."""
    if custody is None or custody.status == "unsealed":
        view = CustodyView("unsealed", custody.text if custody else "not checked")
        view.does_not_show.append(f"{_NOT_SEALED}.")
        return view
    view = CustodyView(custody.status, custody.text,
                       changed=[f for f in custody.findings if f.code == "unsealed-change"])
    seal = custody.seal
    if seal is None or seal.statement is None or not seal.valid:
        view.status = "invalid"
        view.seal = seal.name if seal else None
        view.shows.append(f"Nothing from the seal: the latest seal{_named(seal)} does not verify "
                          "(see seal-invalid or timestamp-invalid among the collection's "
                          "findings); it may have been tampered with.")
        view.does_not_show.append(f"{_NOT_SEALED} that can be trusted.")
        return view
    _details(view, seal)
    who = f"the holder of key {view.signer} ({view.fingerprint})"
    if view.status == "new":
        view.does_not_show.append(f"{_NOT_SEALED}: it was added after the seal {view.seal} of "
                                  f"{view.sealed_at}; seal again to cover it.")
        return view
    if view.status == "changed":
        paths = ", ".join(sorted({f.path or "" for f in view.changed}))
        view.shows.append(f"The seal {view.seal} of {view.sealed_at}, signed by {who}, vouches "
                          f"for this source as it was then; it differs today ({paths}), so no "
                          "seal vouches for it as it is now. A change the manifest's history "
                          "records is a warning, one it does not an error (see the findings).")
        view.does_not_show.append("That the changes since the seal are sound: no seal vouches "
                                  "for them yet; review them, then seal again.")
    else:
        view.shows.append(f"The manifest and each of its files are today exactly as sealed in "
                          f"{view.seal} on {view.sealed_at}, and {who} signed that seal.")
    then = ("the files as the seal records them (not as they are today)"
            if view.status == "changed" else "the sealed files")
    for stamp in view.stamps:
        view.shows.append(f"{stamp.tsa}, a timestamp authority, signed that the seal existed "
                          f"at {stamp.gen_time}: {then} existed no later than then.")
    if not view.stamps:
        view.does_not_show.append(f"When it was sealed: the seal has no timestamp (made with "
                                  f"--no-timestamp), so {view.sealed_at} is only the signer's "
                                  "own clock; it proves who vouched, not when.")
    view.does_not_show.extend(_LIMITS)
    view.does_not_show.append(f"Who holds key {view.signer}: compare its fingerprint with one its "
                              "holder published" + (", and each TSA root's sha256 with the one "
                                                    "the TSA publishes." if view.stamps else "."))
    return view


def _named(seal: SealCheck | None) -> str:
    return f" {seal.name}" if seal else ""


def _details(view: CustodyView, seal: SealCheck) -> None:
    statement = seal.statement
    assert statement is not None
    view.seal, view.sealed_at = seal.name, iso_time(statement.sealed_at)
    view.signer, view.fingerprint = statement.key.name, statement.key.fingerprint
    view.message = statement.message
    view.stamps = [Stamp(t.tsa, iso_time(t.gen_time), t.root_fingerprint) for t in seal.tokens]

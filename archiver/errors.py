"""The one exception family: the tool cannot do its job (as opposed to a finding)."""

from __future__ import annotations

from pathlib import Path

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


class ArchiverError(Exception):
    """A problem that stops a command; rendered as one line ``archiver: <path>: <reason>``."""

    exit_code = EXIT_USAGE

    def __init__(self, path: str | Path | None, reason: str) -> None:
        self.path = str(path) if path is not None else None
        self.reason = reason
        super().__init__(str(self))

    def __reduce__(self) -> tuple[type[ArchiverError], tuple[str | None, str]]:
        """Pickle as its path and reason (it crosses from worker processes)."""
        return type(self), (self.path, self.reason)

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}" if self.path else self.reason


class CaptureError(ArchiverError):
    """A capture failed (DNS, refused, timeout, TLS, oversize): nothing was written; exit 1."""

    exit_code = EXIT_FINDINGS

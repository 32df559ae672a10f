"""The HTML report: one self-contained page (CSS inline, no script, nothing fetched) rendered
from the report's view with Jinja2, every value escaped."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import jinja2
import markupsafe

from archiver.report.view import ReportView


def _linkable(url: str | None) -> bool:
    """Only http(s) URLs become links: a hostile ``javascript:`` stays text."""
    return bool(url) and urlsplit(url or "").scheme.lower() in ("http", "https")


# C0 controls other than tab and newlines are no text (a damaged WARC's bytes in a message):
# shown as U+FFFD so the page stays valid HTML and prints.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _finalize(value: Any) -> Any:
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):  # macros' markup
        return _CONTROLS.sub("\ufffd", value)
    return value


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("archiver.report", "templates"),
        autoescape=True,  # a page's own text must never become markup in the report
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        finalize=_finalize,
    )
    env.tests["linkable"] = _linkable
    return env


def render_html(view: ReportView) -> str:
    """The report as one HTML document."""
    return _environment().get_template("report.html.j2").render(report=view)

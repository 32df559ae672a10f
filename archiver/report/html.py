"""The HTML report: one self-contained page (CSS inline, no script, nothing fetched) rendered
from the report's view with Jinja2, every value escaped."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import jinja2
import markupsafe

from archiver.report.view import ReportView
from archiver.report.visible import href, marked


def _linkable(url: str | None) -> bool:
    """Only http(s) URLs become links: a hostile ``javascript:`` stays text."""
    return bool(url) and urlsplit(url or "").scheme.lower() in ("http", "https")


def _finalize(value: Any) -> Any:
    """Every value the page shows: controls, bidi and zero-width characters marked visibly
    (a damaged WARC's bytes in a message, a title that would reverse the text after it)."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):  # macros' markup
        return marked(value)
    return value


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("archiver.report", "templates"),
        autoescape=True,  # a page's own text must never become markup in the report
        undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
        finalize=_finalize,
    )
    env.tests["linkable"] = _linkable
    env.filters["href"] = href
    return env


def render_html(view: ReportView) -> str:
    """The report as one HTML document."""
    return _environment().get_template("report.html.j2").render(report=view)

"""The HTML report: one self-contained page (CSS inline, no script, nothing fetched) rendered
from the report's view with Jinja2, every value escaped."""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import jinja2
import markupsafe

from archiver.report.view import ReportView
from archiver.report.visible import href, marked

if TYPE_CHECKING:
    from archiver.report.folder import IndexView


def _linkable(url: str | None) -> bool:
    """Only http(s) URLs become links: a hostile ``javascript:`` stays text."""
    return bool(url) and urlsplit(url or "").scheme.lower() in ("http", "https")


def _finalize(value: Any) -> Any:
    """Every value the page shows: controls, bidi and zero-width characters marked visibly
    (a damaged WARC's bytes in a message, a title that would reverse the text after it)."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):  # macros' markup
        return marked(value)
    return value


@functools.cache
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


_FILTER = "filter.js"  # the index page's one script, allowed by its hash alone


def render_index(index: IndexView) -> Iterator[str]:
    """The index page of a report folder, in pieces as it is made (it lists every source).

    Its one script, the filter, is allowed by the page's Content-Security-Policy by its
    sha256: any other script, and any request, stays refused."""
    env = _environment()
    assert env.loader is not None
    script, _, _ = env.loader.get_source(env, _FILTER)
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    yield from env.get_template("index.html.j2").generate(
        index=index, script=markupsafe.Markup(script), script_hash=f"sha256-{digest}")

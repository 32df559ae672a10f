"""Report: render a verify result for people and machines (text, JSON, GitHub annotations,
JUnit XML, and the HTML report of ``html``/``view``); no decisions here.

``html`` is not imported here: it loads Jinja2, which only ``archiver report`` needs.
"""

from archiver.report.formats import render_github, render_json, render_junit, render_text

__all__ = ["render_github", "render_json", "render_junit", "render_text"]

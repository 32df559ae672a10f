"""Report: render a verify result for people and machines (text, JSON, GitHub annotations,
JUnit XML); no decisions here.
"""

from archiver.report.formats import render_github, render_json, render_junit, render_text

__all__ = ["render_github", "render_json", "render_junit", "render_text"]

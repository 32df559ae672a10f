"""Report: render a verify result for people and machines (text, JSON, GitHub annotations,
JUnit XML, and the HTML report of ``html``/``view``); no decisions here.

``html`` is not imported here: it loads Jinja2, which only ``archiver report`` needs.
"""

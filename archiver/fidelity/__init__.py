"""Fidelity: extract text from an archived page, align a stored text with it, find text damage,
and repair lost links from the original.

Its public face (imported from the modules named, so that a command loads only what it
needs): ``extract`` (``extract``), ``check_fidelity`` (``compare``),
``scan_text`` (``damage``), ``plan_source_repairs`` and ``apply_repairs`` (``repair``), and the
per-source checks against the archived originals (``originals``).
"""

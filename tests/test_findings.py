"""Finding codes are a public interface: documented in docs/findings.md, each made to fire by a
test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from archiver.findings import RULES, Finding, Severity

ROOT = Path(__file__).resolve().parents[1]
TABLE_ROW = re.compile(r"^\| `([a-z0-9-]+)` \| (error|warning) \| (.+?) \| (.+?) \|$", re.M)


def readme_table() -> dict[str, str]:
    page = (ROOT / "docs" / "findings.md").read_text("utf-8")
    return {m[1]: m[2] for m in TABLE_ROW.finditer(page)}


def test_every_code_is_in_the_readme_table_with_its_severity() -> None:
    table = readme_table()
    assert {code: rule.severity.value for code, rule in RULES.items()} == table


def test_codes_are_kebab_case_nouns() -> None:
    for code in RULES:
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", code), code


@pytest.mark.parametrize("code", sorted(RULES))
def test_every_code_has_a_test_that_asserts_it(code: str) -> None:
    """Some test other than this file names the code in a string it checks."""
    pattern = re.compile(rf"[\"']{re.escape(code)}[\"']")
    tests = [p for p in (ROOT / "tests").glob("test_*.py") if p.name != "test_findings.py"]
    assert any(pattern.search(p.read_text("utf-8")) for p in tests), f"no test for {code}"


def test_unknown_codes_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown finding code"):
        Finding("no-such-code", "x")
    assert Finding("hash-mismatch", "x").severity is Severity.ERROR

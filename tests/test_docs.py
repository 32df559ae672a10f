"""The documentation site (docs/, MkDocs) builds in strict mode: no page outside the nav, no
link to a page or anchor that is not there; and the README stays a page long."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_docs_site_builds_strict(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(ROOT / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "site" / "findings" / "index.html").is_file()


def test_a_broken_link_fails_the_build(tmp_path: Path) -> None:
    """The check can fail: a copy of the docs with a link to an anchor that is not there."""
    docs = tmp_path / "docs"
    subprocess.run(["cp", "-r", str(ROOT / "docs"), str(docs)], check=True)
    (docs / "index.md").write_text((docs / "index.md").read_text("utf-8")
                                   + "\nSee [nothing](custody.md#no-such-heading).\n", "utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text((ROOT / "mkdocs.yml").read_text("utf-8"), "utf-8")
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
                           str(config), "--site-dir", str(tmp_path / "site")],
                          capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode != 0 and "no-such-heading" in done.stderr


def test_the_readme_fits_on_a_page() -> None:
    lines = (ROOT / "README.md").read_text("utf-8").splitlines()
    assert len(lines) <= 300
    # it opens with the two set-up commands .ci/run runs: the main job, then the tests
    blocks = [i for i, line in enumerate(lines) if line == "```bash"]
    assert len(blocks) >= 2 and "archiver verify" in lines[blocks[0] + 1]
    assert "pytest" in lines[blocks[1] + 1]

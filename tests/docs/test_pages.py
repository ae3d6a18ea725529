"""The README stays a short user guide; the documentation pages date figures by model version only."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
README_MAX_LINES = 250

# figures are dated by the model version they belong to (name@commit), never by when or where they ran
UNDATED = re.compile(r"\bsessions?\b|last time|previous stop|earlier machines?|(this|another|a slower|a quiet) machine's|"
                     r"previous weights|two sessions ago", re.IGNORECASE)


def test_readme_is_short():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail to docs/"


def test_setup_commands_unchanged():
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/app.sh" in readme and "bash scripts/test.sh" in readme
    assert "bash scripts/test.sh" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_figures_dated_by_model_version(page):
    hits = [f"{n}: {line.strip()}" for n, line in enumerate(page.read_text().splitlines(), 1) if UNDATED.search(line)]
    assert not hits, "date figures by model version, not by run or machine:\n" + "\n".join(hits)


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_resolve(page):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.DOTALL)
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target:
            continue
        assert (page.parent / target).exists(), f"{page.name}: link to {target} does not resolve"

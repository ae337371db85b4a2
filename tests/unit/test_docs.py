"""The documentation: README.md is the front door, docs/ holds the rest, and every link resolves.

The Markdown helpers here (code blocks, inline code, headings, GitHub's anchors) are also what
test_cli.py reads the documented commands with.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
PAGES = [README, *sorted(DOCS.glob("*.md"))]

FENCE = re.compile(r"^\s{0,3}(```|~~~)")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)(?:\s+#+)?\s*$")
INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`)(.+?)(?<!`)\1(?!`)", re.S)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def split_code(text: str) -> tuple[str, list[str]]:
    """The prose (code blocks blanked out, so line numbers hold) and the code blocks' lines.

    Code blocks are fenced (``` or ~~~) or indented by four spaces after a blank line.
    """
    prose: list[str] = []
    code: list[str] = []
    fenced = indented = False
    previous_blank = True
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            prose.append("")
        elif fenced:
            code.append(line)
            prose.append("")
        elif line.startswith(("    ", "\t")) and (previous_blank or indented) and line.strip():
            indented = True
            code.append(line)
            prose.append("")
        else:
            indented = False
            prose.append(line)
        previous_blank = not line.strip()
    return "\n".join(prose), code


def inline_code(prose: str) -> list[str]:
    """Every inline code span, whitespace collapsed and a table's escaped `\\|` read as `|`."""
    return [" ".join(m.group(2).replace("\\|", "|").split()) for m in INLINE_CODE.finditer(prose)]


def code_snippets(page: Path) -> list[str]:
    """What a page shows as code: each line of its code blocks and each inline code span."""
    prose, code = split_code(page.read_text())
    return [line.strip() for line in code if line.strip()] + inline_code(prose)


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lowercase, punctuation but `-` dropped, each space a `-`."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link counts by its text
    text = re.sub(r"[^\w\- ]", "", text.strip().lower())
    return text.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every heading's anchor; a repeated heading gets `-1`, `-2`, ... as on GitHub."""
    prose, _ = split_code(page.read_text())
    seen: dict[str, int] = {}
    found = set()
    for line in prose.splitlines():
        match = HEADING.match(line)
        if not match:
            continue
        base = slug(match.group(2))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(page: Path) -> list[str]:
    """Every link target in the page's prose (not in code)."""
    prose, _ = split_code(page.read_text())
    prose = INLINE_CODE.sub(lambda m: "code", prose)
    return [m.group(1) for m in LINK.finditer(prose)]


def broken(page: Path, target: str) -> str | None:
    """Why a relative link does not resolve, or None; other schemes (https:, mailto:) are not followed."""
    if SCHEME.match(target):
        return None
    path, _, anchor = target.partition("#")
    destination = (page.parent / path).resolve() if path else page
    if not destination.exists():
        return f"{page.relative_to(ROOT)}: {target}: no such file"
    if anchor and (destination.suffix != ".md" or anchor not in anchors(destination)):
        return f"{page.relative_to(ROOT)}: {target}: no heading with anchor #{anchor}"
    return None


def test_readme_is_under_150_lines():
    lines = len(README.read_text().splitlines())
    assert lines < 150, f"README.md has {lines} lines: move the details into docs/"


def test_the_two_commands_come_within_the_first_40_lines():
    head = "\n".join(README.read_text().splitlines()[:40])
    for command in ("make up", "make test"):
        assert re.search(rf"\b{command}\b", head), f"`{command}` is not within README.md's first 40 lines"


def test_every_docs_file_is_linked_from_the_readme():
    linked = set()
    for target in links(README):
        path = target.partition("#")[0]
        if path and not SCHEME.match(path):
            linked.add((README.parent / path).resolve())
    files = sorted(f for f in DOCS.rglob("*") if f.is_file())
    assert files, "docs/ is empty"
    missing = [str(f.relative_to(ROOT)) for f in files if f.resolve() not in linked]
    assert not missing, f"docs pages not linked from README.md: {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path):
    problems = [p for p in (broken(page, t) for t in links(page)) if p]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", PAGES[1:], ids=lambda p: str(p.relative_to(ROOT)))
def test_each_docs_page_has_a_title_then_says_what_it_is_for(page: Path):
    lines = [line for line in page.read_text().splitlines() if line.strip()]
    assert len(lines) >= 3, f"{page.name} is empty"
    assert lines[0].startswith("# "), f"{page.name}: the first line is not its title: {lines[0]!r}"
    assert lines[1].startswith("For:"), f"{page.name}: the second line does not start with 'For:': {lines[1]!r}"


def test_the_helpers_read_markdown_as_github_does():
    assert slug("Day 2: changing a live environment") == "day-2-changing-a-live-environment"
    assert slug("Least privilege: CI roles and the `permissions` boundary") == (
        "least-privilege-ci-roles-and-the-permissions-boundary"
    )
    prose, code = split_code("text `a \\| b`\n\n    make up  # x\n\n```sh\npython main.py synth\n```\n[x](y.md#z)\n")
    assert code == ["    make up  # x", "python main.py synth"]
    assert inline_code(prose) == ["a | b"]
    assert LINK.findall(prose) == ["y.md#z"]

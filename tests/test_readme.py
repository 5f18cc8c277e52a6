"""README.md (the user's first page) and docs/operations.md (running it for real) stay in sync with
the code and with each other: the configuration table is the one the settings generate, every
variable and link they name exists, the README's command table lists every command with the exit
codes its --help states, and what moved to the operations page is there and linked."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from stream.cli.main import app
from stream.config import settings_table

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
OPERATIONS = ROOT / "docs" / "operations.md"
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]


def _table_between_markers(text: str) -> str:
    start, end = "<!-- config-table:start -->\n", "<!-- config-table:end -->"
    assert text.count(start) == 1 and text.count(end) == 1
    return text.split(start)[1].split(end)[0].strip()


def test_config_table_in_the_operations_page_is_current():
    assert _table_between_markers(OPERATIONS.read_text()) == settings_table().strip(), "run: article-stream config --markdown"


def test_the_config_table_lives_in_one_place():
    assert "<!-- config-table:start -->" not in README.read_text()


def test_the_readme_leads_to_the_operations_page_and_it_holds_what_moved():
    readme = README.read_text()
    assert "(docs/operations.md)" in readme
    headings = re.findall(r"^#+ (.+)$", OPERATIONS.read_text(), re.MULTILINE)
    for topic in ("Security", "Configuration", "Deployment", "Replay", "Operating"):
        assert any(h.startswith(topic) for h in headings), f"docs/operations.md lacks a {topic} section"
        assert topic.lower() in readme.lower(), f"the README does not point to {topic.lower()}"
    assert "(../README.md)" in OPERATIONS.read_text()


def _variables_the_code_knows() -> set[str]:
    known = set(re.findall(r"`(ARTICLE_STREAM_[A-Z0-9_]+)`", settings_table()))
    for path in (ROOT / "stream").rglob("*.py"):
        known |= set(re.findall(r"ARTICLE_STREAM_[A-Z0-9_]+", path.read_text("utf-8")))
    known |= set(re.findall(r"ARTICLE_STREAM_[A-Z0-9_]+", (ROOT / "tests" / "conftest.py").read_text()))
    return known


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_variable_named_exists(page):
    named = set(re.findall(r"ARTICLE_STREAM_[A-Z0-9_]*[A-Z0-9]", page.read_text("utf-8")))
    unknown = named - _variables_the_code_knows()
    assert not unknown, f"{page.name} names variables the code does not read: {sorted(unknown)}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_every_relative_link_resolves(page):
    text = re.sub(r"```.*?```", "", page.read_text("utf-8"), flags=re.DOTALL)
    links = [target for target in re.findall(r"\]\(([^)\s]+)\)", text) if "://" not in target and not target.startswith("#")]
    missing = [target for target in links if not (page.parent / target.split("#")[0]).exists()]
    assert not missing, f"{page.name}: broken links {missing}"


def _commands(command=None, path=()):
    command = command or get_command(app)
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))
    else:
        yield path


def _codes(text: str) -> set[int]:
    return {int(code) for code in re.findall(r"(?<![\w.-])(\d)(?=\s)", text)}


def _help_exit_codes(path: tuple[str, ...]) -> set[int]:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "400", "TERMINAL_WIDTH": "400"})
    assert result.exit_code == 0, result.output
    flat = " ".join(line.strip(" │") for line in result.output.splitlines())
    assert "Exit codes:" in flat, f"article-stream {' '.join(path)} --help does not state its exit codes"
    return _codes(flat.split("Exit codes:", 1)[1].split("╭", 1)[0] + " ")


def _readme_command_rows() -> dict[str, str]:
    """First cell -> exit-code cell of the README's command table."""
    rows = {}
    for line in README.read_text().splitlines():
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]  # \| is a pipe inside a cell
        if len(cells) == 3 and cells[0].startswith("`") and cells[2] != "exit codes":
            rows[cells[0]] = cells[2]
    return rows


@pytest.mark.parametrize("path", list(_commands()), ids=" ".join)
def test_the_readme_lists_each_command_with_the_exit_codes_of_its_help(path):
    name = " ".join(path)
    [(cell, codes)] = [(c, v) for c, v in _readme_command_rows().items() if re.search(rf"`{re.escape(name)}(?=[` \[])", c)] or [(None, "")]
    assert cell, f"the README's command table has no row for `{name}`"
    assert _codes(codes + " ") == _help_exit_codes(path), f"{name}: README says {codes!r}"

"""The README's configuration table is the one the settings generate."""

from pathlib import Path

from stream.config import settings_table

README = Path(__file__).resolve().parents[1] / "README.md"


def test_config_table_in_readme_is_current():
    text = README.read_text()
    start, end = "<!-- config-table:start -->\n", "<!-- config-table:end -->"
    assert start in text and end in text
    assert text.split(start)[1].split(end)[0].strip() == settings_table().strip(), "run: article-stream config --markdown"

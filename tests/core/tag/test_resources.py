"""Data-file helpers: slugs."""

import re
import unicodedata

import pytest

from stream.core.tag.resources import slugify


def _slug_by_nfkd(text: str) -> str:
    """The general rule (accents off via NFKD, runs of anything else as one hyphen)."""
    text = text.replace("'", "").replace("\u2019", "")
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", folded.lower()).strip("-")


@pytest.mark.parametrize("text", [
    "Children's Hospital", "  U.S. Army  ", "Kim Jong-un", "St. Paul", "AT&T", "R&D--Unit_7", "", "---",
    "Tulsa County Sheriff’s Office", "Ünited Nätions", "İstanbul", "Ministry of Foreign Affairs (MOFA)",
    "".join(chr(i) for i in range(128)),
])
def test_ascii_fast_path_gives_the_general_slug(text):
    assert slugify(text) == _slug_by_nfkd(text)
    if text.strip(" -"):
        assert slugify(text) == slugify(text.upper()) or not text.isascii()

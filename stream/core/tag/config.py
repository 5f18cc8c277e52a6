"""Tag stage settings, passed in by the caller (the core reads no environment)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TagConfig:
    # Topics from the trained classifier packaged in data/ (if built); False: from the word lists
    # (topic_lexicon*.tsv), as before the model.
    topic_model: bool = True

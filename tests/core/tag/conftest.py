from __future__ import annotations

import pytest

from stream.core.tag import Tagger


@pytest.fixture(scope="session")
def tagger() -> Tagger:
    return Tagger()

"""Relate stage: related earlier articles by shared tags, story threading, near-duplicates.

Interface (fixed; the implementation lives in this package):

    relator = Relator(config, articles=MutableMapping | None, stories=MutableMapping | None)
    result = relator.relate(item: RelateInput) -> RelateResult

The two mappings are the durable state (Faust tables in the worker, dicts offline); everything
else is an in-memory index that ``Relator.rebuild()`` re-derives from them after a recovery.
"""

from stream.core.relate.config import RelateConfig
from stream.core.relate.relator import RelateInput, RelateResult, Relator
from stream.core.relate.similarity import simhash_similarity

__all__ = ["RelateConfig", "RelateInput", "RelateResult", "Relator", "simhash_similarity"]

"""Relate stage: related earlier articles by shared tags, story threading, near-duplicates.

Interface (fixed; the implementation lives in this package):

    relator = Relator(config, articles=MutableMapping | None, stories=MutableMapping | None)
    result = relator.relate(item: RelateInput) -> RelateResult
"""

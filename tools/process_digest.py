"""Digest of what the offline core makes of a fixed corpus: proof that a refactor kept the outputs.

Builds the bench corpus (``benchmarks.corpus.generate``: real text from ../shared/eval-data when
present, else the repo's samples) with a fixed seed and start time, runs each record through
``Pipeline.process`` in order with a fixed clock, and hashes the emitted records stage by stage
(normalize fields, tags, relate fields, dead letters). Volatile fields (``processed_at``,
``failed_at``) are left out. Two runs of the same code print the same digests; a change that moves
any output changes the digest of the stage it touched.

    .venv/bin/python tools/process_digest.py [--n 1500] [--json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import UTC, datetime, timedelta

import orjson

NORMALIZE = ("id", "url", "source", "title", "body", "published_at", "published_at_original", "language",
             "authors", "credits", "section", "fingerprint", "simhash", "publisher_tags", "extra")
TAGS = ("topics", "regions", "entities", "tags")
RELATE = ("related", "story_id", "duplicate_of", "duplicate_similarity", "revision")


def digests(n: int) -> dict[str, object]:
    from benchmarks.corpus import generate
    from stream.core.pipeline import Pipeline

    start = datetime(2024, 12, 1, tzinfo=UTC)
    records = generate(n, start=start, spacing_s=60.0, prefix="digest")
    pipeline = Pipeline()
    hashes = {name: hashlib.sha256() for name in ("normalize", "tags", "relate", "warnings", "dead_letters", "stories")}
    counts = {"enriched": 0, "dead_letter": 0, "unchanged": 0}
    for i, value in enumerate(records):
        outcome = pipeline.process(value, now=start + timedelta(seconds=60 * i + 30))
        if outcome.dead_letter is not None:
            counts["dead_letter"] += 1
            letter = outcome.dead_letter
            hashes["dead_letters"].update(orjson.dumps([letter.error_code, letter.reason, letter.stage]))
            continue
        if outcome.unchanged:
            counts["unchanged"] += 1
            continue
        counts["enriched"] += 1
        record = outcome.enriched.model_dump(mode="json")
        for stage, fields in (("normalize", NORMALIZE), ("tags", TAGS), ("relate", RELATE)):
            hashes[stage].update(orjson.dumps({f: record.get(f) for f in fields}, option=orjson.OPT_SORT_KEYS))
        hashes["warnings"].update(orjson.dumps(record.get("warnings")))
        for update in outcome.story_updates:
            dumped = update.model_dump(mode="json")
            dumped.pop("updated_at", None)
            hashes["stories"].update(orjson.dumps(dumped, option=orjson.OPT_SORT_KEYS, default=str))
    return {"articles": n, **counts, **{k: h.hexdigest()[:16] for k, h in hashes.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1500, help="articles to build and process (default 1500)")
    parser.add_argument("--json", action="store_true", help="one JSON object instead of lines")
    args = parser.parse_args(argv)
    result = digests(args.n)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    else:
        for key, value in result.items():
            print(f"{key:>13}  {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

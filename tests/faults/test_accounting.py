"""Accounting under faults at volume (issue 21, deliver 4).

2,000 records are published raw (no ``produce`` checks): good articles, articles with unknown
fields, revisions, identical re-sends of recent and of old articles (older than the related-story
window), invalid UTF-8, non-JSON, JSON arrays and oversized records. The worker is SIGKILLed twice
while they flow and restarted each time. Then:

- enriched + dead-lettered + unchanged = published: every (id, revision) expected is emitted, every
  bad record is dead-lettered once (by its partition and offset), and the identical re-sends add
  nothing;
- no (id, revision) is emitted twice after deduplication by ``ce_id`` (copies under one ``ce_id`` are
  the same article in the same story, and no re-send makes a new revision);
- no story counts an article twice: each article is threaded into one story, by its enriched
  records and by the story updates (merges followed).
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections import Counter, defaultdict

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from stream.broker import create_topics
from stream.core.pipeline import Pipeline
from tests.faults.conftest import report, wait_status
from tests.support.articles import make_values
from tests.support.worker import Deployment, start_worker

pytestmark = [pytest.mark.faults, pytest.mark.timeout(900)]

KILLS = 2


def _articles(n: int, seed: int, group: str, **override) -> list[dict]:
    out = []
    for i, value in enumerate(make_values(n, seed=seed)):
        article = orjson.loads(value)
        article["url"] = f"https://accounting.example.com/{group}/{i}"
        article.update(override)
        out.append(article)
    return out


def build_inputs(rng: random.Random) -> list[list[tuple[str, bytes]]]:
    """(kind, value) in three phases: originals; what refers to them (revisions, re-sends), both while
    the worker is killed twice; then identical re-sends of old and recent articles, and a sentinel
    article per partition, once all else came out (so that any output for a re-send is visible as
    such, apart from the replays a kill causes)."""
    # Within a few days of each other, so inside the related-story window; the old ones are not.
    good = [{**a, "published_at": f"2024-12-{24 + i % 5:02d}T{i % 24:02d}:00:00Z"} for i, a in enumerate(_articles(1038, 81, "good"))]
    unknown = [{**a, "paywall": {"tier": i % 3}, "desk_note": f"note {i}", "published_at": f"2024-12-{24 + i % 5:02d}T08:00:00Z"}
               for i, a in enumerate(_articles(150, 82, "unknown"))]
    old = _articles(100, 83, "old", published_at="2023-03-01T08:00:00Z")  # far older than the window
    revised = [{**a, "body": a["body"].replace("Officials in", "Later, officials in")} for a in good[:150]]

    def bad(kind: str, i: int) -> bytes:
        if kind == "invalid_utf8":
            return b'{"title": "Broken", "body": "caf\xc3\x28 ' + str(i).encode() + b'"}'
        if kind == "not_json":
            return f'{{"title": "Cut", "body": "text {i}"'.encode()
        if kind == "array":
            return orjson.dumps([{"title": "In an array", "body": f"text {i}"}])
        return orjson.dumps({"title": "Big", "url": f"https://accounting.example.com/big/{i}", "body": "x " * 600_000})

    bad_records = [(k, bad(k, i)) for k in ("invalid_utf8", "not_json", "array") for i in range(100)]
    bad_records += [("oversized", bad("oversized", i)) for i in range(10)]
    rng.shuffle(bad_records)
    first = [("good", orjson.dumps(a)) for a in good] + [("unknown", orjson.dumps(a)) for a in unknown]
    first += [("old", orjson.dumps(a)) for a in old] + bad_records[:155]
    rng.shuffle(first)
    second = [("revision", orjson.dumps(a)) for a in revised] + [("resend", orjson.dumps(a)) for a in good[150:250]]
    second += bad_records[155:]
    rng.shuffle(second)
    third = [("old_resend", orjson.dumps(a)) for a in old] + [("resend", orjson.dumps(a)) for a in good[250:300]]
    rng.shuffle(third)
    third += [("sentinel", orjson.dumps({**a, "published_at": "2024-12-28T20:00:00Z"})) for a in _articles(2, 85, "sentinel")]
    return [first, second, third]


async def read_all(bootstrap: str, topics: list[str], stop, timeout: float = 420.0) -> dict[str, list]:
    """Every record of ``topics`` from the start, read until ``stop(found)`` or ``timeout`` s passed."""
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id=None,
                                enable_auto_commit=False, metadata_max_age_ms=1000, max_partition_fetch_bytes=16 << 20,
                                fetch_max_bytes=64 << 20)
    await consumer.start()
    found: dict[str, list] = {t: [] for t in topics}
    deadline = time.monotonic() + timeout
    try:
        while not stop(found) and time.monotonic() < deadline:
            for tp, records in (await consumer.getmany(timeout_ms=500, max_records=5000)).items():
                found[tp.topic].extend((dict(r.headers), orjson.loads(r.value)) for r in records)
            await asyncio.sleep(0)
    finally:
        await consumer.stop()
    return found


async def wait_caught_up(bootstrap: str, group: str, topics: list[str], timeout: float) -> dict[str, int]:
    """Wait until ``group`` has committed every partition of ``topics`` up to its end offset (the worker
    has processed, delivered and committed all it was given). Returns the lag left per topic: empty
    when caught up within ``timeout`` seconds."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await admin.start()
    await consumer.start()
    deadline = time.monotonic() + timeout
    try:
        tps = [TopicPartition(topic, p) for topic in topics for p in sorted(consumer.partitions_for_topic(topic) or ())]
        while True:
            ends = await consumer.end_offsets(tps)
            committed = await admin.list_consumer_group_offsets(group, partitions=tps)
            lag: Counter[str] = Counter()
            for tp in tps:
                meta = committed.get(tp)
                done = meta.offset if meta is not None and meta.offset >= 0 else 0
                if ends[tp] > done:
                    lag[tp.topic] += ends[tp] - done
            if not lag or time.monotonic() > deadline:
                return dict(lag)
            await asyncio.sleep(1.0)
    finally:
        await consumer.stop()
        await admin.close()


async def all_records(bootstrap: str, topics: list[str]):
    """A ``read_all`` stop condition: every record the topics hold now has been read."""
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for topic in topics for p in sorted(consumer.partitions_for_topic(topic) or ())]
        total = sum((await consumer.end_offsets(tps)).values())
    finally:
        await consumer.stop()
    return lambda found: sum(len(records) for records in found.values()) >= total


def restated_lines(log_path, ids: set[str]) -> list[str]:
    """The worker's log lines that name one of ``ids`` (its restated replays say "emitted again")."""
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    return [line for line in text.splitlines() if any(i in line for i in ids)]


def story_of(story: str, merged: dict[str, str]) -> str:
    seen = set()
    while story in merged and story not in seen:
        seen.add(story)
        story = merged[story]
    return story


# After a kill an article's original may come again after its revision was applied (relate re-reads from
# its committed offset; enrich re-writes replayed raw records to the tagged topic). The ledger and the
# article record keep the raw input position last applied per id, so such a replay changes nothing
# (stream/core/relate/ledger.py, ``superseded``) instead of making revisions 3 and 4; and relate's outputs
# leave only after its table writes (stream/worker/agents.py, ``AfterState``), so a replayed input whose
# state was lost is not added to its story twice. An unchanged input is emitted again only when it is the
# input the state was made from (the same raw position): identical re-sends never are, even when the group
# expels a stalled worker and its new generation re-reads them (tests/faults/test_replay_boundary.py).
async def test_every_record_is_accounted_for_through_two_kills(kafka_bootstrap, tmp_path):
    # INFO: the worker logs each input it restates ("... emitted again"), which a failure below quotes.
    deployment = Deployment(kafka_bootstrap, partitions=2, extra_env={"ARTICLE_STREAM_LOG_LEVEL": "INFO"})
    t = deployment.topics
    await create_topics(kafka_bootstrap, {t["raw"]: 2}, configs={"max.message.bytes": str(4 << 20)})
    phases = build_inputs(random.Random(84))
    published = [record for phase in phases for record in phase]
    assert len(published) == 2000

    # What each record is expected to become (the pipeline's own verdict on it, offline).
    offline = Pipeline()
    keys: list[bytes | None] = []
    expected_versions: set[tuple[str, int]] = set()
    bad_kinds = {"invalid_utf8", "not_json", "array", "oversized"}
    unchanged_expected = 0
    fingerprints: dict[str, str] = {}
    for kind, value in published:
        outcome = offline.prepare(value)
        if outcome.enriched is not None:  # a revision changes the content, a re-send does not
            before = fingerprints.setdefault(outcome.enriched.id, outcome.enriched.fingerprint)
            assert (before != outcome.enriched.fingerprint) == (kind == "revision"), kind
        if kind in bad_kinds:
            assert outcome.dead_letter is not None, kind
            keys.append(None)
            continue
        assert outcome.enriched is not None, (kind, outcome.dead_letter)
        keys.append(outcome.enriched.id.encode())
        if kind in ("resend", "old_resend"):
            unchanged_expected += 1
        else:
            expected_versions.add((outcome.enriched.id, 2 if kind == "revision" else 1))
    assert len(expected_versions) + unchanged_expected + sum(k in bad_kinds for k, _ in published) == len(published)
    third_ids = {key.decode() for (kind, _), key in zip(published, keys) if kind in ("resend", "old_resend")
                 and (kind, _) in phases[2]}

    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True,
                                max_request_size=8 << 20, linger_ms=5)
    await producer.start()
    positions: list[tuple[int, int]] = []

    async def send(records: list[tuple[str, bytes]], record_keys: list[bytes | None]) -> None:
        for (kind, value), key in zip(records, record_keys):
            partition = len(positions) % 2 if kind == "sentinel" else None  # one sentinel per partition
            # One by one: a re-send or revision lands after its original.
            meta = await (await producer.send(t["raw"], value, key=key, partition=partition))
            positions.append((meta.partition, meta.offset))

    n_before_third = len(phases[0]) + len(phases[1])
    worker = start_worker(deployment, tmp_path, name="a0")
    kills: list[dict] = []
    try:
        await send(published[:n_before_third], keys[:n_before_third])
        bad_positions = {pos for pos, (kind, _) in zip(positions, published) if kind in bad_kinds}
        await asyncio.to_thread(worker.wait_ready, 180)
        outputs = len(expected_versions) - 2 + len(bad_positions)  # the sentinels come later
        for n in range(1, KILLS + 1):
            threshold = outputs * n // (KILLS + 1)

            def reached(found, threshold=threshold):
                versions = {(v["id"], v["revision"]) for _, v in found[t["enriched"]]}
                return len(versions) + len(found[t["dlq"]]) >= threshold or worker.proc.poll() is not None

            await read_all(kafka_bootstrap, [t["enriched"], t["dlq"]], reached, 300)
            assert worker.proc.poll() is None, worker.log_tail()
            worker.proc.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            worker.proc.wait(10)
            worker = start_worker(deployment, tmp_path, name=f"a{n}")
            ready = await wait_status(worker, 200, timeout=180)
            assert ready is not None, worker.log_tail()
            kills.append({"at_outputs": threshold, "kill_to_ready_s": round(time.monotonic() - killed, 1)})

        sentinels = {key.decode() for (kind, _), key in zip(published, keys) if kind == "sentinel"}
        before_third = expected_versions - {(i, 1) for i in sentinels}

        progress = {"count": -1, "since": time.monotonic()}

        def settled(found) -> bool:
            versions = {(v["id"], v["revision"]) for _, v in found[t["enriched"]]}
            dead = {(d["original_partition"], d["original_offset"]) for _, d in found[t["dlq"]]}
            count = len(found[t["enriched"]]) + len(found[t["dlq"]])
            if count != progress["count"]:
                progress.update(count=count, since=time.monotonic())
            quiet = time.monotonic() - progress["since"] > 30  # nothing new for 30 s: as far as it gets
            return (versions >= before_third and dead >= bad_positions) or quiet or worker.proc.poll() is not None

        # Everything of the first two phases out (or, if some never comes, as far as it got: the checks
        # below then say what is missing, and the rest is still checked).
        found = await read_all(kafka_bootstrap, [t["enriched"], t["dlq"]], settled, 240)
        assert worker.proc.poll() is None, worker.log_tail()
        # Then the worker idle: its group committed the raw and tagged topics to their ends. Until then
        # a replay of the last kill may still be restating originals (same id and revision, harmless),
        # and a copy that lands after the count below would be taken for a re-send's output.
        lag = await wait_caught_up(kafka_bootstrap, deployment.app_id, [t["raw"], f"{deployment.app_id}-articles.tagged"], 240)
        found = await read_all(kafka_bootstrap, [t["enriched"], t["dlq"]], await all_records(kafka_bootstrap, [t["enriched"], t["dlq"]]), 120)
        copies_before_third = Counter(v["id"] for _, v in found[t["enriched"]])
        await send(published[n_before_third:], keys[n_before_third:])

        def complete(found) -> bool:
            ids = {v["id"] for _, v in found[t["enriched"]]}
            return sentinels <= ids or worker.proc.poll() is not None

        await read_all(kafka_bootstrap, [t["enriched"], t["dlq"]], complete, 300)
        deadline = time.monotonic() + 5.0  # late extras
        found = await read_all(kafka_bootstrap, [t["enriched"], t["dlq"], t["stories"]], lambda f: time.monotonic() > deadline)
    finally:
        await producer.stop()
        worker.stop()
    # Identical re-sends sent once the stream had settled (no kill since): nothing comes out for them.
    copies_after = Counter(v["id"] for _, v in found[t["enriched"]])
    re_emitted = {i: copies_after[i] - copies_before_third[i] for i in third_ids if copies_after[i] > copies_before_third[i]}

    enriched = [(h, v) for h, v in found[t["enriched"]]]
    dead = [v for _, v in found[t["dlq"]]]
    by_ce_id: dict[bytes, list[dict]] = defaultdict(list)
    for headers, value in enriched:
        by_ce_id[headers["ce_id"]].append(value)
    versions = {(v["id"], v["revision"]) for _, v in enriched}
    dead_positions = Counter((d["original_partition"], d["original_offset"]) for d in dead)

    failures: list[str] = []
    if lag:
        failures.append(f"the worker never caught up before the last re-sends (lag left: {lag}): they were not checked apart")
    kind_of: dict[tuple[str, int], str] = {}
    for (kind, _), key in zip(published, keys):
        if key is not None and kind not in ("resend", "old_resend"):
            kind_of[(key.decode(), 2 if kind == "revision" else 1)] = kind

    # enriched + dead-lettered + unchanged = published
    missing, extra = expected_versions - versions, versions - expected_versions
    if missing or extra:
        failures.append(f"(id, revision) missing: {dict(Counter(kind_of.get(v, '?') for v in missing))}, "
                        f"unexpected: {len(extra)} (revisions {dict(Counter(r for _, r in extra))})")
    # A dead letter written again after a kill (its input reprocessed) carries the same ce_id.
    dead_ce_ids = defaultdict(set)
    for headers, d in found[t["dlq"]]:
        dead_ce_ids[headers["ce_id"]].add((d["original_partition"], d["original_offset"]))
    if set(dead_positions) != bad_positions or len(dead_ce_ids) != len(dead_positions) or any(len(p) > 1 for p in dead_ce_ids.values()):
        failures.append(f"dead letters: {len(bad_positions - set(dead_positions))} missing, "
                        f"{len(set(dead_positions) - bad_positions)} unexpected, {len(dead_ce_ids)} ce_ids for "
                        f"{len(dead_positions)} inputs")
    if len(versions) + len(dead_positions) + unchanged_expected != len(published):
        failures.append(f"enriched {len(versions)} + dead-lettered {len(dead_positions)} + unchanged {unchanged_expected} "
                        f"!= published {len(published)}")

    # After deduplication by ce_id, each (id, revision) once, and its copies are one and the same.
    merged = {v["story_id"]: v["merged_into"] for _, v in found[t["stories"]] if v["event"] == "merged"}
    if len(by_ce_id) != len(versions):
        failures.append(f"{len(by_ce_id)} ce_ids for {len(versions)} (id, revision)")
    differing = [ce for ce, copies in by_ce_id.items()
                 if ce.decode() != f"{copies[0]['id']}:{copies[0]['revision']}"
                 or len({(c["id"], c["revision"], c["fingerprint"]) for c in copies}) > 1]
    if differing:
        failures.append(f"{len(differing)} (id, revision) emitted twice with different content under one ce_id "
                        f"(e.g. {differing[0].decode()}: a changed re-send given the same revision)")
    # No story counts an article twice: the copies of an article (re-sends, replays) are in one story...
    stories_of_copies = {
        ce_id: {story_of(c["story_id"], merged) for c in copies if c["story_id"]} for ce_id, copies in by_ce_id.items()
    }
    split = {ce_id.decode(): s for ce_id, s in stories_of_copies.items() if len(s) > 1}
    old_ids = {key.decode() for (kind, _), key in zip(published, keys) if kind == "old"}

    def of_old(ids) -> str:
        return f"{sum(1 for i in ids if i.rsplit(':', 1)[0] in old_ids or i in old_ids)} of them old articles re-sent"

    if split:
        failures.append(f"{len(split)} articles' copies are in two stories ({of_old(split)}; e.g. {list(split.items())[:2]})")
    # ... and the story updates add each article to one story once.
    added = Counter(
        (story_of(v["story_id"], merged), v["article_id"]) for _, v in found[t["stories"]] if v["event"] in ("created", "article_added")
    )
    per_article = defaultdict(set)
    for story, article_id in added:
        per_article[article_id].add(story)
    twice = {k: n for k, n in added.items() if n > 1}
    in_two = {a: s for a, s in per_article.items() if len(s) > 1}
    if in_two:
        failures.append(f"{len(in_two)} articles added to two stories ({of_old(in_two)}; e.g. {list(in_two.items())[:2]})")
    if twice:
        failures.append(f"{len(twice)} articles added to one story twice ({of_old([a for _, a in twice])}; "
                        f"e.g. {list(twice.items())[:2]})")
    # Identical re-sends sent once the stream had settled (no kill since): nothing comes out for them.
    re_emitted_old = sum(1 for i in re_emitted if i in old_ids)
    if re_emitted:
        failures.append(f"{len(re_emitted)} identical re-sends emitted again ({re_emitted_old} of them re-sends of "
                        f"articles older than the window; the others: {sorted(set(re_emitted) - old_ids)[:5]}); the "
                        f"last worker's log on them: {restated_lines(worker.log_path, set(re_emitted))[:5]}")

    copies = len(enriched) - len(by_ce_id)
    report("accounting", dead_letter_copies=len(dead) - len(dead_positions), published=len(published), enriched_versions=len(versions), dead_lettered=len(dead_positions),
           unchanged=unchanged_expected, records_on_enriched=len(enriched), copies_with_same_ce_id=copies,
           kills=kills, articles_in_two_stories=len(in_two), story_additions_twice=len(twice),
           copies_in_two_stories=len(split), re_emitted_resends=len(re_emitted), failures=len(failures))
    assert not failures, "\n".join(failures)

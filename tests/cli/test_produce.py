"""article-stream produce: validation with line numbers, keys = the worker's article ids, exit codes."""

from __future__ import annotations

import asyncio

import orjson
import pytest

from stream.broker import create_topics
from stream.cli.produce import article_key, check
from stream.config import Settings
from stream.contracts import RawArticle
from stream.core.normalize import normalize
from stream.sources import SAMPLES_DIR, iter_inputs
from tests.support.articles import BAD_VALUES, make_values
from tests.support.worker import collect, free_port

SETTINGS = Settings()
BODY = "SEOUL, Dec. 5 - The parliament approved the annual budget after a long debate over taxes and spending."

KEY_CASES = {
    "publisher id and source": {"id": " KJD 42 ", "source": " Korea  JoongAng Daily ", "body": BODY},
    "publisher id without source": {"id": "A-1", "body": BODY},
    "url with tracking": {"url": "HTTPS://News.example.com:443/a/1?utm_source=x&b=2&a=1#top", "title": "T", "body": BODY},
    "url and publisher id": {"id": "7", "url": "https://news.example.com/a/7", "source": "Example", "body": BODY},
    "not an http url": {"url": "ftp://files.example.com/a", "title": "Budget passes", "body": BODY},
    "neither id nor url": {"title": "Budget passes", "published_at": "2024-12-05 10:00", "body": BODY},
    "only a body": {"body": BODY},
}


@pytest.mark.parametrize("name", KEY_CASES)
def test_key_is_the_id_the_worker_computes(name):
    raw = RawArticle.model_validate(KEY_CASES[name])
    assert article_key(raw, SETTINGS) == normalize(raw, SETTINGS).id


def test_keys_of_the_samples_match_the_worker():
    for where, value in iter_inputs([SAMPLES_DIR]):
        prepared = check(where, value, SETTINGS)
        raw = RawArticle.model_validate(orjson.loads(value))
        assert prepared.key == normalize(raw, SETTINGS).id, where


@pytest.mark.parametrize("code", sorted(BAD_VALUES))
def test_check_rejects_what_the_worker_would_dead_letter(code):
    where, reason = check("f.jsonl:3", BAD_VALUES[code], SETTINGS)
    assert where == "f.jsonl:3" and reason.startswith(code)


def test_page_without_story_text_is_rejected():
    where, reason = check("x", orjson.dumps({"html": "<html><body><nav>Home</nav></body></html>"}), SETTINGS)
    assert reason.startswith("missing_content")


def _mixed_file(tmp_path, good: list[bytes], bad_at: dict[int, bytes]):
    """JSONL with ``bad_at`` line numbers (1-based) holding bad values, the rest good."""
    lines, good_iter = [], iter(good)
    for number in range(1, len(good) + len(bad_at) + 1):
        lines.append(bad_at[number] if number in bad_at else next(good_iter))
    path = tmp_path / "articles.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_dry_run_reports_bad_lines_with_numbers_and_exit_1(invoke, tmp_path):
    path = _mixed_file(tmp_path, make_values(3), {2: BAD_VALUES["invalid_json"], 4: BAD_VALUES["missing_content"]})
    result = invoke(["produce", "--dry-run", str(path)])
    assert result.exit_code == 1
    assert f"{path}:2: rejected: invalid_json" in result.stderr
    assert f"{path}:4: rejected: missing_content" in result.stderr
    assert "valid: 3, rejected: 2" in result.stdout
    keys = [line.split("\t")[1] for line in result.stdout.splitlines() if "\t" in line]
    assert len(keys) == 3 and all(k.startswith("url:") for k in keys)


def test_dry_run_strict_stops_at_the_first_bad_line_with_exit_3(invoke, tmp_path):
    path = _mixed_file(tmp_path, make_values(3), {2: BAD_VALUES["schema_violation"], 4: BAD_VALUES["invalid_json"]})
    result = invoke(["produce", "--dry-run", "--strict", str(path)])
    assert result.exit_code == 3
    assert f"{path}:2: rejected: schema_violation" in result.stderr
    assert f"{path}:4" not in result.stderr  # never read
    assert "valid: 1, rejected: 1" in result.stdout


def test_missing_file_is_a_usage_error(invoke, tmp_path):
    result = invoke(["produce", "--dry-run", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2


@pytest.mark.integration
class TestAgainstTheBroker:
    def _read(self, env, expected):
        topic = env["ARTICLE_STREAM_TOPIC_RAW"]
        return asyncio.run(collect(env["ARTICLE_STREAM_BROKER"], [topic], expected=expected, timeout=15, idle=1.0))[topic]

    def _create(self, env):
        asyncio.run(create_topics(env["ARTICLE_STREAM_BROKER"], {env["ARTICLE_STREAM_TOPIC_RAW"]: 2}))

    def test_good_lines_are_sent_keyed_by_article_id_and_bad_ones_are_not(self, invoke, service_env, tmp_path):
        self._create(service_env)
        good = make_values(5)
        path = _mixed_file(tmp_path, good, {3: BAD_VALUES["not_an_object"]})
        result = invoke(["produce", "--quiet", str(path)], env=service_env)
        assert result.exit_code == 1, result.output
        assert f"{path}:3: rejected: not_an_object" in result.stderr
        assert f"sent to {service_env['ARTICLE_STREAM_TOPIC_RAW']}: 5, rejected: 1, bytes: {sum(map(len, good)):,}" in result.stdout

        records = self._read(service_env, expected=5)
        assert sorted(v["title"] for _, v, _ in records) == sorted(orjson.loads(g)["title"] for g in good)
        for key, value, headers in records:
            expected_key = normalize(RawArticle.model_validate(value), SETTINGS).id
            assert key.decode() == expected_key
            assert headers["ce_type"] == b"io.article-stream.article.raw.v1"

    def test_strict_sends_what_came_before_the_bad_line_and_exits_3(self, invoke, service_env, tmp_path):
        self._create(service_env)
        path = _mixed_file(tmp_path, make_values(4, seed=11), {3: BAD_VALUES["field_too_large"]})
        result = invoke(["produce", "--quiet", "--strict", str(path)], env=service_env)
        assert result.exit_code == 3, result.output
        assert len(self._read(service_env, expected=2)) == 2

    def test_stdin_and_pages_all_valid_exit_0(self, invoke, service_env):
        self._create(service_env)
        lines = b"\n".join(make_values(3, seed=5)) + b"\n"
        result = invoke(["produce", "--quiet", "-", str(SAMPLES_DIR)], env=service_env, input=lines)
        samples = len(list(iter_inputs([SAMPLES_DIR])))
        assert result.exit_code == 0, result.output
        assert f": {3 + samples}, rejected: 0" in result.stdout
        assert len(self._read(service_env, expected=3 + samples)) == 3 + samples

    def test_missing_topic_is_exit_2_not_auto_created(self, invoke, service_env, tmp_path):
        path = tmp_path / "one.jsonl"
        path.write_bytes(make_values(1)[0] + b"\n")
        result = invoke(["produce", "--quiet", str(path)], env=service_env)
        assert result.exit_code == 2
        assert "does not exist" in result.stderr and "topics create" in result.stderr

    def test_unreachable_broker_is_exit_2(self, invoke, tmp_path):
        path = tmp_path / "one.jsonl"
        path.write_bytes(make_values(1)[0] + b"\n")
        result = invoke(["produce", "--quiet", "--broker", f"127.0.0.1:{free_port()}", str(path)])
        assert result.exit_code == 2
        assert "cannot reach" in result.stderr


def test_a_failing_stage_is_reported_like_the_worker_would(monkeypatch):
    import stream.core.normalize as normalize_package

    def broken(raw, settings=None):
        raise RuntimeError("stage bug")

    monkeypatch.setattr(normalize_package, "normalize", broken)
    where, reason = check("in.jsonl:1", orjson.dumps({"body": BODY}), SETTINGS)
    assert reason == "processing_error: RuntimeError: stage bug"


def test_json_files_may_hold_one_pretty_printed_article_or_an_array(invoke, tmp_path):
    articles = [orjson.loads(v) for v in make_values(3)]
    (tmp_path / "one.json").write_bytes(orjson.dumps(articles[0], option=orjson.OPT_INDENT_2))
    (tmp_path / "many.json").write_bytes(orjson.dumps(articles[1:], option=orjson.OPT_INDENT_2))
    result = invoke(["produce", "--dry-run", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "valid: 3, rejected: 0" in result.stdout
    assert f"{tmp_path / 'many.json'}[1]\t" in result.stdout

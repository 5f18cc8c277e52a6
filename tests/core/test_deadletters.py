"""One place maps a failure to its dead-letter code (stream.core.deadletters)."""

from __future__ import annotations

from stream.contracts import ErrorCode
from stream.core.deadletters import Origin, StageError, classify, dead_letter
from stream.core.normalize import NormalizationError
from stream.core.pipeline import Pipeline
from stream.core.validate import Rejected


def test_each_failure_has_its_code():
    assert classify(Rejected(ErrorCode.body_too_large, "too big")) == (ErrorCode.body_too_large, "too big", "validate")
    assert classify(NormalizationError("nothing left")) == (ErrorCode.missing_content, "nothing left", "normalize")
    stopped = StageError(ErrorCode.processing_budget_exceeded, "over budget", "tag")
    assert classify(stopped) == (ErrorCode.processing_budget_exceeded, "over budget", "tag")
    code, reason, stage = classify(KeyError("boom"))
    assert (code, reason, stage) == (ErrorCode.processing_error, "KeyError: 'boom'", None)
    # A plain ValueError is a bug like any other, wherever it is raised: not "missing content".
    assert classify(ValueError("x"))[0] is ErrorCode.processing_error


def test_the_dead_letter_keeps_the_input_and_where_it_failed():
    letter = dead_letter(ValueError("bad"), b"\xff\x00", "tag", Origin("articles.raw", 1, 42, 1_700_000_000_000, b"k"))
    assert (letter.error_code, letter.stage, letter.reason) == (ErrorCode.processing_error, "tag", "ValueError: bad")
    assert (letter.original_encoding, letter.original_value) == ("base64", "/wA=")
    assert (letter.original_topic, letter.original_partition, letter.original_offset, letter.original_key) == ("articles.raw", 1, 42, "k")


class _FailingTagger:
    def tag(self, article):
        raise ValueError("tagger bug")


def test_a_value_error_in_the_tag_stage_is_dead_lettered_not_raised():
    """Before, the pipeline re-raised a ValueError outside normalize, stopping the caller."""
    outcome = Pipeline(tagger=_FailingTagger()).prepare(b'{"title": "t", "body": "Some story text here."}')
    assert outcome.dead_letter is not None
    assert (outcome.dead_letter.error_code, outcome.dead_letter.stage) == (ErrorCode.processing_error, "tag")

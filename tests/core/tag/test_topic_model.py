"""The trained topic classifier: scoring, calibration floor, evidence, the packaged artifact, retraining."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.core.tag import Tagger
from stream.core.tag.matcher import fold
from stream.core.tag.resources import load_resources
from stream.core.tag.topic_model import MODEL_FILE, TopicModel, load_packaged_model, term_span, terms
from tests.core.tag.helpers import make_article

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "eval-data"


def tiny_model(floor: float = 0.3) -> TopicModel:
    vocab = ["striker", "goal", "interest rate", "bank", "the"]
    classes = ["sport", "economy", "economy/monetary-policy"]
    w = np.array([[3, -1, -1], [2, -1, -1], [-1, 2, 4], [-1, 2, 1], [0, 0, 0]], dtype=np.float16)
    return TopicModel(vocab, np.ones(5), w, np.array([-1.0, -1.0, -2.0]), np.tile([1.0, 0.0], (3, 1)), classes, floor)


def test_features_are_words_and_word_pairs_with_the_title_counted_twice():
    feats = terms(fold("Rate cut"), fold("The bank's interest rate."))
    assert feats.count("rate cut") == 2 and feats.count("rate") == 3
    assert "interest rate" in feats and "bank s" in feats


def test_scores_are_probabilities_from_the_linear_model():
    m = tiny_model()
    s = m.score(fold("Striker"), fold("The striker scored a goal."))
    assert s.probs.shape == (3,) and np.all((s.probs > 0) & (s.probs < 1))
    assert s.probs[0] > 0.8 > s.probs[1]
    assert m.strongest_terms(s, "sport") == ["striker", "goal"]  # "the" adds nothing, so it is no evidence


def test_save_and_load_round_trip(tmp_path):
    m = tiny_model()
    m.save(tmp_path / "m.npz")
    back = TopicModel.load(tmp_path / "m.npz")
    assert back.vocab == m.vocab and back.classes == m.classes and back.floor == pytest.approx(m.floor)
    a = m.score("", fold("interest rate at the bank")).probs
    assert np.allclose(back.score("", fold("interest rate at the bank")).probs, a)


def test_word_pair_spans_cross_punctuation():
    low = fold("Rates: the Interest-rate rose")
    start, end = term_span("interest rate", low)
    assert low[start:end] == "interest rate" and "Rates: the Interest-rate rose"[start:end] == "Interest-rate"


def test_tagger_topics_carry_evidence_spans_from_the_model():
    tagger = Tagger(topic_model=tiny_model())
    article = make_article("The bank raised its interest rate again.", "Bank moves")
    tagging = tagger.tag(article)
    ids = [t.id for t in tagging.topics]
    assert ids == ["economy", "economy/monetary-policy"]
    for t in tagging.topics:
        assert t.evidence
        for e in t.evidence:
            assert getattr(article, e.field)[e.start:e.end] == e.text
    assert {"topic:economy", "topic:economy/monetary-policy"} <= set(tagging.tags)


def test_below_the_floor_no_topic_rather_than_a_wrong_one():
    tagging = Tagger(topic_model=tiny_model(floor=0.99)).tag(make_article("The striker scored a goal.", "Match"))
    assert tagging.topics == []
    assert Tagger(topic_model=tiny_model(floor=0.3)).tag(make_article("The striker scored a goal.", "Match")).topics


def test_a_publisher_topic_label_is_kept_with_its_evidence():
    tagging = Tagger(topic_model=tiny_model(floor=0.99)).tag(
        make_article("Nothing the model knows.", "Title", publisher_tags=["Economy"]))
    (item,) = tagging.topics
    assert item.id == "economy" and item.score >= 0.8 and item.evidence[0].field == "publisher_tags"


def test_packaged_model_is_small_and_speaks_the_taxonomy():
    model = load_packaged_model()
    assert model is not None, f"{MODEL_FILE} not built: run article-stream train topics"
    path = Path(__file__).resolve().parents[3] / "stream" / "core" / "tag" / "data" / MODEL_FILE
    assert path.stat().st_size < 5 * 1024 * 1024
    assert set(model.classes) <= set(load_resources().topics)
    assert 0.0 < model.floor < 1.0
    assert Tagger().topic_model is model


def test_packaged_model_reads_words_in_context(tagger):
    # A single cue word ("alliance") made this TV-company deal politics for the word lists.
    deal = tagger.tag(make_article("Two television companies formed an alliance to share programming and cut costs.",
                                   "Broadcaster alliance agreed"))
    assert deal.topics[0].id == "economy"
    assert Tagger(topic_model=None).tag(make_article(
        "Two television companies formed an alliance to share programming and cut costs.",
        "Broadcaster alliance agreed")).topics[0].id == "politics"
    space = tagger.tag(make_article("The space agency director said the launch of the weather satellite was delayed "
                                    "by a fault.", "Satellite launch delayed"))
    assert space.topics[0].id == "science-technology"
    assert all(t.evidence for t in deal.topics + space.topics)


@pytest.mark.eval
def test_a_retrain_from_the_same_data_gives_the_same_predictions():
    pytest.importorskip("sklearn")
    if not (DATA / "bbc-news").is_dir():
        pytest.skip(f"eval data not found: {DATA}")
    from stream.train import topics as training

    examples = training.build_examples(DATA, sources=("bbc",), log=lambda *_: None)
    per: dict[str, int] = {}
    subset = []
    for e in examples:
        key = sorted(e.labels)[0]
        if per.get(key, 0) < 40:
            per[key] = per.get(key, 0) + 1
            subset.append(e)
    first = training.train(subset, with_folds=False, log=lambda *_: None).model
    second = training.train(subset, with_folds=False, log=lambda *_: None).model
    assert first.vocab == second.vocab and np.array_equal(first.weights, second.weights)
    probe = [e.feats for e in examples[::50]]
    assert [first.decision(f)[0].tolist() for f in probe] == [second.decision(f)[0].tolist() for f in probe]
    assert len(first.classes) >= 4


def test_run_time_features_are_the_training_features():
    model = load_packaged_model()
    title, body = fold("Central bank holds interest rates"), fold(
        "The central bank kept interest rates on hold, and the prime minister said the economy was recovering. " * 3)
    expected = sorted(i for i in map(model.index.get, terms(title, body)) if i is not None)
    assert sorted(model.feature_ids(title, body)) == expected
    assert any(" " in model.vocab[i] for i in expected)  # word pairs are among them


@pytest.mark.parametrize("title, body", [
    ("Central bank holds interest rates", "The central bank kept interest rates on hold. " * 40),
    ("", "The prime minister said 1990s 3m growth was strong, rates rose 5 pct. " * 60),
    ("Prime minister", ""),
    ("", ""),
    ("Striker 2 goal", "Striker scores " + "x" * 5000 + " goal"),
    ("ΑΘΗΝΑ Prime Minister", "Министр said the prime minister " * 30),
])
def test_fast_scoring_is_bit_identical_to_the_training_features(title, body):
    # ``score`` looks features up by integer codes; it must give exactly what ``decision(terms(...))`` gives.
    model = load_packaged_model()
    if model is None:
        pytest.skip("no packaged topic model")
    title_low, body_low = fold(title), fold(body)
    z, idx, x = model.decision(terms(title_low, body_low))
    s = model.score(title_low, body_low)
    assert np.array_equal(s.index, idx) and s.values.tobytes() == x.tobytes()
    assert s.probs.tobytes() == model.calibrate(z).tobytes()


def _example(i: int, labels: set[str], words: str, weight: float = 1.0):
    from stream.train.topics import Example

    return Example(f"x{i}", "bbc", "bbc", words.split(), frozenset(labels), frozenset(), weight)


def test_logit_adjustment_takes_each_top_topics_log_prior_off_its_bias(monkeypatch):
    pytest.importorskip("sklearn")
    from stream.train import topics as training

    parent_of = {t.id: t.parent for t in load_resources().topics.values()}
    # Written for this test: 27 economy texts, 9 sport texts at half weight, one on both.
    examples = [_example(i, {"economy"}, f"shares profit bank rate{i % 3} market") for i in range(27)]
    examples += [_example(100 + i, {"sport"}, f"striker goal match club{i % 3} league", 0.5) for i in range(9)]
    examples.append(_example(300, {"economy", "sport"}, "club shares"))
    prior = training.priors(examples, np.array([e.weight for e in examples]), parent_of)
    assert prior == pytest.approx({"economy": 27.5 / 32.5, "sport": 5.0 / 32.5})
    classes = ["economy", "sport"]
    monkeypatch.setattr(training, "LOGIT_ADJUST", 0.0)
    plain = training.fit(examples, classes)
    monkeypatch.setattr(training, "LOGIT_ADJUST", 1.0)
    adjusted = training.fit(examples, classes)
    assert np.array_equal(plain[2], adjusted[2])  # the weights are the same fit
    shift = adjusted[3].astype(float) - plain[3].astype(float)
    assert shift == pytest.approx([-np.log(prior["economy"]), -np.log(prior["sport"])], abs=1e-4)
    assert shift[1] > shift[0] > 0  # the minority topic gains more


# The regex term_span once compiled per term: the plain search must find the same span.
def _regex_span(term, low):
    import re

    m = re.search(r"(?<![a-z0-9])" + r"[^a-z]+".join(map(re.escape, term.split(" "))) + r"(?![a-z0-9])", low)
    return (m.start(), m.end()) if m else None


_TERM_WORDS = st.sampled_from(["rate", "interest", "g7", "g", "rates", "a1", "bank", "summit"])


@given(
    words=st.lists(_TERM_WORDS, min_size=1, max_size=3),
    text=st.lists(st.one_of(_TERM_WORDS, st.sampled_from([" ", "  ", "7", " 12 ", "\x7f", "x", "-"])), max_size=12),
)
@settings(max_examples=400, deadline=None)
def test_term_span_matches_the_regex_it_replaced(words, text):
    low = "".join(text)
    term = " ".join(words)
    assert term_span(term, low) == _regex_span(term, low)


def test_term_span_boundaries():
    assert term_span("rate", "corporate rate") == (10, 14)
    assert term_span("g summit", "g7 summit") == (0, 9)  # as the regex: digits are skipped between words
    assert term_span("rate", "rates") is None
    assert term_span("interest rate", "interest  12 rate") == (0, 17)


def test_weight_rows_are_the_stored_weights_as_float32():
    m = tiny_model()
    idx = np.array([4, 0, 2, 2], dtype=np.int64)
    rows = m._rows(idx)
    assert rows.dtype == np.float32 and rows.flags.c_contiguous
    assert np.array_equal(rows, m.weights[idx].astype(np.float32))
    assert m.weights.shape == (len(m.vocab), len(m.classes))

"""``article-stream train topics``: refuses without corpora; writes a loadable model from tiny ones."""

from __future__ import annotations

import pytest

from stream.core.tag.topic_model import TopicModel


def test_train_topics_without_corpora_is_exit_2(invoke, tmp_path):
    result = invoke(["train", "topics", "--data", str(tmp_path), "--output", str(tmp_path / "m.npz")])
    assert result.exit_code == 2
    assert "no training corpora" in result.output
    assert not (tmp_path / "m.npz").exists()


def test_train_topics_writes_a_model_and_its_report(invoke, tmp_path):
    pytest.importorskip("sklearn")
    data = tmp_path / "data"
    texts = {
        "sport": "The striker scored twice and the club won the league match against the champions.",
        "business": "Shares rose after the company reported higher quarterly profits and raised its dividend.",
        "politics": "The prime minister told parliament the government would hold an election in the spring.",
    }
    for folder, text in texts.items():
        (data / "bbc-news" / folder).mkdir(parents=True)
        for i in range(20):  # written for this test: each text varied by a number
            (data / "bbc-news" / folder / f"{i:03}.txt").write_text(f"{folder} story {i}\n\n{text} Item {i}.\n")
    (data / "reuters21578").mkdir()
    out = tmp_path / "model.npz"
    result = invoke(["train", "topics", "--data", str(data), "--output", str(out)])
    assert result.exit_code == 0, result.output
    assert "5-fold top-topic acc" in result.output
    model = TopicModel.load(out)
    assert {"sport", "economy", "politics"} <= set(model.classes)
    assert (tmp_path / "model.json").is_file()

"""The harness's arithmetic and its table (no broker, no timing asserted)."""

from __future__ import annotations

from stream.bench.report import render
from stream.bench.run import floors, quantiles, rate_from_stamps


def test_quantiles_of_known_samples():
    samples = [i / 1000 for i in range(1, 101)]  # 1 ms .. 100 ms
    q = quantiles(samples)
    assert q["p50_ms"] == 51.0 and q["p99_ms"] == 100.0 and q["max_ms"] == 100.0 and q["count"] == 100
    assert quantiles([])["p50_ms"] is None


def test_rate_from_timestamps():
    assert rate_from_stamps([1000, 1500, 2000]) == 2.0  # 2 intervals over one second
    assert rate_from_stamps([5]) is None
    assert rate_from_stamps([7, 7]) is None


def test_floors_judge_each_figure():
    figures = {
        "pipeline": {"ratio_to_ceiling": 0.6},
        "offline": {"articles_per_cpu_s": 4000.0},
        "latency_fixed_rate": {"p99_ms": 80.0, "received": 10, "published": 10},
        "memory": {"bytes_per_article_held": 2000},
    }
    verdicts = {name: check["holds"] for name, check in floors(figures).items()}
    assert verdicts == {
        "pipeline / ceiling >= 0.5": True,
        "offline core >= 5000 articles/s": False,
        "p99 at 500/s <= 100 ms": True,
        "window RSS <= 1536 B/article": False,
    }
    figures["latency_fixed_rate"]["received"] = 9  # records lost or late: the p99 does not count
    assert floors(figures)["p99 at 500/s <= 100 ms"]["holds"] is None


def test_render_shows_every_section():
    figures = {
        "ceiling": {"articles_per_s": 12345.6},
        "pipeline": {"articles_per_s": 234.5, "ratio_to_ceiling": 0.019, "outputs": 10, "dead_lettered": 0},
        "scale": {"workers_1": {"workers": 1, "partitions": 2, "articles_per_s": 100.0},
                  "workers_2": {"workers": 2, "partitions": 2, "articles_per_s": 180.0}},
    }
    figures["floors"] = floors(figures)
    text = render(figures)
    assert "12,346 articles/s" in text
    assert "2 worker(s), 2 partitions" in text and "180 articles/s" in text
    assert "FAILS" in text and "not measured" in text

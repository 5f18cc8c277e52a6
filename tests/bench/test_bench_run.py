"""The harness's arithmetic and its table (no broker, no timing asserted)."""

from __future__ import annotations

import orjson

from benchmarks.faust_ceiling import RESULT_MARKER, Progress, parse_result
from benchmarks.report import render
from benchmarks.run import add_ratios, add_shell_cost, floors, quantiles, rate_from_stamps


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
        "shell": {"ratio_to_faust_agents_1": 2.4},
        "offline": {"articles_per_cpu_s": 700.0},
        "latency_fixed_rate": {"rate": 200.0, "p99_ms": 80.0, "received": 10, "published": 10},
        "memory": {"bytes_per_article_held": 2000, "window_held": 100_000},
    }
    verdicts = {name: check["holds"] for name, check in floors(figures).items()}
    assert verdicts == {
        "shell <= 2.5 x stock 1-agent Faust CPU/record": True,
        "offline core >= 800 articles/CPU-s": False,
        "p99 at 200/s <= 100 ms": True,
        "window RSS <= 1536 B/article": False,
    }
    figures["latency_fixed_rate"]["received"] = 9  # records lost or late: the p99 does not count
    assert floors(figures)["p99 at 200/s <= 100 ms"]["holds"] is None
    figures["latency_fixed_rate"].update(received=10, rate=500.0)  # not the floor's rate
    assert floors(figures)["p99 at 200/s <= 100 ms"]["holds"] is None
    figures["memory"]["window_held"] = 10_000  # the floor is for a window of 100,000
    assert floors(figures)["window RSS <= 1536 B/article"]["holds"] is None


def test_shell_cost_is_worker_cpu_minus_core_cpu():
    figures = {
        "pipeline": {"cpu_us_per_article": 2500.0},
        "offline": {"articles_per_cpu_s": 1000.0},  # 1000 µs per article
        "framework_ceiling": {"agents_1": {"cpu_us_per_article": 300.0},
                              "agents_1_uvloop": {"cpu_us_per_article": 250.0}},
    }
    add_shell_cost(figures)
    shell = figures["shell"]
    assert shell["core_cpu_us_per_article"] == 1000.0 and shell["shell_cpu_us_per_article"] == 1500.0
    assert shell["ratio_to_faust_agents_1"] == 5.0 and shell["ratio_to_faust_agents_1_uvloop"] == 6.0
    assert floors(figures)["shell <= 2.5 x stock 1-agent Faust CPU/record"]["holds"] is False
    assert "1,500 µs CPU/article (worker 2,500 - core 1,000); x 5.00 stock 1-agent Faust" in render(figures)
    del figures["shell"], figures["offline"]
    add_shell_cost(figures)  # no core figure: no shell cost, and its floor is not measured
    assert "shell" not in figures
    assert floors(figures)["shell <= 2.5 x stock 1-agent Faust CPU/record"]["holds"] is None


def test_render_shows_every_section():
    figures = {
        "ceiling": {"articles_per_s": 12345.6},
        "pipeline": {"articles_per_s": 234.5, "ratio_to_ceiling": 0.019, "outputs": 10, "dead_lettered": 0},
        "scale": {"workers_1": {"workers": 1, "partitions": 2, "articles_per_s": 100.0},
                  "workers_2": {"workers": 2, "partitions": 2, "articles_per_s": 180.0}},
        "offline": {"articles_per_cpu_s": 547.0},  # below the core's floor of 800
    }
    figures["floors"] = floors(figures)
    text = render(figures)
    assert "12,346 articles/s" in text
    assert "2 worker(s), 2 partitions" in text and "180 articles/s" in text
    assert "FAILS" in text and "not measured" in text


def test_framework_ceiling_ratios_and_verdict():
    figures = {
        "ceiling": {"articles_per_s": 10_000.0},
        "framework_ceiling": {"agents_1": {"agents": 1, "articles_per_s": 6_000.0, "cpu_us_per_article": 150.0},
                              "agents_2": {"agents": 2, "articles_per_s": 2_000.0}},
        "pipeline": {"articles_per_s": 500.0},
    }
    add_ratios(figures)
    assert figures["framework_ceiling"]["agents_1"]["ratio_to_ceiling"] == 0.6
    assert figures["framework_ceiling"]["agents_2"]["ratio_to_ceiling"] == 0.2
    assert figures["framework_ceiling_summary"] == {"best_ratio_to_ceiling": 0.6, "reaches_half_ceiling": True,
                                                    "best_ratio_to_ceiling_at_full_core": 0.6667}
    assert figures["framework_ceiling"]["agents_1"]["articles_per_cpu_s"] == 6666.7  # 1e6 / 150 µs
    assert figures["framework_ceiling"]["agents_2"]["ratio_to_ceiling_at_full_core"] is None  # no CPU figure
    assert figures["pipeline"]["ratio_to_ceiling"] == 0.05
    assert figures["pipeline"]["ratio_to_framework_ceiling"] == 0.25  # against the two-agent shape

    figures["framework_ceiling"]["agents_1"]["articles_per_s"] = 4_000.0
    add_ratios(figures)
    assert figures["framework_ceiling_summary"]["reaches_half_ceiling"] is False

    text = render(figures)
    assert "Faust ceiling (1 agent)" in text and "4,000 articles/s, 150 µs CPU/article; / ceiling 0.400" in text
    assert "Faust ceiling (2 agents + internal hop)" in text and "/ ceiling 0.200" in text
    verdict_line = next(line for line in text.splitlines() if line.startswith("Faust reaches 0.5 x ceiling"))
    assert "no (best 0.400; 0.667 at a full core" in verdict_line
    assert "pipeline / Faust 2 agents" in text


def test_framework_ceiling_not_measured():
    figures = {"ceiling": {"articles_per_s": 10_000.0}, "framework_ceiling": {"agents_1": {"agents": 1, "articles_per_s": None, "error": "no result"}}}
    add_ratios(figures)
    assert figures["framework_ceiling"]["agents_1"]["ratio_to_ceiling"] is None
    assert figures["framework_ceiling_summary"]["reaches_half_ceiling"] is None
    assert "not measured" in render(figures) and "no result" in render(figures)


def test_faust_ceiling_result_line_and_progress():
    progress = Progress(expected=3)
    progress.started()
    assert progress.sent() is None and progress.sent() is None
    result = progress.sent()
    assert result is not None and result["copied"] == 3 and result[RESULT_MARKER] is True
    assert progress.sent() is None  # reported once
    output = b"[WARNING] some log line\n" + orjson.dumps(result) + b"\n" + b'{"other": 1}\n'
    assert parse_result(output)["copied"] == 3
    assert parse_result(b"no result\n{broken json\n") == {}

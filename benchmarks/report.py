"""The benchmark's printed table: one line per figure, the same figures as the JSON."""

from __future__ import annotations

from typing import Any


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}" if abs(value) >= 1 else f"{value:.3f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return f"{text} {unit}".rstrip()


def _latency(figures: dict[str, Any]) -> str:
    if not figures:
        return "-"
    line = f"p50 {_fmt(figures.get('p50_ms'))} / p99 {_fmt(figures.get('p99_ms'))} / max {_fmt(figures.get('max_ms'))} ms"
    return line + f"  ({figures.get('received', 0)}/{figures.get('published', 0)} received, offered {_fmt(figures.get('offered_per_s'))}/s)"


def _cpu(figures: dict[str, Any]) -> str:
    cpu = figures.get("cpu_us_per_article")
    if cpu is None:
        return ""
    busy = figures.get("cpu_busy")
    return f", {cpu:,.0f} µs CPU/article" + (f" ({busy:.0%} busy)" if busy is not None else "")


def _framework_rows(variants: dict[str, Any], summary: dict[str, Any]) -> list[tuple[str, str]]:
    """One row per stock-Faust copy (rate, CPU, ratio to the bare ceiling) and the verdict."""
    out = []
    for key in sorted(variants):
        v = variants[key]
        shape = "1 agent" if v.get("agents") == 1 else f"{v.get('agents')} agents + internal hop"
        shape += ", uvloop" if v.get("uvloop") else ""
        text = f"{_fmt(v.get('articles_per_s'), 'articles/s')}{_cpu(v)}; / ceiling {_fmt(v.get('ratio_to_ceiling'))}"
        if v.get("error"):
            text += f"  ({v['error']})"
        out.append((f"Faust ceiling ({shape})", text))
    if summary:
        verdict = {True: "yes", False: "no", None: "not measured"}[summary.get("reaches_half_ceiling")]
        out.append(("Faust reaches 0.5 x ceiling", f"{verdict} (best {_fmt(summary.get('best_ratio_to_ceiling'))}; "
                    f"{_fmt(summary.get('best_ratio_to_ceiling_at_full_core'))} at a full core of its CPU/article)"))
    return out


def _shell(shell: dict[str, Any]) -> str:
    """The worker's CPU per article beyond the core's, and that as a multiple of the stock Faust copies'."""
    if not shell:
        return "-"
    return (f"{_fmt(shell.get('shell_cpu_us_per_article'), 'µs')} CPU/article (worker {_fmt(shell.get('worker_cpu_us_per_article'))} "
            f"- core {_fmt(shell.get('core_cpu_us_per_article'))}); x {_fmt(shell.get('ratio_to_faust_agents_1'))} stock 1-agent Faust, "
            f"x {_fmt(shell.get('ratio_to_faust_agents_1_uvloop'))} with uvloop; "
            f"{_fmt(shell.get('shell_cpu_us_per_article_less_idle'), 'µs')} less the idle worker's CPU")


def rows(figures: dict[str, Any]) -> list[tuple[str, str]]:
    g = figures.get
    corpus, prefill, ceiling, pipeline = g("corpus", {}), g("prefill", {}), g("ceiling", {}), g("pipeline", {})
    memory, scale, offline, cli, run = g("memory", {}), g("scale", {}), g("offline", {}), g("offline_cli", {}), g("run", {})
    out = [
        ("corpus", f"{_fmt(corpus.get('articles'))} articles, body median {_fmt(corpus.get('body_bytes_median'))} B "
                   f"({_fmt(corpus.get('body_bytes_min'))}-{_fmt(corpus.get('body_bytes_max'))}) from {corpus.get('documents')}"),
        ("window pre-fill", f"{_fmt(prefill.get('articles'))} articles, {_fmt(prefill.get('stories'))} stories "
                            f"(changelogs, {_fmt(prefill.get('seconds'))} s to write)"),
        ("ceiling (passthrough)", f"{_fmt(ceiling.get('articles_per_s'), 'articles/s')}{_cpu(ceiling)}"),
        *_framework_rows(g("framework_ceiling", {}), g("framework_ceiling_summary", {})),
        ("pipeline (worker)", f"{_fmt(pipeline.get('articles_per_s'), 'articles/s')}{_cpu(pipeline)}  "
                              f"({_fmt(pipeline.get('outputs'))} outputs, {_fmt(pipeline.get('dead_lettered'))} dead letters, "
                              f"{_fmt(pipeline.get('missing'))} missing)"),
        ("worker shell cost", _shell(g("shell", {}))),
        ("pipeline / ceiling", _fmt(pipeline.get("ratio_to_ceiling"))),
        ("pipeline / Faust 2 agents", _fmt(pipeline.get("ratio_to_framework_ceiling"))),
        ("worker ready (recovery)", f"{_fmt(pipeline.get('ready_s'), 's')} with {_fmt(pipeline.get('window_at_ready'))} held"),
        ("latency at half load", _latency(g("latency_half_load", {}))),
        ("latency at fixed rate", _latency(g("latency_fixed_rate", {}))),
        ("latency at saturation", _latency(g("latency_saturation", {}))),
        ("offline core (1 core)", f"{_fmt(offline.get('articles_per_s'), 'articles/s')} wall, "
                                  f"{_fmt(offline.get('articles_per_cpu_s'), 'articles/CPU-s')}; µs/stage {offline.get('stage_us')}"),
        ("article-stream process", f"{_fmt(cli.get('articles_per_s_incl_startup'), 'articles/s')} incl. start-up "
                                   f"({_fmt(cli.get('articles'))} in {_fmt(cli.get('wall_s'), 's')})"),
        ("worker RSS empty window", _fmt(memory.get("worker_rss_empty_window_mb"), "MB")),
        ("worker RSS full window", f"{_fmt(memory.get('worker_rss_ready_mb'), 'MB')} at ready, "
                                   f"{_fmt(memory.get('worker_rss_end_mb'), 'MB')} at end"),
        ("RSS per article held", _fmt(memory.get("bytes_per_article_held"), "B")),
    ]
    for key in ("workers_1", "workers_2"):
        s = scale.get(key)
        if s:
            out.append((f"{s['workers']} worker(s), {s['partitions']} partitions",
                        f"{_fmt(s.get('articles_per_s'), 'articles/s')}{_cpu(s)} ({_fmt(s.get('missing'))} missing)"))
    for name, check in g("floors", {}).items():
        verdict = {True: "holds", False: "FAILS", None: "not measured"}[check["holds"]]
        out.append((f"floor: {name}", f"{verdict} ({_fmt(check['value'])})"))
    for note in g("notes", []):
        out.append(("note", note))
    out.append(("run", f"{_fmt(run.get('seconds'), 's')}, {run.get('cpus')} CPUs, load avg {run.get('load_avg_start')} -> "
                       f"{run.get('load_avg_end')}, broker {run.get('broker')}"))
    return out


def render(figures: dict[str, Any]) -> str:
    table = rows(figures)
    width = max(len(name) for name, _ in table)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in table)

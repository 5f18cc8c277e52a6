"""deploy/: Prometheus config and alert rules (promtool), Kubernetes manifests (kubernetes-validate),
the Grafana dashboard (every metric it queries exists), and their wiring in docker-compose.yml."""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from stream.config import Settings
from stream.metrics import Metrics

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PROMETHEUS = DEPLOY / "prometheus"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "article-stream.json"
K8S = DEPLOY / "k8s"
# Series Prometheus itself adds to every scrape target.
PROMETHEUS_SERIES = {"up", "scrape_duration_seconds", "scrape_samples_scraped"}
PROMQL_NAME = re.compile(r"\b(article_stream_[a-zA-Z0-9_]+|up)\b")


def promtool() -> str:
    tool = shutil.which("promtool")
    assert tool, "promtool is missing: `make test` installs it (Debian package prometheus)"
    return tool


def run_promtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), *args], capture_output=True, text=True, cwd=PROMETHEUS, timeout=60)


# -- Prometheus ---------------------------------------------------------------------------------


@pytest.mark.parametrize("config", ["prometheus.yml", "prometheus-kubernetes.yml"])
def test_prometheus_config_passes_promtool(config):
    result = run_promtool("check", "config", config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rule files found" in result.stdout  # the alert rules are loaded, not just the scrape config


def test_alert_rules_pass_promtool_and_cover_the_issue():
    result = run_promtool("check", "rules", "alerts.yml")
    assert result.returncode == 0, result.stdout + result.stderr
    rules = [r for g in yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"] for r in g["rules"]]
    names = {r["alert"] for r in rules}
    expected = {
        "ArticleStreamLagGrowing",
        "ArticleStreamDeadLetterRate",
        "ArticleStreamNoThroughput",
        "ArticleStreamEndToEndLatencyHigh",
        "ArticleStreamWorkerNotReady",
    }
    assert expected <= names
    assert all(r["labels"]["severity"] in {"warning", "critical"} and r["annotations"]["summary"] for r in rules)


def test_alert_rules_fire_as_their_unit_tests_expect():
    result = run_promtool("test", "rules", "alerts_test.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_rejects_a_broken_rule(tmp_path):
    """The check above can fail: a rule with a PromQL syntax error is refused."""
    broken = tmp_path / "broken.yml"
    broken.write_text("groups:\n  - name: x\n    rules:\n      - alert: X\n        expr: sum(rate(foo[5m])\n")
    assert run_promtool("check", "rules", str(broken)).returncode != 0


def _lint_exposition(text: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool(), "check", "metrics"], input=text, capture_output=True, text=True, timeout=60)


def test_worker_metrics_pass_promtool_naming_lint():
    """promtool's linter: _total counters, base units, no reserved suffixes, help text on every family."""
    metrics = Metrics()
    metrics.consumed.inc()
    metrics.set_lag({("articles.raw", 0): 3})
    metrics.topic_assignments.labels("politics").inc()
    metrics.region_assignments.labels("eastern-asia", "true").inc()
    metrics.send_errors.labels("raw").inc()
    metrics.produce_retries.labels("enriched").inc()
    metrics.commit_seconds.observe(0.01)
    result = _lint_exposition(metrics.expose().decode())
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_lint_catches_a_badly_named_metric():
    bad = "# HELP article_stream_emit_milliseconds x\n# TYPE article_stream_emit_milliseconds gauge\narticle_stream_emit_milliseconds 3\n"
    result = _lint_exposition(bad)
    assert result.returncode != 0 and "base unit" in result.stdout + result.stderr


def test_compose_prometheus_scrapes_the_worker_port():
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    port = str(compose["services"]["worker"]["environment"]["ARTICLE_STREAM_WEB_PORT"])
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = [t for sc in jobs["article-stream"]["static_configs"] for t in sc["targets"]]
    assert targets == [f"worker:{port}"]


# -- metric names in the dashboard and the rules ---------------------------------------------------


def _dashboard_expressions() -> list[str]:
    dashboard = json.loads(DASHBOARD.read_text())
    return [t["expr"] for panel in dashboard["panels"] for t in panel.get("targets", [])]


def _rule_expressions() -> list[str]:
    groups = yaml.safe_load((PROMETHEUS / "alerts.yml").read_text())["groups"]
    return [r["expr"] for g in groups for r in g["rules"]]


def test_every_metric_the_dashboard_and_the_rules_query_exists():
    known = Metrics().metric_names() | PROMETHEUS_SERIES
    for expr in _dashboard_expressions() + _rule_expressions():
        names = PROMQL_NAME.findall(expr)
        assert names, f"no metric in {expr!r}"
        missing = [n for n in names if n not in known]
        assert not missing, f"{expr!r} queries metrics the worker does not expose: {missing}"


def test_the_name_check_catches_a_misspelt_metric():
    known = Metrics().metric_names()
    assert "article_stream_articles_enrichd_total" not in known
    assert "article_stream_end_to_end_latency_seconds_bucket" in known


def test_dashboard_shows_what_the_issue_asks_for():
    dashboard = json.loads(DASHBOARD.read_text())
    exprs = " ".join(_dashboard_expressions())
    for needle in (
        "article_stream_articles_consumed_total",  # throughput
        "histogram_quantile(0.99, sum by (le) (rate(article_stream_end_to_end_latency_seconds_bucket",  # latency quantiles
        "article_stream_consumer_lag_records",  # lag
        "article_stream_articles_dead_lettered_total",  # dead letters
        "article_stream_stories_created_total",  # stories
        "article_stream_topic_assignments_total",  # top topics
        "article_stream_region_assignments_total",  # regions
    ):
        assert needle in exprs, needle
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    assert dashboard["uid"] == "article-stream"


def test_dashboard_uses_the_provisioned_data_source():
    datasources = yaml.safe_load((DEPLOY / "grafana/provisioning/datasources/prometheus.yml").read_text())["datasources"]
    uids = {d["uid"] for d in datasources}
    dashboard = json.loads(DASHBOARD.read_text())
    used = {p["datasource"]["uid"] for p in dashboard["panels"]} | {
        t["datasource"]["uid"] for p in dashboard["panels"] for t in p["targets"]
    }
    assert used <= uids


def test_compose_provisions_grafana_with_the_dashboard_and_prometheus_with_the_rules():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    assert {"kafka", "worker", "prometheus", "grafana"} <= set(services)
    provider = yaml.safe_load((DEPLOY / "grafana/provisioning/dashboards/article-stream.yml").read_text())["providers"][0]
    mounts = {}
    for service in ("prometheus", "grafana"):
        for volume in services[service]["volumes"]:
            source, target = volume.split(":")[:2]
            if source.startswith("./"):
                assert (ROOT / source).exists(), volume
                mounts[target] = ROOT / source
    assert (mounts[provider["options"]["path"]] / DASHBOARD.name).exists()
    assert (mounts["/etc/grafana/provisioning"] / "datasources").is_dir()
    assert (mounts["/etc/prometheus"] / "alerts.yml").exists()


# -- Kubernetes ---------------------------------------------------------------------------------


def _manifests() -> list[dict]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def _by_kind(kind: str) -> list[dict]:
    return [d for d in _manifests() if d["kind"] == kind]


def test_manifests_validate_against_the_kubernetes_schema():
    kubernetes_validate = pytest.importorskip("kubernetes_validate", reason="pip install kubernetes-validate (test extra)")
    docs = _manifests()
    assert {d["kind"] for d in docs} >= {"StatefulSet", "Service", "ConfigMap"}
    for doc in docs:
        kubernetes_validate.validate(doc, "1.30.0", strict=True)


def test_validation_catches_a_misplaced_field():
    kubernetes_validate = pytest.importorskip("kubernetes_validate")
    broken = copy.deepcopy(_by_kind("StatefulSet")[0])
    broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["paht"] = "/ready"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, "1.30.0", strict=True)


def test_kustomization_lists_every_manifest():
    listed = set(yaml.safe_load((K8S / "kustomization.yaml").read_text())["resources"])
    assert listed == {p.name for p in K8S.glob("*.yaml") if p.name != "kustomization.yaml"}


def test_statefulset_probes_state_and_configuration_fit_the_worker():
    statefulset = _by_kind("StatefulSet")[0]
    config = _by_kind("ConfigMap")[0]["data"]
    container = statefulset["spec"]["template"]["spec"]["containers"][0]
    port = int(config["ARTICLE_STREAM_WEB_PORT"])

    assert container["livenessProbe"]["httpGet"]["path"] == "/health"
    assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert named[container["readinessProbe"]["httpGet"]["port"]] == port
    assert container["resources"]["requests"] and container["resources"]["limits"]
    assert container["envFrom"][0]["configMapRef"]["name"] == _by_kind("ConfigMap")[0]["metadata"]["name"]

    # RocksDB state on the pod's own volume, where ARTICLE_STREAM_DATA_DIR points.
    assert config["ARTICLE_STREAM_STORE"].startswith("rocksdb://")
    mount = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
    claims = {c["metadata"]["name"] for c in statefulset["spec"]["volumeClaimTemplates"]}
    assert mount[next(iter(claims))] == config["ARTICLE_STREAM_DATA_DIR"]
    assert config["ARTICLE_STREAM_WEB_HOST"] == "0.0.0.0"

    # Every variable is a real setting, and parses.
    fields = Settings.env_names()
    assert set(config) <= fields
    Settings(**{k.removeprefix("ARTICLE_STREAM_").lower(): v for k, v in config.items()})

    # The headless Service the StatefulSet names exists and selects its pods; Prometheus discovers it.
    services = {s["metadata"]["name"]: s for s in _by_kind("Service")}
    governing = services[statefulset["spec"]["serviceName"]]
    assert governing["spec"]["clusterIP"] == "None"
    assert governing["spec"]["selector"].items() <= statefulset["spec"]["template"]["metadata"]["labels"].items()
    namespace = statefulset["metadata"]["namespace"]
    k8s_prometheus = yaml.safe_load((PROMETHEUS / "prometheus-kubernetes.yml").read_text())
    dns = k8s_prometheus["scrape_configs"][0]["dns_sd_configs"][0]
    assert dns["names"] == [f"{governing['metadata']['name']}.{namespace}.svc.cluster.local"]
    assert dns["port"] == port

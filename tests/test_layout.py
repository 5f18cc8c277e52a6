"""The shape of the code base: the runtime package holds only the runtime, its layers point one way,
and no function grows past what a reader can hold (radon's cyclomatic complexity)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
from radon.visitors import Class, ComplexityVisitor
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
RUNTIME = ROOT / "stream"
# Above this a function no longer reads as one idea (issue 19); the anchors have almost nothing above 30.
MAX_COMPLEXITY = 25


def _runtime_files() -> list[Path]:
    return sorted(RUNTIME.rglob("*.py"))


def _functions(code: str):
    """Every function, method and nested function radon measures (a closure is scored on its own)."""
    visitor = ComplexityVisitor.from_code(code)
    yield from _expand(visitor.functions + visitor.classes)


def _expand(blocks):
    for block in blocks:
        if isinstance(block, Class):
            yield from _expand(block.methods + block.inner_classes)
        else:
            yield block
            yield from _expand(block.closures)


def test_no_function_in_the_runtime_is_above_the_complexity_ceiling():
    too_complex = []
    for path in _runtime_files():
        for function in _functions(path.read_text(encoding="utf-8")):
            if function.complexity > MAX_COMPLEXITY:
                too_complex.append(f"{path.relative_to(ROOT)}:{function.lineno} {function.fullname} {function.complexity}")
    assert not too_complex, f"cyclomatic complexity above {MAX_COMPLEXITY}:\n" + "\n".join(too_complex)


def test_the_ceiling_check_sees_a_complex_function():
    # 30 independent branches: the check above would report this function.
    body = "\n".join(f"    if x == {i}:\n        return {i}" for i in range(30))
    [function] = _functions(f"def f(x):\n{body}\n")
    assert function.complexity > MAX_COMPLEXITY


def _imported_modules(path: Path) -> set[str]:
    """Absolute modules a file imports, at the top or lazily inside a function."""
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def _imports_of(package: Path, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(package)} imports {module}"
        for path in sorted(package.rglob("*.py"))
        for module in sorted(_imported_modules(path))
        if any(module == f or module.startswith(f + ".") for f in forbidden)
    ]


def test_the_runtime_imports_nothing_from_the_benchmarks_or_the_tools():
    assert (ROOT / "benchmarks").is_dir() and (ROOT / "tools").is_dir()
    assert _imports_of(RUNTIME, ("benchmarks", "tools")) == []


def test_the_contracts_do_not_depend_on_the_development_broker_or_the_shells():
    assert _imports_of(RUNTIME / "contracts", ("stream.broker", "stream.worker", "stream.cli")) == []


def test_the_import_check_sees_a_lazy_import(tmp_path):
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "mod.py").write_text("def f():\n    from benchmarks.run import run_bench\n    return run_bench\n")
    assert _imports_of(package, ("benchmarks", "tools")) != []


def test_the_checkout_imports_the_benchmarks_and_runs_their_entry_point():
    # The editable install (make venv) puts the checkout root on sys.path, wherever the command runs from.
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--help"], cwd=ROOT / "tests", capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for flag in ("--quick", "--large", "--articles", "--prefill", "--rate", "--json"):
        assert flag in done.stdout


def test_bench_forwards_every_option_to_the_benchmarks_entry_point(tmp_path):
    from benchmarks.__main__ import options_from, parser
    from stream.cli.bench import bench_argv

    argv = bench_argv(json_path=tmp_path / "b.json", articles=300, prefill=5000, large=False, quick=True, rate=50.0)
    args = parser().parse_args(argv)
    assert (args.quick, args.large, args.articles, args.prefill, args.rate, args.json_path) == (True, False, 300, 5000, 50.0, tmp_path / "b.json")
    options = options_from(args)
    assert (options.articles, options.prefill, options.rate) == (300, 5000, 50.0)
    assert parser().parse_args(bench_argv(json_path=None, articles=None, prefill=None, large=True, quick=False, rate=None)).large


def test_bench_without_the_benchmarks_folder_says_so_in_one_line(monkeypatch, tmp_path):
    from stream.cli import bench
    from stream.cli.main import app

    # What an installed wheel sees: the package with no checkout around it.
    monkeypatch.setattr(bench, "CHECKOUT", tmp_path)
    result = CliRunner().invoke(app, ["bench", "--quick"])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "benchmarks/" in lines[0] and "checkout" in lines[0], result.output


def test_package_discovery_leaves_the_benchmarks_and_tools_out_of_the_wheel():
    import tomllib

    from setuptools import find_packages

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"] == {"": "."}
    found = find_packages(where=str(ROOT), **config["packages"]["find"])
    assert "stream" in found and "stream.cli" in found and "stream.core.tag" in found
    assert not [name for name in found if not name.startswith("stream")], found
    assert not [name for name in found if name.startswith("stream.bench")]
    # Without the include, the same discovery would pick the top-level benchmarks package up.
    assert "benchmarks" in find_packages(where=str(ROOT))

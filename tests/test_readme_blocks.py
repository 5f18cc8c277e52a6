"""The shell blocks of README.md and docs/*.md work as written.

Every ```bash (or sh, shell, console) block carries one of two marks in its info string:

- ```bash runnable: run, in page order (the README first, then docs/*.md by name), as one bash
  session against the session's real broker, with the bundled samples/. The session's environment
  names the broker, a fresh set of topics and a free HTTP port, as a reader's shell would after
  `export ARTICLE_STREAM_BROKER=…`. A command fails the test when its exit code differs from the
  one its comment documents as "(exit N)", or from 0 when none is documented.
- ```bash check-only: cannot run here (it starts a broker of its own, needs Docker, a cluster or a
  secured Kafka, or follows until Ctrl-C). Each `article-stream` command in it must exist and use
  only options its --help lists; `make` targets must exist; repository paths must exist.

The paths named in runnable blocks are checked the same way, before anything runs.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from stream.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELLS = {"bash", "sh", "shell", "console"}
MARKS = {"runnable", "check-only"}
FENCE = re.compile(r"^```(?P<info>[^\n]*)\n(?P<body>.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
EXIT_NOTE = re.compile(r"\(exit (\d+)\)")
REPO_PATH = re.compile(r"^(?:\./)?((?:samples|deploy|docs|schemas|stream|tests)(?:/[^\s'\"`)]*)?)$")


@dataclass(frozen=True)
class Command:
    page: str
    line: int
    text: str  # the command without its trailing comment
    comment: str

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    @property
    def expected_exit(self) -> int:
        found = EXIT_NOTE.findall(self.comment)
        return int(found[-1]) if found else 0

    @property
    def background(self) -> bool:
        return self.text.rstrip().endswith("&") and not self.text.rstrip().endswith("&&")


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    language: str
    mark: str | None
    body: str

    def commands(self) -> list[Command]:
        out: list[Command] = []
        pending, start = "", 0
        for offset, raw in enumerate(self.body.splitlines(), start=1):
            if not pending:
                start = self.line + offset
            if raw.rstrip().endswith("\\"):
                pending += raw.rstrip()[:-1] + " "
                continue
            text, comment = _split_comment(pending + raw)
            pending = ""
            if text.strip():
                out.append(Command(self.page, start, text.strip(), comment))
        return out


def _split_comment(line: str) -> tuple[str, str]:
    """Split off a trailing ``# comment`` (a # after whitespace, outside quotes)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            quote = None if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i], line[i + 1 :].strip()
    return line, ""


def blocks(page: Path) -> list[Block]:
    text = page.read_text("utf-8")
    found = []
    for match in FENCE.finditer(text):
        words = match.group("info").split()
        if not words or words[0] not in SHELLS:
            continue
        marks = [w for w in words[1:] if w in MARKS]
        line = text.count("\n", 0, match.start()) + 1
        found.append(Block(str(page.relative_to(ROOT)), line, words[0], marks[0] if marks else None, match.group("body")))
    return found


ALL_BLOCKS = [block for page in PAGES for block in blocks(page)]


# --- checks without a broker ------------------------------------------------------------------


def test_every_shell_block_is_marked():
    unmarked = [f"{b.page}:{b.line}" for b in ALL_BLOCKS if b.mark is None]
    assert not unmarked, f"mark these blocks ```bash runnable or ```bash check-only: {unmarked}"
    readme_runnable = [b for b in ALL_BLOCKS if b.page == "README.md" and b.mark == "runnable"]
    assert len(readme_runnable) >= 3 and sum(len(b.commands()) for b in readme_runnable) >= 10


@cache
def _click_root():
    return get_command(app)


@cache
def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "300", "TERMINAL_WIDTH": "300"})
    assert result.exit_code == 0, f"article-stream {' '.join(path)} --help failed: {result.output}"
    return result.output


def _help_options(path: tuple[str, ...]) -> set[str]:
    return set(re.findall(r"(?<![\w-])(--[a-z][\w-]*|-[a-zA-Z])(?![\w-])", _help(path)))


def _article_stream_calls(text: str) -> list[list[str]]:
    """The argument lists of each ``article-stream`` call in a command line (also inside $(…) and
    ``docker compose run … worker ARGS``, whose image runs article-stream)."""
    calls = []
    for match in re.finditer(r"article-stream\s+([^|;&)>]*)", text):
        calls.append(shlex.split(match.group(1)))
    compose = re.search(r"docker compose run (?:--rm )?worker\s+([^|;&)>]*)", text)
    if compose:
        calls.append(shlex.split(compose.group(1)))
    return calls


def _check_call(args: list[str]) -> list[str]:
    """Problems with one ``article-stream ARGS`` call: unknown command or option."""
    command, path = _click_root(), []
    while args and hasattr(command, "commands"):
        name = args[0]
        if name not in command.commands:
            return [f"unknown command: article-stream {' '.join([*path, name])}"]
        command, path, args = command.commands[name], [*path, name], args[1:]
    if hasattr(command, "commands"):
        return [f"article-stream {' '.join(path)} needs a subcommand"]
    known = _help_options(tuple(path))
    used = {arg.split("=", 1)[0] for arg in args if arg.startswith("-") and arg != "-"}
    return [f"article-stream {' '.join(path)}: {option} is not in its --help" for option in sorted(used - known)]


def _make_targets() -> set[str]:
    return set(re.findall(r"^([\w-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))


def _check_command(command: Command) -> list[str]:
    problems = []
    for call in _article_stream_calls(command.text):
        problems += _check_call(call)
    for target in re.findall(r"(?:^|\s)make\s+([\w-]+)", command.text):
        if target not in _make_targets():
            problems.append(f"no make target {target!r}")
    for token in shlex.split(command.text.replace("$(", " ").replace(")", " ")):
        match = REPO_PATH.match(token)
        if match and not (ROOT / match.group(1)).exists():
            problems.append(f"{match.group(1)} does not exist")
    return [f"{command.where}: {p}" for p in problems]


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=lambda b: f"{b.page}:{b.line}")
def test_commands_use_real_commands_options_and_files(block):
    problems = [p for command in block.commands() for p in _check_command(command)]
    assert not problems, "\n".join(problems)


def test_the_checker_catches_a_wrong_option_a_wrong_command_and_a_missing_file():
    bad = Block("x.md", 1, "bash", "check-only", "article-stream tail --no-such-option\narticle-stream nope\narticle-stream produce samples/nothing-here.jsonl\n")
    problems = [p for command in bad.commands() for p in _check_command(command)]
    assert len(problems) == 3, problems
    assert _check_command(Command("x.md", 1, "article-stream tail stories --from-beginning -n 3 --json", "")) == []


def test_comments_give_the_expected_exit_code():
    [plain, documented] = Block("x.md", 1, "bash", "runnable", "a --b  # just a comment\nc d \\\n  e  # refused (exit 3)\n").commands()
    assert (plain.text, plain.expected_exit) == ("a --b", 0)
    assert (documented.text, documented.line, documented.expected_exit) == ("c d    e", 3, 3)


# --- the runnable blocks, for real ------------------------------------------------------------


def _script(commands: list[Command]) -> str:
    lines = ["set -u", "set -o pipefail"]
    for command in commands:
        lines.append(f"echo {shlex.quote('$ ' + command.text)} >&2")
        lines.append(command.text)
        if command.background:
            continue
        lines.append(
            f'rc=$?; if [ "$rc" != "{command.expected_exit}" ]; then '
            f"echo {shlex.quote(f'FAILED {command.where}: documented exit {command.expected_exit}, got')} $rc >&2; exit 100; fi"
        )
    return "\n".join(lines) + "\n"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop_group(proc: subprocess.Popen, grace: float = 30.0) -> None:
    """SIGTERM the process group (the script and what it left in the background), SIGKILL after ``grace``."""
    import time

    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            proc.poll()
            try:
                os.killpg(proc.pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)
    proc.wait()


@pytest.mark.integration
@pytest.mark.timeout(600)
def test_runnable_blocks_run_as_documented(kafka_bootstrap, tmp_path):
    commands = [c for b in ALL_BLOCKS if b.mark == "runnable" for c in b.commands()]
    assert any(c.background and "article-stream worker" in c.text for c in commands), "the README starts a worker"
    # The reader's shell: a checkout (samples/ and the rest) and the environment the README sets up.
    for name in ("samples", "deploy", "docs", "schemas"):
        (tmp_path / name).symlink_to(ROOT / name)
    prefix = f"readme-{uuid.uuid4().hex[:8]}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTICLE_STREAM_")}
    env.update(
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        COLUMNS="120",
        ARTICLE_STREAM_BROKER=kafka_bootstrap,
        ARTICLE_STREAM_APP_ID=prefix,
        ARTICLE_STREAM_TOPIC_RAW=f"{prefix}.raw",
        ARTICLE_STREAM_TOPIC_ENRICHED=f"{prefix}.enriched",
        ARTICLE_STREAM_TOPIC_STORIES=f"{prefix}.stories",
        ARTICLE_STREAM_TOPIC_DLQ=f"{prefix}.dlq",
        ARTICLE_STREAM_WEB_PORT=str(_free_port()),
    )
    script = tmp_path / "readme.sh"
    script.write_text(_script(commands))
    proc = subprocess.Popen(["bash", str(script)], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=540)
    finally:
        # The worker the README started in the background shares the script's process group.
        _stop_group(proc)
    (tmp_path / "transcript.txt").write_text(f"--- stderr ---\n{stderr}\n--- stdout ---\n{stdout}")  # for a reader of a failure
    log = tmp_path / "worker.log"
    worker_log = "\n".join(log.read_text(errors="replace").splitlines()[-20:]) if log.exists() else "(no worker.log)"
    assert proc.returncode == 0, f"{stderr[-4000:]}\n--- stdout (end) ---\n{stdout[-2000:]}\n--- worker.log (end) ---\n{worker_log}"
    # What the reader sees: the first 20 enriched articles, then the stories table and the topics.
    assert stdout.count("    id=") >= 20
    assert "stories" in stdout and f"{prefix}.raw" in stdout

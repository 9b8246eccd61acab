"""Property: whatever a user types, `cco` answers cleanly and the database stays consistent.

`cco` runs in this process through `cli.main.main` itself (not `cli.main(...)` in Click's
standalone mode), with argv, stdin, stdout and stderr swapped by CliRunner's isolation: the
UTF-8 check of argv and the one-line error handling are the ones a user's shell reaches,
without a new interpreter per example. A clean answer is exit 0, or exit 1 or 2 with exactly
one line on stderr, no traceback and no "unexpected ...".
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import assume, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from cc_orchestrator.cli.main import main
from tests import hostile
from tests.helpers import git
from tests.invariants import check_database, task_count

MAX_ARG_STRLEN = 131_072  # Linux's limit on one argument of exec, in bytes


@dataclass
class Answer:
    code: int
    out: str
    err: str

    @property
    def helped(self) -> bool:
        """A `--help` among the arguments: Click printed the usage and did nothing else."""
        return self.code == 0 and self.out.startswith("Usage:")


class Cli:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.runner = CliRunner()

    def __call__(self, *args: str, stdin: bytes | str | None = None) -> Answer:
        # No exec can pass a NUL in an argument (it ends the C string), and the kernel refuses a
        # longer one (E2BIG) before any `cco` runs: such text reaches us through stdin or the web.
        passable = all("\x00" not in a and len(a.encode("utf-8", "surrogatepass")) < MAX_ARG_STRLEN for a in args)
        if currently_in_test_context():
            assume(passable)
        assert passable, "no exec could pass these arguments"
        with self.runner.isolation(input=stdin) as (out, err, _):
            saved, sys.argv = sys.argv, ["cco", *args]
            try:
                main()
                code = 0
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
            finally:
                sys.argv = saved
            sys.stdout.flush()
            sys.stderr.flush()
            return Answer(code, out.getvalue().decode("utf-8", "replace"), err.getvalue().decode("utf-8", "replace"))


def assert_clean(answer: Answer, args: tuple = ()) -> None:
    said = f"{args!r:.300} -> exit {answer.code}, stderr {answer.err!r:.500}"
    assert "Traceback" not in answer.out + answer.err, said
    if answer.code == 0:
        return
    assert answer.code in (1, 2), said
    line = answer.err.removesuffix("\n")
    assert line and "\n" not in line and "\r" not in line, said  # one line, and a terminal shows it as one
    assert not line.startswith("error: unexpected "), said


@pytest.fixture
def cli(cli_env, data_dir, git_repo, monkeypatch) -> Cli:
    monkeypatch.chdir(git_repo)
    run = Cli(data_dir)
    assert run("tasks", "list").code == 0  # the database exists before the first count
    return run


@pytest.fixture
def board(cli) -> Cli:
    """Eight tasks, each depending on the one before."""
    for n in range(1, 9):
        args = ["tasks", "add", f"task {n}"] + (["--dependency", str(n - 1)] if n > 1 else [])
        assert cli(*args).code == 0
    return cli


def run_clean(cli: Cli, *args: str, stdin: bytes | str | None = None) -> Answer:
    answer = cli(*args, stdin=stdin)
    event(f"{' '.join(args[:2])}: exit {answer.code}")  # --hypothesis-show-statistics: how many got through
    assert_clean(answer, args)
    return answer


# Mostly nothing, or words the command takes, so that many examples get past Click to the services.
maybe_text = hostile.mostly(st.none(), hostile.arguments, odds=2)
priorities = hostile.mostly(st.sampled_from([None, None, "high", "LoW", "Medium"]), hostile.arguments)
statuses = hostile.mostly(
    st.sampled_from([None, None, None, "pending", "assigned", "in_progress", "review", "done"]), hostile.arguments
)
real_ids = st.integers(min_value=1, max_value=9).map(str)


@hostile.PROPERTIES
@given(
    title=hostile.arguments,
    description=maybe_text,
    priority=priorities,
    dependencies=st.lists(hostile.mostly(real_ids, hostile.ids, odds=2), max_size=3),
    separator=st.booleans(),
)
def test_tasks_add_answers_cleanly_and_adds_exactly_what_it_says(
    board, title, description, priority, dependencies, separator
):
    before = task_count(board.data_dir)
    args = ["tasks", "add"]
    if description is not None:
        args += ["--description", description]
    if priority is not None:
        args += ["--priority", priority]
    for dependency in dependencies:
        args += ["--dependency", dependency]
    args += ["--", title] if separator else [title]
    answer = run_clean(board, *args)
    assert task_count(board.data_dir) == before + (answer.code == 0 and not answer.helped)
    check_database(board.data_dir)


@hostile.PROPERTIES
@given(
    task_id=hostile.mostly(real_ids, hostile.ids, odds=2),
    title=maybe_text,
    description=maybe_text,
    priority=priorities,
    status=statuses,
    add=st.lists(hostile.mostly(real_ids, hostile.ids), max_size=3),
    remove=st.lists(hostile.mostly(real_ids, hostile.ids, odds=2), max_size=2),
)
@example(task_id="1", title=None, description=None, priority=None, status="assigned", add=[], remove=[])
@example(task_id="1", title=None, description=None, priority=None, status=None, add=["8"], remove=[])
def test_tasks_update_answers_cleanly_and_never_makes_a_cycle(
    board, task_id, title, description, priority, status, add, remove
):
    before = task_count(board.data_dir)
    args = ["tasks", "update", task_id]
    for option, value in (("--title", title), ("--description", description), ("--priority", priority)):
        if value is not None:
            args += [option, value]
    if status is not None:
        args += ["--status", status]
    for dependency in add:
        args += ["--depends-on", dependency]
    for dependency in remove:
        args += ["--no-depends-on", dependency]
    run_clean(board, *args)
    assert task_count(board.data_dir) == before
    check_database(board.data_dir)


@hostile.PROPERTIES
@given(
    command=st.sampled_from(["show", "rm"]),
    task_id=hostile.mostly(real_ids, hostile.ids, odds=2),
    as_json=st.booleans(),
)
def test_any_task_id_gets_a_clean_answer(board, command, task_id, as_json):
    before = task_count(board.data_dir)
    args = ["tasks", command, task_id] + (["--json"] if as_json and command == "show" else [])
    answer = run_clean(board, *args)
    removed = command == "rm" and answer.code == 0 and not answer.helped
    assert task_count(board.data_dir) == before - removed
    check_database(board.data_dir)


@hostile.PROPERTIES
@given(
    command=st.sampled_from(["show", "stop", "restart", "approve", "logs", "send"]),
    instance_id=hostile.ids,
)
def test_any_instance_id_gets_a_clean_answer_when_none_exists(cli, command, instance_id):
    args = ["instances", command, instance_id] + (["hello"] if command == "send" else [])
    answer = run_clean(cli, *args)
    assert answer.code != 0 or answer.helped
    assigned = run_clean(cli, "tasks", "assign", "--no-wait", instance_id)  # an empty board: nothing to assign
    assert assigned.code != 0 or assigned.helped


branch_names = (
    hostile.arguments
    | st.text("ab/-._@{}~^:?*[\\ ", max_size=24)
    | st.text("abc/", min_size=200, max_size=400)
    | st.sampled_from(["feature/ok", "cco/1", "main", "a/b/c", "x" * 300, "-b", "feature/ok.lock", "@", "a/"])
)


def _git_state(repo: Path) -> tuple[str, str]:
    return git(repo, "worktree", "list", "--porcelain"), git(repo, "branch", "--list")


@hostile.PROPERTIES
@given(branch=branch_names, base=st.none() | st.sampled_from(["main", "HEAD", "nope"]) | hostile.arguments)
def test_worktrees_create_takes_any_branch_name_or_leaves_nothing_behind(cli, git_repo, branch, base):
    """A refusal changes nothing in git or the database; a worktree made and then removed with
    --force leaves git as it was."""
    before = _git_state(git_repo)
    rows = run_clean(cli, "worktrees", "list", "--json").out
    args = ["worktrees", "create", branch] + ([] if base is None else ["--base", base])
    answer = run_clean(cli, *args)
    if answer.code == 0 and not answer.helped:
        made = json.loads(run_clean(cli, "worktrees", "list", "--json").out)
        assert len(made) == len(json.loads(rows)) + 1
        (new,) = [w for w in made if w["path"] not in rows]
        assert Path(new["path"]).is_dir() and new["path"] in _git_state(git_repo)[0]
        assert run_clean(cli, "worktrees", "rm", new["id"], "--force").code == 0
    assert _git_state(git_repo) == before, answer.err
    assert run_clean(cli, "worktrees", "list", "--json").out == rows
    check_database(cli.data_dir)


@pytest.fixture
def live(cli, data_dir, git_repo):
    """One agent for the whole test: a start per example would take minutes."""
    from cc_orchestrator.core.orchestrator import Orchestrator

    orchestrator = Orchestrator(data_dir)
    instance = orchestrator.instances.start(git_repo, command=hostile.RAW_CAT)
    yield instance
    orchestrator.close()


stdin_texts = hostile.text.map(lambda t: t.encode("utf-8", "surrogatepass")) | st.binary(max_size=64)


@settings(hostile.PROPERTIES, max_examples=100)
@given(text=hostile.arguments, stdin=st.none() | stdin_texts, enter=st.booleans())
def test_instances_send_takes_any_text_and_wedges_nothing(cli, live, text, stdin, enter):
    args = ["instances", "send", live.id, "-" if stdin is not None else text] + ([] if enter else ["--no-enter"])
    run_clean(cli, *args, stdin=stdin)
    for args in (("instances", "show", live.id), ("instances", "list")):
        assert run_clean(cli, *args).code == 0
    check_database(cli.data_dir)


settings_pairs = hostile.mostly(
    st.sampled_from(sorted(hostile.SETTINGS)).flatmap(
        lambda key: st.tuples(
            st.just(key), hostile.mostly(st.sampled_from(hostile.SETTINGS[key]), hostile.setting_texts, odds=2)
        )
    ),
    st.tuples(hostile.arguments, hostile.setting_texts),
)


@hostile.PROPERTIES
@given(pair=settings_pairs)
@example(pair=("agents", '{"generic": {"ready_patterns": ["("]}}'))
@example(pair=("agents", '{"generic": {"dialogs": [{"name": "d", "pattern": "x", "approve_label": "["}]}}'))
@example(pair=("agents", '{"x": {"command": 5}}'))
def test_config_set_takes_any_value_and_nothing_stored_breaks_a_command(cli, live, pair):
    """`instances list` reads the live agent's screen with its profile: a stored profile that
    cannot read it must have been refused."""
    key, value = pair
    stored = run_clean(cli, "config", "set", key, value).code == 0
    run_clean(cli, "config", "get", key)
    if not stored:  # nothing changed
        return
    checks = (("config", "show"), ("tasks", "list"), ("instances", "send", live.id, "hi"), ("instances", "list"))
    for args in checks:  # the send moves the screen, so the list reads it again
        answer = run_clean(cli, *args)
        assert answer.code == 0, f"{args} after config set {key!r:.80} {value!r:.80}: {answer.err}"
    check_database(cli.data_dir)

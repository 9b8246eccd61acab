"""Which command checks a repository's work, and where that answer came from.

In order: the repository's own `.cc-orchestrator.toml` (`[review] checks = "pytest -q"`; an
empty string means "no checks"), the `review_checks` setting for that repository's path, the
setting's "*" entry, then a default detected from the project's files. The file is read from
the main checkout, never from the agent's worktree: an agent cannot loosen its own gate.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

REPO_FILE = ".cc-orchestrator.toml"
TAIL_LINES = 80  # of a failed run's output, in the agent's next prompt and in `tasks show`


@dataclass(frozen=True)
class Checks:
    command: str | None  # None: the repository has no checks
    source: str  # "… .cc-orchestrator.toml", "setting review_checks", "detected: pyproject.toml", "none found"

    def describe(self) -> str:
        return f"{self.command}  ({self.source})" if self.command else f"none ({self.source})"


def resolve(repo: Path | str, checks_setting: dict[str, str] | None = None) -> Checks:
    repo = Path(repo)
    from_file = _from_repo_file(repo)
    if from_file is not None:
        return from_file
    setting = checks_setting or {}
    for key in (str(repo), str(repo.resolve()) if repo.exists() else str(repo), "*"):
        if key in setting:
            command = setting[key].strip()
            where = "setting review_checks" + ("" if key != "*" else " (*)")
            return Checks(command or None, where)
    return detect(repo)


def _from_repo_file(repo: Path) -> Checks | None:
    path = repo / REPO_FILE
    try:
        with path.open("rb") as fh:
            table = tomllib.load(fh)
    except FileNotFoundError:
        return None
    except (OSError, tomllib.TOMLDecodeError) as exc:
        from cc_orchestrator.errors import InvalidInput

        raise InvalidInput(f"{path} cannot be read: {exc}") from None
    review = table.get("review")
    if not isinstance(review, dict) or "checks" not in review:
        return None
    command = review["checks"]
    if not isinstance(command, str):
        from cc_orchestrator.errors import InvalidInput

        raise InvalidInput(f"{path}: [review] checks must be a string (a shell command)")
    return Checks(command.strip() or None, REPO_FILE)


def detect(repo: Path) -> Checks:
    """A sensible default from the project's files, or none."""
    if _pytest_project(repo):
        return Checks("pytest -q", "detected: pytest configuration")
    package = repo / "package.json"
    if package.is_file():
        try:
            script = (json.loads(package.read_text()).get("scripts") or {}).get("test", "")
        except (OSError, ValueError, AttributeError):
            script = ""
        if script and "no test specified" not in script:
            return Checks("npm test", "detected: package.json test script")
    makefile = next((repo / n for n in ("GNUmakefile", "makefile", "Makefile") if (repo / n).is_file()), None)
    if makefile is not None and _has_target(makefile, "test"):
        return Checks("make test", f"detected: {makefile.name} test target")
    if (repo / "Cargo.toml").is_file():
        return Checks("cargo test", "detected: Cargo.toml")
    if (repo / "go.mod").is_file():
        return Checks("go test ./...", "detected: go.mod")
    return Checks(None, "none found")


def _pytest_project(repo: Path) -> bool:
    if (repo / "pytest.ini").is_file() or (repo / "conftest.py").is_file():
        return True
    for name, marker in (
        ("pyproject.toml", "[tool.pytest"),
        ("setup.cfg", "[tool:pytest]"),
        ("tox.ini", "[pytest]"),
    ):
        try:
            if marker in (repo / name).read_text(errors="replace"):
                return True
        except OSError:
            continue
    return (repo / "pyproject.toml").is_file() and (repo / "tests").is_dir()


def _has_target(makefile: Path, target: str) -> bool:
    try:
        lines = makefile.read_text(errors="replace").splitlines()
    except OSError:
        return False
    rules = (line.split(":", 1)[0].split() for line in lines if ":" in line and not line.startswith("\t"))
    return any(target in names for names in rules)


def tail(text: str, lines: int = TAIL_LINES) -> str:
    return "\n".join(text.rstrip("\n").splitlines()[-lines:])

"""The page's JavaScript names statuses by hand; this checks every such name against the API's
OpenAPI schema, and the page's idea of a live instance against `InstanceStatus.is_live`, so a
status added, renamed or re-ruled in the core cannot silently leave the page behind."""

from __future__ import annotations

import re

import pytest

from cc_orchestrator.core.models import InstanceStatus
from cc_orchestrator.web.pages import STATIC
from tests.web.conftest import TOKEN

JS = STATIC / "js"


@pytest.fixture
def enums(orch) -> dict[str, list[str]]:
    """Each enum of the API's schema by name (`InstanceStatus`, `TaskStatus`, ...), in order."""
    from cc_orchestrator.web.app import create_app

    schemas = create_app(orch, TOKEN).openapi()["components"]["schemas"]
    return {name: schema["enum"] for name, schema in schemas.items() if "enum" in schema}


def _constant(file: str, name: str) -> list[str]:
    """The strings of `const NAME = [...]` or `const NAME = new Set([...])` in a page script."""
    text = (JS / file).read_text()
    found = re.search(rf"const {name} = (?:new Set\()?\[([^\]]*)\]", text)
    assert found, f"{file} no longer defines {name}"
    return re.findall(r'"([^"]*)"', found.group(1))


def test_the_task_board_has_a_column_per_task_status_in_order(enums):
    assert _constant("tasks.js", "STATUSES") == enums["TaskStatus"]


def test_the_page_calls_live_what_the_core_calls_live(enums):
    assert enums["InstanceStatus"] == [s.value for s in InstanceStatus]
    live = {s for s in enums["InstanceStatus"] if InstanceStatus(s).is_live}
    assert set(_constant("instances.js", "LIVE")) == live
    assert set(_constant("main.js", "ENDED")) == set(enums["InstanceStatus"]) - live


def test_every_status_or_level_the_page_compares_is_one_the_api_sends(enums):
    known = {value for values in enums.values() for value in values}
    compared = {
        (path.name, value)
        for path in JS.glob("*.js")
        for value in re.findall(r'(?:status|level) [!=]==? "([^"]*)"', path.read_text())
    }
    assert compared, "the pattern no longer finds the page's comparisons"
    assert {(file, value) for file, value in compared if value not in known} == set()


def test_the_priority_choices_are_the_api_priorities(enums):
    page = (STATIC / "index.html").read_text()
    options = re.findall(r'<option value="([A-Z]+)"[^>]*>(?:high|medium|low)</option>', page)
    assert options == enums["Priority"]


def test_the_checks_badges_name_every_checks_state(enums):
    text = (JS / "tasks.js").read_text()
    block = re.search(r"const CHECKS = \{([^}]*)\}", text)
    assert block, "tasks.js no longer defines CHECKS"
    assert re.findall(r"^\s*(\w+):", block.group(1), re.M) == [s for s in enums["ChecksState"] if s]

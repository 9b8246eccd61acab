"""The charts' history: a sample per change, at most one a second, and never a stale one."""

from __future__ import annotations

import dataclasses

from cc_orchestrator.core.models import ResourceUsage
from cc_orchestrator.web.feed import _History
from tests.tui.demo import demo_view


def test_a_change_within_the_second_replaces_the_last_sample_rather_than_being_lost():
    agent = next(i for i in demo_view().instances if i.status.is_live)
    history = _History()
    starting = dataclasses.replace(agent, resource_usage=ResourceUsage(80.0, 12.0, 1))
    settled = dataclasses.replace(agent, resource_usage=ResourceUsage(0.0, 13.0, 1))
    history.add([starting], [starting])
    history.add([settled], [settled])  # at once: its figures are what holds from now on
    [(_, cpu, memory)] = history.of(agent.id)
    assert (cpu, memory) == (0.0, 13.0)

"""/api/config: the settings every face shares. Secrets show as "set", and cannot be set here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from cc_orchestrator.errors import InvalidInput
from cc_orchestrator.web.api.deps import Svc
from cc_orchestrator.web.models import ConfigEntryOut, ConfigOut

router = APIRouter(prefix="/api/config", tags=["config"])


def _entries(svc: Svc) -> ConfigOut:
    return ConfigOut(entries=[ConfigEntryOut.model_validate(e) for e in svc.orchestrator.config.entries()])


@router.get("", response_model=ConfigOut, summary="Get the configuration")
def get_config(svc: Svc):
    """Each setting's effective value and where it comes from (env, stored, file, default)."""
    return _entries(svc)


@router.put("", response_model=ConfigOut, summary="Change settings")
def update_config(
    svc: Svc,
    values: Annotated[dict[str, Any], Body(examples=[{"max_instances": 8, "auto_assign": True}])],
):
    """Stores the values as `config set` would, for every face, in one transaction: each is
    checked alone and with the rest, and an unknown key or an invalid value stores none (422).
    This server (and every other running face) uses them from its next round; tmux_socket and
    data_dir need a restart."""
    if not values:
        raise InvalidInput("no settings given")
    if len(values) > 50:
        raise InvalidInput("at most 50 settings at once")
    svc.orchestrator.config.set_many(values)
    svc.feed.settle(kick=False)
    return _entries(svc)

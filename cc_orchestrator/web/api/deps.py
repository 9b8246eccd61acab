"""What every endpoint needs: the orchestrator, the feed (the newest snapshot), paging."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

from fastapi import Depends, Query, Request

from cc_orchestrator.errors import InvalidInput
from cc_orchestrator.web.feed import Feed
from cc_orchestrator.web.models import Page

if TYPE_CHECKING:
    from cc_orchestrator.core.models import Host
    from cc_orchestrator.core.orchestrator import Orchestrator

T = TypeVar("T")


@dataclass
class Services:
    orchestrator: Orchestrator
    feed: Feed
    default_repo: Path | None

    def repo(self, given: str | None) -> Path:
        """The repository a request names, else the one the server was started in."""
        if given:
            return Path(given).expanduser()
        if self.default_repo is None:
            raise InvalidInput("no repository given, and the server was not started inside one: pass `repo`")
        return self.default_repo

    def host(self, name: str) -> str:
        """A host a request names, as its own name (`hosts list`); 404 for none of that name."""
        return self.orchestrator.hosts.get(name).name

    def hosts(self) -> list[Host]:
        """Every host with its health, as the newest snapshot has them (the store before one)."""
        return list(self.feed.snapshot.hosts) or self.orchestrator.hosts.list()


def services(request: Request) -> Services:
    return request.app.state.services


Svc = Annotated[Services, Depends(services)]


@dataclass
class Paging:
    limit: int
    offset: int

    def page(self, items: list[T], total: int | None = None) -> Page[T]:
        """A page cut from a full list (or, with `total`, `items` is the page already)."""
        if total is None:
            total, items = len(items), items[self.offset : self.offset + self.limit]
        return Page(items=items, total=total, limit=self.limit, offset=self.offset)


def paging(
    limit: Annotated[int, Query(ge=1, le=1000, description="at most this many items")] = 100,
    offset: Annotated[int, Query(ge=0, description="skip this many items")] = 0,
) -> Paging:
    return Paging(limit, offset)


Pages = Annotated[Paging, Depends(paging)]

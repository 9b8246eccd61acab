"""What the dashboard's forms and charts need: repos, agent profiles, hosts, metrics."""

from __future__ import annotations

from fastapi import APIRouter

from cc_orchestrator.web.api.deps import Svc
from cc_orchestrator.web.models import Agents, HostOut, MetricSample, Repos

router = APIRouter(prefix="/api", tags=["dashboard"])


@router.get("/repos", response_model=Repos, summary="Repositories to start instances in")
def repos(svc: Svc):
    known = [str(p) for p in svc.orchestrator.known_repos()]
    default = str(svc.default_repo) if svc.default_repo else None
    return Repos(default=default, known=known)


@router.get("/agents", response_model=Agents, summary="Agent profiles")
def agents(svc: Svc):
    settings = svc.orchestrator.settings
    return Agents(default=settings.default_agent, names=sorted(settings.profiles))


@router.get("/hosts", response_model=list[HostOut], summary="Hosts, with their health")
def hosts(svc: Svc):
    """`local` first, then the remote hosts by name, each as the newest refresh saw it: whether
    it answers (since when it has not), its latency and its live instances. No ssh per request."""
    return [HostOut.model_validate(h) for h in svc.hosts()]


@router.get("/metrics", response_model=dict[str, list[MetricSample]], summary="CPU and memory of every instance")
def metrics(svc: Svc):
    """The samples this server took (every 5 s, every second for an instance a client follows;
    the newest 900), by instance."""
    feed = svc.feed
    return {
        instance.id: [MetricSample(timestamp=t, cpu_percent=c, memory_mb=m) for t, c, m in feed.history(instance.id)]
        for instance in feed.instances()
    }

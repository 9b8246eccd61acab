"""`cc-orchestrator serve`: bind, print the one-time sign-in link, run uvicorn until Ctrl-C.

The token comes from CC_ORCHESTRATOR_WEB_TOKEN, else the system keyring (service
"cc-orchestrator", name "web_token", when the optional `keyring` package is installed), else it
is made at random for this run. It is printed once, inside the sign-in link, and never logged:
uvicorn's access log (which would show query strings) is off.

Clients cannot use up the process: the soft limit on open files is raised to the hard one, open
connections are capped and idle or slow clients closed (`connections.py`), and a storm of
errors reaches stderr as a line every few seconds with a count (`log_limit.py`).
"""

from __future__ import annotations

import ipaddress
import os
import secrets
import socket
import sys

from cc_orchestrator.errors import Conflict, InvalidInput

TOKEN_ENV = "CC_ORCHESTRATOR_WEB_TOKEN"
ALLOWED_HOSTS_ENV = "CC_ORCHESTRATOR_WEB_ALLOWED_HOSTS"  # more Host names, comma-separated
CORS_ENV = "CC_ORCHESTRATOR_WEB_CORS_ORIGINS"  # comma-separated; CORS is off without it
WS_MAX_MESSAGE = 64 * 1024
MAX_REQUEST_HEAD = 16 * 1024  # bytes of request line and headers; more is refused (400)


def load_token() -> str:
    """The environment's token, the keyring's, or a new random one (32 bytes, URL-safe)."""
    token = os.environ.get(TOKEN_ENV, "").strip()
    if token:
        if len(token) < 16:
            raise InvalidInput(f"{TOKEN_ENV} is too short: use at least 16 random characters")
        return token
    try:
        import keyring  # optional

        token = (keyring.get_password("cc-orchestrator", "web_token") or "").strip()
    except Exception:  # not installed, or no usable backend
        token = ""
    return token if len(token) >= 16 else secrets.token_urlsafe(32)


def is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on host:port (port 0: any free one); Conflict when it is taken."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise InvalidInput(f"cannot listen on {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise Conflict(f"cannot listen on {host} port {port}: {exc.strerror}; choose another with --port") from None
    sock.set_inheritable(True)
    return sock


def allowed_hosts(host: str) -> set[str]:
    """Host header names this server answers to: the loopback names, the address it listens
    on (a wildcard address: this machine's names), and CC_ORCHESTRATOR_WEB_ALLOWED_HOSTS."""
    from cc_orchestrator.web.origins import LOOPBACK_HOSTS

    names = set(LOOPBACK_HOSTS)
    if host in ("0.0.0.0", "::", "[::]", ""):
        names |= {socket.gethostname().lower(), socket.getfqdn().lower()}
    else:
        names.add(_url_host(host).lower())
    extra = os.environ.get(ALLOWED_HOSTS_ENV, "")
    names |= {h.strip().lower() for h in extra.split(",") if h.strip()}
    return names


def _url_host(host: str) -> str:
    host = host.strip("[]")
    return f"[{host}]" if ":" in host else host


def sign_in_url(host: str, port: int, token: str) -> str:
    shown = socket.gethostname() if host in ("0.0.0.0", "::", "[::]", "") else _url_host(host)
    return f"http://{shown}:{port}/?token={token}"


def serve(
    host: str = "127.0.0.1", port: int | None = None, allow_remote: bool = False, *, open_browser: bool = False
) -> None:
    """Run the dashboard and API until Ctrl-C (or SIGTERM); agents keep running after it.

    `port` None means the `web_port` setting. A host that is not a loopback address is refused
    unless `allow_remote` (the user passed --host explicitly), and then prints a warning.
    """
    import uvicorn

    from cc_orchestrator.core.orchestrator import Orchestrator
    from cc_orchestrator.errors import OrchestratorError
    from cc_orchestrator.web import connections
    from cc_orchestrator.web.app import create_app
    from cc_orchestrator.web.log_config import log_config
    from cc_orchestrator.web.log_limit import quiet_storms

    remote = not is_loopback(host)
    if remote and not allow_remote:
        raise InvalidInput(f"refusing to listen on {host}: only 127.0.0.1 unless --host is given explicitly")
    token = load_token()
    given = connections.limits(connections.raise_fd_limit())  # before anything opens a file
    orchestrator = Orchestrator()
    sock = None
    try:
        port = orchestrator.settings.web_port if port is None else port
        sock = bind(host, port)
        port = sock.getsockname()[1]
        try:  # outside a repository (or without git), requests name theirs
            default_repo = orchestrator.repo(required=False)
        except OrchestratorError:
            default_repo = None
        cors = [o.strip() for o in os.environ.get(CORS_ENV, "").split(",") if o.strip()]
        hosts = allowed_hosts(host)
        app = create_app(orchestrator, token, allowed_hosts=hosts, default_repo=default_repo, cors_origins=cors)
        url = sign_in_url(host, port, token)
        if remote:
            print(
                f"WARNING: listening on {host}, reachable from other machines. Anyone with the token "
                "can run commands on this machine; the traffic is not encrypted (use an SSH tunnel "
                f"or a TLS proxy). Host names accepted: {', '.join(sorted(hosts))} (add more with "
                f"{ALLOWED_HOSTS_ENV}).",
                file=sys.stderr,
            )
        for warning in orchestrator.agent_warnings():
            print(f"WARNING: {warning}", file=sys.stderr, flush=True)
        print(f"cc-orchestrator dashboard: {url}", flush=True)
        print(
            "  (the link signs in one browser once; elsewhere open /login and paste the token, "
            "or send `Authorization: Bearer <token>`)",
            flush=True,
        )
        if open_browser:
            import webbrowser

            webbrowser.open(url)
        level = orchestrator.settings.log_level
        credentials = app.state.credentials
        config = uvicorn.Config(
            app,
            access_log=False,  # it would log the sign-in link's query string
            log_config=log_config(level, [credentials.token, credentials.session, credentials.csrf]),
            log_level=level.lower(),
            server_header=False,
            proxy_headers=False,
            ws_max_size=WS_MAX_MESSAGE,
            timeout_graceful_shutdown=3,
            http=connections.protocol_class(given),
            backlog=connections.ACCEPT_BURST,
            timeout_keep_alive=max(int(given.client_timeout), 1),
            h11_max_incomplete_event_size=MAX_REQUEST_HEAD,
        )
        try:
            with quiet_storms():
                uvicorn.Server(config).run(sockets=[sock])
        except KeyboardInterrupt:  # uvicorn re-raises Ctrl-C after its graceful shutdown
            pass
    finally:
        if sock is not None:
            sock.close()
        orchestrator.close()

"""The dashboard's pages: `/` (the app), `/login` (paste the token), `/logout`, `/static/*`.

The sign-in form is the way into a second browser, since the printed link works only once.
It posts the token in the body, never the URL; the right token always signs in, wrong ones
count toward the throttle.
"""

from __future__ import annotations

import asyncio
from html import escape
from pathlib import Path
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response

from cc_orchestrator.web import security
from cc_orchestrator.web.errors import error_response
from cc_orchestrator.web.origins import foreign_origin

STATIC = Path(__file__).with_name("static")
MAX_FORM = 4096

router = APIRouter(include_in_schema=False)


@router.get("/")
def index() -> FileResponse:
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store"})


@router.get("/login.css")
def login_css() -> FileResponse:
    return FileResponse(STATIC / "login.css")


@router.get("/login")
def login_form() -> HTMLResponse:
    return _login_page()


@router.post("/login")
async def login(request: Request) -> Response:
    host, scheme = request.headers.get("host"), request.url.scheme
    if foreign_origin(request.headers.get("origin"), host, scheme):
        return error_response(403, "bad_origin", "cross-site sign-in refused")
    throttle, credentials = request.app.state.throttle, request.app.state.credentials
    body = await _bounded_body(request)
    token = (parse_qs(body.decode("utf-8", "replace")).get("token") or [""])[0].strip()
    if not token or not credentials.is_token(token):
        if wait := throttle.fail(security.client_address(request.scope)):
            await asyncio.sleep(throttle.penalty)  # a guesser past the limit: slow it down
            return _login_page(f"Too many wrong tokens; try again in {int(wait) + 1} s.", status=429)
        return _login_page("Wrong token.", status=401)
    return security.sign_in(RedirectResponse("/", status_code=303), credentials, host, scheme)


@router.post("/logout")
def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    return security.sign_out(response, request.headers.get("host"), request.url.scheme)


async def _bounded_body(request: Request) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            break
    return body[:MAX_FORM]


def _login_page(error: str = "", status: int = 200) -> HTMLResponse:
    page = (STATIC / "login.html").read_text()
    shown = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return HTMLResponse(page.replace("<!--error-->", shown), status_code=status, headers={"Cache-Control": "no-store"})

"""Every failure as `{"error": {"code": ..., "message": ...}}` with a fitting status.

An OrchestratorError carries its own status (`http_status`) and a message meant for the user;
its code is its class name in snake case (`not_found`, `conflict`, `invalid_input`, ...).
A 5xx means the request was fine and something else failed: git or tmux refused
(`external_error`, 502), GitHub, Jira or Slack refused or could not be reached
(`integration_error`, 502), git or tmux is missing or the database cannot be used (503), or a bug
(`internal_error`, 500, its traceback in the server's log). A local precondition the user can
settle (no remote, no token, a live instance in the way) is a `conflict` (409).
"""

from __future__ import annotations

import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse

from cc_orchestrator.errors import OrchestratorError

log = logging.getLogger(__name__)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid_input",
    429: "too_many_attempts",
}


def error_response(status: int, code: str, message: str, **extra) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


async def _orchestrator_error(request: Request, exc: OrchestratorError) -> JSONResponse:
    return error_response(exc.http_status, _snake(type(exc).__name__), exc.message)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = exc.errors()
    first = errors[0] if errors else {}
    where = ".".join(str(p) for p in first.get("loc", ()) if p != "body") or "request"
    message = f"invalid {where}: {first.get('msg', 'invalid value')}"
    details = [{"loc": list(e.get("loc", ())), "msg": e.get("msg", ""), "type": e.get("type", "")} for e in errors]
    return error_response(422, "validation_error", message, details=details)


async def _http_error(request: Request, exc: HTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(exc.status_code, "error")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    response = error_response(exc.status_code, code, message)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500, "internal_error", f"unexpected error: {type(exc).__name__}; see the server's log")


def install(app: FastAPI) -> None:
    app.add_exception_handler(OrchestratorError, _orchestrator_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)

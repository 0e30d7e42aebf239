"""Small helpers shared by the REST simulators (ecos, teknik, edu).

Each simulated system renders its own error body; these helpers only do the
plumbing: a `BadRequest` exception its handlers turn into a 400, bounded query
parameter parsing, and compact OpenAPI 3 building blocks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

#: Most keys one batch request may carry.
MAX_KEYS = 200
#: Longest single key (personal number, id, case number) a system accepts.
MAX_KEY_LENGTH = 64
#: Largest page a client may ask for.
MAX_PAGE_SIZE = 500

PNR = re.compile(r"[0-9]{12}")

ErrorRenderer = Callable[[int, str, str], Mapping[str, object]]


class BadRequest(Exception):
    """The client's request is malformed; rendered as 400 in the system's own shape."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def error_handlers(render: ErrorRenderer) -> dict[Any, Callable[..., Any]]:
    """Starlette exception handlers answering every error as JSON via `render`."""

    async def bad_request(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BadRequest)
        return JSONResponse(render(400, exc.code, exc.message), status_code=400)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "error")
        return JSONResponse(
            render(exc.status_code, code, str(exc.detail)),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    return {BadRequest: bad_request, HTTPException: http_error}


def key_list(
    values: Sequence[str], name: str, *, pattern: re.Pattern[str] | None = None
) -> list[str]:
    """Keys from comma lists or repeated parameters: bounded, trimmed, de-duplicated."""
    keys: list[str] = []
    for value in values:
        keys.extend(part.strip() for part in value.split(",") if part.strip())
    keys = list(dict.fromkeys(keys))
    if not keys:
        raise BadRequest("missing_parameter", f"{name} must name at least one value")
    if len(keys) > MAX_KEYS:
        raise BadRequest("too_many_values", f"{name} accepts at most {MAX_KEYS} values")
    for key in keys:
        if len(key) > MAX_KEY_LENGTH or (pattern is not None and not pattern.fullmatch(key)):
            raise BadRequest("invalid_parameter", f"{name} contains an invalid value")
    return keys


def int_param(request: Request, name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high]."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"-?[0-9]{1,15}", raw):
        raise BadRequest("invalid_parameter", f"{name} must be an integer")
    value = int(raw)
    if not low <= value <= high:
        raise BadRequest("invalid_parameter", f"{name} must be between {low} and {high}")
    return value


def aware_param(request: Request, name: str) -> datetime:
    """A required ISO-8601 date-time query parameter carrying an offset or Z."""
    raw = request.query_params.get(name)
    if not raw:
        raise BadRequest("missing_parameter", f"{name} is required")
    try:
        # a "+01:00" sent unencoded arrives as " 01:00"; be as lenient as most servers
        value = datetime.fromisoformat(raw.replace(" ", "+"))
    except ValueError:
        raise BadRequest("invalid_parameter", f"{name} must be an ISO-8601 date-time") from None
    if value.tzinfo is None:
        raise BadRequest("invalid_parameter", f"{name} must carry a UTC offset")
    return value


def exactly_one(request: Request, names: Sequence[str]) -> str:
    """The one search parameter among `names` the request uses."""
    present = [n for n in names if n in request.query_params]
    if len(present) != 1:
        raise BadRequest("invalid_search", f"give exactly one of {', '.join(names)}")
    return present[0]


# --- OpenAPI 3 building blocks ---------------------------------------------------------------


def param(
    name: str, where: str = "query", kind: str = "string", *, required: bool = False, text: str = ""
) -> dict[str, object]:
    return {
        "name": name,
        "in": where,
        "required": required or where == "path",
        "description": text,
        "schema": {"type": kind},
    }


def ref(schema: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{schema}"}


def get_op(summary: str, params: list[dict[str, object]], schema: str) -> dict[str, object]:
    """One GET operation answering `schema` as JSON, with 400 and 404 documented."""
    return {
        "get": {
            "summary": summary,
            "parameters": params,
            "responses": {
                "200": {
                    "description": "OK",
                    "content": {"application/json": {"schema": ref(schema)}},
                },
                "400": {
                    "description": "Bad request",
                    "content": {"application/json": {"schema": ref("Error")}},
                },
                "404": {
                    "description": "Not found",
                    "content": {"application/json": {"schema": ref("Error")}},
                },
            },
        }
    }


def obj(required: Sequence[str], **props: object) -> dict[str, object]:
    return {"type": "object", "required": list(required), "properties": props}


def t(kind: str, **extra: object) -> dict[str, object]:
    return {"type": kind, **extra}


def nullable(kind: str, **extra: object) -> dict[str, object]:
    return {"type": kind, "nullable": True, **extra}


def array(items: Mapping[str, object]) -> dict[str, object]:
    return {"type": "array", "items": dict(items)}


def document(
    title: str, paths: Mapping[str, object], schemas: Mapping[str, object]
) -> dict[str, object]:
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "1.0.0"},
        "paths": dict(paths),
        "components": {"schemas": dict(schemas)},
    }

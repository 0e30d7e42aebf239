"""Structured logs: JSON lines (or text), stamped with the request id and trace ids.

`knutpunkt serve` calls `configure_logging`: one handler on the root logger writing
to stderr, with `[logging] format = "json"` (default in production: one object per
line with time, level, logger, message, request_id, trace_id, span_id and, if any,
exception) or `"text"` (default in the demo). Both formatters scrub (see `scrub`).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from datetime import UTC, datetime
from typing import TextIO

from opentelemetry import trace

from connectors.errors import SettingsError

from ..settings import LoggingSettings
from .request import current_request_id
from .scrub import scrub

FORMATS = ("json", "text")
#: chatty at INFO (a line per upstream request, with its URL): quiet unless DEBUG
_QUIET = ("httpx", "httpcore", "hpack", "urllib3")
_UVICORN = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")


class ContextFilter(logging.Filter):
    """Stamps each record with the current request id and OpenTelemetry trace/span id."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = current_request_id() or ""
        context = trace.get_current_span().get_span_context()
        record.trace_id = f"{context.trace_id:032x}" if context.is_valid else ""
        record.span_id = f"{context.span_id:016x}" if context.is_valid else ""
        return True


def _time(record: logging.LogRecord) -> str:
    at = datetime.fromtimestamp(record.created, UTC)
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line; message and exception scrubbed."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, str] = {
            "time": _time(record),
            "level": record.levelname,
            "logger": record.name,
            "message": scrub(record.getMessage()),
            "request_id": getattr(record, "request_id", ""),
            "trace_id": getattr(record, "trace_id", ""),
            "span_id": getattr(record, "span_id", ""),
        }
        if record.exc_info:
            line["exception"] = scrub(self.formatException(record.exc_info))
        if record.stack_info:
            line["stack"] = scrub(self.formatStack(record.stack_info))
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`<time> <LEVEL> <logger> [<request id>] <message>`, scrubbed, for people at a terminal."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        if not hasattr(record, "request_id"):
            record.request_id = ""
        return scrub(super().format(record))


def formatter_for(fmt: str) -> logging.Formatter:
    if fmt not in FORMATS:
        raise SettingsError('[logging] format ska vara "json" eller "text".')
    return JsonFormatter() if fmt == "json" else TextFormatter()


def log_level(settings: LoggingSettings, env: dict[str, str] | None = None) -> int:
    """`[logging] level`, else the older KNUTPUNKT_LOG_LEVEL, else INFO."""
    env = dict(os.environ) if env is None else env
    name = (settings.level or env.get("KNUTPUNKT_LOG_LEVEL") or "INFO").upper()
    level = logging.getLevelName(name)
    if not isinstance(level, int):
        raise SettingsError("[logging] level ska vara DEBUG, INFO, WARNING eller ERROR.")
    return level


def configure_logging(
    settings: LoggingSettings, *, demo: bool, stream: TextIO | None = None
) -> logging.Handler:
    """Replace the root logger's handlers with one scrubbing handler; returns it."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(ContextFilter())
    handler.setFormatter(formatter_for(settings.format or ("text" if demo else "json")))
    level = log_level(settings)
    logging.basicConfig(handlers=[handler], level=level, force=True)
    for name in _QUIET:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    for name in _UVICORN:  # uvicorn's own handlers (the sandbox's servers add them) go
        uvicorn = logging.getLogger(name)
        uvicorn.handlers.clear()
        uvicorn.propagate = True
    return handler

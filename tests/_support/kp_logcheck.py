"""The suite-wide log check: every record the test suite emits, formatted as production
formats it, must name none of the sandbox personas by personal number and hold no JWT.

`tests/conftest.py` installs one `LogLeakCheck` on the root logger for the whole run
and fails the session at its end if any line leaked. Records of our own loggers are
also checked before scrubbing: that is the audit of the call sites.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

from gateway.telemetry.logs import ContextFilter, JsonFormatter
from simulators.personas import PERSONAS

#: JWT-shaped, broader than the scrubber's pattern on purpose
JWT_SHAPED = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")
OUR_LOGGERS = (
    "knutpunkt",
    "gateway",
    "resolvers",
    "connectors",
    "policies",
    "casestore",
    "signals",
    "notify",
)


def persona_forms(pnrs: Iterable[str] = PERSONAS) -> tuple[str, ...]:
    """Every way a persona's number may be written: 12 or 10 digits, with or without -."""
    forms: set[str] = set()
    for pnr in pnrs:
        forms |= {pnr, pnr[2:], f"{pnr[:8]}-{pnr[8:]}", f"{pnr[2:8]}-{pnr[8:]}"}
    return tuple(sorted(forms))


class LogLeakCheck(logging.Handler):
    """Formats every record it sees and keeps the lines that leak."""

    def __init__(self, formatter: logging.Formatter | None = None) -> None:
        super().__init__(logging.NOTSET)
        self.addFilter(ContextFilter())
        self.setFormatter(formatter or JsonFormatter())
        self.forms = persona_forms()
        self.seen = 0
        self.leaks: list[str] = []
        self.call_sites: list[str] = []

    def leaks_in(self, text: str) -> bool:
        return any(form in text for form in self.forms) or JWT_SHAPED.search(text) is not None

    def emit(self, record: logging.LogRecord) -> None:
        self.seen += 1
        line = self.format(record)
        if self.leaks_in(line):
            self.leaks.append(line[:500])
        if record.name.split(".")[0] in OUR_LOGGERS:
            raw = record.getMessage()
            if record.exc_info and record.exc_info[1] is not None:
                raw += f" {record.exc_info[1]!r}"
            if self.leaks_in(raw):
                self.call_sites.append(f"{record.name}:{record.lineno}: {raw[:300]}")

    def report(self) -> list[str]:
        return [f"formatted: {line}" for line in self.leaks] + [
            f"call site: {line}" for line in self.call_sites
        ]

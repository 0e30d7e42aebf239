"""Scrubbing log text: no personal number, token or secret leaves in a log line.

Applied by the log formatters to the message and the exception text, whoever logged
them (ours, httpx's request lines with URLs, a library's exception message). Purpose
texts cannot be recognised by shape: no call site logs them (a test over the suite
checks what the call sites write).
"""

from __future__ import annotations

import re

#: 12 (YYYYMMDDNNNN) or 10 (YYMMDDNNNN) digits shaped like a date, with an optional
#: - or + before the last four; coordination numbers (day + 60) too
PERSONAL_NUMBER = re.compile(
    r"(?<!\d)(?:(?:18|19|20)\d\d|\d\d)(?:0[1-9]|1[0-2])"
    r"(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])[-+]?\d{4}(?!\d)"
)
#: a JWT (its header is a base64url JSON object, so it starts with "eyJ")
JWT = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*")
#: a credential after "Bearer" (12+ characters: "bearer token refused" stays readable)
BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9._~+/=-]{12,}")
#: signing secrets of signals and webhooks (Standard Webhooks' whsec_ prefix)
SECRET = re.compile(r"whsec_[A-Za-z0-9+/=]+")


def scrub(text: str) -> str:
    """`text` with personal numbers, JWTs, bearer tokens and secrets replaced."""
    text = JWT.sub("[jwt]", text)
    text = BEARER.sub(r"\1 [redacted]", text)
    text = SECRET.sub("whsec_[redacted]", text)
    return PERSONAL_NUMBER.sub("[personnummer]", text)

"""The drawn error hierarchy of Knutpunkt.

    GatewayError
    ├── ValidationError            the caller's input is wrong (code BAD_USER_INPUT or finer)
    ├── UpstreamError              a source system failed us (always names the system)
    │   ├── UpstreamTimeout        no answer within the deadline
    │   ├── UpstreamUnavailable    refused, reset, down, 5xx, open circuit
    │   ├── UpstreamRejected       a 4xx other than 404: we asked wrongly or were denied
    │   └── UpstreamContractError  the answer is not what the system promised
    └── (gateway-level errors such as Forbidden live in gateway/ and policies/)

Every error carries a stable `code` that clients see as `extensions.code`.
Messages are safe to show: they never contain an upstream URL or body.
"""

from __future__ import annotations


class GatewayError(Exception):
    """Base of every error the gateway raises on purpose."""

    code = "INTERNAL"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def extensions(self) -> dict[str, object]:
        return {"code": self.code}


class ValidationError(GatewayError):
    """The caller's input cannot be accepted; nothing was asked upstream."""

    code = "BAD_USER_INPUT"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code
        self.field = field

    def extensions(self) -> dict[str, object]:
        ext = super().extensions()
        if self.field:
            ext["field"] = self.field
        return ext


class UpstreamError(GatewayError):
    """A source system did not give us a usable answer."""

    code = "UPSTREAM_ERROR"

    def __init__(self, system: str, message: str | None = None) -> None:
        super().__init__(message or f"Källsystemet {system} kunde inte svara.")
        self.system = system

    def extensions(self) -> dict[str, object]:
        return {"code": self.code, "system": self.system}


class UpstreamTimeout(UpstreamError):
    code = "UPSTREAM_TIMEOUT"

    def __init__(self, system: str) -> None:
        super().__init__(system, f"Källsystemet {system} svarade inte i tid.")


class UpstreamUnavailable(UpstreamError):
    code = "UPSTREAM_UNAVAILABLE"

    def __init__(self, system: str) -> None:
        super().__init__(system, f"Källsystemet {system} är inte tillgängligt just nu.")


class UpstreamRejected(UpstreamError):
    code = "UPSTREAM_REJECTED"

    def __init__(self, system: str, status: int) -> None:
        super().__init__(system, f"Källsystemet {system} avvisade frågan.")
        self.status = status


class UpstreamContractError(UpstreamError):
    code = "UPSTREAM_CONTRACT"

    def __init__(self, system: str) -> None:
        super().__init__(system, f"Källsystemet {system} gav ett svar som inte går att tolka.")

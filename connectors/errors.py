"""The drawn error hierarchy of Knutpunkt.

    GatewayError
    ├── ValidationError            the caller's input is wrong (code BAD_USER_INPUT or finer)
    ├── UpstreamError              a source system failed us (always names the system)
    │   ├── UpstreamTimeout        no answer within the deadline
    │   ├── UpstreamUnavailable    refused, reset, down, 5xx, open circuit
    │   ├── StaleData              (reported) a failed system's kept answer is shown
    │   ├── UpstreamRejected       a 4xx other than 404: we asked wrongly or were denied
    │   └── UpstreamContractError  the answer is not what the system promised
    ├── Forbidden                  signed in, but the role may not use this function
    ├── Unauthenticated            no signed-in caller, or a bearer token we refuse
    ├── JwksError                  no usable keys of an identity provider
    ├── SettingsError              the settings (file, environment, demo key) are wrong
    ├── AuditUnavailable           the access log cannot be written or read
    ├── StatisticsUnavailable      the case store behind statistics is not there
    └── NotificationsDisabled      notification settings asked for with [notify] turned off

Every error of Knutpunkt lives here, whichever layer raises it, so that each
`code` (what clients see as `extensions.code`) is defined once; a test checks
that no two classes declare the same code. Messages are safe to show: they
never contain an upstream URL or body; `reason`/`detail` are for the logs only.
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

    def __init__(self, system: str, *, retry_after: float | None = None) -> None:
        super().__init__(system, f"Källsystemet {system} är inte tillgängligt just nu.")
        #: seconds the system asked us to wait (`Retry-After` on 429/503), for retries only
        self.retry_after = retry_after


class StaleData(UpstreamError):
    """Not raised: reported when a failed system's last kept answer is shown instead."""

    code = "STALE_DATA"

    def __init__(self, system: str, age_seconds: float) -> None:
        minutes = max(1, round(age_seconds / 60))
        super().__init__(
            system,
            f"Källsystemet {system} svarar inte just nu; dess uppgifter visas "
            f"som de var för {minutes} min sedan.",
        )
        self.age_seconds = int(age_seconds)

    def extensions(self) -> dict[str, object]:
        return {**super().extensions(), "ageSeconds": self.age_seconds}


class UpstreamRejected(UpstreamError):
    code = "UPSTREAM_REJECTED"

    def __init__(self, system: str, status: int) -> None:
        super().__init__(system, f"Källsystemet {system} avvisade frågan.")
        self.status = status


class UpstreamContractError(UpstreamError):
    code = "UPSTREAM_CONTRACT"

    def __init__(self, system: str) -> None:
        super().__init__(system, f"Källsystemet {system} gav ett svar som inte går att tolka.")


class Forbidden(GatewayError):
    """The caller is signed in but their role may not use this function."""

    code = "FORBIDDEN"

    def __init__(
        self, message: str = "Du har inte behörighet att använda den här funktionen."
    ) -> None:
        super().__init__(message)


class Unauthenticated(GatewayError):
    """No signed-in caller: none was given where one is needed, or the token is refused.

    `reason` is for the logs only (why a token was refused); the message is safe to show.
    """

    code = "UNAUTHENTICATED"

    def __init__(
        self,
        message: str = "Du behöver logga in för att använda den här funktionen.",
        *,
        reason: str = "",
        kind: str = "",
    ) -> None:
        super().__init__(message)
        self.reason = reason
        #: a short reason code for logs and metrics (gateway.token_rules.REFUSAL_KINDS),
        #: never token content
        self.kind = kind

    @classmethod
    def invalid_token(cls, reason: str, kind: str = "malformed") -> Unauthenticated:
        """The bearer token cannot be accepted."""
        return cls("Ogiltig eller utgången inloggning.", reason=reason, kind=kind)


class JwksError(GatewayError):
    """No usable keys: the JWKS endpoint failed, or what it served is refused.

    `reason` is for the logs only; the message is safe to show.
    """

    code = "JWKS_UNAVAILABLE"

    def __init__(self, reason: str) -> None:
        super().__init__("Inloggningstjänstens nycklar kunde inte hämtas.")
        self.reason = reason


class SettingsError(GatewayError):
    """The settings cannot be used; the message names what is wrong."""

    code = "BAD_CONFIGURATION"


class AuditUnavailable(GatewayError):
    """The access log cannot be written or read; staff reads must then fail closed.

    `detail` is for operators (logs, the CLI); the message is what a client may see.
    """

    code = "AUDIT_UNAVAILABLE"

    def __init__(
        self,
        detail: str,
        message: str = "Åtkomstloggen är inte tillgänglig just nu, därför visas inga uppgifter.",
    ) -> None:
        super().__init__(message)
        self.detail = detail


class StatisticsUnavailable(GatewayError):
    """Statistics, the public diary or overdue lists were asked for without a case store."""

    code = "STATISTICS_UNAVAILABLE"


class NotificationsDisabled(GatewayError):
    """Notification settings were asked for, but the gateway runs with `[notify]` off."""

    code = "NOTIFICATIONS_DISABLED"

    def __init__(self) -> None:
        super().__init__("Aviseringar är inte påslagna i den här kommunen.")

"""Errors of the policy layer.

`Forbidden` and `Unauthenticated` are `GatewayError`s a client sees (coded,
Swedish, safe). `PolicyError` is an operator's error: the policy file is broken,
the gateway refuses to start; its message names the offending key.
"""

from __future__ import annotations

from connectors.errors import GatewayError


class Forbidden(GatewayError):
    """The caller is signed in but their role may not use this function."""

    code = "FORBIDDEN"

    def __init__(
        self, message: str = "Du har inte behörighet att använda den här funktionen."
    ) -> None:
        super().__init__(message)


class Unauthenticated(GatewayError):
    """An anonymous caller asked for a function that needs a signed-in caller."""

    code = "UNAUTHENTICATED"

    def __init__(
        self, message: str = "Du behöver logga in för att använda den här funktionen."
    ) -> None:
        super().__init__(message)


class PolicyError(Exception):
    """The policy file cannot be used; `key` is the dotted path of what is wrong."""

    def __init__(self, key: str, problem: str, *, source: str = "policy file") -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.key = key
        self.problem = problem
        self.source = source

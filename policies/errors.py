"""The policy file's own error.

`PolicyError` is an operator's error: the policy file is broken, the gateway
refuses to start; its message names the offending key. The errors a client sees
(`Forbidden`, `Unauthenticated`) are `GatewayError`s in `connectors.errors`.
"""

from __future__ import annotations


class PolicyError(Exception):
    """The policy file cannot be used; `key` is the dotted path of what is wrong."""

    def __init__(self, key: str, problem: str, *, source: str = "policy file") -> None:
        super().__init__(f"{source}: {key}: {problem}")
        self.key = key
        self.problem = problem
        self.source = source

"""GraphQL responses encoded with orjson: encoding them with the json module was a
visible share of a query's CPU (bench/peer.py, issue 12)."""

from __future__ import annotations

import orjson


class OrjsonResponses:
    """Mixed into strawberry's GraphQL view: `encode_json` through orjson.

    Text, not bytes, so that WebSocket messages stay text frames. Request bodies are
    still parsed by the json module (a too deeply nested body stays the coded 400).
    """

    def encode_json(self, data: object) -> str:
        return orjson.dumps(data).decode()

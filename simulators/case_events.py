"""`POST /_admin/case-events`: make something happen in a sandbox system, now.

Every case system gets the same admin API (an ASGI wrapper, like the faults):

- `POST /_admin/case-events` with `{"caseId": "<the system's own id>", "kind":
  "<event kind>", "summary": "<text>"}` (or `"caseNumber"` instead of `caseId`;
  optional `"status"`, the case's neutral status afterwards) records the event at
  once, so the system's own API shows it, and pushes the signed signal when the
  sandbox was told where the hub is. `201 {"eventId", "caseId"}`, `404` for an
  unknown case, `400` for a bad body.
- `GET /_admin/signals` shows where signals go and how many went;
  `PUT /_admin/signals` with `{"url", "secret"}` (re)points them and/or
  `{"faults": {"lose": bool, "duplicate": bool, "reorder": bool}}` sets faults;
  `DELETE /_admin/signals` clears the faults and sends what `reorder` held back.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from .faults import ASGIApp, Receive, Scope, Send, _json
from .signal_push import SignalFaults, SignalPusher, signal_body
from .world import EVENT_KINDS, STATUSES, TZ, Case, Event, World

EVENTS_PATH = "/_admin/case-events"
SIGNALS_PATH = "/_admin/signals"
MAX_BODY = 16 * 1024


class BadBody(ValueError):
    pass


async def _read(receive: Receive) -> Any:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if len(body) > MAX_BODY:
            raise BadBody("body too large")
        if not message.get("more_body"):
            break
    try:
        return json.loads(body or b"{}")
    except ValueError:
        raise BadBody("body is not JSON") from None


def _now_after(case: Case) -> datetime:
    now = datetime.now(TZ).replace(microsecond=0)
    last = case.updated_at.astimezone(TZ)
    return now if now > last else (last + timedelta(seconds=1)).replace(microsecond=0)


class CaseEventAdmin:
    """ASGI wrapper of one case system: the admin API above, the rest passed on."""

    def __init__(self, app: ASGIApp, world: World, system: str, pusher: SignalPusher) -> None:
        self.app = app
        self.world = world
        self.system = system
        self.pusher = pusher

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in (EVENTS_PATH, SIGNALS_PATH):
            await self.app(scope, receive, send)
            return
        try:
            if scope["path"] == EVENTS_PATH:
                await self._events(scope, receive, send)
            else:
                await self._signals(scope, receive, send)
        except BadBody as exc:
            await _json(send, 400, {"error": "invalid_body", "message": str(exc)})

    async def _events(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] != "POST":
            await _json(send, 405, {"error": "method_not_allowed"})
            return
        data = await _read(receive)
        if not isinstance(data, dict):
            raise BadBody("body must be an object")
        kind, summary = data.get("kind"), data.get("summary")
        status = data.get("status")
        if kind not in EVENT_KINDS:
            raise BadBody(f"kind must be one of {', '.join(EVENT_KINDS)}")
        if not isinstance(summary, str) or not 0 < len(summary) <= 200:
            raise BadBody("summary must be a text of 1-200 characters")
        if status is not None and status not in STATUSES:
            raise BadBody(f"status must be one of {', '.join(STATUSES)}")
        case = self._find(data)
        if case is None:
            await _json(send, 404, {"error": "case_not_found"})
            return
        at = _now_after(case)
        event = Event(
            id=f"{case.id}-s{len(case.events) + 1}",
            at=at,
            kind=kind,
            summary=summary,
            concerns=case.subject if case.applicant and case.applicant != case.subject else None,
            status_after=status,
        )
        self.world.add_event(case, event)
        _, body = signal_body(
            self.system,
            case.id,
            case_number=case.number,
            personal_numbers=sorted(set(case.persons())),
            kind=kind,
            at=at,
        )
        self.pusher.push(body)
        await _json(send, 201, {"eventId": event.id, "caseId": case.id})

    def _find(self, data: dict[str, Any]) -> Case | None:
        case_id, number = data.get("caseId"), data.get("caseNumber")
        if isinstance(case_id, str):
            return self.world.case(self.system, case_id)
        if isinstance(number, str):
            found = [
                c for c in self.world.cases_by_number(self.system, [number]) if c.number == number
            ]
            return found[0] if found else None
        raise BadBody("give caseId or caseNumber")

    async def _signals(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"]
        if method == "PUT":
            data = await _read(receive)
            if not isinstance(data, dict) or set(data) - {"url", "secret", "faults"}:
                raise BadBody("give url and secret and/or faults")
            if "faults" in data:
                try:
                    self.pusher.faults = SignalFaults.from_json(data["faults"])
                except ValueError as exc:
                    raise BadBody(str(exc)) from None
            if "url" in data or "secret" in data:
                url, secret = data.get("url", self.pusher.url), data.get("secret", "")
                if url is not None and not (
                    isinstance(url, str) and url.startswith(("http://", "https://"))
                ):
                    raise BadBody("url must be an http(s) URL or null")
                if not isinstance(secret, str) or (secret and not secret.startswith("whsec_")):
                    raise BadBody("secret must be a whsec_ secret")
                self.pusher.configure(url, secret)
        elif method == "DELETE":
            self.pusher.faults = SignalFaults()
            self.pusher.flush()
        elif method != "GET":
            await _json(send, 405, {"error": "method_not_allowed"})
            return
        await _json(send, 200, self.pusher.state())

"""Intake: verify a `POST /signals` body (Standard Webhooks) and read its CloudEvents.

Pure functions over bytes and headers; the endpoint in `gateway` does the I/O.
The signature is checked first, with every signalling system's secret, so that
nothing of an unsigned body is parsed; the system whose secret matched must be the
`source` of every event in it. The CloudEvents themselves are read and validated by
the CloudEvents SDK; what it accepts is then held to the hub's own profile (type,
subject, data).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from cloudevents.core.exceptions import BaseCloudEventException, CloudEventValidationError
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from connectors.domain import CaseEventKind

from .model import CASE_CHANGED, MAX_BATCH, SOURCE_PREFIX, Signal

BATCH_TYPE = "application/cloudevents-batch+json"
#: a system's own case id or event id as the hub accepts it
SUBJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]{0,63}")
EVENT_ID = re.compile(r"[\x21-\x7e]{1,128}")
PERSONAL_NUMBER = re.compile(r"[0-9]{12}")
KINDS = frozenset(k.name for k in CaseEventKind)
_FORMAT = JSONFormat()


class SignalRefused(Exception):
    """A request the intake does not accept: HTTP status, code and metrics reason."""

    def __init__(self, status: int, code: str, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.reason = reason or code.removeprefix("SIGNAL_").lower()


def unauthorized(reason: str) -> SignalRefused:
    # one generic answer for every refusal of who sent it; the reason is only counted
    return SignalRefused(401, "SIGNAL_UNAUTHORIZED", "Signalen kunde inte verifieras.", reason)


def _invalid(code: str, message: str) -> SignalRefused:
    return SignalRefused(400, code, message)


def signers(secrets: Mapping[str, str]) -> dict[str, Webhook]:
    """A verifier per system with a `whsec_...` secret (a malformed secret is a config error)."""
    found: dict[str, Webhook] = {}
    for system, secret in secrets.items():
        if secret:
            try:
                found[system] = Webhook(secret)
            except Exception as exc:
                raise ValueError(
                    f"[systems.{system}] signal_secret is not a whsec_ secret"
                ) from exc
    return found


def verify(
    body: bytes, headers: Mapping[str, str], verifiers: Mapping[str, Webhook]
) -> frozenset[str]:
    """The ids of the systems whose secret signed `body` (several when they share one),
    else `SignalRefused` (401)."""
    wanted = {
        k: headers.get(k, "") for k in ("webhook-id", "webhook-timestamp", "webhook-signature")
    }
    if not all(wanted.values()):
        raise unauthorized("unsigned")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        text = body.decode("latin-1")  # cannot match a signature over UTF-8 text anyway
    signed: set[str] = set()
    for system, verifier in verifiers.items():
        try:
            verifier.verify(text, wanted, json_parse=False)
        except WebhookVerificationError as exc:
            if "timestamp" in str(exc) or "Signature Headers" in str(exc):
                raise unauthorized("timestamp") from None
            continue
        except (ValueError, TypeError):  # a signature header that is not "v1,<base64>"
            raise unauthorized("signature") from None
        signed.add(system)
    if not signed:
        raise unauthorized("signature")
    return frozenset(signed)


def parse(body: bytes, content_type: str, signers: frozenset[str]) -> list[Signal]:
    """The signals in a verified body signed by one of `signers` (one event or a batch)."""
    try:
        data: Any = json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise _invalid("SIGNAL_NOT_JSON", "Kroppen är inte JSON.") from None
    batch = content_type.split(";")[0].strip().lower() == BATCH_TYPE or isinstance(data, list)
    items: list[Any] = data if isinstance(data, list) else [data]
    if batch and not isinstance(data, list):
        raise _invalid("SIGNAL_INVALID", "En batch ska vara en JSON-lista av CloudEvents.")
    if not items:
        raise _invalid("SIGNAL_INVALID", "Batchen är tom.")
    if len(items) > MAX_BATCH:
        raise _invalid("SIGNAL_BATCH_TOO_LARGE", f"Högst {MAX_BATCH} händelser per batch.")
    return [_signal(item, signers) for item in items]


def _signal(item: Any, signers: frozenset[str]) -> Signal:
    if not isinstance(item, dict):
        raise _invalid("SIGNAL_INVALID", "En CloudEvent ska vara ett JSON-objekt.")
    try:
        event = _FORMAT.read(CloudEvent, json.dumps(item))
    except CloudEventValidationError as exc:
        if "specversion" in exc.errors:
            raise _invalid("SIGNAL_UNSUPPORTED_SPECVERSION", "specversion ska vara 1.0.") from None
        raise _invalid("SIGNAL_INVALID", "Inte en giltig CloudEvent 1.0.") from None
    except (BaseCloudEventException, ValueError, TypeError, OverflowError):
        raise _invalid("SIGNAL_INVALID", "Inte en giltig CloudEvent 1.0.") from None
    source = event.get_source()
    system = source.removeprefix(SOURCE_PREFIX)
    if not source.startswith(SOURCE_PREFIX) or system not in signers:
        # the source names another system (or none we know) than the one that signed
        raise unauthorized("source")
    if event.get_type() != CASE_CHANGED:
        raise _invalid("SIGNAL_UNSUPPORTED_TYPE", f"type ska vara {CASE_CHANGED}.")
    if not EVENT_ID.fullmatch(event.get_id()):
        raise _invalid("SIGNAL_INVALID", "id ska vara 1–128 synliga ASCII-tecken.")
    subject = event.get_subject()
    if subject is None or not SUBJECT.fullmatch(subject):
        raise _invalid("SIGNAL_INVALID_SUBJECT", "subject ska vara systemets ärende-id.")
    case_number, pnrs, kind = _data(event.get_data())
    at = event.get_time()
    if at is not None and at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return Signal(system, event.get_id(), subject, at, case_number, pnrs, kind)


def _data(data: object) -> tuple[str | None, tuple[str, ...], str | None]:
    if data is None:
        return None, (), None
    if not isinstance(data, dict) or set(data) - {"caseNumber", "personalNumbers", "kind"}:
        raise _invalid("SIGNAL_INVALID_DATA", "data får bara ha caseNumber, personalNumbers, kind.")
    number = data.get("caseNumber")
    if number is not None and not (
        isinstance(number, str) and 0 < len(number) <= 64 and number.isprintable()
    ):
        raise _invalid("SIGNAL_INVALID_DATA", "caseNumber är ogiltigt.")
    pnrs = data.get("personalNumbers") or []
    if not (
        isinstance(pnrs, list)
        and len(pnrs) <= 20
        and all(isinstance(p, str) and PERSONAL_NUMBER.fullmatch(p) for p in pnrs)
    ):
        raise _invalid("SIGNAL_INVALID_DATA", "personalNumbers ska vara en lista av 12 siffror.")
    kind = data.get("kind")
    if kind is not None and kind not in KINDS:
        raise _invalid("SIGNAL_INVALID_DATA", "kind ska vara en CaseEventKind.")
    return number, tuple(dict.fromkeys(pnrs)), kind

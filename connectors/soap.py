"""SOAP 1.1 plumbing for the SOAP connectors (byggr, procapita).

`SoapService.call` sends one document/literal envelope through the system's
`UpstreamClient` and returns the body's response element. Faults are mapped:

- `faultcode` Client (also dotted subcodes such as Client.Validation) means we
  asked wrongly: `UpstreamRejected` (status 500, the HTTP status SOAP 1.1 uses);
- any other faultcode (Server, ...) means the system failed: `UpstreamUnavailable`.

Upstream XML is parsed with `xml.etree.ElementTree` after refusing anything that
is not UTF-8 or that carries a DOCTYPE or ENTITY declaration (no entity expansion).
`XmlReader` reads required/optional children and attributes; any missing or
ill-typed value raises `ValueError`, which callers turn into `UpstreamContractError`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from datetime import datetime
from xml.sax.saxutils import escape

import httpx

from .errors import UpstreamRejected, UpstreamUnavailable
from .http import UpstreamClient, contract_errors

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
FAULT = f"{{{SOAP_NS}}}Fault"


def parse_xml(content: bytes) -> ET.Element:
    """Parse an upstream document; `ValueError` for non-UTF-8, DTDs, entities or bad XML."""
    text = content.decode("utf-8")  # UnicodeDecodeError is a ValueError
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise ValueError("DTDs and entities are not accepted")
    try:
        return ET.fromstring(text)
    except ET.ParseError as exc:
        raise ValueError("malformed XML") from exc


def body_element(content: bytes) -> ET.Element:
    """The single element inside the envelope's `soap:Body`."""
    root = parse_xml(content)
    if root.tag != f"{{{SOAP_NS}}}Envelope":
        raise ValueError("not a SOAP 1.1 envelope")
    body = root.find(f"{{{SOAP_NS}}}Body")
    if body is None or len(body) != 1:
        raise ValueError("soap:Body must hold exactly one element")
    return body[0]


def fault_code(element: ET.Element) -> str:
    """The local part of a `soap:Fault`'s faultcode ("Client", "Server", ...)."""
    code = (element.findtext("faultcode") or "").strip()
    return code.rpartition(":")[2]


def envelope(ns: str, operation: str, fields: Sequence[tuple[str, str]]) -> bytes:
    """A request envelope: `<operation>` in `ns` with one child per (name, value)."""
    children = "".join(f"<t:{name}>{escape(value)}</t:{name}>" for name, value in fields)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_NS}" xmlns:t="{escape(ns)}"><soap:Body>'
        f"<t:{operation}>{children}</t:{operation}>"
        "</soap:Body></soap:Envelope>"
    ).encode()


class SoapService:
    """One SOAP endpoint of a system: namespace, path and SOAPAction style."""

    def __init__(
        self,
        client: UpstreamClient,
        path: str,
        ns: str,
        action_prefix: str,
        *,
        reads: frozenset[str] = frozenset(),
    ) -> None:
        self.client = client
        self.path = path
        self.ns = ns
        self.action_prefix = action_prefix
        #: operations that only read: retried on failure (every other POST is sent once)
        self.reads = reads

    @property
    def system(self) -> str:
        return self.client.system

    def q(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    async def call(self, operation: str, fields: Sequence[tuple[str, str]]) -> ET.Element:
        """POST `operation` and return its `<operation>Response` element."""
        headers = {
            "Content-Type": "text/xml; charset=utf-8",
            "SOAPAction": f'"{self.action_prefix}{operation}"',
        }
        content = envelope(self.ns, operation, fields)
        response = await self.client.request(
            "POST",
            self.path,
            content=content,
            headers=headers,
            classify=self._classify,
            read=operation in self.reads,
        )
        with contract_errors(self.system):
            element = body_element(response.content)
        if element.tag == FAULT:  # a fault sent with 200, as some stacks do
            if fault_code(element).startswith("Client"):
                raise UpstreamRejected(self.system, response.status_code)
            raise UpstreamUnavailable(self.system)
        if element.tag != self.q(f"{operation}Response"):
            with contract_errors(self.system):
                raise ValueError("unexpected response element")
        return element

    def _classify(self, response: httpx.Response) -> UpstreamRejected | None:
        """SOAP 1.1 sends every fault with HTTP 500: a Client fault is ours (no retry)."""
        try:
            element = body_element(response.content)
        except ValueError:
            return None
        if element.tag == FAULT and fault_code(element).startswith("Client"):
            return UpstreamRejected(self.system, response.status_code)
        return None


class XmlReader:
    """Typed reads of one namespace's elements; `ValueError` on anything unexpected."""

    def __init__(self, ns: str) -> None:
        self.ns = ns

    def q(self, name: str) -> str:
        return f"{{{self.ns}}}{name}"

    def child(self, el: ET.Element, name: str) -> ET.Element:
        found = el.find(self.q(name))
        if found is None:
            raise ValueError(f"missing element {name}")
        return found

    def all(self, el: ET.Element, path: str) -> list[ET.Element]:
        """Children along a slash-separated path of local names (the parents are required)."""
        *parents, last = path.split("/")
        for name in parents:
            el = self.child(el, name)
        return el.findall(self.q(last))

    def text(self, el: ET.Element, name: str) -> str:
        value = self.opt(el, name)
        if value is None:
            raise ValueError(f"missing value {name}")
        return value

    def opt(self, el: ET.Element, name: str) -> str | None:
        found = el.find(self.q(name))
        if found is None or found.text is None or not found.text.strip():
            return None
        return found.text.strip()

    def boolean(self, el: ET.Element, name: str) -> bool:
        return parse_bool(self.text(el, name), ("true", "1"), ("false", "0"))

    def attr(self, el: ET.Element, name: str) -> str:
        value = el.get(name)
        if value is None or not value.strip():
            raise ValueError(f"missing attribute {name}")
        return value.strip()

    @staticmethod
    def opt_attr(el: ET.Element, name: str) -> str | None:
        value = el.get(name)
        return value.strip() if value and value.strip() else None


def parse_bool(raw: str, true: Sequence[str], false: Sequence[str]) -> bool:
    if raw in true:
        return True
    if raw in false:
        return False
    raise ValueError("not a boolean")


def aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime")
    return value

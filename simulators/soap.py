"""SOAP 1.1 plumbing shared by the simulated SOAP systems (byggr, procapita).

Only the envelope level lives here: reading a request envelope safely (bounded
size, UTF-8 only, no DOCTYPE/ENTITY), dispatching on the body element, answering
with an envelope or a `soap:Fault` (HTTP 500, as SOAP 1.1 over HTTP requires),
and wrapping a system's own XML Schema into a WSDL 1.1 document.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from starlette.requests import Request
from starlette.responses import Response

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
#: Largest request envelope a simulated system reads.
MAX_REQUEST_BYTES = 256 * 1024
#: Most keys one request may carry.
MAX_KEYS = 200
#: Longest single key (personal number, id, case number).
MAX_KEY_LENGTH = 64

XML_TYPE = "text/xml; charset=utf-8"


class SoapFault(Exception):
    """A fault to answer with: `code` is "Client" (the caller's fault) or "Server"."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


Handler = Callable[[ET.Element], Awaitable[ET.Element]]


@dataclass(frozen=True, slots=True)
class Operation:
    """One operation: its handler and the element names its request may contain."""

    handler: Handler
    fields: tuple[str, ...]


def qname(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


async def read_envelope(request: Request) -> ET.Element:
    """The single child of the request's `soap:Body`; a Client fault when malformed."""
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_REQUEST_BYTES:
            raise SoapFault("Client", "Meddelandet är för stort.")
    try:
        text = bytes(body).decode("utf-8")
    except UnicodeDecodeError:
        raise SoapFault("Client", "Meddelandet måste vara kodat i UTF-8.") from None
    if "<!DOCTYPE" in text.upper() or "<!ENTITY" in text.upper():
        raise SoapFault("Client", "DTD och entiteter är inte tillåtna.")
    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        raise SoapFault("Client", "Meddelandet är inte välformad XML.") from None
    if root.tag != qname(SOAP_NS, "Envelope"):
        raise SoapFault("Client", "Meddelandet är inte ett SOAP 1.1-kuvert.")
    bodies = root.findall(qname(SOAP_NS, "Body"))
    if len(bodies) != 1 or len(bodies[0]) != 1:
        raise SoapFault("Client", "soap:Body måste innehålla exakt ett element.")
    return bodies[0][0]


async def dispatch(
    request: Request, ns: str, operations: Mapping[str, Operation], action_prefix: str
) -> Response:
    """Read the envelope, check the operation and SOAPAction, run the handler."""
    try:
        element = await read_envelope(request)
        name = element.tag.rpartition("}")[2]
        operation = operations.get(name) if element.tag == qname(ns, name) else None
        if operation is None:
            raise SoapFault("Client", f"Okänd operation: {name[:64]}")
        action = request.headers.get("soapaction", "").strip().strip('"')
        if action and action != f"{action_prefix}{name}":
            raise SoapFault("Client", "SOAPAction stämmer inte med meddelandets operation.")
        for child in element:
            if child.tag not in {qname(ns, f) for f in operation.fields}:
                raise SoapFault("Client", "Okänt element i begäran.")
        return envelope_response(await operation.handler(element))
    except SoapFault as fault:
        return fault_response(fault)
    except Exception:  # a real SOAP stack answers its own bugs with a Server fault
        return fault_response(SoapFault("Server", "Ett internt fel inträffade."))


def envelope_response(payload: ET.Element) -> Response:
    """A 200 answer with `payload` as the body's only element."""
    data = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body>'
        f"{ET.tostring(payload, encoding='unicode')}"
        "</soap:Body></soap:Envelope>"
    )
    return Response(data.encode(), media_type=XML_TYPE)


def fault_response(fault: SoapFault) -> Response:
    """A SOAP 1.1 fault: HTTP 500 with faultcode soap:Client or soap:Server."""
    data = (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<soap:Envelope xmlns:soap="{SOAP_NS}"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{fault.code}</faultcode>"
        f"<faultstring>{escape(fault.message)}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    )
    return Response(data.encode(), status_code=500, media_type=XML_TYPE)


# --- reading request parameters --------------------------------------------------------------


def keys(element: ET.Element, ns: str, name: str) -> list[str]:
    """The repeated `name` children: trimmed, de-duplicated, 1..MAX_KEYS of bounded length."""
    found = [(c.text or "").strip() for c in element.findall(qname(ns, name))]
    found = list(dict.fromkeys(k for k in found if k))
    if not found:
        raise SoapFault("Client", f"Minst ett {name} krävs.")
    if len(found) > MAX_KEYS:
        raise SoapFault("Client", f"Högst {MAX_KEYS} {name} per anrop.")
    if any(len(k) > MAX_KEY_LENGTH for k in found):
        raise SoapFault("Client", f"Ogiltigt {name}.")
    return found


def single(element: ET.Element, ns: str, name: str, *, required: bool = True) -> str | None:
    """The text of the one `name` child (None when absent and not required)."""
    found = element.findall(qname(ns, name))
    if len(found) > 1:
        raise SoapFault("Client", f"{name} får bara anges en gång.")
    text = (found[0].text or "").strip() if found else ""
    if not text:
        if required:
            raise SoapFault("Client", f"{name} krävs.")
        return None
    return text


def integer(element: ET.Element, ns: str, name: str, default: int, low: int, high: int) -> int:
    """An optional integer child within [low, high]."""
    raw = single(element, ns, name, required=False)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9:
        raise SoapFault("Client", f"{name} måste vara ett heltal.")
    value = int(raw)
    if not low <= value <= high:
        raise SoapFault("Client", f"{name} måste vara mellan {low} och {high}.")
    return value


# --- WSDL 1.1 --------------------------------------------------------------------------------


def wsdl(
    *,
    service: str,
    ns: str,
    location: str,
    action_prefix: str,
    operations: Sequence[str],
    schema: str,
) -> Response:
    """A WSDL 1.1 document (document/literal) around the system's own XML Schema.

    Every operation `X` takes the element `X` and answers `XResponse`, both
    declared in `schema`.
    """
    messages = "".join(
        f'<wsdl:message name="{op}In"><wsdl:part name="parameters" element="tns:{op}"/>'
        f"</wsdl:message>"
        f'<wsdl:message name="{op}Out"><wsdl:part name="parameters" element="tns:{op}Response"/>'
        f"</wsdl:message>"
        for op in operations
    )
    port_ops = "".join(
        f'<wsdl:operation name="{op}"><wsdl:input message="tns:{op}In"/>'
        f'<wsdl:output message="tns:{op}Out"/></wsdl:operation>'
        for op in operations
    )
    binding_ops = "".join(
        f'<wsdl:operation name="{op}">'
        f'<soap:operation soapAction="{action_prefix}{op}" style="document"/>'
        '<wsdl:input><soap:body use="literal"/></wsdl:input>'
        '<wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>'
        for op in operations
    )
    text = (
        '<?xml version="1.0" encoding="utf-8"?>'
        '<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" '
        'xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        f'xmlns:tns="{ns}" targetNamespace="{ns}" name="{service}">'
        f"<wsdl:types>{schema}</wsdl:types>"
        f"{messages}"
        f'<wsdl:portType name="{service}PortType">{port_ops}</wsdl:portType>'
        f'<wsdl:binding name="{service}Binding" type="tns:{service}PortType">'
        '<soap:binding transport="http://schemas.xmlsoap.org/soap/http" style="document"/>'
        f"{binding_ops}</wsdl:binding>"
        f'<wsdl:service name="{service}"><wsdl:port name="{service}Port" '
        f'binding="tns:{service}Binding"><soap:address location={quoteattr(location)}/>'
        "</wsdl:port></wsdl:service></wsdl:definitions>"
    )
    return Response(text.encode(), media_type=XML_TYPE)


def endpoint_url(request: Request) -> str:
    """The endpoint's own URL (without query) for the WSDL's soap:address."""
    return str(request.url.replace(query=""))

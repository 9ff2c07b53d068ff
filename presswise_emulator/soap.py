"""Reading SOAP requests in every form a PHP server accepts, writing answers plain or PHP-style."""

from __future__ import annotations

import defusedxml.ElementTree as safe_xml
from xml.sax.saxutils import escape

ENVELOPE_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

# Lists in the plain form: <jobs><job>…</job></jobs>.
LIST_ITEMS = {"jobs": "job", "orders": "order", "shipments": "shipment"}


class BadRequest(Exception):
    """Not a SOAP request: PHP's SoapServer answers these with a Client fault."""


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xsi(element, name: str) -> str:
    return (element.get(f"{{{XSI_NS}}}{name}") or "").split(":")[-1]


# Deeper requests are refused as PHP's parser would be: no real request nests this far,
# and the recursive decode must not run out of stack on one that does.
MAX_NESTING = 64


def decode(element, depth: int = 0):
    """dict for a struct or ``ns2:Map``, list for ``SOAP-ENC:Array``, str for a leaf; repeated names become lists."""
    if depth > MAX_NESTING:
        raise BadRequest(f"Bad Request: nested more than {MAX_NESTING} levels deep")
    depth += 1
    if _xsi(element, "nil").lower() in ("true", "1"):
        return None
    kind = _xsi(element, "type")
    children = list(element)
    if kind == "Map":
        mapped = {}
        for entry in children:
            parts = {_local(p.tag): p for p in entry}
            if "key" not in parts or "value" not in parts:
                raise BadRequest("Map item without key or value")
            mapped[parts["key"].text or ""] = decode(parts["value"], depth)
        return mapped
    if kind == "Array":
        return [decode(child, depth) for child in children]
    if not children:
        return element.text or ""
    struct: dict = {}
    repeated: set[str] = set()
    for child in children:
        name = _local(child.tag)
        value = decode(child, depth)
        if name in struct:
            if name not in repeated:
                struct[name] = [struct[name]]
                repeated.add(name)
            struct[name].append(value)
        else:
            struct[name] = value
    return struct


def parse_request(body: bytes) -> tuple[str, dict]:
    """The operation's local name and its parameters by name."""
    try:
        root = safe_xml.fromstring(body, forbid_dtd=True)
    except Exception as exc:  # defusedxml's refusals and ParseError alike
        raise BadRequest(f"Bad Request ({type(exc).__name__})") from None
    if _local(root.tag) != "Envelope":
        raise BadRequest("Bad Request: no Envelope")
    soap_body = next((c for c in root if _local(c.tag) == "Body"), None)
    if soap_body is None or len(soap_body) == 0:
        raise BadRequest("Bad Request: no Body")
    operation = soap_body[0]
    params = {}
    for child in operation:
        params[_local(child.tag)] = decode(child)
    return _local(operation.tag), params


# --- answers --------------------------------------------------------------------------

def _text(value) -> str:
    return escape(str(value)).replace("\r", "&#13;")


def _plain(name: str, value, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, inner in value.items():
            _plain(key, inner, out)
        out.append(f"</{name}>")
    elif isinstance(value, list):
        out.append(f"<{name}>")
        for inner in value:
            _plain(LIST_ITEMS.get(name, "item"), inner, out)
        out.append(f"</{name}>")
    elif value is None:
        out.append(f"<{name}/>")
    else:
        out.append(f"<{name}>{_text(value)}</{name}>")


def _php_value(tag: str, value, out: list[str], attrs: str = "") -> None:
    if isinstance(value, dict):
        out.append(f'<{tag}{attrs} xsi:type="ns2:Map">')
        for key, inner in value.items():
            out.append(f'<item><key xsi:type="xsd:string">{_text(key)}</key>')
            _php_value("value", inner, out)
            out.append("</item>")
        out.append(f"</{tag}>")
    elif isinstance(value, list):
        if not value:
            out.append(f'<{tag} SOAP-ENC:arrayType="xsd:anyType[0]" xsi:type="SOAP-ENC:Array"/>')
            return
        out.append(f'<{tag} SOAP-ENC:arrayType="ns2:Map[{len(value)}]" xsi:type="SOAP-ENC:Array">')
        for inner in value:
            _php_value("item", inner, out)
        out.append(f"</{tag}>")
    elif value is None:
        out.append(f'<{tag} xsi:nil="true"/>')
    elif isinstance(value, bool):
        out.append(f'<{tag} xsi:type="xsd:boolean">{"true" if value else "false"}</{tag}>')
    elif isinstance(value, int):
        out.append(f'<{tag} xsi:type="xsd:int">{value}</{tag}>')
    else:
        out.append(f'<{tag} xsi:type="xsd:string">{_text(value)}</{tag}>')


def response(operation: str, result: dict, encoding: str) -> bytes:
    """``<OPERATIONResponse>`` holding ``{"result": result}`` in the plain or the PHP Map form."""
    if encoding == "php":
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>\n',
            f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{ENVELOPE_NS}" xmlns:ns1="http://test-uri/" '
            'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
            'xmlns:ns2="http://xml.apache.org/xml-soap" xmlns:SOAP-ENC="http://schemas.xmlsoap.org/soap/encoding/" '
            'SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/">'
            f"<SOAP-ENV:Body><ns1:{operation}Response>",
        ]
        _php_value("return", {"result": result}, out)
        out.append(f"</ns1:{operation}Response></SOAP-ENV:Body></SOAP-ENV:Envelope>\n")
    else:
        out = [
            '<?xml version="1.0" encoding="UTF-8"?>\n',
            f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{ENVELOPE_NS}"><SOAP-ENV:Body><{operation}Response>',
        ]
        _plain("result", result, out)
        out.append(f"</{operation}Response></SOAP-ENV:Body></SOAP-ENV:Envelope>\n")
    return "".join(out).encode("utf-8")


def fault(code: str, text: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{ENVELOPE_NS}"><SOAP-ENV:Body><SOAP-ENV:Fault>'
        f"<faultcode>SOAP-ENV:{_text(code)}</faultcode><faultstring>{_text(text)}</faultstring>"
        "</SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>\n"
    ).encode("utf-8")

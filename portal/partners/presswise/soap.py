"""SOAP 1.1 envelopes for PressWise: writing requests, reading both answer forms.

Requests are written as text: elements in a fixed order, values escaped, characters
XML 1.0 cannot carry dropped. Answers are untrusted: they are parsed with defusedxml
(no DTD, no entities) and turned into plain Python values, whichever form the server
used: the plain form (``<result><status><code>0</code>...``) or the PHP SOAP-encoded
form (``ns2:Map`` of ``item/key/value`` and ``SOAP-ENC:Array``).
"""

from __future__ import annotations

import re
from typing import Iterable, Union
from xml.etree.ElementTree import Element

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

ENVELOPE_NS = "http://schemas.xmlsoap.org/soap/envelope/"
# Levels below the operation's Response element. The PHP form, the deepest, needs about a dozen.
MAX_NESTING = 32
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"

# A request value: text, or an ordered list of (name, value) children.
Value = Union[str, "Fields"]
Fields = list[tuple[str, Value]]

# XML 1.0 allows only these characters; anything else cannot be sent at all.
_NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 forbids (control characters, lone surrogates)."""
    return _NOT_XML.sub("", text)


def escape_text(text: str) -> str:
    # A raw CR would be read back as LF by every XML parser, hence the character reference.
    return xml_safe(text).translate(_ESCAPES)


def write_fields(fields: Iterable[tuple[str, Value]], out: list[str]) -> None:
    for name, value in fields:
        if isinstance(value, str):
            out.append(f"<{name}>{escape_text(value)}</{name}>" if value else f"<{name}></{name}>")
        else:
            out.append(f"<{name}>")
            write_fields(value, out)
            out.append(f"</{name}>")


def build_envelope(operation: str, params: Fields) -> bytes:
    """The request body: ``operation`` (no namespace, as the contract fixes) with its parameters."""
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<SOAP-ENV:Envelope xmlns:SOAP-ENV="{ENVELOPE_NS}"><SOAP-ENV:Body><{operation}>',
    ]
    write_fields(params, out)
    out.append(f"</{operation}></SOAP-ENV:Body></SOAP-ENV:Envelope>")
    return "".join(out).encode("utf-8")


# --- reading answers ------------------------------------------------------------------

class MalformedResponse(ValueError):
    """The body is not a SOAP answer this client can read."""


class SoapFault(Exception):
    def __init__(self, code: str, text: str):
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


def local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1] if tag.startswith("{") else tag.split(":")[-1]


def _xsi_type(element: Element) -> str:
    value = element.get(f"{{{XSI_NS}}}type") or ""
    return value.split(":")[-1]


def _is_nil(element: Element) -> bool:
    return (element.get(f"{{{XSI_NS}}}nil") or "").lower() in ("true", "1")


def decode(element: Element, depth: int = 0):
    """An element as Python: dict for a struct or Map, list for a SOAP array, str for a leaf.

    In a plain struct a name that repeats becomes a list; a single child stays a dict
    entry (see ``as_list``). ``None`` stands for ``xsi:nil``. Deeper than ``MAX_NESTING``
    is refused: no answer needs it, and 100,000 levels fit in well under the size cap.
    """
    if depth > MAX_NESTING:
        raise MalformedResponse(f"nested more than {MAX_NESTING} levels deep")
    depth += 1
    if _is_nil(element):
        return None
    kind = _xsi_type(element)
    children = list(element)
    if kind == "Map":
        result = {}
        for entry in children:
            key = value = None
            for part in entry:
                if local_name(part.tag) == "key":
                    key = part.text or ""
                elif local_name(part.tag) == "value":
                    value = part
            if key is None or value is None:
                raise MalformedResponse("a Map entry without key or value")
            result[key] = decode(value, depth)
        return result
    if kind == "Array":
        return [decode(child, depth) for child in children]
    if not children:
        return element.text or ""
    result: dict = {}
    for child in children:
        name = local_name(child.tag)
        value = decode(child, depth)
        if name in result:
            existing = result[name]
            if isinstance(existing, _Repeated):
                existing.append(value)
            else:
                result[name] = _Repeated([existing, value])
        else:
            result[name] = value
    return {k: list(v) if isinstance(v, _Repeated) else v for k, v in result.items()}


class _Repeated(list):
    """Marks a list made from repeated elements, as opposed to a value that is a list."""


def as_list(value, item_name: str) -> list:
    """A list field in either form: ``<jobs><job/>...</jobs>``, an empty ``<jobs/>``, or a SOAP array."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        if set(value) != {item_name}:
            raise MalformedResponse(f"unexpected elements in a list of {item_name}")
        inner = value[item_name]
        return inner if isinstance(inner, list) else [inner]
    raise MalformedResponse(f"expected a list of {item_name}")


def parse_response(body: bytes, operation: str) -> dict:
    """The ``result`` of ``operation`` from a response body; raises ``SoapFault`` or ``MalformedResponse``."""
    try:
        root = safe_xml.fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, SyntaxError, ValueError, LookupError) as exc:  # ParseError is a SyntaxError;
        # LookupError: the XML declaration names an encoding Python does not have (encoding="bogus")
        raise MalformedResponse(f"unreadable XML ({type(exc).__name__})") from None
    if local_name(root.tag) != "Envelope":
        raise MalformedResponse("no SOAP Envelope")
    body_element = next((c for c in root if local_name(c.tag) == "Body"), None)
    if body_element is None or len(body_element) == 0:
        raise MalformedResponse("no SOAP Body")
    answer = body_element[0]
    if local_name(answer.tag) == "Fault":
        fields = {local_name(c.tag): (c.text or "") for c in answer}
        raise SoapFault(fields.get("faultcode", ""), fields.get("faultstring", ""))
    if local_name(answer.tag) != f"{operation}Response":
        raise MalformedResponse(f"expected {operation}Response, got {local_name(answer.tag)}")
    decoded = decode(answer)
    if isinstance(decoded, dict) and set(decoded) == {"return"}:  # PHP wraps the returned array
        decoded = decoded["return"]
    if not isinstance(decoded, dict) or not isinstance(decoded.get("result"), dict):
        raise MalformedResponse("no result")
    return decoded["result"]

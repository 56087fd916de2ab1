"""A client's text made a validated message (`messages`), or the `error` that answers it."""

import json
import re

import numpy as np
from pydantic import ValidationError

from .messages import CLIENT_TYPES, client_message
from .replies import Error


def error_reply(error: ValidationError, text: str) -> Error:
    """An `error` message for a client message that failed validation, naming the field."""
    details = [
        {"loc": [str(part) for part in e["loc"]], "msg": e["msg"], "type": e["type"]}
        for e in error.errors(include_url=False, include_input=False, include_context=False)
    ]
    kind = json.loads(text).get("type") if text.lstrip().startswith("{") else None
    if details and details[0]["type"] == "union_tag_invalid":
        return Error(
            code="unknown_type",
            message=f"unknown message type {json.dumps(kind)}; valid types: "
            + ", ".join(CLIENT_TYPES),
        )
    if details and details[0]["type"] == "union_tag_not_found":
        return Error(code="invalid_message", message="a message needs a 'type' field")
    first = details[0]
    where = ".".join(part for part in first["loc"][1:] if not part.startswith("function-"))
    code = "invalid_config" if kind == "configure" else "invalid_message"
    return Error(code=code, message=f"{where or kind}: {first['msg']}", details=details)


#: Client messages nest three deep at most; deeper JSON is refused before it is parsed, so that
#: the limit does not depend on how deep the parser's stack happens to be.
MAX_NESTING = 32
_STRING_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]")


def _nesting(text: str) -> int:
    """How deep the arrays and objects of JSON `text` nest (0 when few brackets are in it)."""
    if text.count("[") + text.count("{") <= MAX_NESTING:
        return 0
    brackets = np.frombuffer(
        _NOT_BRACKET.sub("", _STRING_TOKEN.sub("", text)).encode("ascii"), dtype=np.uint8
    )
    steps = np.where((brackets == ord("[")) | (brackets == ord("{")), 1, -1)
    return int(np.cumsum(steps).max(initial=0))


def _refuse_constant(constant: str):
    raise ValueError(f"{constant} is not JSON")


def parse_client_message(text: str):
    """(a validated client message, None), or (None, the `Error` to answer with).

    NaN and Infinity are refused as the browser's JSON.parse refuses them; so are integers
    longer than Python reads (4300 digits) and nesting deeper than its recursion limit.
    """
    if _nesting(text) > MAX_NESTING:
        return None, Error(
            code="bad_json", message=f"not JSON: nested deeper than {MAX_NESTING} levels"
        )
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except ValueError as error:
        return None, Error(code="bad_json", message=f"not JSON: {error}")
    except RecursionError:
        return None, Error(code="bad_json", message="not JSON: nested too deeply")
    if not isinstance(data, dict):
        return None, Error(
            code="invalid_message", message="a message must be a JSON object with a 'type'"
        )
    try:
        return client_message.validate_python(data), None
    except ValidationError as error:
        return None, error_reply(error, text)

"""JSON from strangers: refuse nesting deeper than MAX_DEPTH before the parser recurses into it."""
import json
import re

from flask.json.provider import DefaultJSONProvider

MAX_DEPTH = 64
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


class TooDeep(ValueError):
    """JSON nested deeper than MAX_DEPTH."""


def nesting_depth(text):
    """How deep the arrays and objects of a JSON text go (brackets inside strings do not count)."""
    if text.count("[") + text.count("{") == 0:
        return 0
    depth = deepest = 0
    for bracket in _BRACKET.finditer(_STRING.sub('""', text)):
        if bracket.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def loads(data, **kwargs):
    """json.loads that refuses invalid UTF-8 and nesting deeper than MAX_DEPTH with a ValueError, never recursing."""
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data).decode("utf-8")  # UnicodeDecodeError is a ValueError
    # Fewer brackets than the limit cannot nest too deep: skip the scan for ordinary bodies.
    if data.count("[") + data.count("{") > MAX_DEPTH and nesting_depth(data) > MAX_DEPTH:
        raise TooDeep(f"it is nested deeper than {MAX_DEPTH} levels")
    return json.loads(data, **kwargs)


class JSONProvider(DefaultJSONProvider):
    """The app's JSON: request.get_json() goes through the depth check too (a silent get_json stays silent)."""

    def loads(self, s, **kwargs):
        return loads(s, **kwargs)

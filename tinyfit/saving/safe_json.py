"""JSON for model files: plain data out, and in only within a size-independent depth cap.

Python's json parser recurses once per nesting level, so a few kilobytes of "[[[[..." would
exhaust the stack; the depth is measured first, without parsing. Duplicate keys are refused:
two readers could otherwise disagree about which value a file holds.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["MAX_JSON_DEPTH", "dump_json", "load_json", "json_depth"]

MAX_JSON_DEPTH = 64


def json_depth(text: str) -> int:
    """How deeply arrays and objects nest in JSON `text` (0 for a bare value)."""
    # Strings are blanked first so brackets inside them do not count.
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text)
    depth = deepest = 0
    for match in re.finditer(r"[\[\]{}]", bare):
        depth += 1 if match.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} appears twice in one object")
        result[key] = value
    return result


def dump_json(what: str, data: Any) -> bytes:
    """`data` as UTF-8 JSON; a ValueError names `what` when it is not plain data or nests too deep."""
    try:
        text = json.dumps(data, indent=1)
    except (TypeError, ValueError) as error:
        raise ValueError(f"The {what} must be plain JSON data (dict, list, str, int, float, bool, "
                         f"None): {error}. Serialize objects to their configs first.") from None
    if json_depth(text) > MAX_JSON_DEPTH:
        raise ValueError(f"The {what} nests deeper than {MAX_JSON_DEPTH} levels, which no "
                         f"tinyfit reader accepts; flatten it.")
    return text.encode("utf-8")


def load_json(raw: bytes) -> Any:
    """Parses UTF-8 JSON bytes; a ValueError says what is wrong (encoding, depth, syntax, duplicate key)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ValueError(f"is not UTF-8 text ({error})") from None
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nests {depth} levels deep; the limit is {MAX_JSON_DEPTH}")
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except ValueError as error:
        raise ValueError(f"is not valid JSON: {error}") from None

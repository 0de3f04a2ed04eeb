"""YAML text as dbt projects write it, without a YAML library (PyYAML comes with dbt, not with intentseg).

Mappings and lists in block style, two spaces per level; every string double-quoted with JSON escapes (a
valid YAML double-quoted scalar, so Jinja such as ``{{ var('x') }}`` and any description stay text).
"""

from __future__ import annotations

import json
import re
from typing import Any

_PLAIN_KEY = re.compile(r"^[A-Za-z_+][A-Za-z0-9_+-]*$")


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)


def _key(key: str) -> str:
    return key if _PLAIN_KEY.match(key) else json.dumps(key, ensure_ascii=False)


def _lines(value: Any, indent: int) -> list[str]:
    pad = "  " * indent
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, (dict, list)) and item:
                out.append(f"{pad}{_key(key)}:")
                out.extend(_lines(item, indent + 1))
            else:
                out.append(f"{pad}{_key(key)}: {_empty(item) if isinstance(item, (dict, list)) else _scalar(item)}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, (dict, list)) and item:
                first, *rest = _lines(item, indent + 1)
                out.append(f"{pad}- {first.lstrip()}")
                out.extend(rest)
            else:
                out.append(f"{pad}- {_empty(item) if isinstance(item, (dict, list)) else _scalar(item)}")
    else:
        out.append(pad + _scalar(value))
    return out


def _empty(value: dict | list) -> str:
    return "{}" if isinstance(value, dict) else "[]"


def dump(value: dict[str, Any], header: str = "") -> str:
    """``value`` as YAML text, after ``header`` (comment lines, each starting with ``#``)."""
    return header + "\n".join(_lines(value, 0)) + "\n"

"""Web server access logs (Apache/Nginx ``combined`` or ``common`` format) as clickstream and site searches.

One line is one request. A line becomes a page view (a clickstream event) when it parses, does not come
from a bot, is a ``GET`` answered with 2xx or ``304``, and does not ask for a static asset; its query string
may also hold a site search (``ingest.search_params``), which becomes a ``search_queries`` event. Every
other line is counted under a reason (:data:`EXCLUDED`), or quarantined (a line that does not parse).

Privacy: the visitor is a keyed hash (BLAKE2b, key ``ingest.visitor_salt``) of the client address and the
user agent; the address itself is never stored: not in events, and not in the quarantine (its raw text
shows ``<ip>`` instead of every address in the line). See docs/ingest.md.

Dwell time is the time to the same visitor's next page view when it comes within the session gap
(``features.session_gap_minutes``), capped at ``features.duration_cap_s``; the last page of a session has
none (NULL). Page views are sorted per visitor in memory, so memory grows with the page views of a file.
"""

from __future__ import annotations

import gzip
import hashlib
import ipaddress
import json
import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import IO
from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pandas as pd
import pyarrow as pa

from ..errors import ConfigError, InputError
from .readers import RawBatch, RejectedRow

LOG_FORMATS = ("combined", "common")

#: Lines read but not loaded, and why (counted in the ingest report, not stored).
EXCLUDED = {
    "bot": "the user agent is a bot (the parser's device family 'Spider', or it names one of BOT_WORDS)",
    "not_get": "the request is not a GET (POST, HEAD, …), or has no request line",
    "redirect": "the answer is a redirect (3xx other than 304): the page the visitor lands on is the page view",
    "error_status": "the answer is an error (4xx, 5xx) or informational (1xx)",
    "static_asset": "the path ends in a static file extension (STATIC_EXTENSIONS)",
}
#: Words in a user agent (lower case) that mark a bot the parser does not know.
BOT_WORDS = ("bot", "crawler", "spider", "crawl", "slurp", "headless", "curl/", "wget/", "python-requests")
STATIC_EXTENSIONS = (".css", ".js", ".mjs", ".map", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".ico",
                     ".svg", ".woff", ".woff2", ".ttf", ".eot", ".otf")

_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_LINE = re.compile(
    r'^(\S+) \S+ \S+ \[([^\]]+)\] ' + _QUOTED + r' (\d{3}) (?:\d+|-)(?: ' + _QUOTED + r' ' + _QUOTED + r'(?: .*)?)?\s*$'
)  # fields after the user agent (request time, X-Forwarded-For, …, added by many configs) are ignored
_MONTHS = {m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
                                       "Nov", "Dec"), start=1)}
_TIME = re.compile(r"^(\d{2})/([A-Z][a-z]{2})/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$")
_ADDRESS_LIKE = re.compile(r"[0-9A-Fa-f:.]*[:.][0-9A-Fa-f:.]*")
_DESKTOP_OS = ("Windows", "Mac OS X", "Linux", "Ubuntu", "Fedora", "Debian", "Chrome OS", "FreeBSD", "OpenBSD")
_MOBILE_OS = ("iOS", "Android", "Windows Phone", "BlackBerry OS", "KaiOS", "Firefox OS", "HarmonyOS")


@dataclass
class ParsedLog:
    """A whole log file: its page views and searches (canonical columns), unusable lines, exclusions."""

    path: Path
    lines_read: int
    clicks: pa.Table  # user_id, timestamp, url, referrer, device, time_spent
    click_lines: np.ndarray
    searches: pa.Table  # user_id, timestamp, query
    search_lines: np.ndarray
    rejected: list[RejectedRow] = field(default_factory=list)
    excluded: Counter[str] = field(default_factory=Counter)

    def batches(self, source: str, batch_rows: int) -> Iterator[RawBatch]:
        """The events of ``source`` as reader batches; the quarantined lines come with the first click batch."""
        table, lines = (self.clicks, self.click_lines) if source == "clickstream" else (self.searches, self.search_lines)
        rejected = self.rejected if source == "clickstream" else []
        if table.num_rows == 0 and rejected:
            yield RawBatch(table, lines, rejected=list(rejected))
        for start in range(0, table.num_rows, batch_rows):
            yield RawBatch(table.slice(start, batch_rows), lines[start:start + batch_rows],
                           rejected=list(rejected) if start == 0 else [])


def visitor_id(salt: bytes, address: str, user_agent: str) -> str:
    """The visitor: 32 hex characters of a BLAKE2b hash of the address and user agent, keyed by the salt."""
    h = hashlib.blake2b(key=salt, digest_size=16)
    h.update(address.encode("utf-8", "surrogateescape") + b"\x1f" + user_agent.encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def redact_addresses(text: str, client: str | None = None) -> str:
    """``text`` with its first field (the client: an address, or a host name) and every IPv4/IPv6 address
    in it shown as ``<ip>``."""
    if client and text.startswith(client):
        text = "<ip>" + text[len(client):]

    def hide(m: re.Match[str]) -> str:
        token = m.group(0)
        for candidate in (token, token.strip(".:"), token.split("]")[0]):
            try:
                ipaddress.ip_address(candidate)
            except ValueError:
                continue
            return token.replace(candidate, "<ip>")
        return token

    return _ADDRESS_LIKE.sub(hide, text)


@lru_cache(maxsize=65_536)
def classify_agent(user_agent: str) -> tuple[bool, str]:
    """(is a bot, device class: desktop / mobile / tablet / other) from ua-parser's reading of the agent."""
    try:
        import ua_parser
    except ImportError:  # an optional dependency
        raise ConfigError(
            "Reading access logs needs the user agent parser ua-parser.",
            hint='pip install "intentseg[logs]"',
        ) from None
    parsed = ua_parser.parse(user_agent)
    device = parsed.device
    os_family = parsed.os.family if parsed.os else ""
    lowered = user_agent.lower()
    if (device is not None and device.family == "Spider") or any(w in lowered for w in BOT_WORDS):
        return True, "other"
    brand = (device.brand or "") if device is not None else ""
    family = device.family if device is not None else ""
    if family in ("iPad", "Kindle") or "Tablet" in brand or "tablet" in lowered:
        return False, "tablet"
    if os_family == "Android" and "mobile" not in lowered:  # Android tablets leave "Mobile" out of the agent
        return False, "tablet"
    if os_family in _MOBILE_OS:
        return False, "mobile"
    if os_family in _DESKTOP_OS:
        return False, "desktop"
    return False, "other"


def _timestamp(text: str) -> datetime | None:
    """``10/Oct/2026:13:55:36 -0700`` as UTC without a zone, or None."""
    m = _TIME.match(text)
    if m is None or m.group(2) not in _MONTHS:
        return None
    day, _, year, hh, mm, ss, sign, oh, om = m.groups()
    try:
        offset = timedelta(hours=int(oh), minutes=int(om)) * (1 if sign == "+" else -1)
        local = datetime(int(year), _MONTHS[m.group(2)], int(day), int(hh), int(mm), int(ss),
                         tzinfo=timezone(offset))
    except ValueError:
        return None
    return local.astimezone(UTC).replace(tzinfo=None)


def _unescape(value: str) -> str:
    return value.replace('\\"', '"').replace("\\\\", "\\")


def _search(target: str, params: Sequence[str]) -> str | None:
    query = urlsplit(target).query
    if not query:
        return None
    values = dict(parse_qsl(query))  # decoded; '+' is a space
    for name in params:
        value = values.get(name, "").strip()
        if value:
            return value
    return None


def _open(path: Path) -> IO[bytes] | gzip.GzipFile:
    with open(path, "rb") as fh:
        gz = fh.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gz else open(path, "rb")


def _salt(salt: str | None) -> bytes:
    if not salt:
        raise ConfigError(
            "Reading an access log needs ingest.visitor_salt: visitor ids are a keyed hash of IP address and "
            "user agent, and raw addresses are never stored.",
            hint='Set visitor_salt = "<a long random secret>" under [ingest] in intentseg.toml, or '
            "INTENTSEG_INGEST__VISITOR_SALT (make one with: python -c \"import secrets; print(secrets.token_hex(16))\"). "
            "Keep it secret and keep it unchanged: the same salt gives the same visitor ids on every ingest.",
        )
    return salt.encode("utf-8")


def read_log(path: Path, fmt: str, *, salt: str | None, search_params: Sequence[str],
             session_gap_s: float, duration_cap_s: float) -> ParsedLog:
    """Parse ``path`` (plain or gzip) in the ``combined`` or ``common`` format into page views and searches."""
    if fmt not in LOG_FORMATS:
        raise ConfigError(f"Unknown log format {fmt!r}.", hint=f"Use one of: {', '.join(LOG_FORMATS)}.")
    key = _salt(salt)
    # one list per column, one entry per page view; "query" holds its site search or None
    rows: dict[str, list] = {k: [] for k in ("line", "user_id", "timestamp", "url", "referrer", "device", "query")}
    rejected: list[RejectedRow] = []
    excluded: Counter[str] = Counter()
    lines_read = 0
    try:
        with _open(path) as fh:
            for number, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue  # blank lines are not requests
                lines_read += 1
                try:
                    text = raw.decode("utf-8").rstrip("\r\n")
                except UnicodeDecodeError:
                    shown = raw.rstrip(b"\r\n").decode("utf-8", "backslashreplace")
                    rejected.append(RejectedRow(number, "invalid_utf8", None,
                                                json.dumps({"_text": redact_addresses(shown, shown.split(" ", 1)[0])},
                                                           ensure_ascii=False)))
                    continue
                why = _read_line(text, fmt, key, search_params, rows)
                if why is None:
                    rows["line"].append(number)
                elif why in EXCLUDED:
                    excluded[why] += 1
                else:
                    client = text.split(" ", 1)[0]
                    rejected.append(RejectedRow(number, "malformed_row", None, json.dumps(
                        {"_text": redact_addresses(text, client), "_expected": f"{fmt} log format ({why})"},
                        ensure_ascii=False)))
    except (OSError, EOFError) as exc:  # a truncated or corrupt .gz
        raise InputError(f"{path}: cannot read it: {exc}.", hint="Check the file (gzip -t for a .gz).") from None
    clicks = pd.DataFrame({k: v for k, v in rows.items() if k != "query"})
    clicks["time_spent"] = _dwell(clicks, session_gap_s, duration_cap_s)
    click_table = pa.Table.from_pandas(
        clicks.drop(columns="line"),
        schema=pa.schema([("user_id", pa.string()), ("timestamp", pa.timestamp("us")), ("url", pa.string()),
                          ("referrer", pa.string()), ("device", pa.string()), ("time_spent", pa.float64())]),
        preserve_index=False,
    )
    click_lines = np.asarray(rows["line"], np.int64)
    idx = np.flatnonzero(np.array([q is not None for q in rows["query"]], dtype=bool))
    search_table = pa.table({
        "user_id": click_table.column("user_id").take(pa.array(idx)),
        "timestamp": click_table.column("timestamp").take(pa.array(idx)),
        "query": pa.array([rows["query"][i] for i in idx], pa.string()),
    })
    return ParsedLog(path, lines_read, click_table, click_lines, search_table, click_lines[idx], rejected, excluded)


def _read_line(text: str, fmt: str, key: bytes, params: Sequence[str], rows: dict[str, list]) -> str | None:
    """Append the page view of one line (and its site search, or None) to ``rows`` (all but its line
    number); None when one was added, else an EXCLUDED reason or what made the line malformed."""
    m = _LINE.match(text)
    if m is None:
        return "the line does not have the format's fields"
    client, when, request, status, referrer, agent = m.groups()
    if fmt == "combined" and agent is None:
        return "no referrer and user agent fields"
    ts = _timestamp(when)
    if ts is None:
        return f"the time [{when}] is not dd/Mon/yyyy:hh:mm:ss +zzzz"
    agent = _unescape(agent) if agent is not None else ""
    is_bot, device = classify_agent(agent) if agent and agent != "-" else (False, "other")
    if is_bot:
        return "bot"
    parts = _unescape(request).split(" ")
    if len(parts) != 3 or parts[0] != "GET":
        return "not_get"
    code = int(status)
    if code == 304 or 200 <= code < 300:
        pass
    elif 300 <= code < 400:
        return "redirect"
    else:
        return "error_status"
    target = parts[1]
    if urlsplit(target).path.lower().endswith(STATIC_EXTENSIONS):
        return "static_asset"
    rows["user_id"].append(visitor_id(key, client, agent))
    rows["timestamp"].append(ts)
    rows["url"].append(target)
    ref = _unescape(referrer) if referrer is not None else "-"
    rows["referrer"].append(None if ref in ("-", "") else ref)
    rows["device"].append(device if fmt == "combined" else None)
    rows["query"].append(_search(target, params))
    return None


def _dwell(clicks: pd.DataFrame, session_gap_s: float, duration_cap_s: float) -> pd.Series:
    """Seconds to the visitor's next page view when it comes within the session gap, capped; else NaN."""
    if clicks.empty:
        return pd.Series([], dtype="float64")
    order = clicks.sort_values(["user_id", "timestamp", "line"], kind="stable")
    nxt = order.groupby("user_id", sort=False)["timestamp"].shift(-1)
    gap = (nxt - order["timestamp"]).dt.total_seconds()
    dwell = gap.where(gap <= session_gap_s).clip(upper=duration_cap_s)
    return dwell.reindex(clicks.index)

"""Typed settings: flag > environment > config file > default.

A config file is TOML (``intentseg init`` writes a commented example). Environment variables are
``INTENTSEG_WAREHOUSE`` and ``INTENTSEG_<SECTION>__<KEY>`` (e.g. ``INTENTSEG_SEGMENT__K=5``). Unknown keys
and bad values fail with the key, the value given and what is allowed.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from .errors import ConfigError
from .presets import PRESETS, preset_mapping
from .schema import SOURCES, Heartbeats, SourceMapping

DEFAULT_WAREHOUSE = "duckdb:///intentseg.duckdb"
ENV_PREFIX = "INTENTSEG_"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class HeartbeatSettings(_Section):
    """time_spent = heartbeat rows per key x seconds (Snowplow page pings; see docs/presets.md)."""

    filter: str = Field(description="condition picking the heartbeat rows, e.g. event_name = 'page_ping'")
    key: str = Field(description="column tying a heartbeat to its page view, e.g. page_view_id")
    seconds: float = Field(gt=0, description="seconds one heartbeat stands for")


class SourceSettings(_Section):
    table: str | None = Field(None, description="table (or file stem) holding this source")
    columns: dict[str, str] = Field(
        default_factory=dict, description="canonical column -> your column, or an expression over your columns"
    )
    filter: str | None = Field(None, description="condition (DuckDB SQL) picking this source's rows of a shared table")
    heartbeats: HeartbeatSettings | None = None
    enabled: bool = Field(True, description="false: treat this source as absent")


class PresetOptions(_Section):
    """Settings of the event-table presets (docs/presets.md)."""

    user_id: Literal["anonymous", "user"] = Field(
        "anonymous", description="who a user is: the anonymous/cookie id (every row) or the logged-in user_id"
    )
    table_schema: str | None = Field(None, description="schema (database) holding the preset's tables, e.g. atomic")
    events_table: str | None = Field(None, description="the events table of snowplow and ga4 (default: events)")
    heartbeat_seconds: float = Field(10, gt=0, description="snowplow: seconds one page_ping stands for")
    article_path_like: str | None = Field(
        None, description="article reads = page views whose path matches this LIKE pattern, e.g. /articles/%"
    )


class IngestSettings(_Section):
    time_spent_cap_s: float = Field(
        6 * 3600, gt=0, description="rows with a time_spent above this go to quarantine (seconds)"
    )
    user_id_type: Literal["auto", "int", "string"] = Field(
        "auto", description="auto: the existing tables' type, else whole numbers only if every id read is one "
        "(docs/adr/0007-text-user-ids.md)"
    )
    visitor_salt: SecretStr | None = Field(
        None, description="access logs: secret mixed into the visitor id hash of IP + user agent (docs/ingest.md)"
    )
    search_params: list[str] = Field(
        ["q", "s", "query"], description="access logs: query-string parameters that hold a site search"
    )
    batch_rows: int = Field(200_000, ge=1000, description="rows read and written per batch")


class FeatureSettings(_Section):
    session_gap_minutes: int = Field(30, ge=1, description="inactivity that starts a new session")
    duration_cap_s: float = Field(
        1800, gt=0, description="durations above this are capped (not dropped) before averaging"
    )
    since: str | None = Field(None, description="only events at or after this time (ISO 8601)")
    until: str | None = Field(None, description="only events before this time (ISO 8601)")
    reference_time: str | None = Field(
        None, description="recency is measured to this time; default: the latest event"
    )
    output_table: str = Field("user_features", min_length=1, max_length=63, description="table name, 1 to 63 characters")
    incremental: bool = Field(
        False, description="keep per-user, per-day state tables and build features from them (docs/incremental.md)"
    )
    lateness_hours: float = Field(
        24, ge=0, description="incremental: events up to this much older than the latest one still count in their day"
    )
    state_prefix: str = Field(
        "intentseg_state_", min_length=1, max_length=40, description="incremental: name prefix of the state tables"
    )


class SectionRule(_Section):
    """One content-section rule: a URL path prefix or a regular expression -> the section's label."""

    prefix: str | None = Field(None, min_length=1, description="path prefix, e.g. /sport (compared as text)")
    regex: str | None = Field(None, min_length=1, description="regular expression on the URL path (keep it simple: "
                              "MariaDB, PostgreSQL, DuckDB and Spark each run their own regex engine)")
    section: str = Field(min_length=1, max_length=200, description="the section's label, e.g. sports")

    @model_validator(mode="after")
    def _one_test(self) -> "SectionRule":
        if (self.prefix is None) == (self.regex is None):
            raise ValueError("give a section rule exactly one of prefix or regex")
        return self


class InterestSettings(_Section):
    """Content interests: per-user shares of content sections (docs/features.md, docs/adr/0009)."""

    enabled: bool = Field(False, description="true: interest columns (also on when segment.features uses interests; "
                          "off by default: a query per source and a wider feature table, and no incremental runs)")
    top_n: int = Field(8, ge=1, le=30, description="sections kept per source (by views); the rest is 'other'")
    pages: bool = Field(True, description="sections from the clickstream URL path")
    rules: list[SectionRule] = Field(
        default_factory=list, description="URL path rules tried in order before the first path segment"
    )
    article_table: str | None = Field(None, description="article metadata table: one row per (article, category)")
    article_id_column: str = Field("article_id", min_length=1, description="its article id column")
    category_column: str = Field("category", min_length=1, description="its category column")


#: The one range of k (number of segments) for settings, flags and the API: below 2 there is nothing to
#: compare; above 20 segments are too many to name, profile and act on.
K_MIN, K_MAX = 2, 20
K_RULE = f"'auto' or a whole number from {K_MIN} to {K_MAX}"


def parse_k(value: Any) -> int | str:
    """``value`` (a number, or text from a flag or the environment) as k, or ValueError naming the range."""
    if isinstance(value, str):
        value = int(value) if value.strip().isdigit() else value.strip()
    if isinstance(value, bool) or not (value == "auto" or (isinstance(value, int) and K_MIN <= value <= K_MAX)):
        raise ValueError(f"k must be {K_RULE}")
    return value


def k_option(text: str | None, flag: str = "--k") -> int | str | None:
    """The value of a ``--k`` flag checked against the one range (ConfigError naming the flag, exit 2)."""
    if text is None:
        return None
    try:
        return parse_k(text)
    except ValueError as exc:
        raise ConfigError(f"{flag} {text!r}: {exc}.", hint=f"Pass {flag} auto, or a whole number from {K_MIN} to {K_MAX}.") from None


def features_option(text: str | None) -> list[str] | str | None:
    """A ``--features`` flag: named feature sets (``engagement+interests``) or comma-separated columns."""
    if text is None or not text.strip():
        return None
    from .model.transform import FEATURE_SETS  # the CLI fits next: the model package is loaded anyway

    parts = [p.strip() for p in text.split(",") if p.strip()]
    if len(parts) == 1 and ("+" in parts[0] or parts[0].lower() in FEATURE_SETS):
        return parts[0]  # validated with the settings (unknown set names fail there, naming the sets)
    return parts


class SegmentSettings(_Section):
    k: int | Literal["auto"] = Field("auto", description=f"number of segments: {K_RULE}")
    k_range: tuple[int, int] = Field((2, 10), description=f"k scanned by 'auto': [low, high] within {K_MIN}..{K_MAX}")
    features: list[str] | str | None = Field(
        None, description="model features: named sets (engagement, intent, interests, or joined by '+', e.g. "
        "engagement+interests) or a list of columns; default: engagement"
    )
    random_state: int = 0
    n_init: int = Field(10, ge=1)
    scaling: Literal["robust", "standard"] = "standard"
    names: dict[str, str] = Field(default_factory=dict, description="segment id -> your name")
    in_warehouse_above: int = Field(
        2_000_000, ge=0, description="above this many users, fit on a sample and score inside the warehouse"
    )
    fit_sample_users: int = Field(500_000, ge=100, description="users sampled for the fit above that threshold")

    @field_validator("k", mode="before")
    @classmethod
    def _k_in_range(cls, v: Any) -> Any:
        return parse_k(v)

    @field_validator("features")
    @classmethod
    def _known_sets(cls, v: Any) -> Any:
        if isinstance(v, str):
            from .model.transform import feature_set_names  # only when a named set is asked for

            return "+".join(feature_set_names(v))
        return v

    @model_validator(mode="after")
    def _range(self) -> "SegmentSettings":
        lo, hi = self.k_range
        if not K_MIN <= lo <= hi <= K_MAX:
            raise ValueError(f"k_range must be [low, high] with {K_MIN} <= low <= high <= {K_MAX}")
        return self


def _table_name(default: str) -> Any:
    """A table name: 1 to 63 characters (PostgreSQL cuts longer names at 63 bytes, MariaDB refuses them above 64)."""
    return Field(default, min_length=1, max_length=63, description="table name, 1 to 63 characters")


class OutputSettings(_Section):
    user_segments: str = _table_name("user_segments")
    segment_profiles: str = _table_name("segment_profiles")
    segment_runs: str = _table_name("segment_runs")
    user_segment_history: str = _table_name("user_segment_history")
    query_intents: str = _table_name("query_intents")
    segment_events: str = _table_name("segment_events")
    segment_deliveries: str = _table_name("segment_deliveries")


class ApiKeySettings(_Section):
    """One API key of ``intentseg serve``: its SHA-256 (``intentseg api-key`` prints both), never the key."""

    name: str = Field(min_length=1, max_length=64, description="who holds the key (shown in logs and metrics)")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="hex SHA-256 of the key (intentseg api-key)")
    scopes: list[Literal["read", "score"]] = Field(["read"], description="read: lookups, segments, runs; score: POST /v1/score")
    rate_per_s: float | None = Field(None, gt=0, description="this key's rate (default: serve.rate_per_s)")
    burst: int | None = Field(None, ge=1, description="this key's burst (default: serve.burst)")


class ServeSettings(_Section):
    """The HTTP API (``intentseg serve``, docs/serve.md)."""

    api_keys: list[ApiKeySettings] = Field(default_factory=list, description="keys allowed in (none: every /v1 route answers 401)")
    rate_per_s: float = Field(200, gt=0, description="requests per second per API key (token bucket)")
    burst: int = Field(400, ge=1, description="requests a key may send at once above its rate")
    max_body_bytes: int = Field(1_000_000, ge=1024, description="larger request bodies get 413")
    max_batch: int = Field(1000, ge=1, description="users per POST /v1/score (more: 413)")
    max_inflight: int = Field(256, ge=1, description="requests in progress above which new ones get 503")
    score_concurrency: int = Field(2, ge=1, description="scoring requests computed at once (more wait, then 503)")
    poll_interval_s: float = Field(5, gt=0, description="how often segment_runs is checked for a newer run")
    cors_origins: list[str] = Field(default_factory=list, description="origins allowed by CORS (none: CORS off)")


class DestinationSettings(_Section):
    """One place membership events go (``intentseg deliver``, docs/activate.md)."""

    type: Literal["webhook", "rabbitmq", "redis", "nats"] = Field(description="webhook, rabbitmq, redis or nats")
    url: str = Field(min_length=1, description="https://…, amqp://user:pw@host:5672/%2F, redis://host:6379/0, nats://host:4222")
    secret_env: str | None = Field(None, description="webhook: environment variable holding the HMAC-SHA256 secret")
    queue: str | None = Field(None, description="rabbitmq: the queue (declared durable) or, with exchange, the routing key")
    exchange: str = Field("", description="rabbitmq: exchange to publish to (default: the default exchange)")
    stream: str | None = Field(None, description="redis: the stream key; nats: the JetStream stream (created if absent)")
    subject: str | None = Field(None, description="nats: the subject published to")
    max_attempts: int = Field(8, ge=1, description="tries before an event is dead-lettered")
    backoff_s: float = Field(2, gt=0, description="wait after the first failed try; doubles per try (with jitter)")
    backoff_max_s: float = Field(600, gt=0, description="longest wait between tries")
    timeout_s: float = Field(10, gt=0, description="how long one send may take")
    max_events_per_s: float | None = Field(None, gt=0, description="send at most this many events per second")
    concurrency: int = Field(8, ge=1, le=64, description="webhook: requests in flight at once (one user's events "
                                                         "still go one after another, in order)")

    @model_validator(mode="after")
    def _needs(self) -> "DestinationSettings":
        needed = {"webhook": "secret_env", "rabbitmq": "queue", "redis": "stream", "nats": "subject"}[self.type]
        if not getattr(self, needed):
            raise ValueError(f"a {self.type} destination needs {needed}")
        return self


class DeliverSettings(_Section):
    """``intentseg deliver``: where membership events go and how they are sent."""

    destinations: dict[str, DestinationSettings] = Field(default_factory=dict, description="name -> destination")
    batch_size: int = Field(100, ge=1, le=10_000, description="events claimed (and locked) per transaction")
    poll_s: float = Field(1, gt=0, description="--follow: how often the outbox is checked for new events")

    @field_validator("destinations")
    @classmethod
    def _names(cls, v: dict[str, DestinationSettings]) -> dict[str, DestinationSettings]:
        bad = [n for n in v if not n.replace("_", "a").replace("-", "a").isalnum() or len(n) > 40]
        if bad:
            raise ValueError(f"destination names {bad}: use letters, digits, _ and -, up to 40 characters")
        return v


class StreamSettings(_Section):
    """``intentseg stream``: events from a broker, applied in micro-batches (docs/stream.md)."""

    max_batch: int = Field(500, ge=1, le=100_000, description="messages per micro-batch (and at most in flight)")
    max_wait_ms: int = Field(200, ge=1, description="how long a micro-batch waits to fill before it is applied")
    ack_wait_s: float = Field(30, gt=0, description="nats: unacknowledged messages are sent again after this")
    checkpoint_table: str = Field("intentseg_stream_checkpoints", min_length=1,
                                  description="per stream: the last position applied, in the batch's transaction")
    quarantine_table: str = Field("intentseg_stream_quarantine", min_length=1,
                                  description="messages that are no JSON object or name no known source")


class Settings(_Section):
    warehouse: str = DEFAULT_WAREHOUSE
    preset: str | None = Field(None, description="read the sources from an event schema: " + ", ".join(PRESETS))
    preset_options: PresetOptions = Field(default_factory=PresetOptions)
    sources: dict[str, SourceSettings] = Field(default_factory=dict)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    features: FeatureSettings = Field(default_factory=FeatureSettings)
    interests: InterestSettings = Field(default_factory=InterestSettings)
    segment: SegmentSettings = Field(default_factory=SegmentSettings)
    output: OutputSettings = Field(default_factory=OutputSettings)
    serve: ServeSettings = Field(default_factory=ServeSettings)
    deliver: DeliverSettings = Field(default_factory=DeliverSettings)
    stream: StreamSettings = Field(default_factory=StreamSettings)

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, v: dict[str, SourceSettings]) -> dict[str, SourceSettings]:
        unknown = sorted(set(v) - set(SOURCES))
        if unknown:
            raise ValueError(f"unknown source(s) {unknown}; allowed: {sorted(SOURCES)}")
        return v

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if v.strip().lower() not in PRESETS:
            raise ValueError(f"unknown preset {v!r}; use one of: {', '.join(PRESETS)} (--preset NAME or preset = \"NAME\")")
        return v.strip().lower()

    def mapping(self, source: str) -> SourceMapping:
        s = self.sources.get(source) or SourceSettings()
        if self.preset:
            return preset_mapping(self.preset, source, self.preset_options, self.sources.get(source))
        hb = Heartbeats(s.heartbeats.filter, s.heartbeats.key, s.heartbeats.seconds) if s.heartbeats else None
        return SourceMapping(source, s.table, dict(s.columns), filter=s.filter, heartbeats=hb, enabled=s.enabled)

    def mappings(self) -> dict[str, SourceMapping]:
        return {name: self.mapping(name) for name in SOURCES}

    def interest_settings(self) -> InterestSettings:
        """``[interests]`` as in force: on when ``enabled``, and also when the segmenter's features use
        interests (a named set with ``interests``, or ``interest_*`` columns)."""
        f = self.segment.features
        wanted = "interests" in f.split("+") if isinstance(f, str) else any(c.startswith("interest_") for c in f or [])
        if self.interests.enabled or not wanted:
            return self.interests
        return self.interests.model_copy(update={"enabled": True})


def _deep_merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _env_layer(environ: dict[str, str]) -> dict[str, Any]:
    layer: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX) or name == "INTENTSEG_CONFIG":
            continue
        path = name[len(ENV_PREFIX):].lower().split("__")
        if path[0] not in Settings.model_fields:
            continue  # other INTENTSEG_* variables (test URLs, …) are not settings
        node = layer
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1]] = _parse_env_value(value)
    return layer


def _parse_env_value(value: str) -> Any:
    """Environment values are TOML values when they parse as such (5, [2, 8], true), else strings."""
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value


def _describe(error: dict[str, Any], data: dict[str, Any]) -> str:
    key = ".".join(str(p) for p in error["loc"])
    given = error.get("input")
    allowed = str(error["msg"]).removeprefix("Value error, ")
    if error["type"] == "extra_forbidden":
        parent = error["loc"][:-1]
        model: Any = Settings
        for part in parent:
            field = model.model_fields.get(str(part)) if hasattr(model, "model_fields") else None
            model = field.annotation if field is not None else None
        known = sorted(model.model_fields) if hasattr(model, "model_fields") else []
        return f"unknown key {key!r}; allowed here: {', '.join(known)}"
    return f"{key} = {given!r}: {allowed}"


def example_config() -> str:
    """The commented example that ``intentseg init`` writes (every key, with its default)."""
    return (Path(__file__).with_name("config_example.toml")).read_text(encoding="utf-8")


def load_settings(
    config: str | Path | None = None,
    overrides: dict[str, Any] | None = None,
    environ: dict[str, str] | None = None,
) -> Settings:
    """Build settings from defaults, a TOML file, the environment and explicit overrides (flags)."""
    environ = dict(os.environ if environ is None else environ)
    data: dict[str, Any] = {}
    config = config or environ.get("INTENTSEG_CONFIG")
    where = "settings"
    if config:
        path = Path(config)
        where = str(path)
        if not path.is_file():
            raise ConfigError(f"Config file {path} not found.", hint="Create one with `intentseg init`.")
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc}).", hint="Fix the syntax at that line.") from exc
    data = _deep_merge(data, _env_layer(environ))
    return _validate(_deep_merge(data, _given(overrides)), where)


def with_overrides(settings: Settings, overrides: dict[str, Any] | None = None) -> Settings:
    """A new, validated Settings: ``settings`` with ``overrides`` (nested dicts, None = keep) merged in.

    ``settings`` itself is never changed, so a caller can reuse it for the next run.
    """
    return _validate(_deep_merge(settings.model_dump(), _given(overrides)), "settings")


def _given(overrides: dict[str, Any] | None) -> dict[str, Any]:
    """Overrides without the None values (a flag that was not given), at every level."""
    out: dict[str, Any] = {}
    for key, value in (overrides or {}).items():
        if isinstance(value, dict):
            value = _given(value)
            if not value:
                continue
        if value is not None:
            out[key] = value
    return out


def _validate(data: dict[str, Any], where: str) -> Settings:
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(e, data) for e in exc.errors())
        raise ConfigError(
            f"{where}: {problems}.", hint="Correct the key or value (see `intentseg init` for every key)."
        ) from None

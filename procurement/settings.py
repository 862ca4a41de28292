"""Settings, read once from environment variables prefixed ``PROCUREMENT_``.

Every variable has a default that gives the embedded set-up (SQLite and a local object
store under ``var/``), so a fresh clone runs with no configuration at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

ENV_PREFIX = "PROCUREMENT_"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("var")
    # Empty means "derive from data_dir": SQLite at var/procurement.db.
    database_url: str = ""
    # Empty means "derive from data_dir": local objects under var/objects.
    storage_url: str = ""
    storage_access_key: str = ""
    storage_secret_key: str = ""
    # Where the platform's Ed25519 signing key lives; empty means var/keys.
    keys_dir: str = ""
    # Signs nothing by itself: it keys HMACs of CSRF tokens. Empty means a random
    # secret generated once and kept in keys_dir.
    session_secret: str = ""
    base_url: str = "http://127.0.0.1:8000"
    default_language: str = "zh"
    # Argon2id cost; the defaults follow RFC 9106's second recommended option.
    argon2_memory_kib: int = 65536
    argon2_iterations: int = 3
    argon2_lanes: int = 4
    session_hours: int = 12
    # Failed logins: after `login_slowdown_after` failures each further attempt must wait
    # (doubling from 1 s); after `login_lock_after` the account locks for `login_lock_minutes`.
    login_slowdown_after: int = 3
    login_lock_after: int = 10
    login_lock_minutes: int = 15
    max_body_bytes: int = 64 * 1024 * 1024
    # Tender documents stream into storage; their routes take bodies up to this size.
    max_document_bytes: int = 200 * 1024 * 1024
    # The largest sealed bid (envelope bytes, all parts together).
    max_bid_bytes: int = 2 * 1024 * 1024 * 1024
    # How long public data that changes rarely (the latest audit checkpoint) is served from
    # each process's memory; 0 reads the database every time.
    public_cache_seconds: int = 5
    checkpoint_interval_seconds: int = 300
    sweep_interval_seconds: int = 60
    # How often a standby process tries for the scheduler lease (and the holder heartbeats).
    scheduler_poll_seconds: int = 5
    # Run the scheduler in this process (it still competes for the single-scheduler lease).
    scheduler_enabled: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    # OCDS open data (docs/open-data.md). The ocid prefix must be the one the Open Contracting
    # Partnership registered for this publisher ("ocds-" + 6 characters); the default is a
    # placeholder for development and tests, never to be published.
    ocds_prefix: str = "ocds-hkggzy"
    ocds_publisher: str = "公共资源交易中心"
    # The change feed holds back changes younger than this, so a reader never skips a late commit.
    feed_watermark_seconds: int = 5
    # The longest date range one OCDS release-package export may cover.
    ocds_export_max_days: int = 31
    # Expert invitations (docs/expert-draw.md §7): minutes a drawn expert has to answer (never past
    # the evaluation's start); the draw's sitting window (0: off) and monthly draw limit (0: off).
    invitation_answer_minutes: int = 60
    expert_sitting_window_days: int = 90
    expert_max_draws_per_month: int = 8
    # The outbox's email adapter (docs/operations.md, "Notification outbox"); no host: email waits.
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_from: str = ""
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = False
    # Reverse proxies (addresses or CIDR blocks, comma-separated) whose X-Forwarded-For is
    # believed when recording where a bid came from; empty: the peer's address is the client's.
    trusted_proxies: str = ""
    # Expert ratings (docs/expert-draw.md, "Ratings"): the purchaser and the supervisors rate each
    # expert within this many working days after the evaluation (local practice); an average
    # below `expert_rating_review_below` over at least `expert_rating_min_count` ratings flags the expert.
    expert_rating_working_days: int = 2
    expert_rating_review_below: int = 60
    expert_rating_min_count: int = 3
    # Mall price control (docs/mall.md): a price more than this ratio above the e-commerce
    # average waits for an operator; monitoring flags a change above the jump ratio and a
    # price above the category median times the median ratio.
    mall_reference_ratio: float = 1.10
    mall_price_jump_ratio: float = 1.5
    mall_category_median_ratio: float = 2.0
    # Mall orders (docs/mall.md, "Orders"): an order at or above the direct-purchase threshold
    # (yuan) needs a mini-competition; per-region thresholds and the categories that must be
    # bought through the mall as JSON ({"460100": {"direct_threshold": 100000, "mall_categories":
    # ["A02"]}}); days a supplier has to confirm; the fewest quotes a competition needs.
    mall_direct_threshold: int = 200000
    mall_region_rules: str = ""
    # Below this (yuan) a purchase in a region's mall categories is bought through the mall, never
    # tendered (docs/tenders.md, "Mall-only categories"); a region's "tender_threshold" in the JSON
    # above overrides it. The platform's placeholder, not a legal figure: set each region's own.
    mall_tender_threshold: int = 2000000
    mall_confirm_days: int = 2
    mall_competition_min_quotes: int = 3
    # Returns after acceptance (docs/mall.md, "Returns"): asked for until this many Beijing days
    # after the acceptance date; a supplier's answer is due within the answer days, else the
    # scheduler agrees.
    mall_return_days: int = 7
    mall_return_answer_days: int = 2
    # The committee's working time from the start of an evaluation, and the one extension granted
    # when more than a third of the members ask for it (docs/evaluation.md, "On the platform").
    evaluation_hours: int = 8
    evaluation_extension_hours: int = 4

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'procurement.db').resolve()}"

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or str((self.data_dir / "objects").resolve())

    @property
    def resolved_keys_dir(self) -> Path:
        return Path(self.keys_dir) if self.keys_dir else self.data_dir / "keys"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = environ.get(ENV_PREFIX + f.name.upper())
            if raw is None:
                continue
            values[f.name] = _parse(f.name, f.type, raw)
        return cls(**values)  # type: ignore[arg-type]


def _parse(name: str, type_name: object, raw: str) -> object:
    kind = str(type_name)
    try:
        if kind == "bool":
            lowered = raw.strip().lower()
            if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError("expected true or false")
            return lowered in {"1", "true", "yes", "on"}
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
        if kind == "Path":
            return Path(raw)
    except ValueError as exc:
        raise ValueError(f"{ENV_PREFIX}{name.upper()}: {exc}") from exc
    return raw


def documented_variables() -> list[tuple[str, str]]:
    """(variable, default) for every setting, for the README and `procurement --help`."""
    defaults = Settings()
    return [(ENV_PREFIX + f.name.upper(), str(getattr(defaults, f.name))) for f in fields(Settings)]



"""The scheduler's part in supervision: each tender's risk checks, once per stage, after the data arrives."""

from __future__ import annotations

from procurement.scheduler.framework import Recheck
from procurement.supervision import service

RISK_RECHECK = Recheck(kind="risk", due=service.pending, run=service.run_subject)

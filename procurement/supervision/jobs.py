"""The scheduler's part in supervision: each tender's risk checks once per stage, and the mall's per order, after the data arrives."""

from __future__ import annotations

from procurement.scheduler.framework import Recheck
from procurement.supervision import mall_checks, service

RISK_RECHECK = Recheck(kind="risk", due=service.pending, run=service.run_subject)
MALL_RISK_RECHECK = Recheck(kind=mall_checks.KIND, due=mall_checks.pending, run=mall_checks.run_subject)

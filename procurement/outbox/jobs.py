"""The delivery job: a round over every due message, whenever the first of them comes due.

A drain rather than a keyed recheck: sending must happen outside the scheduler's transaction,
and the round's claims (service.deliver_due) keep two rounds from taking the same message.
The sweep runs a round too, which is how messages that came due while nobody held the
scheduler, or whose round died, go out.
"""

from __future__ import annotations

from procurement.outbox import service
from procurement.scheduler.framework import Drain

OUTBOX_DELIVERY = Drain(kind="outbox-delivery", due=service.due, run=service.deliver_due)

"""Imports every table module, so ``SQLModel.metadata`` knows the whole schema.

Alembic and the models-versus-migrations test load this; add each new models module here.
"""

from sqlmodel import SQLModel

from bidding import models as bid_models
from bidding import opening_key_models as bid_opening_key_models  # noqa: F401 - registers its tables
from bidding import security_models as bid_security_models
from bidding.award import models as award_models  # noqa: F401 - registers its tables
from bidding.evaluation import models as evaluation_models  # noqa: F401 - registers its tables
from expert_pool import draw_models as expert_draw_models  # noqa: F401 - registers its tables
from expert_pool import invitation_models as expert_invitation_models  # noqa: F401 - registers its tables
from expert_pool import models as expert_models  # noqa: F401 - registers its tables
from expert_pool import rating_models as expert_rating_models  # noqa: F401 - registers its tables
from procurement.audit import models as audit_models
from procurement.credit import models as credit_models
from procurement.identity import models as identity_models
from procurement.mall import models as mall_models  # noqa: F401 - registers its tables
from procurement.mall import order_models as mall_order_models  # noqa: F401 - registers its tables
from procurement.outbox import models as outbox_models  # noqa: F401 - registers its tables
from procurement.scheduler import models as scheduler_models
from procurement.supervision import models as supervision_models
from procurement.tenders import document_models as tender_document_models
from procurement.tenders import models as tender_models
from procurement.tenders import release_models as tender_release_models

metadata = SQLModel.metadata

__all__ = ["audit_models", "bid_models", "bid_security_models", "credit_models", "identity_models", "metadata", "scheduler_models", "supervision_models", "tender_document_models", "tender_models", "tender_release_models"]

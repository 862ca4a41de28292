"""Award tables: each lot's candidates and their publicity, objections, the award, letters, the contract.

``AwardLot`` is the lot's state after the evaluation (publicised → awarded → contract_signed;
awarded → refused → awarded again when the winner refuses to sign) with the facts that drive
the scheduler (publicity end, the government decision limit, contract due) and the statistics
hooks (budget, award amount, savings in fen; the discount rate as an exact decimal). The lot
holds the current award only; a refused award lives on in its ``AwardRefusal`` row.
Money is whole fen, as everywhere else in the database.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from procurement.models_base import timestamp


class LotState(StrEnum):
    publicised = "publicised"  # candidates publicised (中标候选人公示)
    awarded = "awarded"  # winner confirmed, result notice and letters out
    contract_signed = "contract_signed"
    refused = "refused"  # the winner refused to sign: the next candidate is awarded, or the lot fails
    failed = "failed"  # failed after the publicity began (e.g. an objection upheld): the lot is tendered again


class AwardLot(SQLModel, table=True):
    __tablename__ = "award_lot"
    __table_args__ = (UniqueConstraint("tender_id", "lot_number", name="uq_award_lot"),)

    id: int | None = Field(default=None, primary_key=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    lot_number: int
    state: str = Field(max_length=16, index=True)
    # The evaluation's hand-over (bidding.award.handover.EvaluatedLot).
    evaluation_id: int
    report_digest: str = Field(max_length=64)
    reported_at: datetime = timestamp()
    committee_names: str = Field(sa_column=Column(Text, nullable=False))  # JSON list, published for government procurement
    received_at: datetime = timestamp()
    # The candidates publicity: its notice, when it must be out by, when it may end.
    publicity_notice_id: int = Field(foreign_key="tender_notice.id")
    publish_by: datetime = timestamp()
    publicity_ends_at: datetime | None = timestamp(nullable=True)  # None: the law sets no minimum (government)
    publicity_ended_at: datetime | None = timestamp(nullable=True)  # when the scheduler marked the end
    decide_by: datetime | None = timestamp(nullable=True)  # government: the purchaser decides within 5 working days
    decision_overdue_at: datetime | None = timestamp(nullable=True)  # when the scheduler flagged the decision late
    # 1 for the first award; each award after a refusal is the next round (its letters are new ones).
    award_round: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    # The award.
    winner_candidate_id: int | None = Field(default=None)
    choice_reason: str = Field(default="", max_length=1000)  # why not the first candidate
    awarded_at: datetime | None = timestamp(nullable=True, index=True)
    awarded_by: int | None = Field(default=None, foreign_key="user_account.id")
    result_notice_id: int | None = Field(default=None, foreign_key="tender_notice.id")
    # Statistics hooks, fixed at the award.
    budget_fen: int = Field(sa_type=BigInteger)
    award_amount_fen: int | None = Field(default=None, sa_type=BigInteger)
    savings_fen: int | None = Field(default=None, sa_type=BigInteger)  # budget - award amount
    discount_rate: Decimal | None = Field(default=None, sa_type=Numeric(9, 6))  # savings / budget
    # The contract.
    contract_due_at: datetime | None = timestamp(nullable=True)  # 30 days after the award notice
    contract_overdue_at: datetime | None = timestamp(nullable=True)  # when the scheduler flagged it
    contract_signed_on: date | None = Field(default=None)
    contract_recorded_at: datetime | None = timestamp(nullable=True)
    contract_recorded_by: int | None = Field(default=None, foreign_key="user_account.id")
    contract_name: str = Field(default="", max_length=200)
    contract_content_type: str = Field(default="", max_length=100)
    contract_object_key: str | None = Field(default=None, max_length=300)
    contract_sha256: str = Field(default="", max_length=64)
    contract_size: int | None = Field(default=None, sa_type=BigInteger)
    contract_notice_id: int | None = Field(default=None, foreign_key="tender_notice.id")
    # When the scheduler must look at this lot next (publicity end, contract due); None: never.
    next_check: datetime | None = timestamp(nullable=True, index=True)


class AwardCandidate(SQLModel, table=True):
    """A ranked candidate (≤ 3 per lot), as the evaluation recommended it."""

    __tablename__ = "award_candidate"
    __table_args__ = (UniqueConstraint("award_lot_id", "rank", name="uq_award_candidate_rank"),)

    id: int | None = Field(default=None, primary_key=True)
    award_lot_id: int = Field(foreign_key="award_lot.id", index=True)
    rank: int
    bid_id: int = Field(foreign_key="bid.id")
    organisation_id: int = Field(foreign_key="organisation.id")
    price_fen: int = Field(sa_type=BigInteger)
    total: str | None = Field(default=None, max_length=32)  # the comprehensive score as the evaluation stated it


class ObjectionState(StrEnum):
    open = "open"  # the award waits for its answer
    answered = "answered"


class Standing(StrEnum):
    """Why an organisation may object to a lot's candidates (bidding.award.service.standing_of)."""

    bidder = "bidder"  # its bid stood at the deadline
    obtained_documents = "obtained_documents"  # it obtained the tender documents (a potential bidder)
    interested_party = "interested_party"  # works: another interested party (其他利害关系人), stating its interest


class AwardObjection(SQLModel, table=True):
    """An objection (异议) to the candidates, filed during the publicity, and its answer."""

    __tablename__ = "award_objection"

    id: int | None = Field(default=None, primary_key=True)
    award_lot_id: int = Field(foreign_key="award_lot.id", index=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    lot_number: int
    organisation_id: int = Field(foreign_key="organisation.id")
    standing: str = Field(default=Standing.bidder, max_length=24, sa_column_kwargs={"server_default": Standing.bidder.value})
    interest: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))  # an interested party's stated interest
    filed_by: int = Field(foreign_key="user_account.id")
    filed_at: datetime = timestamp()
    text: str = Field(sa_column=Column(Text, nullable=False))
    answer_due_at: datetime = timestamp()
    state: str = Field(max_length=16)
    answer: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    answered_at: datetime | None = timestamp(nullable=True)
    answered_by: int | None = Field(default=None, foreign_key="user_account.id")


class LetterKind(StrEnum):
    award = "award"  # 中标通知书, to the winner
    result = "result"  # 中标结果通知书, to every other bidder of the lot


class AwardLetter(SQLModel, table=True):
    """A letter the platform signed: canonical JSON content and its Ed25519 signature (base64).

    One per recipient and award round: an award after a refusal sends every bidder a new letter.
    """

    __tablename__ = "award_letter"
    __table_args__ = (UniqueConstraint("award_lot_id", "award_round", "organisation_id", name="uq_award_letter_recipient"),)

    id: int | None = Field(default=None, primary_key=True)
    award_lot_id: int = Field(foreign_key="award_lot.id", index=True)
    award_round: int = Field(default=1, sa_column_kwargs={"server_default": "1"})
    tender_id: int = Field(foreign_key="tender.id", index=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    kind: str = Field(max_length=16)
    content: str = Field(sa_column=Column(Text, nullable=False))
    content_sha256: str = Field(max_length=64)
    signature: str = Field(max_length=100)
    key_id: str = Field(max_length=16)
    issued_at: datetime = timestamp()


class RefusalReason(StrEnum):
    """Why the winner does not sign (招标投标法实施条例 第五十五条, 第七十四条; 政府采购法实施条例 第四十九条)."""

    declined = "declined"  # 放弃中标
    force_majeure = "force_majeure"  # 因不可抗力不能履行合同: a due reason, the security is not forfeited
    no_performance_security = "no_performance_security"  # 不按照招标文件要求提交履约保证金
    not_signed = "not_signed"  # did not sign within the limit (the scheduler flagged the contract overdue)


class AwardRefusal(SQLModel, table=True):
    """An award the winner refused, recorded by the purchaser: who, why, the evidence, the forfeiture.

    Keeps what the lot held for that award (its time, result notice, contract due time), since
    the lot itself goes on to the next candidate or fails.
    """

    __tablename__ = "award_refusal"
    __table_args__ = (UniqueConstraint("award_lot_id", "award_round", name="uq_award_refusal_round"),)

    id: int | None = Field(default=None, primary_key=True)
    award_lot_id: int = Field(foreign_key="award_lot.id", index=True)
    tender_id: int = Field(foreign_key="tender.id", index=True)
    lot_number: int
    award_round: int
    candidate_id: int = Field(foreign_key="award_candidate.id")
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    reason: str = Field(max_length=32)
    evidence: str = Field(sa_column=Column(Text, nullable=False))
    recorded_by: int = Field(foreign_key="user_account.id")
    recorded_at: datetime = timestamp()
    awarded_at: datetime = timestamp()
    result_notice_id: int = Field(foreign_key="tender_notice.id")
    contract_due_at: datetime = timestamp()
    contract_overdue_at: datetime | None = timestamp(nullable=True)
    forfeit_article: str = Field(default="", max_length=100)  # empty: the security is not forfeited (a due reason)

"""Winner refusing to sign, government decision deadline

The winner's refusal (award_refusal), award rounds on the lot and its letters (a letter per
recipient and round), the government decision's overdue flag, who objected and why they may
(award_objection.standing, interest), and the bid security's forfeiture.

Revision ID: 0029_award_refusal
Revises: 0028_mall_returns
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0029_award_refusal"
down_revision: str | None = "0028_mall_returns"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # batch_alter_table: SQLite rebuilds the table where it cannot alter it; PostgreSQL alters in place.
    with op.batch_alter_table("award_lot", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_overdue_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("award_round", sa.Integer(), server_default="1", nullable=False))
    # Government lots publicised before this revision wait for no check: the scheduler now looks
    # at their decision limit.
    op.execute(
        "UPDATE award_lot SET next_check = decide_by "
        "WHERE state = 'publicised' AND decide_by IS NOT NULL AND (next_check IS NULL OR next_check > decide_by)"
    )

    with op.batch_alter_table("award_objection", schema=None) as batch_op:
        batch_op.add_column(sa.Column("standing", sqlmodel.sql.sqltypes.AutoString(length=24), server_default="bidder", nullable=False))
        batch_op.add_column(sa.Column("interest", sa.Text(), server_default="", nullable=False))

    with op.batch_alter_table("award_letter", schema=None) as batch_op:
        batch_op.add_column(sa.Column("award_round", sa.Integer(), server_default="1", nullable=False))
        batch_op.drop_constraint("uq_award_letter_recipient", type_="unique")
        batch_op.create_unique_constraint("uq_award_letter_recipient", ["award_lot_id", "award_round", "organisation_id"])

    op.create_table(
        "award_refusal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("award_lot_id", sa.Integer(), nullable=False),
        sa.Column("tender_id", sa.Integer(), nullable=False),
        sa.Column("lot_number", sa.Integer(), nullable=False),
        sa.Column("award_round", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("awarded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result_notice_id", sa.Integer(), nullable=False),
        sa.Column("contract_due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contract_overdue_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("forfeit_article", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.ForeignKeyConstraint(["award_lot_id"], ["award_lot.id"], name=op.f("fk_award_refusal_award_lot_id_award_lot")),
        sa.ForeignKeyConstraint(["candidate_id"], ["award_candidate.id"], name=op.f("fk_award_refusal_candidate_id_award_candidate")),
        sa.ForeignKeyConstraint(["organisation_id"], ["organisation.id"], name=op.f("fk_award_refusal_organisation_id_organisation")),
        sa.ForeignKeyConstraint(["recorded_by"], ["user_account.id"], name=op.f("fk_award_refusal_recorded_by_user_account")),
        sa.ForeignKeyConstraint(["result_notice_id"], ["tender_notice.id"], name=op.f("fk_award_refusal_result_notice_id_tender_notice")),
        sa.ForeignKeyConstraint(["tender_id"], ["tender.id"], name=op.f("fk_award_refusal_tender_id_tender")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_refusal")),
        sa.UniqueConstraint("award_lot_id", "award_round", name="uq_award_refusal_round"),
    )
    with op.batch_alter_table("award_refusal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_award_refusal_award_lot_id"), ["award_lot_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_award_refusal_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_award_refusal_tender_id"), ["tender_id"], unique=False)

    with op.batch_alter_table("bid_security", schema=None) as batch_op:
        batch_op.add_column(sa.Column("award_refused_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("forfeited_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("forfeit_article", sqlmodel.sql.sqltypes.AutoString(length=100), server_default="", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("bid_security", schema=None) as batch_op:
        batch_op.drop_column("forfeit_article")
        batch_op.drop_column("forfeited_at")
        batch_op.drop_column("award_refused_at")

    with op.batch_alter_table("award_refusal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_award_refusal_tender_id"))
        batch_op.drop_index(batch_op.f("ix_award_refusal_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_award_refusal_award_lot_id"))
    op.drop_table("award_refusal")

    # Letters of later rounds cannot keep the one-letter-per-recipient key: they go with the rounds.
    op.execute("DELETE FROM award_letter WHERE award_round > 1")
    with op.batch_alter_table("award_letter", schema=None) as batch_op:
        batch_op.drop_constraint("uq_award_letter_recipient", type_="unique")
        batch_op.create_unique_constraint("uq_award_letter_recipient", ["award_lot_id", "organisation_id"])
        batch_op.drop_column("award_round")

    with op.batch_alter_table("award_objection", schema=None) as batch_op:
        batch_op.drop_column("interest")
        batch_op.drop_column("standing")

    with op.batch_alter_table("award_lot", schema=None) as batch_op:
        batch_op.drop_column("award_round")
        batch_op.drop_column("decision_overdue_at")

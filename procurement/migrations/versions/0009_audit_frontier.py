"""Audit head keeps the Merkle frontier

Signing a checkpoint used to read every entry hash to compute the root; with the frontier
(the perfect subtree roots, largest first) kept on the head row, appending updates it in
O(log n) and a checkpoint costs the same at any size. The frontier of an existing log is
computed here once, streaming the entries in order.

Revision ID: 0009_audit_frontier
Revises: 0008_search_perf
"""

import hashlib
import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_audit_frontier"
down_revision: str | None = "0008_search_perf"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def _frontier(entry_hashes) -> list[str]:
    # The same accumulation as procurement.audit.chain.MerkleAccumulator, written out so that
    # this migration keeps working whatever later becomes of that module.
    stack: list[bytes] = []
    size = 0
    for entry_hash in entry_hashes:
        node = hashlib.sha256(b"\x00" + bytes.fromhex(entry_hash)).digest()
        n = size
        while n & 1:
            node = hashlib.sha256(b"\x01" + stack.pop() + node).digest()
            n >>= 1
        stack.append(node)
        size += 1
    return [node.hex() for node in stack]


def upgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.add_column(sa.Column("frontier", sa.Text(), server_default="[]", nullable=False))
    bind = op.get_bind()
    # Streamed (server-side cursor where there is one): a log of millions of entries never sits in memory.
    rows = bind.execute(sa.text("SELECT entry_hash FROM audit_entry ORDER BY seq").execution_options(yield_per=10_000))
    frontier = _frontier(row[0] for row in rows)
    rows.close()
    bind.execute(sa.text("UPDATE audit_head SET frontier = :frontier WHERE id = 1").bindparams(frontier=json.dumps(frontier)))


def downgrade() -> None:
    with op.batch_alter_table("audit_head", schema=None) as batch_op:
        batch_op.drop_column("frontier")

"""Every kind of tampering with the stored log is found, and named at the right entry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from procurement.audit import chain
from tests.audit.conftest import fill_log, verify_database


async def test_an_untouched_log_verifies(platform) -> None:
    await fill_log(platform, 12, checkpoint_every=5)
    assert verify_database(platform) is None


async def test_the_database_itself_refuses_updates_and_deletes(platform) -> None:
    await fill_log(platform, 2)
    for statement in ("UPDATE audit_entry SET action = 'x' WHERE seq = 1", "DELETE FROM audit_entry WHERE seq = 1"):
        with pytest.raises(DBAPIError, match="append-only"):
            async with platform.db.transaction() as session:
                await session.execute(text(statement))
    assert verify_database(platform) is None


async def test_an_edited_field_is_found(platform, tamperer) -> None:
    await fill_log(platform, 6, checkpoint_every=3)
    tamperer.execute("UPDATE audit_entry SET actor_name = 'someone-else' WHERE seq = 4")
    problem = verify_database(platform)
    assert problem is not None and problem.seq == 4
    assert "entry hash" in problem.message


async def test_edited_details_are_found(platform, tamperer) -> None:
    await fill_log(platform, 6)
    tamperer.execute("UPDATE audit_entry SET details = :d WHERE seq = 2", d='{"n":999}')
    problem = verify_database(platform)
    assert problem is not None and problem.seq == 2
    assert "change digest" in problem.message


async def test_a_rewritten_entry_with_recomputed_hash_breaks_the_next_link(platform, tamperer) -> None:
    await fill_log(platform, 6)
    forged = tamperer.row(3)
    forged["action"] = "identity.nothing_happened"
    new_hash = chain.entry_hash(forged)
    tamperer.execute("UPDATE audit_entry SET action = :a, entry_hash = :h WHERE seq = 3", a=forged["action"], h=new_hash)
    problem = verify_database(platform)
    assert problem is not None and problem.seq == 4
    assert "previous-hash link" in problem.message


async def test_a_whole_rewritten_tail_is_caught_by_the_signed_checkpoint(platform, tamperer) -> None:
    """An insider who recomputes every hash after the edit still cannot sign a new root."""
    await fill_log(platform, 8, checkpoint_every=8)
    prev = tamperer.row(4)["prev_hash"]
    for seq in range(4, 9):
        row = tamperer.row(seq)
        row["prev_hash"] = prev
        if seq == 4:
            row["subject_id"] = "999"
        row["entry_hash"] = chain.entry_hash(row)
        tamperer.execute(
            "UPDATE audit_entry SET subject_id = :s, prev_hash = :p, entry_hash = :h WHERE seq = :q",
            s=row["subject_id"], p=row["prev_hash"], h=row["entry_hash"], q=seq,
        )
        prev = row["entry_hash"]
    tamperer.execute("UPDATE audit_head SET entry_hash = :h", h=prev)
    problem = verify_database(platform)
    assert problem is not None and problem.seq == 8
    assert "signed checkpoint" in problem.message


async def test_a_deleted_entry_is_found(platform, tamperer) -> None:
    await fill_log(platform, 6)
    tamperer.execute("DELETE FROM audit_entry WHERE seq = 3")
    problem = verify_database(platform)
    assert problem is not None and problem.seq == 4
    assert "expected sequence 3" in problem.message


async def test_deleting_the_newest_entries_is_found(platform, tamperer) -> None:
    await fill_log(platform, 6, checkpoint_every=6)
    tamperer.execute("DELETE FROM audit_entry WHERE seq > 4")
    tamperer.execute("UPDATE audit_head SET seq = 4, entry_hash = :h", h=tamperer.row(4)["entry_hash"])
    problem = verify_database(platform)
    assert problem is not None
    assert "checkpoint covers 6 entries but the log has 4" in problem.message


async def test_deleting_unsigned_newest_entries_is_found_through_the_head(platform, tamperer) -> None:
    await fill_log(platform, 6)
    tamperer.execute("DELETE FROM audit_entry WHERE seq > 4")
    problem = verify_database(platform)
    assert problem is not None and "log head says 6 entries" in problem.message


async def test_an_inserted_entry_is_found(platform, tamperer) -> None:
    await fill_log(platform, 5)
    # Make room at 3 by moving 3..5 up one, then slip in a forged entry.
    for seq in (5, 4, 3):
        tamperer.execute("UPDATE audit_entry SET seq = :n WHERE seq = :o", n=seq + 1, o=seq)
    forged = tamperer.row(4)
    forged.update(seq=3, action="identity.forged", entry_hash="")
    forged["prev_hash"] = tamperer.row(2)["entry_hash"]
    forged["entry_hash"] = chain.entry_hash(forged)
    columns = ", ".join(forged)
    tamperer.execute(f"INSERT INTO audit_entry ({columns}) VALUES ({', '.join(':' + c for c in forged)})", **forged)
    problem = verify_database(platform)
    assert problem is not None and problem.seq == 4


async def test_reordered_entries_are_found(platform, tamperer) -> None:
    await fill_log(platform, 5)
    tamperer.execute("UPDATE audit_entry SET seq = 100 WHERE seq = 2")
    tamperer.execute("UPDATE audit_entry SET seq = 2 WHERE seq = 3")
    tamperer.execute("UPDATE audit_entry SET seq = 3 WHERE seq = 100")
    problem = verify_database(platform)
    assert problem is not None and problem.seq == 2


async def test_a_forged_checkpoint_signature_is_found(platform, tamperer, clock) -> None:
    await fill_log(platform, 4, checkpoint_every=4)
    clock.advance(timedelta(minutes=1))
    tamperer.execute("UPDATE audit_checkpoint SET root_hash = :r", r="00" * 32)
    problem = verify_database(platform)
    assert problem is not None and "bad signature" in problem.message

"""Checkpoints and proofs from the API verify offline with the public key alone."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from procurement.audit import chain
from procurement.audit import service as audit
from procurement.identity.models import Role
from procurement.keys import load_public_key_pem
from tests.audit.conftest import fill_log
from tests.conftest import bearer


async def _sign(platform) -> None:
    async with platform.db.transaction() as session:
        await audit.sign_checkpoint(session, platform.clock, platform.keys)


async def test_checkpoint_and_inclusion_proof_verify_offline(client, platform) -> None:
    assert (await client.get("/api/audit/checkpoints/latest")).status_code == 404
    await fill_log(platform, 11)
    await _sign(platform)
    pem = (await client.get("/api/audit/public-key")).json()["pem"]
    public: Ed25519PublicKey = load_public_key_pem(pem)
    cp = (await client.get("/api/audit/checkpoints/latest")).json()
    assert cp["tree_size"] == 11
    public.verify(base64.b64decode(cp["signature"]), cp["signed_text"].encode())
    assert cp["signed_text"].splitlines()[2] == base64.b64encode(bytes.fromhex(cp["root_hash"])).decode()
    for seq in (1, 6, 11):
        proof = (await client.get("/api/audit/proofs/inclusion", params={"seq": seq})).json()
        leaf = bytes.fromhex(proof["leaf_hash"])
        path = [bytes.fromhex(p) for p in proof["path"]]
        assert chain.verify_inclusion(seq - 1, 11, leaf, path, bytes.fromhex(cp["root_hash"]))
        assert not chain.verify_inclusion(seq % 11, 11, leaf, path, bytes.fromhex(cp["root_hash"]))
    outside = await client.get("/api/audit/proofs/inclusion", params={"seq": 12})
    assert outside.status_code == 422
    assert outside.json()["errors"][0]["field"] == "query.seq"


async def test_consistency_between_checkpoints(client, platform) -> None:
    await fill_log(platform, 5)
    await _sign(platform)
    old = (await client.get("/api/audit/checkpoints/latest")).json()
    await fill_log(platform, 8)
    await _sign(platform)
    new = (await client.get("/api/audit/checkpoints/latest")).json()
    proof = (await client.get("/api/audit/proofs/consistency", params={"old_size": 5, "new_size": 13})).json()
    assert chain.verify_consistency(
        5, 13, bytes.fromhex(old["root_hash"]), bytes.fromhex(new["root_hash"]), [bytes.fromhex(p) for p in proof["path"]]
    )
    unknown = await client.get("/api/audit/proofs/consistency", params={"old_size": 4, "new_size": 13})
    assert unknown.status_code == 404


async def test_supervisors_search_the_log_and_others_cannot(client, users, platform) -> None:
    supervisor = await users.make(Role.supervisor)
    supplier = await users.make(Role.supplier)
    await fill_log(platform, 3)
    headers = await bearer(client, supervisor)
    page = (await client.get("/api/audit/entries", params={"action": "identity.", "limit": 2}, headers=headers)).json()
    # users.make created 2 organisations and 2 users, and the supervisor logged in: 5 identity entries.
    assert page["total"] == 5
    assert [e["action"] for e in page["entries"]] == ["identity.login", "identity.user_created"]
    older = (
        await client.get(
            "/api/audit/entries", params={"action": "identity.", "limit": 2, "before_seq": page["next_before_seq"]}, headers=headers
        )
    ).json()
    assert older["entries"][0]["seq"] < page["entries"][-1]["seq"]
    one = (await client.get(f"/api/audit/entries/{page['entries'][0]['seq']}", headers=headers)).json()
    assert one["actor_name"] == supervisor.username
    assert (await client.get("/api/audit/entries", headers=await bearer(client, supplier))).status_code == 403
    assert (await client.get("/api/audit/entries")).status_code == 401


async def test_the_latest_checkpoint_is_served_from_memory_for_a_few_seconds(settings, clock, platform) -> None:
    from litestar.testing import AsyncTestClient

    from procurement.app import create_app

    await fill_log(platform, 3)
    await _sign(platform)
    app = create_app(settings.with_overrides(public_cache_seconds=60), clock=clock, run_scheduler=False)
    async with AsyncTestClient(app=app) as cached:
        first = await cached.get("/api/audit/checkpoints/latest")
        assert first.headers["cache-control"] == "public, max-age=60"
        await fill_log(platform, 2)
        await _sign(platform)
        # Within the minute this process still answers from memory; a reader that must have
        # the newest asks with a tree size (the proof routes always read the database).
        assert (await cached.get("/api/audit/checkpoints/latest")).json()["tree_size"] == 3
        proof = await cached.get("/api/audit/proofs/inclusion", params={"seq": 5, "tree_size": 5})
        assert proof.status_code == 200

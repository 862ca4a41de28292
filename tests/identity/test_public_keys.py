"""Users register the public halves of their sealed-bid keys; private keys never reach us."""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from procurement.identity.models import Role
from tests.conftest import bearer


def _raw(public) -> str:  # noqa: ANN001
    return base64.b64encode(public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()


async def test_register_list_and_revoke_keys(client, users) -> None:
    bidder = await users.make(Role.supplier)
    headers = await bearer(client, bidder)
    x = await client.post("/api/me/keys", headers=headers, json={"algorithm": "x25519", "public_key": _raw(X25519PrivateKey.generate().public_key()), "label": "投标密钥"})
    e = await client.post("/api/me/keys", headers=headers, json={"algorithm": "ed25519", "public_key": _raw(Ed25519PrivateKey.generate().public_key())})
    assert x.status_code == e.status_code == 201
    listed = (await client.get("/api/me/keys", headers=headers)).json()
    assert [k["algorithm"] for k in listed] == ["x25519", "ed25519"]
    again = await client.post("/api/me/keys", headers=headers, json={"algorithm": "x25519", "public_key": x.json()["public_key"]})
    assert again.status_code == 409
    revoked = await client.delete(f"/api/me/keys/{x.json()['id']}", headers=headers)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    # Another user cannot revoke it, and learns nothing about it.
    other = await bearer(client, await users.make(Role.supplier))
    assert (await client.delete(f"/api/me/keys/{e.json()['id']}", headers=other)).status_code == 404


async def test_malformed_keys_are_refused_with_the_field_named(client, users) -> None:
    headers = await bearer(client, await users.make(Role.supplier))
    short = base64.b64encode(b"\x01" * 31 + b"\x02" * 2).decode()
    response = await client.post("/api/me/keys", headers=headers, json={"algorithm": "x25519", "public_key": short})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "body.public_key", "message": "an x25519 public key has 32 bytes, this one has 33"}]
    not_b64 = await client.post("/api/me/keys", headers=headers, json={"algorithm": "ed25519", "public_key": "!" * 44})
    assert not_b64.status_code == 422
    assert (await client.get("/api/me/keys", headers=headers)).json() == []

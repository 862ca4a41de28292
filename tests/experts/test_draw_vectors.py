"""Test vectors: the canonical bytes and digests of fixed pools and draws, pinned.

Stored draws must verify for ever, so any change to how a snapshot, a request or an outcome is
encoded (or to what a draw picks) must fail here. The values were recorded from the library as
it was before the draw was made faster (issue 5); never update them to make a change pass.
"""

from __future__ import annotations

from datetime import date

from expert_pool.draw import (
    DateRange,
    Employment,
    ExpertStatus,
    PoolSnapshot,
    Sitting,
    draw,
    run_draw,
    seed_commitment,
    verify,
)
from expert_pool.draw.encoding import sha256_hex
from expert_pool.draw.synthetic import realistic_request, synthetic_pool
from tests.experts.draw_testlib import (
    BIDDER_A,
    OTHER_ORG,
    PURCHASER,
    SEED,
    expert,
    pool,
    request,
)


def fixed_experts() -> list:  # type: ignore[type-arg]
    """Every field of a row used, set-like fields given out of order, a non-ASCII id."""
    return [
        expert("E10", "cost", "civil", region="460106", employers=(
            Employment(OTHER_ORG), Employment(BIDDER_A, date(2019, 3, 1), date(2023, 6, 16)), Employment(BIDDER_A, None, date(2010, 1, 1))),
            shareholdings=frozenset({"91460100MA5T100009", BIDDER_A}), relative_organisations=frozenset({"91460100MA5T100008"}),
            unavailable=(DateRange(date(2026, 7, 1), date(2026, 7, 3)), DateRange(date(2026, 6, 14), date(2026, 6, 15))),
            sittings=(Sitting(PURCHASER, date(2026, 5, 1)), Sitting(OTHER_ORG, date(2026, 1, 2)), Sitting(PURCHASER, date(2025, 12, 1))),
            draws_this_month=2, supervised_tenders=frozenset({"T2", "T1"})),
        expert("E9", "civil", status=ExpertStatus.suspended, qualification_expires=None),
        expert("专家-3", "cost", status=ExpertStatus.dismissed, qualification_expires=date(2026, 6, 14)),
    ]


FIXED_BYTES = (
    '["expert-pool-snapshot/v1",[["E10",["civil","cost"],"460106","active","2028-12-31",'
    '[["91460100MA5T100001",null,"2010-01-01"],["91460100MA5T100001","2019-03-01","2023-06-16"],["91460100MA5T900001",null,null]],'
    '["91460100MA5T100001","91460100MA5T100009"],["91460100MA5T100008"],[["2026-06-14","2026-06-15"],["2026-07-01","2026-07-03"]],'
    '[["91460100MA5T000001","2025-12-01"],["91460100MA5T000001","2026-05-01"],["91460100MA5T900001","2026-01-02"]],2,["T1","T2"]],'
    '["E9",["civil"],"460105","suspended",null,[],[],[],[],[],0,[]],'
    '["专家-3",["cost"],"460105","dismissed","2026-06-14",[],[],[],[],[],0,[]]]]'
).encode()
FIXED_DIGEST = "f0ca4650c4def3bbbc21c0cf7a063803e29e96801abc446b2f4c44dd0d962f7b"
# SHA-256 of the canonical bytes: the small pool with the fixed experts, and the synthetic pool of 3,000.
SMALL_SNAPSHOT = "adeba16c73f741672183e46697cff90af3b2fa84162588b5f7a1398edb382713"
SMALL_REQUEST = "559759a2a9dc4016cb61fe9ed576ad9c21d4b53d9b5c0fc2d4300863cd1e94b6"
SMALL_OUTCOME = "889a2548fa51f41b4a478f04d666427a4583bce0afc2f1202fd6f250a4f197ba"
SMALL_SUPPLEMENTED = "7e510492239e760d88ca4531ba87de8848d5c2a7d1ff37604fb8cc5e71bde1ad"
SYNTHETIC_SNAPSHOT = "aedbd4f516010ea99ad33c4ff856a66fda67e3644607cbc2b06d19483ddd1dc1"
SYNTHETIC_OUTCOME = "953fa4e09fecc36b1dc5cb15c702538965771a53d8fd1ec8d89d318c695b7969"
SYNTHETIC_SUPPLEMENTED = "5188b2a486b5b8513d579d0f6b99edf6106c835dccceb66875595ce3fee8123b"


def test_a_fixed_pool_encodes_to_the_pinned_bytes_in_any_order() -> None:
    experts = fixed_experts()
    for order in (experts, experts[::-1]):
        snapshot = PoolSnapshot.of(order)
        assert snapshot.canonical_bytes() == FIXED_BYTES
        assert snapshot.digest == FIXED_DIGEST == sha256_hex(FIXED_BYTES)
    reread = PoolSnapshot.from_canonical_bytes(FIXED_BYTES)
    assert reread == PoolSnapshot.of(experts) and reread.canonical_bytes() == FIXED_BYTES


def test_a_draw_over_a_small_pool_gives_the_pinned_outcome() -> None:
    snapshot = PoolSnapshot.of([*pool(20, 10, 3).experts, *fixed_experts()])
    req = request(tender_id="T1")
    outcome = draw(snapshot, req, SEED)
    assert (snapshot.digest, req.digest, outcome.seed_commitment) == (SMALL_SNAPSHOT, SMALL_REQUEST, seed_commitment(SEED))
    assert [x.encoded() for x in outcome.exclusions] == [
        ["E10", [["employer_bidder", BIDDER_A], ["shareholding_bidder", BIDDER_A], ["unavailable", "2026-06-14 to 2026-06-15"],
                 ["recent_sitting", "2026-05-01"], ["project_supervisor", ""]]],
        ["E9", [["suspended", "suspended"]]],
        ["专家-3", [["suspended", "dismissed"], ["qualification_expired", "2026-06-14"]]],
    ]
    assert sha256_hex(outcome.canonical_bytes()) == SMALL_OUTCOME
    # Two cost seats given up: the reserve, then a second round of the seed chain.
    declines = []
    for _ in range(2):
        declines.append(next(d.expert_id for d in outcome.seats if d.specialty == "cost"))
        outcome = run_draw(snapshot, req, SEED, declines)
    assert outcome.rounds == 2
    assert sha256_hex(outcome.canonical_bytes()) == SMALL_SUPPLEMENTED
    assert verify(PoolSnapshot.from_canonical_bytes(snapshot.canonical_bytes()), req, SEED, outcome.encoded()).ok


def test_a_draw_over_the_synthetic_pool_gives_the_pinned_outcome() -> None:
    snapshot, req = PoolSnapshot.of(synthetic_pool(3000)), realistic_request()
    assert snapshot.digest == SYNTHETIC_SNAPSHOT
    outcome = draw(snapshot, req, SEED)
    assert sha256_hex(outcome.canonical_bytes()) == SYNTHETIC_OUTCOME
    # Three seats of one specialty given up: two reserves, then a second round.
    specialty, declines = req.seats[0][0], []
    for _ in range(3):
        declines.append(next(d.expert_id for d in outcome.seats if d.specialty == specialty))
        outcome = run_draw(snapshot, req, SEED, declines)
    assert outcome.rounds == 2
    assert sha256_hex(outcome.canonical_bytes()) == SYNTHETIC_SUPPLEMENTED

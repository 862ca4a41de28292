"""The evaluation pages: the organiser's progress page and start form, the committee's room, the report page.

The forms go through the same service as the API; what the pages add is who sees which form,
and refusals shown at their field with what was typed kept.
"""

from __future__ import annotations

import re

from procurement.identity.models import Role
from tests.bidding.evaluation_testlib import (
    check_all,
    evaluation_day,
    score_all,
    sign_all,
    sign_in_all,
    submit_all,
)
from tests.conftest import bearer

FORM = re.compile(r'<form[^>]*action="(/evaluations/[^"#]+)')


def _error(html: str, field: str) -> str:
    """The text of a field's error line, or "" when it is hidden or absent."""
    found = re.search(rf'<p class="field-error" id="{field}-error"( hidden)?>.*?<span class="message">(.*?)</span>', html, re.DOTALL)
    return "" if found is None or found.group(1) else found.group(2)


def _count(html: str, name: str) -> list[str]:
    """The numbers of one of the progress page's counts: [done, of]."""
    return re.findall(r"\d+", re.search(rf'data-count="{name}">(.*?)</dd>', html).group(1))


async def test_the_organiser_starts_the_evaluation_and_follows_it_to_the_signed_report(client, users, platform, clock) -> None:
    day = await evaluation_day(client, users, platform, clock, experts=4, representatives=1)
    tender_id, owner = day.tender.id, day.tender.owner
    progress = f"/tenders/{tender_id}/evaluation"

    # Before the start: the draw's day, the start form, no names.
    before = await client.get(progress, headers=owner)
    assert before.status_code == 200 and f'action="/tenders/{tender_id}/evaluation/start"' in before.text
    assert day.experts[0].user.username not in before.text and "lot-1-representatives" in before.text
    for headers in (day.bidders[0].headers, day.operator):
        assert (await client.get(progress, headers=headers)).status_code == 403
    assert (await client.get(progress, headers=day.experts[0].headers)).status_code == 403  # not started: nothing of theirs yet
    assert (await client.post(f"{progress}/start", headers=day.experts[0].headers, data={"lot": "1"})).status_code == 403

    # The representative is missing: the form comes back with the error at the fieldset.
    missing = await client.post(f"{progress}/start", headers=owner, data={"lot": "1"}, follow_redirects=False)
    assert missing.status_code == 400 and 'id="lot-1-representatives-error"' in missing.text
    representative = day.representatives[0].user.user_id
    started = await client.post(f"{progress}/start", headers=owner, data={"lot": "1", "representatives": [str(representative)]},
                                follow_redirects=False)
    assert started.status_code == 303 and started.headers["location"] == f"{progress}?done=started#lot-1"
    shown = await client.get(progress, headers=owner)
    assert _count(shown.text, "signed-in") == ["0", "5"] and _count(shown.text, "signed") == ["0", "5"]
    evaluation_id = int(re.search(r'href="/evaluations/(\d+)"', shown.text).group(1))
    room = f"/evaluations/{evaluation_id}"
    supervisor_view = await client.get(progress, headers=day.supervisor)
    assert supervisor_view.status_code == 200 and room in supervisor_view.text
    member_view = await client.get(progress, headers=day.experts[0].headers)
    assert member_view.status_code == 200 and room in member_view.text and "/start" not in member_view.text

    # The room: a member signs in first; the bids and prices show only then.
    member = day.experts[0]
    first = await client.get(room, headers=member.headers)
    assert first.status_code == 200 and f'action="{room}/sign-in"' in first.text and "1,180,000.00" not in first.text
    signed_in = await client.post(f"{room}/sign-in", headers=member.headers, follow_redirects=False)
    assert signed_in.status_code == 303 and signed_in.headers["location"] == f"{room}?done=signed_in#bids"
    inside = await client.get(room, headers=member.headers)
    assert "1,180,000.00" in inside.text and "1,210,000.00" in inside.text
    bid = day.bid_ids[0]
    assert {f"{room}/checks/{bid}", f"{room}/sheets/{bid}", f"{room}/submission", f"{room}/extension-requests"} <= set(FORM.findall(inside.text))

    # Refusals at their field, with what was typed kept.
    no_reason = await client.post(f"{room}/checks/{bid}", headers=member.headers, data={"passed": "no", "reason": " "}, follow_redirects=False)
    assert no_reason.status_code == 400 and _error(no_reason.text, f"bid-{bid}-reason")
    no_choice = await client.post(f"{room}/checks/{bid}", headers=member.headers, data={}, follow_redirects=False)
    assert no_choice.status_code == 400 and _error(no_choice.text, f"bid-{bid}-passed")
    too_many = await client.post(f"{room}/sheets/{bid}", headers=member.headers,
                                 data={"points-technical": "45", "points-commercial": "8.5"}, follow_redirects=False)
    assert too_many.status_code == 400 and "40" in _error(too_many.text, f"bid-{bid}-points-technical")
    assert 'value="45"' in too_many.text and not _error(too_many.text, f"bid-{bid}-points-commercial")
    three_places = await client.post(f"{room}/sheets/{bid}", headers=member.headers,
                                     data={"points-technical": "30.125", "points-commercial": "8"}, follow_redirects=False)
    assert three_places.status_code == 400 and _error(three_places.text, f"bid-{bid}-points-technical")
    unconfirmed = await client.post(f"{room}/submission", headers=member.headers, data={}, follow_redirects=False)
    assert unconfirmed.status_code == 400 and _error(unconfirmed.text, "confirm")

    # Others may not use a member's forms; bidders and operators see nothing.
    for headers in (owner, day.supervisor):
        assert (await client.post(f"{room}/checks/{bid}", headers=headers, data={"passed": "yes"})).status_code == 403
    for headers in (day.bidders[0].headers, day.operator):
        assert (await client.get(room, headers=headers)).status_code == 403
    outsider = await bearer(client, await users.make(Role.expert))
    assert (await client.get(room, headers=outsider)).status_code == 403
    assert (await client.post(f"{room}/sign-in", headers=outsider)).status_code == 403

    # The member checks and scores every bid through the page, then submits with the confirmation.
    for n, bid_id in enumerate(day.bid_ids):
        saved = await client.post(f"{room}/checks/{bid_id}", headers=member.headers, data={"passed": "yes"}, follow_redirects=False)
        assert saved.status_code == 303 and saved.headers["location"] == f"{room}?done=checked#bid-{bid_id}"
        scored = await client.post(f"{room}/sheets/{bid_id}", headers=member.headers,
                                   data={"points-technical": f"{30 + n}.50", "points-commercial": "7"}, follow_redirects=False)
        assert scored.status_code == 303, scored.text
    mine = await client.get(room, headers=member.headers)
    assert 'value="30.50"' in mine.text and f'id="bid-{bid}-total" aria-live="polite">37.50<' in mine.text
    # The validity is not settled until every member has checked: submitting waits.
    early = await client.post(f"{room}/submission", headers=member.headers, data={"confirm": "yes"}, follow_redirects=False)
    assert early.status_code == 409 and "error-summary" in early.text

    others = [m for m in day.members if m is not member]
    await sign_in_all(client, day, evaluation_id)
    await check_all(client, day, evaluation_id, members=others)
    await score_all(client, day, evaluation_id, members=others)
    submitted = await client.post(f"{room}/submission", headers=member.headers, data={"confirm": "yes"}, follow_redirects=False)
    assert submitted.status_code == 303
    frozen = await client.get(room, headers=member.headers)
    assert f'action="{room}/submission/reopen"' in frozen.text and f'action="{room}/checks/{bid}' not in frozen.text
    # The organiser sees no scores before every member submitted.
    assert "30.50" not in (await client.get(room, headers=owner)).text
    await submit_all(client, day, evaluation_id, members=others)

    # Everyone submitted: the result with the ranking; a member draws up the report from the room.
    result = await client.get(room, headers=member.headers)
    assert 'id="result"' in result.text and f'action="{room}/report"' in result.text
    assert 'id="result"' in (await client.get(room, headers=owner)).text
    assert (await client.post(f"{room}/report", headers=owner)).status_code == 403
    drawn = await client.post(f"{room}/report", headers=member.headers, follow_redirects=False)
    assert drawn.status_code == 303 and drawn.headers["location"] == f"{room}/report?done=reported"
    report_page = await client.get(f"{room}/report", headers=member.headers)
    digest = (await client.get(f"/api/evaluations/{evaluation_id}/report", headers=member.headers)).json()["report_sha256"]
    assert digest in report_page.text and 'id="sign-form"' in report_page.text and f'data-digest="{digest}"' in report_page.text
    organiser_report = await client.get(f"{room}/report", headers=owner)
    assert organiser_report.status_code == 200 and 'id="sign-form"' not in organiser_report.text
    assert (await client.get(f"{room}/report", headers=day.bidders[0].headers)).status_code == 403

    await sign_all(client, day, evaluation_id, dissent={1: "对第二名的技术评分有保留意见。"})
    signed = await client.get(f"{room}/report", headers=member.headers)
    assert 'id="sign-form"' not in signed.text and "对第二名的技术评分有保留意见。" in signed.text
    after = await client.get(progress, headers=owner)
    assert f'href="/api/evaluations/{evaluation_id}/report/pdf"' in after.text and f'href="/tenders/{tender_id}/award"' in after.text
    assert _count(after.text, "signed") == ["5", "5"]
    names = [m["name"] for m in (await client.get(f"/api/evaluations/{evaluation_id}", headers=owner)).json()["members"]]
    assert all(name in after.text for name in names)  # the names, once started

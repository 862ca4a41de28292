"""Experts for the pool tests: valid IDs and codes, a CSV in the documented columns."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from expert_pool.national_id import make_national_id
from procurement.identity.uscc import make_uscc

HEADER = ("name,national_id,employer_uscc,title,years,region,phone,status,suspension_reason,suspended_until,qualification_expires,"
          "username,specialties,relationships,unavailable")
EMPLOYER = make_uscc("91460100MA5T00001")
OTHER_ORG = make_uscc("91460100MA5T00002")


def person(n: int) -> str:
    """A valid citizen ID: Haikou, born 1 January 1970+n."""
    return make_national_id(f"460100{1970 + n}0101{n:03d}")


def row(n: int, **cells: str) -> str:
    values = {
        "name": f"专家{n}", "national_id": person(n), "employer_uscc": EMPLOYER, "title": "高级工程师", "years": "12", "region": "460100",
        "phone": f"1380000{n:04d}", "status": "active", "suspension_reason": "", "suspended_until": "", "qualification_expires": "2029-12-31",
        "username": "", "specialties": "A01.02", "relationships": f"employer|{OTHER_ORG}|2010-01-01|2015-06-30", "unavailable": "",
    } | cells
    return ",".join(values[c] for c in HEADER.split(","))


def csv_of(*rows: str) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode()


async def add_specialties(client: AsyncTestClient, headers: dict[str, str]) -> None:
    for code, name in (("A01", "建筑工程"), ("A01.02", "房屋建筑工程施工"), ("B03", "医疗设备")):
        response = await client.post("/api/experts/specialties", headers=headers, json={"code": code, "name": name})
        assert response.status_code == 201, response.text

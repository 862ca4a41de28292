"""Demo data: one organisation per kind and one user per role, for a first look.

Idempotent: what exists is left alone. Passwords are random on the first run and kept in
``<data dir>/demo-credentials.txt`` (owner-only), so later runs can print them again.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from procurement.identity import schemas, service
from procurement.identity.models import OrganisationKind, Role
from procurement.identity.uscc import make_uscc
from procurement.platform import Platform


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    roles: tuple[Role, ...]


@dataclass(frozen=True)
class DemoOrganisation:
    uscc17: str  # the check character is computed
    name: str
    kind: OrganisationKind
    users: tuple[DemoUser, ...]


# Region 460100 is Haikou. The leading characters follow GB 32100-2015 (registration
# authority and organisation category): 11 = government body, 12 = public institution,
# 91 = enterprise.
DEMO_ORGANISATIONS = (
    DemoOrganisation("12460100MB0000001", "海口市公共资源交易中心", OrganisationKind.operator, (
        DemoUser("operator", "交易中心工作人员", (Role.operator,)),
        DemoUser("admin", "平台管理员", (Role.admin, Role.operator)),
    )),
    DemoOrganisation("11460100MB0000002", "海口市财政局政府采购监督管理科", OrganisationKind.supervisor_body, (
        DemoUser("supervisor", "监督人员", (Role.supervisor,)),
    )),
    DemoOrganisation("12460100MB0000003", "海口市人民医院", OrganisationKind.purchaser, (
        DemoUser("purchaser", "采购人经办人", (Role.purchaser,)),
    )),
    DemoOrganisation("91460100MA5T00004", "海南示例招标代理有限公司", OrganisationKind.agency, (
        DemoUser("agency", "代理机构项目经理", (Role.agency,)),
    )),
    DemoOrganisation("91460100MA5T00005", "海南示例建设工程有限公司", OrganisationKind.supplier, (
        DemoUser("supplier", "投标人经办人", (Role.supplier, Role.admin)),
    )),
    DemoOrganisation("12460000MB0000006", "海南大学", OrganisationKind.expert_employer, (
        DemoUser("expert", "评标专家", (Role.expert,)),
    )),
)

CREDENTIALS_FILE = "demo-credentials.txt"


def _demo_password() -> str:
    # Letters and digits, with the classes the password rule asks for.
    return "Demo-" + secrets.token_urlsafe(9)


def _read_credentials(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    pairs = (line.split("\t", 1) for line in path.read_text().splitlines() if "\t" in line)
    return {name: password for name, password in pairs}


def _write_credentials(path: Path, credentials: dict[str, str]) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.writelines(f"{name}\t{password}\n" for name, password in credentials.items())
    os.replace(tmp, path)


async def load_demo(platform: Platform) -> list[tuple[str, str, str]]:
    """Create what is missing; return (username, password, roles) for every demo user."""
    path = platform.settings.data_dir / CREDENTIALS_FILE
    credentials = _read_credentials(path)
    async with platform.db.transaction() as session:
        for spec in DEMO_ORGANISATIONS:
            uscc = make_uscc(spec.uscc17)
            org = await service.find_organisation(session, uscc)
            if org is None:
                org = await service.system_create_organisation(
                    session, platform, schemas.OrganisationCreate(uscc=uscc, name=spec.name, kind=spec.kind, region="460100"), via="demo"
                )
            existing = {u.username for u in await service.list_organisation_users(session, org.id)}  # type: ignore[arg-type]
            for user in spec.users:
                if user.username in existing:
                    continue
                password = credentials.get(user.username) or _demo_password()
                await service.system_create_user(
                    session, platform, org,
                    schemas.UserCreate(username=user.username, display_name=user.display_name, password=password, roles=list(user.roles)),
                    via="demo",
                )
                credentials[user.username] = password
    _write_credentials(path, credentials)
    return [
        (user.username, credentials.get(user.username, "(set before this file existed)"), ", ".join(user.roles))
        for spec in DEMO_ORGANISATIONS
        for user in spec.users
    ]

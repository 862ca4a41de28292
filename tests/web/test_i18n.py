"""The Chinese catalogue covers every message the code can show, and gettext uses it.

The extraction is the one in ``scripts/i18n.py`` (``extract``/``check``): templates, Python
calls, the labels and titles only the syntax tree shows, and the listed extra ids. A new
``_()`` string, error message or navigation label without a translation fails here.
"""

from __future__ import annotations

import contextvars
import importlib.util
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType

import pytest

from procurement import i18n

ROOT = Path(__file__).resolve().parents[2]


def _load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script() -> ModuleType:
    return _load_script()


@pytest.fixture
def speak() -> Iterator[Callable[[str], None]]:
    """Set the language for the rest of the test, as the middleware does for a request."""
    tokens: list[contextvars.Token[str]] = []

    def set_language(language: str) -> None:
        tokens.append(i18n.language_var.set(language))

    yield set_language
    for token in reversed(tokens):
        i18n.language_var.reset(token)


def test_every_message_has_a_chinese_translation_with_the_same_placeholders(script: ModuleType) -> None:
    problems = script.problems("zh")
    assert not problems, "run `python scripts/i18n.py extract`, then translate:\n" + "\n".join(problems)


def test_english_names_every_computed_id(script: ModuleType) -> None:
    problems = script.problems("en")
    assert not problems, "run `python scripts/i18n.py extract`, then translate:\n" + "\n".join(problems)


def test_extraction_sees_every_kind_of_source(script: ModuleType) -> None:
    found = script.extract_messages()
    expected = {
        "Skip to main content": "templates/base.html",  # a template's _()
        "Logged in as %(name)s": "templates/base.html",  # with a parameter
        "user name or password is wrong": "procurement/identity/sessions.py",  # LoginFailed(...)
        "is not your current password": "procurement/identity/service.py",  # InvalidInput.for_field(field, template)
        "must be at least %(n)s characters": "procurement/identity/passwords.py",  # PasswordProblem(...)
        "this needs one of the roles: %(roles)s": "procurement/web/guards.py",  # Forbidden(...)
        "Audit log": "procurement/web/pages.py",  # a NAVIGATION label
        "Request body too large": "procurement/web/problems.py",  # _HTTP_TITLES
        "Too many attempts": "procurement/errors.py",  # a DomainError subclass's title
        "Login failed": "procurement/identity/sessions.py",  # ... defined outside errors.py
        "role:supervisor": "scripts/i18n.py",  # a computed id
    }
    for msgid, source in expected.items():
        assert msgid in found, f"{msgid!r} was not extracted"
        assert source in {f for f, _ in found[msgid].locations}, f"{msgid!r} not found in {source}: {found[msgid].locations}"


def test_a_new_untranslated_message_fails_the_check(script: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    templates = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", templates)
    (templates / "new.html").write_text('<p>{{ _("A sentence nobody has translated") }}</p>\n', encoding="utf-8")
    package = tmp_path / "newpkg"
    package.mkdir()
    (package / "rules.py").write_text(
        "from procurement.errors import Conflict, InvalidInput\n"
        "class Clash(Conflict):\n    title = 'A brand new title'\n"
        "def f():\n"
        "    raise InvalidInput.for_field('body.x', 'an untranslated field rule %(n)s', n=1)\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(script, "TEMPLATES_DIR", templates)
    monkeypatch.setattr(script, "PYTHON_DIRS", [*script.PYTHON_DIRS, package])
    monkeypatch.setattr(script, "_relative", lambda path: path.as_posix())
    problems = "\n".join(script.problems("zh"))
    assert "A sentence nobody has translated" in problems
    assert "an untranslated field rule %(n)s" in problems
    assert "A brand new title" in problems


def test_mismatched_placeholders_fail_the_check(script: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    po = script.po_path("zh").read_text(encoding="utf-8")
    broken = po.replace('msgstr "当前用户：%(name)s"', 'msgstr "当前用户：%(user)s"')
    assert broken != po
    target = tmp_path / "zh" / "LC_MESSAGES" / "messages.po"
    target.parent.mkdir(parents=True)
    target.write_text(broken, encoding="utf-8")
    monkeypatch.setattr(script, "LOCALE_DIR", tmp_path)
    problems = script.problems("zh")
    assert any("placeholders differ" in p and "Logged in as" in p for p in problems), problems


def test_gettext_speaks_the_requests_language(speak: Callable[[str], None]) -> None:
    speak("zh")
    assert i18n.gettext("Audit log") == "审计日志"
    assert i18n.gettext("Logged in as %(name)s", name="zhang") == "当前用户：zhang"
    assert i18n.gettext("role:agency") == "招标代理机构"
    assert i18n.gettext("must be at least %(n)s characters", n=10) == "长度不能少于 10 个字符"
    speak("en")
    assert i18n.gettext("Audit log") == "Audit log"
    assert i18n.gettext("Logged in as %(name)s", name="zhang") == "Logged in as zhang"
    assert i18n.gettext("role:agency") == "Procurement agency"


def test_messages_filled_in_elsewhere_are_matched_back_to_their_templates(speak: Callable[[str], None]) -> None:
    speak("zh")
    # pydantic's own messages, and the USCC validator's f-strings
    assert i18n.gettext("String should have at least 3 characters") == "至少需要 3 个字符"
    assert i18n.gettext("String should have at least 1 character") == "至少需要 1 个字符"
    assert i18n.gettext("String should have at most 200 characters") == "不能超过 200 个字符"
    check_character = "the check character is wrong (GB 32100-2015): expected 3, found 4"
    assert i18n.gettext(check_character) == "校验码错误（GB 32100-2015）：应为 3，实为 4"
    assert i18n.gettext("a unified social credit code has 18 characters, this one has 3") == "统一社会信用代码应为 18 位，当前为 3 位"
    # an exact entry wins over the general template
    assert i18n.gettext("String should match pattern '^[A-Za-z0-9_.-]+$'") == "只能使用英文字母、数字及 . _ -"
    # a bare "%(field)s: %(message)s" does not swallow other text
    assert i18n.gettext("something: unknown") == "something: unknown"
    assert i18n.gettext("Not a message we know") == "Not a message we know"
    speak("en")
    assert i18n.gettext("String should have at least 3 characters") == "String should have at least 3 characters"


def test_every_role_has_a_label(script: ModuleType) -> None:
    from procurement.identity.models import Role

    assert set(script.ROLES) == {r.value for r in Role}
    chinese, english = i18n.catalogue("zh"), i18n.catalogue("en")
    names = {"投标人/供应商", "采购人", "招标代理机构", "评标专家", "监督人员", "交易中心工作人员", "管理员"}
    assert {chinese[f"role:{r.value}"] for r in Role} == names
    assert all(english[f"role:{r.value}"] and not english[f"role:{r.value}"].startswith("role:") for r in Role)

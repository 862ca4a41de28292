#!/usr/bin/env python
"""Keep the message catalogues in step with the code.

    python scripts/i18n.py extract   # messages -> procurement/locale/messages.pot, merged into zh and en
    python scripts/i18n.py check     # exit 1 listing untranslated, fuzzy or mismatched messages

Messages come from
  * templates: ``_()``/``gettext``/``ngettext`` with jinja2's Babel extractor;
  * Python: ``_``, ``gettext``, ``ngettext``, ``N_`` and the error constructors
    (``for_field``'s 2nd argument, the first of ``DomainError`` and its kin, ``PasswordProblem``);
  * Python that extraction cannot see, read from the syntax tree: the navigation labels in
    ``procurement/web/pages.py``, the problem titles ``_HTTP_TITLES`` and every
    ``title = "..."`` of a ``DomainError`` subclass;
  * ``EXTRA_MESSAGES`` below: ids computed at run time (``_("role:" ~ role)``) and messages
    that arrive already filled in (pydantic's, the USCC validator's), written as templates
    so that ``procurement.i18n.gettext`` can match them.

``extract`` keeps existing translations; new messages get an empty translation, and
messages gone from the code are dropped. Chinese translates everything; English, the
language of the message ids, only the ids that are not English sentences (``role:supplier``
-> "Supplier / bidder", Litestar's "Not Found", pydantic's messages quoting a pattern).
``check`` also holds each translation to its message's ``%(name)s`` placeholders.
"""

from __future__ import annotations

import ast
import io
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES_DIR = ROOT / "templates"
PYTHON_DIRS = [ROOT / "procurement", ROOT / "bidding", ROOT / "expert_pool"]
SKIP_PYTHON = {ROOT / "procurement" / "migrations"}
LOCALE_DIR = ROOT / "procurement" / "locale"
POT_PATH = LOCALE_DIR / "messages.pot"
LANGUAGES = ("zh", "en")
# Message ids are English, so English needs only the ids that are not English sentences:
# the computed ones, the HTTP status phrases Litestar uses as details ("Not Found") and
# the pydantic messages that quote a regular expression.
SOURCE_LANGUAGE = "en"
COMPUTED_PREFIXES = ("role:",)

TEMPLATE_KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
ERROR_CONSTRUCTORS = (
    "DomainError", "InvalidInput", "NotAuthenticated", "Forbidden", "NotFound", "Conflict",
    "TooManyAttempts", "AccountLocked", "LoginFailed", "PasswordProblem", "NoProcedure",
)
PYTHON_KEYWORDS: dict[str, object] = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "N_": None,
    "for_field": (2,),
    "Violation": (2,),  # Violation(field, template, params, article)
    # The expert draw library (pure, so no N_): its refusals reach users through the service.
    "_invalid": (3,),  # _invalid(rule, field, template, ...)
    "InsufficientExperts": (2,),  # DrawError(rule, template, ...)
    **{name: None for name in ERROR_CONSTRUCTORS},
}
COMMENT_TAGS = ("Translators:",)
PLACEHOLDER = re.compile(r"%\((\w+)\)[sdifr]")  # as procurement.i18n.PLACEHOLDER
HEADER = """\
# {what} of the procurement platform's messages (message ids are English).
# Kept up to date by `python scripts/i18n.py extract`; translate the empty msgstr entries.
#"""

ROLES = ("supplier", "purchaser", "agency", "expert", "supervisor", "operator", "admin")
USERNAME_PATTERN = "String should match pattern '^[A-Za-z0-9_.-]+$'"
EMAIL_PATTERN = "String should match pattern '^$|^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$'"
HTTP_PHRASES = tuple(HTTPStatus(status).phrase for status in (400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503))

USCC = "procurement/identity/uscc.py, which fills its messages in itself"

# (message id, note for translators)
EXTRA_MESSAGES: list[tuple[str, str]] = [
    *((f"role:{role}", f"The name of the role {role!r}, shown as _('role:' ~ role) in templates") for role in ROLES),
    ("%(field)s: %(message)s", "procurement/errors.py InvalidInput.for_field: a field path and its message"),
    ("Error", "procurement/web/problems.py: the title of an HTTP status without its own title"),
    # procurement/identity/uscc.py formats its messages itself (f-strings); gettext matches these templates.
    ("a unified social credit code has 18 characters, this one has %(length)s", USCC),
    ("characters %(characters)s are not allowed (GB 32100-2015 leaves out I, O, Z, S, V)", USCC),
    ("characters 3 to 8 must be the 6-digit administrative division code", USCC),
    ("the check character is wrong (GB 32100-2015): expected %(expected)s, found %(found)s", USCC),
    # pydantic's messages for the forms' fields, as pydantic fills them in.
    ("Field required", "pydantic"),
    ("String should have at least %(min_length)s character", "pydantic (singular: 1 character)"),
    ("String should have at least %(min_length)s characters", "pydantic"),
    ("String should have at most %(max_length)s character", "pydantic (singular: 1 character)"),
    ("String should have at most %(max_length)s characters", "pydantic"),
    ("String should match pattern '%(pattern)s'", "pydantic"),
    (USERNAME_PATTERN, "pydantic, the user name's pattern (procurement/identity/schemas.py)"),
    (EMAIL_PATTERN, "pydantic, the e-mail pattern (procurement/identity/schemas.py)"),
    ("Input should be a valid string", "pydantic"),
    ("Input should be a valid integer, unable to parse string as an integer", "pydantic"),
    ("Input should be a valid boolean", "pydantic"),
    ("Extra inputs are not permitted", "pydantic"),
    ("Input should be %(expected)s", "pydantic (enumerations)"),
    # msgspec's messages for query parameters (Litestar validates them with msgspec).
    ("Expected `%(expected)s`, got `%(actual)s`", "msgspec, a query parameter of the wrong type"),
    ("Invalid RFC3339 encoded datetime", "msgspec, a query parameter that is not a date and time"),
    # Litestar's own errors (404 and 405 from the router...) carry the status phrase as their detail.
    *((phrase, "Litestar's detail for its own errors, shown under the title") for phrase in HTTP_PHRASES),
]


@dataclass
class Found:
    msgid: str | tuple[str, ...]
    locations: list[tuple[str, int]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)


def _relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _python_files() -> Iterator[Path]:
    for base in PYTHON_DIRS:
        for path in sorted(base.rglob("*.py")):
            if not any(skip in path.parents for skip in SKIP_PYTHON):
                yield path


def _from_templates() -> Iterator[tuple[str | tuple[str, ...], str, int, list[str]]]:
    options = {"extensions": "jinja2.ext.i18n", "trim_blocks": "true", "lstrip_blocks": "true", "silent": "false"}
    for path in sorted(TEMPLATES_DIR.rglob("*.html")):
        with path.open("rb") as handle:
            for lineno, message, comments, _context in extract(
                "jinja2.ext:babel_extract", handle, TEMPLATE_KEYWORDS, COMMENT_TAGS, options, strip_comment_tags=True
            ):
                yield message, _relative(path), lineno, comments


def _from_python_calls() -> Iterator[tuple[str | tuple[str, ...], str, int, list[str]]]:
    for path in _python_files():
        with path.open("rb") as handle:
            for lineno, message, comments, _context in extract(
                "python", handle, PYTHON_KEYWORDS, COMMENT_TAGS, {}, strip_comment_tags=True  # type: ignore[arg-type]
            ):
                yield message, _relative(path), lineno, comments


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _from_python_tree() -> Iterator[tuple[str, str, int, list[str]]]:
    """Navigation labels, HTTP problem titles and DomainError titles: plain strings to extraction."""
    trees = {path: ast.parse(path.read_text(encoding="utf-8"), str(path)) for path in _python_files()}
    # Every class that descends from DomainError, wherever it is defined (by base-class name).
    error_classes = {"DomainError"}
    classes = [(path, node) for path, tree in trees.items() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)]
    grew = True
    while grew:
        grew = False
        for _path, node in classes:
            bases = {b.id if isinstance(b, ast.Name) else b.attr if isinstance(b, ast.Attribute) else "" for b in node.bases}
            if node.name not in error_classes and bases & error_classes:
                error_classes.add(node.name)
                grew = True
    for path, node in classes:
        if node.name not in error_classes:
            continue
        for statement in node.body:
            if isinstance(statement, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "title" for t in statement.targets):
                text = _string(statement.value)
                if text:
                    yield text, _relative(path), statement.lineno, [f"the title of the error {node.name}"]
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Assign, ast.AnnAssign)):
                continue
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if "NAVIGATION" in names and isinstance(node.value, ast.List):
                for item in node.value.elts:
                    if isinstance(item, ast.Tuple) and len(item.elts) >= 2 and (label := _string(item.elts[1])):
                        yield label, _relative(path), item.lineno, ["a navigation label"]
            if "_HTTP_TITLES" in names and isinstance(node.value, ast.Dict):
                for value in node.value.values:
                    if text := _string(value):
                        yield text, _relative(path), value.lineno, ["the title of an HTTP error"]


def extract_messages() -> dict[str | tuple[str, ...], Found]:
    """Every message id the code can show, with where it is used."""
    found: dict[str | tuple[str, ...], Found] = {}

    def add(items: Iterable[tuple[str | tuple[str, ...], str, int, list[str]]]) -> None:
        for message, filename, lineno, comments in items:
            if isinstance(message, tuple):
                if not message or not all(message):
                    continue
                msgid: str | tuple[str, ...] = message if len(message) > 1 else message[0]
            else:
                msgid = message
            if not msgid:
                continue
            entry = found.setdefault(msgid, Found(msgid))
            entry.locations.append((filename, lineno))
            entry.comments.extend(c for c in comments if c not in entry.comments)

    add(_from_templates())
    add(_from_python_calls())
    add(_from_python_tree())
    add((msgid, "scripts/i18n.py", 0, [note]) for msgid, note in EXTRA_MESSAGES)
    return found


def needs_translation(language: str, msgid: str | tuple[str, ...], titles: frozenset[str] = frozenset()) -> bool:
    """Whether a language must translate this id (``titles``: ids the code uses as they are)."""
    if language != SOURCE_LANGUAGE:
        return True
    if not isinstance(msgid, str):
        return False
    return (
        msgid.startswith(COMPUTED_PREFIXES)
        or msgid in (USERNAME_PATTERN, EMAIL_PATTERN)
        or (msgid in HTTP_PHRASES and msgid not in titles)
    )


def _used_in_code(found: dict[str | tuple[str, ...], Found]) -> frozenset[str]:
    """Ids the code uses itself (as well as, perhaps, being listed here): "Forbidden" is a title too."""
    return frozenset(m for m, entry in found.items() if isinstance(m, str) and any(f != "scripts/i18n.py" for f, _ in entry.locations))


def build_template(language: str | None = None, found: dict[str | tuple[str, ...], Found] | None = None) -> Catalog:
    """Every message (the .pot), or those one language needs."""
    template = Catalog(
        project="procurement", version="0.1.0", charset="utf-8", fuzzy=False, header_comment=HEADER.format(what="Template")
    )
    found = found if found is not None else extract_messages()
    titles = _used_in_code(found)
    for entry in found.values():
        if language is not None and not needs_translation(language, entry.msgid, titles):
            continue
        template.add(
            entry.msgid,  # type: ignore[arg-type]
            locations=[(f, n) for f, n in entry.locations if n] or [(f, 0) for f, _ in entry.locations[:1]],
            auto_comments=entry.comments,
        )
    return template


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / "messages.po"


def load_po(language: str) -> Catalog | None:
    path = po_path(language)
    if not path.exists():
        return None
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def _without_dates(text: bytes) -> bytes:
    return b"\n".join(line for line in text.splitlines() if not line.startswith(b'"POT-Creation-Date:'))


def _write(catalog: Catalog, path: Path, **options: object) -> bool:
    """Write the catalogue; a file that would change only in its creation date is left alone."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, **options)  # type: ignore[arg-type]
    if path.exists() and _without_dates(path.read_bytes()) == _without_dates(buffer.getvalue()):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())
    return True


def extract_and_merge() -> dict[str, int]:
    found = extract_messages()
    _write(build_template(None, found), POT_PATH, omit_header=False)
    counts: dict[str, int] = {}
    for language in LANGUAGES:
        catalog = load_po(language)
        if catalog is None:
            catalog = Catalog(
                locale=language, project="procurement", version="0.1.0", charset="utf-8", fuzzy=False,
                header_comment=HEADER.format(what=f"{language} translations"),
            )
        catalog.update(build_template(language, found), no_fuzzy_matching=True, update_header_comment=False, update_creation_date=False)
        _write(catalog, po_path(language), ignore_obsolete=True)
        counts[language] = sum(1 for m in catalog if m.id)
    return counts


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def problems(language: str = "zh") -> list[str]:
    """What is missing from, or wrong in, one language's catalogue; empty when all is well."""
    catalog = load_po(language)
    if catalog is None:
        return [f"{po_path(language)} does not exist: run `python scripts/i18n.py extract`"]
    found: list[str] = []
    messages = extract_messages()
    titles = _used_in_code(messages)
    for msgid, entry in messages.items():
        if not needs_translation(language, msgid, titles):
            continue
        where = ", ".join(f"{f}:{n}" if n else f for f, n in entry.locations[:3])
        message = catalog.get(msgid)  # type: ignore[arg-type]
        if message is None:
            found.append(f"not in the catalogue: {msgid!r} ({where})")
            continue
        strings = list(message.string) if isinstance(message.string, (list, tuple)) else [message.string]
        if not all(strings):
            found.append(f"untranslated: {msgid!r} ({where})")
            continue
        if message.fuzzy:
            found.append(f"fuzzy: {msgid!r} ({where})")
            continue
        ids = [msgid] if isinstance(msgid, str) else list(msgid)
        for text in strings:
            if placeholders(text) != placeholders(ids[-1]) and placeholders(text) != placeholders(ids[0]):
                found.append(
                    f"placeholders differ: {msgid!r} has {placeholders(ids[0])}, the translation {text!r} has {placeholders(text)}"
                )
    return found


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    sys.path.insert(0, str(ROOT))
    if command == "extract":
        counts = extract_and_merge()
        print(f"wrote {_relative(POT_PATH)}; " + ", ".join(f"{lang}: {n} messages" for lang, n in counts.items()))
        left = {lang: problems(lang) for lang in LANGUAGES}
        for lang, items in left.items():
            if items:
                print(f"{lang}: {len(items)} to translate (see `python scripts/i18n.py check`)")
        return 0
    if command == "check":
        failed = False
        for language in LANGUAGES:
            items = problems(language)
            for item in items:
                print(f"{language}: {item}")
            failed = failed or bool(items)
        if not failed:
            print("every message is translated: " + ", ".join(LANGUAGES))
        return 1 if failed else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

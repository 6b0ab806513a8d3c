"""Page text in Simplified Chinese (default) and English, from gettext catalogs. Codes and the API stay in English.

The catalogs are ``heatcases/locale/<locale>/LC_MESSAGES/messages.po`` (``zh_Hans`` and ``en``; the template is
``heatcases/locale/messages.pot``). Their msgids are the keys the code and the templates name (``nav.home``), their
texts fill ``{name}`` placeholders with ``str.format``. The server reads the compiled ``.mo`` files, compiling a
``.po`` whose ``.mo`` is missing or older when the catalogs are first loaded (at start), so the ``.mo`` files are
not kept in git. How to add a text: README.md, "Page text (translations)".
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

log = logging.getLogger(__name__)

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"
LOCALES = {"zh": "zh_Hans", "en": "en"}  # a page language's catalog
DOMAIN = "messages"
LOCALE_DIR = Path(__file__).parent / "locale"


def catalog_path(lang: str, locale_dir: Path = LOCALE_DIR, suffix: str = ".po") -> Path:
    return locale_dir / LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


def compiled(po: Path) -> bytes:
    """The .mo of a .po: the file beside it, compiled (and written, when it can be) if missing or older."""
    mo = po.with_suffix(".mo")
    try:
        if mo.stat().st_mtime_ns >= po.stat().st_mtime_ns:
            return mo.read_bytes()
    except FileNotFoundError:
        pass
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name, domain=DOMAIN)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    data = buffer.getvalue()
    temporary = mo.with_name(f".{mo.name}.{os.getpid()}")  # another process starting too reads a whole .mo or none
    try:
        temporary.write_bytes(data)
        os.replace(temporary, mo)
        log.info("compiled %s", mo)
    except OSError as error:  # a read-only installation: the catalog compiled in memory serves
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        log.warning("could not write %s (%s); using the catalog compiled in memory", mo, error)
    return data


def load_catalogs(locale_dir: Path = LOCALE_DIR) -> dict[str, Translations]:
    """Each page language's translations; a text missing in English falls back to the Chinese one."""
    catalogs = {
        lang: Translations(BytesIO(compiled(catalog_path(lang, locale_dir))), domain=DOMAIN) for lang in LANGUAGES
    }
    for lang, translations in catalogs.items():
        if lang != DEFAULT_LANGUAGE:
            translations.add_fallback(catalogs[DEFAULT_LANGUAGE])
    return catalogs


@functools.cache
def catalogs() -> dict[str, Translations]:
    """The catalogs, loaded (and compiled if need be) once per process, then only read: safe across threads."""
    return load_catalogs()


def message_keys() -> frozenset[str]:
    """Every message key (the default language's msgids)."""
    return frozenset(key for key in catalogs()[DEFAULT_LANGUAGE]._catalog if key)  # "" is the catalog's header


def translate(key: str, lang: str, **values) -> str:
    """The message in the language (falling back to Chinese, then to the key), with {values} filled."""
    text = catalogs()["en" if lang == "en" else DEFAULT_LANGUAGE].gettext(key) if key else key
    return text.format(**values) if values else text


def pick_language(cookie_value: str | None, default: str) -> str:
    return cookie_value if cookie_value in LANGUAGES else default


def extract_catalog_keys(fileobj, keywords, comment_tags, options):
    """A `pybabel extract` method (babel.cfg) yielding the keys of the default language's catalog, its text as the
    comment: the keys the code builds (f"invalid.{field}") or only names (message_key="error.404") are found by no
    keyword, and `pybabel update` would otherwise mark them obsolete."""
    catalog = read_po(fileobj)
    for message in catalog:
        if message.id:
            text = message.string if isinstance(message.string, str) else ""
            yield message.lineno or 0, None, message.id, [text.replace("\n", "\\n")] if text else []

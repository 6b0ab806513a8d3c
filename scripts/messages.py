"""Refresh the page-text catalogs after a text is added, renamed or removed (README.md, "Page text (translations)").

    .venv/bin/python scripts/messages.py

Runs, from the project's folder, `pybabel extract` (babel.cfg) into heatcases/locale/messages.pot and
`pybabel update` of the catalogs (no fuzzy matching: the msgids are keys, and a new key is not a spelling of an
old one), then flags the texts with {placeholders} python-brace-format for translators' tools (Babel derives
that flag from the msgid only, here a key, so `update` drops it). The warnings "Skipping f-string" name the
keys the code builds (translate(f"invalid.{field}", ...)): the Chinese catalog's own keys keep those (babel.cfg).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = "heatcases/locale"
POT = f"{LOCALE}/messages.pot"
PLACEHOLDER = re.compile(r"{\w*}")
EXTRACT = [
    "extract", "-F", "babel.cfg", "-k", "t", "-k", "translate", "--no-location", "--sort-output",
    "--project=heatcases", "--copyright-holder=HEAT Case Library", "-o", POT, ".",
]  # fmt: skip
UPDATE = ["update", "-i", POT, "-d", LOCALE, "--no-fuzzy-matching", "--ignore-pot-creation-date"]


def pybabel(*args: str) -> None:
    status = CommandLineInterface().run(["pybabel", "--quiet", *args])
    if status:
        sys.exit(status)


def flag_placeholders() -> None:
    paths = sorted((ROOT / LOCALE).glob("*/LC_MESSAGES/messages.po"))
    catalogs = {}
    for path in paths:
        with path.open("rb") as source:
            catalogs[path] = read_po(source)
    formatted = {
        message.id
        for catalog in catalogs.values()
        for message in catalog
        if message.id and isinstance(message.string, str) and PLACEHOLDER.search(message.string)
    }
    for path, catalog in catalogs.items():
        for message in catalog:
            if message.id in formatted:
                message.flags.add("python-brace-format")
        with path.open("wb") as out:
            write_po(out, catalog)


if __name__ == "__main__":
    import os

    os.chdir(ROOT)
    pybabel(*EXTRACT)
    pybabel(*UPDATE)
    flag_placeholders()
    print(f"updated {POT} and the catalogs; fill in the empty msgstr of each, then start the server (it compiles)")

"""Refresh the catalogs and fill zh-Hans from tools/zh_hans.py.

    python tools/po_fill.py            # makemessages (needs GNU gettext) + fill + report missing
    python tools/po_fill.py --check    # exit 1 if any zh-Hans msgid lacks a translation

English needs no translations (the msgids are English); its catalog exists so that English is a
real choice in the language switcher.
"""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "src" / "dinghuo"
ZH_PO = PKG / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
sys.path.insert(0, str(ROOT / "tools"))

from zh import ZH  # noqa: E402


def makemessages() -> None:
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "-l", "en", "--no-obsolete", "-i", "demo/*"],
        cwd=PKG,
        check=True,
        env={"DJANGO_SETTINGS_MODULE": "dinghuo.config.settings", "PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / "src")},
    )


def fill() -> list[str]:
    with ZH_PO.open("rb") as fh:
        catalog = read_po(fh)
    missing = []
    for message in catalog:
        if not message.id:
            continue
        key = message.id if isinstance(message.id, str) else message.id[0]
        if key in ZH:
            message.string = ZH[key] if isinstance(message.id, str) else (ZH[key], ZH[key])
            message.flags.discard("fuzzy")
        elif not message.string or "fuzzy" in message.flags:
            missing.append(key)
    with ZH_PO.open("wb") as fh:
        write_po(fh, catalog, width=0)
    return missing


if __name__ == "__main__":
    if "--check" not in sys.argv:
        makemessages()
    missing = fill()
    for m in missing:
        print(f"untranslated: {m!r}")
    sys.exit(1 if missing else 0)

"""Chinese translations by area; each module defines ZH = {msgid: translation}. Merged by tools/po_fill.py."""

import importlib
import pkgutil

ZH: dict[str, str] = {}
for _info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
    ZH.update(importlib.import_module(f"{__name__}.{_info.name}").ZH)

"""Production's content security policy allows scripts from our own files only: no template may rely
on an inline event handler or a javascript: URL (they would silently do nothing)."""

import re
from pathlib import Path

import dinghuo

INLINE = re.compile(
    r"""\son[a-z]+\s*=\s*["']|javascript:|<script(?![^>]*\b(?:src=|type="application/json"))[^>]*>""", re.IGNORECASE
)


def test_no_template_uses_inline_script():
    root = Path(dinghuo.__file__).parent
    found = [
        f"{path.relative_to(root)}:{n}: {line.strip()[:120]}"
        for path in sorted(root.rglob("*.html"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if INLINE.search(line)
    ]
    assert found == []

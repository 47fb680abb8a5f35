import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.test import Client

import dinghuo

PKG = Path(dinghuo.__file__).resolve().parent
ZH_PO = PKG / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def ids(po: Path) -> set[str]:
    with po.open("rb") as fh:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(fh) if m.id}


def test_every_string_has_a_chinese_translation():
    with ZH_PO.open("rb") as fh:
        missing = [m.id for m in read_po(fh) if m.id and (not m.string or "fuzzy" in m.flags)]
    assert missing == []


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext (xgettext) is not installed")
def test_the_catalog_holds_every_translatable_string_in_the_code(tmp_path):
    # given a copy of the package, when its strings are extracted afresh
    copy = tmp_path / "dinghuo"
    shutil.copytree(PKG, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "-i", "demo/*"],
        cwd=copy,
        check=True,
        capture_output=True,
        env={
            "DJANGO_SETTINGS_MODULE": "dinghuo.config.settings",
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(PKG.parent),
        },
    )
    # then the committed catalog already had every one of them (run tools/po_fill.py when this fails)
    fresh = ids(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po")
    assert fresh - ids(ZH_PO) == set()


def test_pages_speak_chinese_by_default_and_english_on_request(db):
    assert "登录" in Client().get("/accounts/login/").content.decode()
    assert "Sign in" in Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "登录" in Client().get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9").content.decode()

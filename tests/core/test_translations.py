import re
from pathlib import Path

from django.conf import settings

PO = Path(settings.BASE_DIR, "locale", "zh_Hans", "LC_MESSAGES", "django.po")


def test_every_message_has_a_chinese_translation():
    text = PO.read_text(encoding="utf-8")
    entries = re.findall(r'^msgid "(.+)"\nmsgstr "(.*)"$', text, flags=re.MULTILINE)
    assert len(entries) > 100
    untranslated = [msgid for msgid, msgstr in entries if not msgstr]
    assert untranslated == []
    assert "#, fuzzy" not in text


def test_placeholders_survive_translation():
    text = PO.read_text(encoding="utf-8")
    for msgid, msgstr in re.findall(r'^msgid "(.+)"\nmsgstr "(.+)"$', text, flags=re.MULTILINE):
        assert sorted(re.findall(r"%\(\w+\)s", msgid)) == sorted(re.findall(r"%\(\w+\)s", msgstr)), msgid

"""No template has what the Content-Security-Policy refuses: inline scripts (other than json_script's data
blocks, which are not executed), <style> elements, style="" attributes or inline event handlers (onclick=...).

The browser tests see the pages they walk; this sees every template, including the ones no walk reaches.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]
TEMPLATES = sorted(path for folder in TEMPLATE_DIRS for path in folder.rglob("*.html"))

INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
JAVASCRIPT_URL = re.compile(r"=\s*[\"']?\s*javascript:", re.IGNORECASE)


def test_the_templates_are_found():
    assert len(TEMPLATES) > 20
    assert ROOT / "templates" / "base.html" in TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_template_has_inline_code_the_policy_refuses(template: Path):
    text = template.read_text(encoding="utf-8")
    found = [
        f"{name}: {match.group(0)[:80]!r}"
        for name, pattern in (
            ("inline script", INLINE_SCRIPT),
            ("style element", STYLE_ELEMENT),
            ("style attribute", STYLE_ATTRIBUTE),
            ("event handler", EVENT_HANDLER),
            ("javascript: URL", JAVASCRIPT_URL),
        )
        for match in pattern.finditer(text)
    ]
    assert not found, found

"""What the web app's browser tests share: Debian's Chromium under Playwright, signing in
through the development sign-in, filling the form, and for every screen a screenshot in
both languages (kept under test-artifacts/web/, ignored by git) and an axe-core check
(axe-core vendored from npm by `make web`) that finds no serious or critical violation.
"""

from __future__ import annotations

import io
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFont
from playwright.async_api import BrowserContext, Page, async_playwright, expect

from onewindow.cli.seeding import Person
from onewindow.runtime.clock import SystemClock, local_today
from onewindow.runtime.validation import build_td3

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("ONEWINDOW_CHROMIUM", "/usr/bin/chromium"))
AXE = ROOT / "web" / "vendor" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "test-artifacts" / "web"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TODAY = local_today(SystemClock())
LANGUAGES = ("en", "zh")
# Impacts that fail the check (axe-core's scale: minor, moderate, serious, critical).
FAILING = {"serious", "critical"}


def needs_chromium_and_axe() -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make browser does)")
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: make web vendors it from npm")


@asynccontextmanager
async def chromium(profile: Path) -> AsyncIterator[BrowserContext]:
    """A fresh Chromium profile (Playwright's own browser download is never used)."""
    async with async_playwright() as playwright:
        context = await playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": 1400, "height": 1000},
            accept_downloads=True,
        )
        try:
            yield context
        finally:
            await context.close()


async def language_of(page: Page) -> str:
    return "zh" if (await page.get_attribute("html", "lang") or "").startswith("zh") else "en"


async def set_language(page: Page, language: str) -> None:
    if await language_of(page) != language:
        await page.click("#lang")
        await expect(page.locator("html")).to_have_attribute(
            "lang", "zh-CN" if language == "zh" else "en"
        )


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it stands."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.add_script_tag(path=str(AXE))
    results = await page.evaluate(
        """async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}));
        }"""
    )
    return [v for v in results if v["impact"] in FAILING]


async def screen(page: Page, name: str, *, full_page: bool = True) -> None:
    """Screenshot the screen in both languages and check each with axe-core; the page is
    left in the language it was in."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    start = await language_of(page)
    found: dict[str, list[dict[str, Any]]] = {}
    for language in (start, *(x for x in LANGUAGES if x != start)):
        await set_language(page, language)
        await page.screenshot(path=str(SHOTS / f"{name}.{language}.png"), full_page=full_page)
        violations = await axe_violations(page)
        if violations:
            found[language] = violations
    await set_language(page, start)
    assert not found, f"axe-core on {name}: {json.dumps(found, indent=1, ensure_ascii=False)}"


async def sign_in(
    page: Page, base: str, role: str, sub: str, *, uscc: str = "", kiosk: bool = False
) -> None:
    """The development sign-in, as someone types into it."""
    await page.goto(f"{base}/#/signin")
    await page.select_option("#signin-role", role)
    await page.fill("#signin-sub", sub)
    if uscc:
        await page.fill("#signin-uscc", uscc)
    await page.click("#signin-submit")
    await expect(page.locator("#who")).to_contain_text(sub)


def mrz_of(person: Person) -> tuple[str, str]:
    return build_td3(
        surname="DE JONG",
        given_names="ANNA",
        passport_number=person.passport,
        nationality=person.nationality,
        date_of_birth=person.date_of_birth,
        expires_on=person.passport_expires_on,
        sex="F",
    )


async def fill_application(
    page: Page, person: Person, *, salary: int = 900_000, experience: int = 15
) -> None:
    """The form as an applicant fills it: the MRZ read, the rest typed."""
    first, second = mrz_of(person)
    await page.fill("#f-mrz1", first)
    await page.fill("#f-mrz2", second)
    await page.click("#read-mrz")
    await expect(page.locator("#f-passport_number")).to_have_value(person.passport)
    await page.fill("#f-email", person.email)
    await page.fill("#f-uscc", person.uscc)
    await page.fill("#f-title", "Chief Scientist")
    await page.fill("#f-salary", str(salary))
    await page.fill("#f-contract_start", (TODAY + timedelta(days=30)).isoformat())
    await page.fill("#f-contract_end", (TODAY + timedelta(days=3 * 365)).isoformat())
    await page.fill("#f-experience", str(experience))
    await page.fill("#f-address", "188 Caoxi Road, Xuhui District, Shanghai")
    await page.fill("#f-registration", "XH-2026-000123")


# The data page below is drawn in DejaVu Sans Mono, not the OCR-B of real passports, and
# tesseract misreads random passport numbers on it about one page in 25 to one in 5
# (measured here: `0` and `9` as `O` or `Q`, `J` as `I`, a `W` doubled), where a passport
# number's letters and digits may both stand and no rule can repair them. Tesseract reads
# a given image the same way every time, so the kiosk's person holds this number, whose
# page reads right (as in the passport-reading unit tests); each test session has a
# database of its own, so the number is new to its registry. The OCR's misreadings are
# the unit tests' subject.
KIOSK_PASSPORT = "NX4K2P7R1"


def data_page(person: Person) -> bytes:
    """A photo of the person's passport data page (a PNG): the photo box, the printed
    fields and the two MRZ lines, as a kiosk's scanner would give it."""
    page = Image.new("L", (1250, 880), 235)
    draw = ImageDraw.Draw(page)
    mono = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf", 40)
    sans = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 26)
    draw.rectangle((50, 120, 330, 500), fill=180)
    for row, (label, value) in enumerate([("Surname", "DE JONG"), ("Given names", "ANNA")]):
        draw.text((380, 120 + row * 80), label, fill=60, font=sans)
        draw.text((380, 150 + row * 80), value, fill=0, font=sans)
    first, second = mrz_of(person)
    draw.text((40, 680), first, fill=0, font=mono)
    draw.text((40, 760), second, fill=0, font=mono)
    out = io.BytesIO()
    page.save(out, "PNG")
    return out.getvalue()


def recent(days: int = 30) -> date:
    return TODAY - timedelta(days=days)

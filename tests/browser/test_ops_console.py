"""The operators' console in a real headless Chromium (Debian's, driven by Playwright).

An operator opens /ops, signs in with a token, watches a case submitted through the API
appear live, and filters by its id; an applicant's token is turned away with 403. The
screenshots are kept under test-artifacts/ (ignored by git).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Locator, Page, async_playwright, expect

from onewindow.cli.seeding import Gateway, Person, token
from onewindow.devstack.pytest_plugin import RunningServices

from .webapp import ARGS, CHROMIUM

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.integration]

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def chromium() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make deps does)")
    return CHROMIUM


@pytest.fixture
async def browser(chromium: Path, tmp_path: Path) -> AsyncIterator[BrowserContext]:
    async with async_playwright() as playwright:
        # A fresh profile for every test; Playwright's own browser download is never used.
        context = await playwright.chromium.launch_persistent_context(
            tmp_path / "profile",
            executable_path=chromium,
            headless=True,
            args=ARGS,
            viewport={"width": 1600, "height": 1400},
        )
        yield context
        await context.close()


async def sign_in(page: Page, url: str, bearer: str) -> None:
    await page.goto(f"{url}/ops")
    await page.fill("#token", bearer)
    await page.click("#login button[type=submit]")


async def agreeing_count(page: Page, visible: Locator, rows: Locator, within_s: float = 15) -> int:
    """The number of rows shown once the page agrees with itself: every row of the case
    shown, and the counter saying so. The case's last events (its notices) may still be
    arriving, live, while the filter is applied."""
    deadline = asyncio.get_running_loop().time() + within_s
    while True:
        shown, of_case = await visible.count(), await rows.count()
        counter = await page.locator("#shown").inner_text()
        if shown == of_case and counter.startswith(f"{shown} of"):
            return shown
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{shown} rows shown of the case's {of_case}; {counter!r}")
        await asyncio.sleep(0.2)


async def test_an_operator_watches_a_case_live_and_filters_by_its_id(
    services: RunningServices, gateway: Gateway, browser: BrowserContext
) -> None:
    anna, bram = Person(), Person()
    for person in (anna, bram):
        await gateway.register(person)
    page = await browser.new_page()

    await sign_in(page, services.gateway, token("operator", "operator-olga"))
    await expect(page.locator("#stream-state")).to_have_text("live", timeout=30_000)
    await expect(page.locator("#who")).to_have_text("operator-olga (operator)")

    other = await gateway.submit_case(bram)
    application_id = await gateway.submit_case(anna)
    rows = page.locator(f'#events tr[data-correlation="{application_id}"]')
    approved = rows.filter(has_text="onewindow.applications.ApplicationApproved.v1")
    await expect(approved).to_have_count(1, timeout=60_000)
    await expect(page.locator(f'#events tr[data-correlation="{other}"]').first).to_be_attached()
    assert await rows.count() >= 10
    await expect(rows.filter(has_text="onewindow.work-permit.WorkPermitIssued.v1")).to_have_count(1)
    assert "DE JONG" not in await page.locator("#events").inner_text()

    await page.fill("#filter-case", application_id)

    visible = page.locator("#events tbody tr:not(.hidden)")
    await expect(
        page.locator(f'#events tr[data-correlation="{other}"]:not(.hidden)')
    ).to_have_count(0)
    shown = await agreeing_count(page, visible, rows)
    assert set(await visible.evaluate_all("rows => rows.map(r => r.dataset.correlation)")) == {
        application_id
    }
    assert shown >= 10
    # The overview counts the case once the next refresh has seen it decided.
    await expect(page.locator('#by-status tr[data-status="approved"]')).to_be_visible(
        timeout=15_000
    )
    await expect(
        page.locator('#dead-letters tr[data-topic="applications.commands.dlq"]')
    ).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "ops-console.png"), full_page=True)


async def test_an_applicant_s_token_is_refused_with_403(
    services: RunningServices, browser: BrowserContext
) -> None:
    page = await browser.new_page()

    await sign_in(page, services.gateway, token("applicant", "anna"))

    problem = page.locator("#problem")
    await expect(problem).to_be_visible(timeout=15_000)
    await expect(problem).to_have_attribute("data-status", "403")
    await expect(problem).to_contain_text("Not allowed for this caller")
    await expect(page.locator("#console")).to_be_hidden()
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "ops-console-403.png"))

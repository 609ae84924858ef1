"""The reference web app (web/, served at / by the gateway) in Debian's Chromium against
every service running as its own process: an applicant online from sign-in to `approved`
with both permit numbers; the pre-check explaining a Category-B refusal before anything is
submitted, and a refused case with its reasons, legal basis and appeal route; an employer
submitting for an employee who then sees the case; a supplement answered with an upload
that an officer verifies in the workbench; a withdrawal; the kiosk from a photo of the
passport's data page (read by the gateway) to a printed receipt, and its idle timeout.
Every screen is photographed in both languages (test-artifacts/web/) and checked with
axe-core: no serious or critical violation.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext, Page, expect

from onewindow.cli.seeding import Gateway, Person
from onewindow.devstack.pytest_plugin import RunningServices

from .webapp import (
    KIOSK_PASSPORT,
    SHOTS,
    TODAY,
    chromium,
    data_page,
    fill_application,
    needs_chromium_and_axe,
    recent,
    screen,
    set_language,
    sign_in,
)

pytestmark = [pytest.mark.browser, pytest.mark.e2e, pytest.mark.integration]

# A one-page PDF as a scanner would send it (the gateway sniffs the content).
SCAN = b"%PDF-1.7\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n%%EOF\n"


@pytest.fixture
async def browser(tmp_path: Path) -> AsyncIterator[BrowserContext]:
    needs_chromium_and_axe()
    async with chromium(tmp_path / "profile") as context:
        yield context


async def precheck(page: Page) -> None:
    await page.click("#run-precheck")
    await expect(page.locator("#precheck")).to_be_visible(timeout=30_000)


async def test_an_applicant_applies_online_and_is_approved_with_both_numbers(
    services: RunningServices, gateway: Gateway, browser: BrowserContext
) -> None:
    anna = Person()
    await gateway.register(anna, health_issued=recent())
    page = await browser.new_page()

    await page.goto(f"{services.gateway}/")
    await expect(page.locator("#signin")).to_be_visible()
    await screen(page, "sign-in")
    await sign_in(page, services.gateway, "applicant", anna.sub)
    await expect(page.locator("main")).to_contain_text("No cases yet")
    await screen(page, "applicant-cases-empty")
    await page.click("a[href='#/apply']")
    await expect(page.locator("#application")).to_be_visible()
    await screen(page, "application-form")

    await fill_application(page, anna)
    await precheck(page)
    # The pre-check filled the registry's documents in and explains the category.
    await expect(page.locator("#precheck-filled")).to_contain_text(f"degree-{anna.passport}")
    await expect(page.locator("#citations li")).to_have_count(3)
    await expect(page.locator("#precheck-outcome")).to_contain_text("straight to a joint decision")
    await expect(page.locator("#precheck-category")).to_have_text("Category A")
    await expect(page.locator("#precheck tr[data-factor='annual_salary'] td").last).to_have_text(
        "20"
    )
    await expect(page.locator("#precheck-due")).to_contain_text(str(TODAY.year))
    await screen(page, "application-prechecked")
    await page.click("#submit")

    await expect(page.locator("#case-status")).to_have_attribute(
        "data-status", "approved", timeout=60_000
    )
    view = await gateway.case(anna, page.url.rsplit("/", 1)[-1])
    await expect(page.locator("#approved-work-number")).to_have_text(view["work_permit"]["number"])
    await expect(page.locator("#approved-residence-number")).to_have_text(
        view["residence_permit"]["number"]
    )
    await expect(page.locator("#approved-work-number")).to_have_text(re.compile(r"^WP-\d{4}-\d+$"))
    await expect(page.locator("#timeline")).to_contain_text("Approved")
    await expect(page.locator("#live-state")).to_have_text("Final")
    await screen(page, "case-approved")
    await page.click("a[href='#/cases']")
    await expect(page.locator("#cases tbody tr")).to_have_count(1)
    await screen(page, "applicant-cases")


async def test_the_precheck_explains_a_category_b_refusal_before_anything_is_submitted(
    services: RunningServices, gateway: Gateway, browser: BrowserContext
) -> None:
    bo = Person()
    await gateway.register(bo, health_issued=recent())
    page = await browser.new_page()
    await sign_in(page, services.gateway, "applicant", bo.sub)
    await page.goto(f"{services.gateway}/#/apply")

    await fill_application(page, bo, salary=300_000, experience=5)
    await page.select_option("#f-education", "master")
    await precheck(page)

    await expect(page.locator("#precheck-outcome")).to_contain_text("would be refused")
    refusal = page.locator("#precheck-reasons li[data-code='not_eligible_category']")
    await expect(refusal).to_contain_text("Category B")
    await expect(refusal.locator(".basis-ref")).to_have_text("fwp-2017.1-shanghai §3.1")
    await expect(refusal).to_contain_text("separately")
    await expect(page.locator("#submit")).to_be_disabled()
    await screen(page, "precheck-category-b-refused")
    await set_language(page, "zh")
    await expect(refusal.locator(".reason-text")).to_contain_text("B")
    await set_language(page, "en")
    listed = await gateway.http.get("/v1/applications", headers=bo.headers)
    assert listed.json()["items"] == []  # nothing was submitted

    # A clerk at a window pre-checks for a visitor: the same explanation, no submission.
    await sign_in(page, services.gateway, "clerk", "clerk-chen")
    await expect(page.locator("main h1")).to_have_text("Pre-check an application")
    await fill_application(page, bo, salary=300_000, experience=5)
    await page.select_option("#f-education", "master")
    await precheck(page)
    await expect(
        page.locator("#precheck-reasons li[data-code='not_eligible_category']")
    ).to_be_visible()
    await expect(page.locator("#submit")).to_have_count(0)
    await screen(page, "clerk-precheck")

    # A case refused after submission shows every reason, its basis and the appeal route.
    cai = Person()
    await gateway.register(cai, health_issued=recent(300))
    application_id = await gateway.submit_case(cai)
    await gateway.wait_for(cai, application_id, {"refused"})
    await sign_in(page, services.gateway, "applicant", cai.sub)
    await page.goto(f"{services.gateway}/#/case/{application_id}")
    reasons = page.locator("#refusal-reasons li[data-code='health_certificate_too_old']")
    await expect(reasons).to_be_visible(timeout=30_000)
    await expect(reasons.locator(".basis-ref")).to_have_text("rp-2013.1-shanghai §30.5")
    await expect(page.locator("#appeal")).to_contain_text("reconsideration")
    await screen(page, "case-refused")


async def test_an_employer_submits_for_an_employee_who_then_sees_the_case(
    services: RunningServices, gateway: Gateway, browser: BrowserContext
) -> None:
    eva = Person()
    await gateway.register(eva, health_issued=recent())
    hr = await browser.new_page()
    await sign_in(hr, services.gateway, "employer", "hr-xuhui", uscc=eva.uscc)
    await expect(hr.locator("main h1")).to_contain_text(eva.uscc)
    await screen(hr, "employer-cases-empty")
    await hr.click("a[href='#/employee']")
    await hr.fill("#f-account", eva.sub)
    await expect(hr.locator("#f-uscc")).to_have_value(eva.uscc)
    await fill_application(hr, eva)
    await precheck(hr)
    await screen(hr, "employer-application")
    await hr.click("#submit")
    await expect(hr.locator("#case-status")).to_have_attribute(
        "data-status", "approved", timeout=60_000
    )
    application_id = hr.url.rsplit("/", 1)[-1]
    number = await hr.locator("#approved-work-number").inner_text()
    await hr.click("a[href='#/cases']")
    await expect(hr.locator(f"#cases tr[data-id='{application_id}']")).to_be_visible()
    await screen(hr, "employer-cases")

    # The employee's own account (a tab of its own: its own session) sees the case.
    employee = await browser.new_page()
    await sign_in(employee, services.gateway, "applicant", eva.sub)
    row = employee.locator(f"#cases tr[data-id='{application_id}']")
    await expect(row).to_be_visible()
    await row.locator("a").click()
    await expect(employee.locator("#approved-work-number")).to_have_text(number)


async def test_a_supplement_is_answered_with_an_upload_and_verified_by_an_officer(
    services: RunningServices, gateway: Gateway, browser: BrowserContext, tmp_path: Path
) -> None:
    dan = Person()
    await gateway.register(dan, kinds=("degree", "criminal_record"))  # no health certificate
    applicant = await browser.new_page()
    await sign_in(applicant, services.gateway, "applicant", dan.sub)
    await applicant.goto(f"{services.gateway}/#/apply")
    await fill_application(applicant, dan)
    await precheck(applicant)
    missing = applicant.locator("#precheck-missing li[data-kind='health']")
    await expect(missing).to_be_visible()
    await expect(applicant.locator("#precheck-outcome")).to_contain_text("documents are missing")
    await screen(applicant, "precheck-documents-missing")
    await applicant.click("#submit")

    await expect(applicant.locator("#case-status")).to_have_attribute(
        "data-status", "awaiting_documents", timeout=60_000
    )
    await expect(applicant.locator("#supplement")).to_be_visible()
    await screen(applicant, "case-documents-requested")
    scan = tmp_path / "health-certificate.pdf"
    scan.write_bytes(SCAN)
    await applicant.set_input_files("#supply-health", str(scan))
    await applicant.click("#send-documents")
    await expect(applicant.locator("#case-status")).to_have_attribute(
        "data-status", "awaiting_officer", timeout=60_000
    )
    application_id = applicant.url.rsplit("/", 1)[-1]
    await screen(applicant, "case-with-officer")

    officer = await browser.new_page()
    await sign_in(officer, services.gateway, "officer", "officer-olga")
    await expect(officer.locator("main h1")).to_have_text("Review queue")
    row = officer.locator(f"#queue tr[data-id='{application_id}']")
    await expect(row).to_be_visible(timeout=30_000)
    await screen(officer, "officer-queue")
    await row.locator("a").click()
    await expect(officer.locator("#evidence-certificates")).to_contain_text(
        f"degree-{dan.passport}"
    )
    uploads = officer.locator("#evidence-uploads li")
    await expect(uploads).to_have_count(1)
    async with officer.expect_download() as downloading:
        await uploads.locator("button.download").click()
    download = await downloading.value
    assert await asyncio.to_thread(Path(await download.path()).read_bytes) == SCAN
    await expect(officer.locator("#ev-points ~ table tr[data-factor='education']")).to_be_visible()
    await expect(officer.locator("#decision-residence-basis")).to_contain_text("§")
    await screen(officer, "officer-review")
    await officer.check("#decision-residence-approve")
    await officer.fill("#decision-residence-reason", "Health certificate checked: issued lately.")
    await officer.click("#record-decision")
    await expect(officer.locator("#review-message")).to_be_visible()

    await expect(applicant.locator("#case-status")).to_have_attribute(
        "data-status", "approved", timeout=60_000
    )
    await expect(applicant.locator("#approved-residence-number")).to_contain_text("RP-")


async def test_an_applicant_withdraws_a_case_waiting_for_an_officer(
    services: RunningServices, gateway: Gateway, browser: BrowserContext
) -> None:
    wei = Person()
    await gateway.register(wei, health_issued=recent())
    await gateway.watchlist(wei)
    application_id = await gateway.submit_case(wei)
    await gateway.wait_for(wei, application_id, {"awaiting_officer"})
    page = await browser.new_page()
    await sign_in(page, services.gateway, "applicant", wei.sub)
    await page.goto(f"{services.gateway}/#/case/{application_id}")
    await page.click("#withdraw")
    await expect(page.locator("#withdraw-question")).to_be_visible()
    await screen(page, "case-withdraw-question")
    await page.click("#withdraw-confirm")
    await expect(page.locator("#case-status")).to_have_attribute(
        "data-status", "withdrawn", timeout=60_000
    )
    await screen(page, "case-withdrawn")


async def test_the_kiosk_goes_from_a_passport_image_to_a_printed_receipt(
    services: RunningServices, gateway: Gateway, browser: BrowserContext, tmp_path: Path
) -> None:
    kim = Person(passport=KIOSK_PASSPORT)
    await gateway.register(kim, health_issued=recent())
    page = await browser.new_page()
    await page.goto(f"{services.gateway}/?kiosk=1")
    await expect(page.locator("main[data-step='welcome']")).to_be_visible()
    await screen(page, "kiosk-welcome", full_page=False)
    box = await page.locator("#kiosk-start").bounding_box()
    assert box is not None
    assert box["height"] >= 64  # large touch targets
    await page.click("#kiosk-en")
    await page.click("#kiosk-start")
    await screen(page, "kiosk-signin", full_page=False)
    await page.fill("#k-sub", kim.sub)
    await page.click("#kiosk-next")

    await screen(page, "kiosk-passport", full_page=False)
    # The scanner's photo of the data page: read by the gateway (PassportEye, tesseract).
    photo = tmp_path / "data-page.png"
    await asyncio.to_thread(photo.write_bytes, data_page(kim))
    await page.set_input_files("#k-scan", str(photo))
    await expect(page.locator("#kiosk-read")).to_contain_text(kim.passport, timeout=60_000)
    await expect(page.locator("#kiosk-read")).to_contain_text("1984-08-12")
    await screen(page, "kiosk-confirm", full_page=False)
    await page.click("#kiosk-yes")

    answers = {
        "email": kim.email,
        "uscc": kim.uscc,
        "title": "Chief Scientist",
        "salary": "900000",
        "contract_start": recent(-30).isoformat(),
        "contract_end": recent(-1000).isoformat(),
        "months": "12",
        "education": "doctorate",
        "experience": "15",
        "hsk": "0",
        "address": "188 Caoxi Road, Xuhui District, Shanghai",
        "registration": "XH-2026-000123",
    }
    for key, answer in answers.items():
        await expect(page.locator(f"main[data-step='{key}']")).to_be_visible()
        if key in ("education", "hsk"):
            await page.locator(f"label[for='k-{key}-{answer}']").click()
        else:
            await page.fill(f"#k-{key}", answer)
        await screen(page, f"kiosk-question-{key}", full_page=False)
        await page.click("#kiosk-next")

    await expect(page.locator("#precheck-outcome")).to_contain_text(
        "straight to a joint decision", timeout=30_000
    )
    await screen(page, "kiosk-precheck")
    await page.click("#kiosk-submit")
    await expect(page.locator("#receipt-id")).to_be_visible(timeout=30_000)
    await expect(page.locator("#receipt-qr path")).to_have_count(1)
    due = await page.locator("#receipt-due").inner_text()
    assert due > TODAY.isoformat()
    application_id = await page.locator("#receipt-id").inner_text()
    await screen(page, "kiosk-receipt")
    await page.emulate_media(media="print")
    await expect(page.locator("#kiosk-print")).to_be_hidden()
    await page.screenshot(path=str(SHOTS / "kiosk-receipt-printed.png"))
    pdf = await page.pdf()
    assert pdf.startswith(b"%PDF")
    (SHOTS / "kiosk-receipt.pdf").write_bytes(pdf)
    await page.emulate_media(media="screen")
    case = await gateway.case(kim, application_id)
    assert case["channel"] == "kiosk"
    assert case["deadline"]["due_on"] == due


async def test_the_kiosk_wipes_the_session_after_a_while_without_activity(
    services: RunningServices, browser: BrowserContext
) -> None:
    page = await browser.new_page()
    await page.goto(f"{services.gateway}/?kiosk=1&idle=2")
    await page.click("#kiosk-start")
    await page.fill("#k-sub", "someone-at-the-kiosk")
    await page.click("#kiosk-next")
    await page.fill("#k-mrz1", "P<NLDDE<JONG")
    assert await page.evaluate("sessionStorage.length") == 1  # signed in

    await expect(page.locator("main[data-step='welcome']")).to_be_visible(timeout=10_000)
    await expect(page.locator("#kiosk-note")).to_contain_text("wiped")
    assert await page.evaluate("sessionStorage.length") == 0
    await page.click("#kiosk-start")
    await expect(page.locator("#k-sub")).to_have_value("")
    await screen(page, "kiosk-after-idle", full_page=False)


async def test_signing_in_and_a_precheck_work_by_keyboard_alone(
    services: RunningServices, gateway: Gateway, browser: BrowserContext
) -> None:
    ines = Person()
    await gateway.register(ines, health_issued=recent())
    page = await browser.new_page()
    await page.goto(f"{services.gateway}/#/signin")
    await expect(page.locator("#signin-role")).to_be_visible()

    # A new screen puts the focus on its heading; the form follows it.
    await expect(page.locator("main h1")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.locator("#signin-role")).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(page.locator("#signin-sub")).to_be_focused()
    await page.keyboard.type(ines.sub)
    await page.keyboard.press("Enter")
    await expect(page.locator("#who")).to_contain_text(ines.sub)

    await page.goto(f"{services.gateway}/#/apply")
    await fill_application(page, ines)
    await page.locator("#run-precheck").focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#precheck-outcome")).to_contain_text("straight", timeout=30_000)
    await page.locator("#submit").focus()
    await expect(page.locator("#submit")).to_be_enabled()

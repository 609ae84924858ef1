"""The reason catalogue: every code in both languages, with its facts in the words."""

from __future__ import annotations

import re
from typing import get_args

import pytest

from onewindow.contracts.reasons import (
    APPEAL_ROUTE_EN,
    APPEAL_ROUTE_ZH,
    APPEAL_WINDOW_DAYS,
    DOCUMENT_NAMES,
    PARAMS,
    describe,
    document_names,
)
from onewindow.contracts.v1.common import DocumentKind, Reason, ReasonCode

CJK = re.compile(r"[\u4e00-\u9fff]")
ALL_CODES: tuple[ReasonCode, ...] = get_args(ReasonCode)

# A sample value for every params key any code reads; each is distinctive enough
# that finding it in a text cannot be a coincidence.
SAMPLES = {
    "expires_on": "2031-04-05",
    "minimum_months": "6",
    "uscc": "91310104MA1FL5KX1N",
    "valid_until": "2026-02-28",
    "category": "B",
    "points": "72",
    "eligible": "A",
    "documents": "health,degree",
    "kind": "criminal_record",
    "registry_id": "REG-77-0042",
    "issued_on": "2025-01-09",
    "maximum_months": "6",
    "case_id": "app-5f2c9e",
    "window_opens": "2027-10-05",
    "window_closes": "2027-12-04",
    "respond_by": "2027-03-19",
    "permit_number": "WP-310104-2027-000913",
}


@pytest.mark.parametrize("code", ALL_CODES)
def test_every_code_reads_in_english_and_in_chinese(code: ReasonCode) -> None:
    en, zh = describe(Reason(code=code, side="work"))
    assert en.strip()
    assert zh.strip()
    assert not CJK.search(en), en
    assert CJK.search(zh), zh
    for text in (en, zh):
        assert "{" not in text, text
        assert "None" not in text, text


def test_every_code_lists_the_params_it_reads() -> None:
    assert set(PARAMS) == set(ALL_CODES)


# How the sample dates read in each language.
WRITTEN_DATES = {
    "2031-04-05": ("5 April 2031", "2031年4月5日"),
    "2026-02-28": ("28 February 2026", "2026年2月28日"),
    "2025-01-09": ("9 January 2025", "2025年1月9日"),
    "2027-10-05": ("5 October 2027", "2027年10月5日"),
    "2027-12-04": ("4 December 2027", "2027年12月4日"),
    "2027-03-19": ("19 March 2027", "2027年3月19日"),
}


@pytest.mark.parametrize("code", [c for c in ALL_CODES if PARAMS[c]])
def test_the_facts_of_a_reason_appear_in_both_languages(code: ReasonCode) -> None:
    params = {key: SAMPLES[key] for key in PARAMS[code]}
    en, zh = describe(Reason(code=code, side="work", params=params))
    for key, value in params.items():
        if key in {"documents", "kind"}:
            continue  # named in words, checked below
        in_en, in_zh = WRITTEN_DATES.get(value, (value, value))
        assert in_en in en, (key, en)
        assert in_zh in zh, (key, zh)


def test_a_value_that_is_not_a_date_is_shown_as_given() -> None:
    en, zh = describe(Reason(code="passport_expired", params={"expires_on": "soon"}))
    assert "expired on soon" in en
    assert "已于soon过期" in zh


def test_the_missing_documents_are_named_in_words() -> None:
    en, zh = describe(Reason(code="document_missing", params={"documents": "health,degree"}))
    assert "health certificate" in en
    assert "degree certificate" in en
    assert "健康证明" in zh
    assert "学历学位证书" in zh


def test_a_document_not_found_names_its_kind_and_reference() -> None:
    en, zh = describe(
        Reason(
            code="document_not_found",
            params={"kind": "criminal_record", "registry_id": "REG-77-0042"},
        )
    )
    assert "certificate of no criminal record" in en
    assert "REG-77-0042" in en
    assert "无犯罪记录证明" in zh
    assert "REG-77-0042" in zh


def test_the_extension_window_is_stated_with_its_dates() -> None:
    en, zh = describe(
        Reason(
            code="outside_extension_window",
            params={"window_opens": "2027-10-05", "window_closes": "2027-12-04"},
        )
    )
    assert "between 5 October 2027 and 4 December 2027" in en
    assert "2027年10月5日至2027年12月4日" in zh


def test_the_officers_own_reason_is_quoted() -> None:
    reason = Reason(
        code="refused_by_officer", side="residence", detail="Address could not be verified."
    )
    en, zh = describe(reason)
    assert "residence permit" in en
    assert "Address could not be verified." in en
    assert "居留许可" in zh
    assert "Address could not be verified." in zh


def test_a_detail_is_never_shown_for_other_codes() -> None:
    en, zh = describe(Reason(code="watchlist_match", detail="Interpol notice 2024/117"))
    assert "Interpol" not in en
    assert "Interpol" not in zh


def test_the_cancelled_permit_names_the_refused_one() -> None:
    en, zh = describe(Reason(code="counterpart_refused", side="residence"))
    assert "residence permit was cancelled because the work permit was refused" in en
    assert "由于工作许可未获批准，居留许可已一并撤销" in zh


def test_blank_params_are_left_out_rather_than_shown_empty() -> None:
    en, _ = describe(Reason(code="duplicate_application", params={"case_id": "  "}))
    assert "case" not in en.split("exists")[1]


def test_every_document_kind_has_a_name_in_both_languages() -> None:
    assert set(get_args(DocumentKind)) <= set(DOCUMENT_NAMES)
    assert document_names(("degree", "employment_contract")) == (
        "degree certificate, employment contract",
        "学历学位证书、劳动合同",
    )


def test_an_unknown_document_kind_is_shown_as_written() -> None:
    assert document_names("tax_record") == ("tax record", "tax_record")


def test_the_appeal_route_names_reconsideration_and_its_window() -> None:
    assert "administrative reconsideration" in APPEAL_ROUTE_EN
    assert f"{APPEAL_WINDOW_DAYS} days" in APPEAL_ROUTE_EN
    assert "行政复议" in APPEAL_ROUTE_ZH
    assert f"{APPEAL_WINDOW_DAYS}日" in APPEAL_ROUTE_ZH


def test_an_upload_under_review_is_being_verified_and_a_refused_one_was_not() -> None:
    pending = Reason(code="document_unverified", params={"kind": "health", "check": "date"})
    refused = Reason(code="document_unverified", params={"kind": "health"})
    assert "is being verified" in describe(pending)[0]
    assert "正在" in describe(pending)[1]
    assert "could not be verified" in describe(refused)[0]

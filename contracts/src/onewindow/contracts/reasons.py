"""The bilingual catalogue of reason codes: what each `Reason` means, in plain words.

`describe(reason)` answers `(message_en, message_zh)`. The gateway shows these in
the case view (API.md `reasons`); the notifier puts them in the messages it sends.

Producers of a `Reason` put the facts that explain it in `params` (all strings;
dates as `YYYY-MM-DD`). The keys each code reads are listed in `PARAMS`; a
missing key leaves its clause out rather than failing, so a message is always
produced. ISO dates are written out in each language (`14 January 2027`,
`2027年1月14日`). `detail` is shown only for `refused_by_officer` (the officer's own
words): for every other code it may be internal (a watch-list note, a stack of
checks) and never reaches the applicant.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Final

from onewindow.contracts.v1.common import Reason, ReasonCode

# Administrative reconsideration: an applicant may apply within 60 days of learning
# of the decision (Administrative Reconsideration Law of the PRC, as revised 2023;
# DOMAIN.md "How a case is decided").
APPEAL_WINDOW_DAYS: Final = 60
APPEAL_ROUTE_EN: Final = (
    "If you disagree with this decision, you may apply for administrative "
    f"reconsideration within {APPEAL_WINDOW_DAYS} days of receiving it, under the "
    "Administrative Reconsideration Law of the People's Republic of China."
)
APPEAL_ROUTE_ZH: Final = (
    f"如对本决定不服，您可以自收到本决定之日起{APPEAL_WINDOW_DAYS}日内，"
    "依照《中华人民共和国行政复议法》申请行政复议。"
)

# The `params` keys each code reads (all optional; see the module docstring).
PARAMS: Final[Mapping[ReasonCode, tuple[str, ...]]] = {
    "passport_expired": ("expires_on",),
    "passport_validity_too_short": ("expires_on", "minimum_months"),
    "employer_not_registered": ("uscc",),
    "employer_licence_expired": ("valid_until",),
    "not_eligible_category": ("category", "points", "eligible"),
    "document_missing": ("documents",),
    "document_not_found": ("kind", "registry_id"),
    "health_certificate_too_old": ("issued_on", "maximum_months"),
    "residence_registration_missing": (),
    "watchlist_match": (),
    "duplicate_application": ("case_id",),
    "refused_by_officer": (),
    "outside_extension_window": ("window_opens", "window_closes", "expires_on"),
    "counterpart_refused": (),
    "withdrawn_by_applicant": (),
    "document_expired": ("kind", "registry_id", "valid_until"),
    "no_response": ("respond_by",),
    "permit_revoked": ("permit_number",),
    "document_unverified": ("kind",),  # and whether a `check` is still pending
    "registration_number_required": (),
    "unverified_applicant": (),
}

# Keyed by `DocumentKind`; typed by `str` because kinds arrive as strings in `params`.
DOCUMENT_NAMES: Final[Mapping[str, tuple[str, str]]] = {
    "degree": ("degree certificate", "学历学位证书"),
    "criminal_record": ("certificate of no criminal record", "无犯罪记录证明"),
    "health": ("health certificate", "健康证明"),
    "talent_recognition": ("talent programme recognition", "人才计划认定证明"),
    # Required by DOMAIN.md but not `DocumentKind`s: producers may still name them.
    "employment_contract": ("employment contract", "劳动合同"),
    "business_licence": ("employer's business licence", "用人单位营业执照"),
    "registration_number": ("temporary residence registration number", "临时住宿登记编号"),
}

_SIDE_NAMES: Final[Mapping[str, tuple[str, str]]] = {
    "work": ("work permit", "工作许可"),
    "residence": ("residence permit", "居留许可"),
    "identity": ("application", "申请"),
    "case": ("application", "申请"),
}
_OTHER_SIDE: Final[Mapping[str, str]] = {"work": "residence", "residence": "work"}

Texts = tuple[str, str]
_DATE_PARAMS: Final = frozenset(
    {"expires_on", "valid_until", "issued_on", "window_opens", "window_closes", "respond_by"}
)
_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December",
)  # fmt: skip


def _dates(params: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """The params with their ISO dates written out: `(for English, for Chinese)`.

    A value that is not an ISO date is shown as given.
    """
    en, zh = dict(params), dict(params)
    for key in _DATE_PARAMS & params.keys():
        try:
            day = date.fromisoformat(params[key])
        except ValueError:
            continue
        en[key] = f"{day.day} {_MONTHS[day.month - 1]} {day.year}"
        zh[key] = f"{day.year}年{day.month}月{day.day}日"
    return en, zh


def document_names(kinds: str | tuple[str, ...]) -> Texts:
    """Document kinds (a tuple, or one comma-separated string) named in English and Chinese.

    A kind outside the catalogue is shown as written, with underscores as spaces.
    """
    items = [k.strip() for k in kinds.split(",")] if isinstance(kinds, str) else list(kinds)
    names = [DOCUMENT_NAMES.get(k, (k.replace("_", " "), k)) for k in items if k]
    return ", ".join(n[0] for n in names), "、".join(n[1] for n in names)


def _passport_expired(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    if "expires_on" in e:
        return (
            f"Your passport expired on {e['expires_on']}; it must be valid on the day you apply.",
            f"您的护照已于{z['expires_on']}过期；申请之日护照须在有效期内。",
        )
    return (
        "Your passport is not valid on the date of application.",
        "您的护照在申请之日已不在有效期内。",
    )


def _passport_validity_too_short(
    e: Mapping[str, str], z: Mapping[str, str], reason: Reason
) -> Texts:
    en = "Your passport's remaining validity is too short"
    zh = "您的护照剩余有效期不足"
    if "expires_on" in e:
        en = f"Your passport expires on {e['expires_on']}; its remaining validity is too short"
        zh = f"您的护照将于{z['expires_on']}到期，剩余有效期不足"
    if "minimum_months" in e:
        return (
            f"{en} (at least {e['minimum_months']} months are required).",
            f"{zh}{z['minimum_months']}个月。",
        )
    return f"{en}.", f"{zh}规定期限。"


def _employer_not_registered(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    code_en = f" (Unified Social Credit Code {e['uscc']})" if "uscc" in e else ""
    code_zh = f"（统一社会信用代码{z['uscc']}）" if "uscc" in z else ""
    return (
        f"The employer{code_en} is not registered in the e-government registry.",
        f"用人单位{code_zh}未在政务登记系统中登记。",
    )


def _employer_licence_expired(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    if "valid_until" in e:
        return (
            f"The employer's business licence expired on {e['valid_until']}.",
            f"用人单位的营业执照已于{z['valid_until']}过期。",
        )
    return "The employer's business licence is no longer valid.", "用人单位的营业执照已失效。"


def _not_eligible_category(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    eligible = e.get("eligible", "A")
    if "category" in e:
        points_en = f" with {e['points']} points" if "points" in e else ""
        points_zh = f"（{z['points']}分）" if "points" in z else ""
        found_en = f"The applicant was assessed as Category {e['category']}{points_en}"
        found_zh = f"申请人被评定为{z['category']}类{points_zh}"
    else:
        found_en, found_zh = "The applicant is not in an eligible category", "申请人不属于适用类别"
    return (
        f"{found_en}; the one-window combined service is for Category {eligible}. "
        "You may apply for the work permit and the residence permit separately.",
        f"{found_zh}；“一窗通办”联办服务仅适用于{eligible}类人才。"
        "您可以分别申请工作许可和居留许可。",
    )


def _document_missing(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    if e.get("documents"):
        en, zh = document_names(e["documents"])
        return f"A required document was not provided: {en}.", f"缺少必需的材料：{zh}。"
    return "A required document was not provided.", "缺少必需的材料。"


def _document_not_found(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    en, zh = document_names(z["kind"]) if "kind" in z else ("document", "材料")
    ref_en = f" (registry reference {e['registry_id']})" if "registry_id" in e else ""
    ref_zh = f"（登记编号{z['registry_id']}）" if "registry_id" in z else ""
    return (
        f"The cited {en}{ref_en} was not found in the registry, or is not the applicant's.",
        f"所引用的{zh}{ref_zh}在登记系统中不存在，或不属于申请人。",
    )


def _health_certificate_too_old(
    e: Mapping[str, str], z: Mapping[str, str], reason: Reason
) -> Texts:
    issued_en = f" was issued on {e['issued_on']}, which" if "issued_on" in e else ""
    issued_zh = f"签发于{z['issued_on']}，" if "issued_on" in z else ""
    if "maximum_months" in e:
        limit_en = f"within {e['maximum_months']} months before the application"
        limit_zh = f"申请前{z['maximum_months']}个月内"
    else:
        limit_en, limit_zh = "recently enough before the application", "规定期限内"
    return (
        f"The health certificate{issued_en} is too old: it must be issued {limit_en}.",
        f"健康证明{issued_zh}已超过有效期限：须为{limit_zh}签发。",
    )


def _residence_registration_missing(
    e: Mapping[str, str], z: Mapping[str, str], reason: Reason
) -> Texts:
    return (
        "No temporary residence registration was found for your address in Shanghai. "
        "Please register at the local police station and supply the registration number.",
        "未找到您在上海居住地址的临时住宿登记。请到居住地派出所办理登记并提供登记编号。",
    )


def _watchlist_match(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    # Deliberately vague: the applicant is never told what the flag was.
    return (
        "Your application needs to be reviewed by an officer.",
        "您的申请需由工作人员进行人工审核。",
    )


def _duplicate_application(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    case_en = f" (case {e['case_id']})" if "case_id" in e else ""
    case_zh = f"（申请编号{z['case_id']}）" if "case_id" in z else ""
    return (
        f"An open application for the same person and employer already exists{case_en}.",
        f"同一申请人和同一用人单位已有一件正在办理的申请{case_zh}。",
    )


def _refused_by_officer(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    side_en, side_zh = _SIDE_NAMES[reason.side]
    said = (reason.detail or "").strip()
    if said:
        return (
            f"The reviewing officer refused the {side_en}: {said}",
            f"审核人员不予批准{side_zh}：{said}",
        )
    return f"The reviewing officer refused the {side_en}.", f"审核人员不予批准{side_zh}。"


def _outside_extension_window(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    expiry_en = f", which expires on {e['expires_on']}" if "expires_on" in e else ""
    expiry_zh = f"（有效期至{z['expires_on']}）" if "expires_on" in z else ""
    if "window_opens" in e and "window_closes" in e:
        window_en = f"only between {e['window_opens']} and {e['window_closes']}"
        window_zh = f"须在{z['window_opens']}至{z['window_closes']}期间"
    else:
        window_en, window_zh = "only within the extension window", "须在规定的延期申请期间内"
    return (
        f"An extension of this work permit{expiry_en} can be requested {window_en}.",
        f"本工作许可{expiry_zh}的延期申请{window_zh}提出。",
    )


def _counterpart_refused(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    other = _OTHER_SIDE.get(reason.side)
    side_en, side_zh = _SIDE_NAMES[reason.side]
    if other is None:
        return (
            "The permit was cancelled because the other permit was refused; "
            "the two are decided together.",
            "由于另一项许可未获批准，本项许可已一并撤销；两项许可须一并决定。",
        )
    other_en, other_zh = _SIDE_NAMES[other]
    return (
        f"The {side_en} was cancelled because the {other_en} was refused; "
        "the two are decided together.",
        f"由于{other_zh}未获批准，{side_zh}已一并撤销；两项许可须一并决定。",
    )


def _withdrawn_by_applicant(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    return "The applicant withdrew the application.", "申请人已撤回申请。"


def _document_expired(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    en, zh = document_names(z["kind"]) if "kind" in z else ("document", "材料")
    ref_en = f" (registry reference {e['registry_id']})" if "registry_id" in e else ""
    ref_zh = f"（登记编号{z['registry_id']}）" if "registry_id" in z else ""
    when_en = f" on {e['valid_until']}" if "valid_until" in e else ""
    when_zh = f"已于{z['valid_until']}" if "valid_until" in z else "已"
    return (
        f"The cited {en}{ref_en} expired{when_en}. Please supply a current one.",
        f"所引用的{zh}{ref_zh}{when_zh}过期，请提供有效的材料。",
    )


def _no_response(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    by_en = f" by {e['respond_by']}" if "respond_by" in e else " in time"
    by_zh = f"在{z['respond_by']}前" if "respond_by" in z else "在规定期限内"
    return (
        f"The documents requested from you were not supplied{by_en}.",
        f"您未{by_zh}补正所要求的材料。",
    )


def _permit_revoked(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    side_en, side_zh = _SIDE_NAMES[reason.side]
    number_en = f" {e['permit_number']}" if "permit_number" in e else ""
    number_zh = f"（编号{z['permit_number']}）" if "permit_number" in z else ""
    return (
        f"The {side_en}{number_en} was revoked because the other permit could not be issued; "
        "the two are valid together or not at all.",
        f"由于另一项许可未能签发，{side_zh}{number_zh}已被撤销；两项许可须同时有效。",
    )


def _document_unverified(e: Mapping[str, str], z: Mapping[str, str], reason: Reason) -> Texts:
    en, zh = document_names(z["kind"]) if "kind" in z else ("document", "材料")
    if "check" in e:  # still under review: the officer has not looked yet
        return (
            f"Your uploaded {en} is being verified by an officer before it counts.",
            f"您上传的{zh}正在由审核人员核验，核验后方可采用。",
        )
    return (
        f"The uploaded {en} could not be verified by the reviewing officer.",
        f"您上传的{zh}未通过审核人员的核验。",
    )


def _registration_number_required(
    e: Mapping[str, str], z: Mapping[str, str], reason: Reason
) -> Texts:
    return (
        "Please supply the number of your temporary residence registration in Shanghai "
        "(from the local police station).",
        "请提供您在上海的临时住宿登记编号（由居住地派出所出具）。",
    )


_Describer = Callable[[Mapping[str, str], Mapping[str, str], Reason], Texts]
_CATALOGUE: Final[Mapping[ReasonCode, _Describer]] = {
    "passport_expired": _passport_expired,
    "passport_validity_too_short": _passport_validity_too_short,
    "employer_not_registered": _employer_not_registered,
    "employer_licence_expired": _employer_licence_expired,
    "not_eligible_category": _not_eligible_category,
    "document_missing": _document_missing,
    "document_not_found": _document_not_found,
    "health_certificate_too_old": _health_certificate_too_old,
    "residence_registration_missing": _residence_registration_missing,
    "watchlist_match": _watchlist_match,
    "duplicate_application": _duplicate_application,
    "refused_by_officer": _refused_by_officer,
    "outside_extension_window": _outside_extension_window,
    "counterpart_refused": _counterpart_refused,
    "withdrawn_by_applicant": _withdrawn_by_applicant,
    "document_expired": _document_expired,
    "no_response": _no_response,
    "permit_revoked": _permit_revoked,
    "document_unverified": _document_unverified,
    "registration_number_required": _registration_number_required,
    "unverified_applicant": _watchlist_match,  # as vague: the flag is the officer's to see
}


def describe(reason: Reason) -> tuple[str, str]:
    """The reason in plain words: `(message_en, message_zh)`, with its facts filled in.

    Never fails for a valid `Reason`: facts missing from `params` are left out.
    """
    params = {k: v.strip() for k, v in reason.params.items() if v and v.strip()}
    for_en, for_zh = _dates(params)
    return _CATALOGUE[reason.code](for_en, for_zh, reason)

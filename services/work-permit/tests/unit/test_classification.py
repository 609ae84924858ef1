"""The points table, the category thresholds and the direct Category-A criteria (2017 standard).

Every band edge of every factor is a row; the ids read as sentences.
"""

from __future__ import annotations

from datetime import date

import pytest

from onewindow.contracts.v1.common import Position, Qualifications, ResolvedDocument
from onewindow.work_permit.domain.classification import Candidate, classify, points_by_factor
from onewindow.work_permit.domain.policy import published_policies

APPLICATION_DATE = date(2026, 3, 2)
POLICY = published_policies().in_force_on(APPLICATION_DATE)


def candidate(
    *,
    salary: int = 100_000,
    months: int = 12,
    education: str = "bachelor",
    experience: int = 5,
    hsk: int = 0,
    chinese_degree: bool = False,
    bonuses: tuple[str, ...] = (),
    born: date = date(1990, 1, 1),
    on: date = APPLICATION_DATE,
    documents: tuple[ResolvedDocument, ...] = (),
) -> Candidate:
    return Candidate(
        date_of_birth=born,
        position=Position(
            title="Engineer",
            annual_salary_cny=salary,
            contract_start=date(2026, 5, 1),
            contract_end=date(2029, 4, 30),
            months_in_china_per_year=months,
        ),
        qualifications=Qualifications.model_validate(
            {
                "education": education,
                "experience_years": experience,
                "hsk_level": hsk,
                "chinese_taught_degree": chinese_degree,
                "bonuses": bonuses,
            }
        ),
        documents=documents,
        application_date=on,
    )


def points_of(factor: str, who: Candidate) -> int:
    return next(f.points for f in points_by_factor(who, POLICY.points) if f.factor == factor)


@pytest.mark.parametrize(
    ("salary", "points"),
    [
        pytest.param(450_000, 20, id="a salary of 450,000 earns 20 points"),
        pytest.param(449_999, 17, id="a salary of 449,999 earns 17 points"),
        pytest.param(350_000, 17, id="a salary of 350,000 earns 17 points"),
        pytest.param(349_999, 14, id="a salary of 349,999 earns 14 points"),
        pytest.param(250_000, 14, id="a salary of 250,000 earns 14 points"),
        pytest.param(249_999, 11, id="a salary of 249,999 earns 11 points"),
        pytest.param(150_000, 11, id="a salary of 150,000 earns 11 points"),
        pytest.param(149_999, 8, id="a salary of 149,999 earns 8 points"),
        pytest.param(70_000, 8, id="a salary of 70,000 earns 8 points"),
        pytest.param(69_999, 5, id="a salary of 69,999 earns 5 points"),
        pytest.param(50_000, 5, id="a salary of 50,000 earns 5 points"),
        pytest.param(49_999, 0, id="a salary of 49,999 earns nothing"),
        pytest.param(2_000_000, 20, id="a salary far above the top band is capped at 20"),
    ],
)
def test_salary_band(salary: int, points: int) -> None:
    assert points_of("annual_salary", candidate(salary=salary)) == points


@pytest.mark.parametrize(
    ("education", "points"),
    [
        pytest.param("doctorate", 20, id="a doctorate earns 20 points"),
        pytest.param("master", 15, id="a master's degree earns 15 points"),
        pytest.param("bachelor", 10, id="a bachelor's degree earns 10 points"),
        pytest.param("other", 0, id="any other education earns nothing"),
    ],
)
def test_education(education: str, points: int) -> None:
    assert points_of("education", candidate(education=education)) == points


@pytest.mark.parametrize(
    ("years", "points"),
    [
        pytest.param(0, 0, id="no experience earns nothing"),
        pytest.param(1, 0, id="one year of experience earns nothing"),
        pytest.param(2, 5, id="two years of experience earn 5 points"),
        pytest.param(3, 6, id="each further full year earns one more point"),
        pytest.param(17, 20, id="seventeen years reach the maximum of 20"),
        pytest.param(18, 20, id="eighteen years are capped at 20"),
        pytest.param(40, 20, id="forty years are capped at 20"),
    ],
)
def test_work_experience(years: int, points: int) -> None:
    assert points_of("work_experience", candidate(experience=years)) == points


@pytest.mark.parametrize(
    ("months", "points"),
    [
        pytest.param(12, 15, id="twelve months a year in China earn 15 points"),
        pytest.param(9, 15, id="nine months a year in China earn 15 points"),
        pytest.param(8, 10, id="eight months a year in China earn 10 points"),
        pytest.param(6, 10, id="six months a year in China earn 10 points"),
        pytest.param(5, 5, id="five months a year in China earn 5 points"),
        pytest.param(3, 5, id="three months a year in China earn 5 points"),
        pytest.param(2, 0, id="two months a year in China earn nothing"),
        pytest.param(0, 0, id="no months in China earn nothing"),
    ],
)
def test_months_in_china(months: int, points: int) -> None:
    assert points_of("months_in_china", candidate(months=months)) == points


@pytest.mark.parametrize(
    ("hsk", "chinese_degree", "points"),
    [
        pytest.param(0, False, 0, id="no Chinese earns nothing"),
        pytest.param(1, False, 1, id="HSK 1 earns 1 point"),
        pytest.param(2, False, 2, id="HSK 2 earns 2 points"),
        pytest.param(3, False, 3, id="HSK 3 earns 3 points"),
        pytest.param(4, False, 4, id="HSK 4 earns 4 points"),
        pytest.param(5, False, 5, id="HSK 5 earns 5 points"),
        pytest.param(6, False, 5, id="HSK 6 earns 5 points"),
        pytest.param(0, True, 5, id="a bachelor's degree taught in Chinese earns 5 points"),
        pytest.param(3, True, 5, id="a Chinese-taught degree beats HSK 3"),
        pytest.param(6, True, 5, id="HSK 6 and a Chinese-taught degree are capped at 5"),
    ],
)
def test_chinese(hsk: int, chinese_degree: bool, points: int) -> None:
    assert points_of("chinese", candidate(hsk=hsk, chinese_degree=chinese_degree)) == points


@pytest.mark.parametrize(
    ("born", "points"),
    [
        pytest.param(date(2008, 3, 3), 0, id="17 the day before the 18th birthday earns nothing"),
        pytest.param(date(2008, 3, 2), 10, id="18 on the application date earns 10 points"),
        pytest.param(date(2000, 3, 2), 15, id="26 on the application date earns 15 points"),
        pytest.param(date(2000, 3, 3), 10, id="25 on the application date earns 10 points"),
        pytest.param(date(1980, 3, 3), 15, id="45 on the application date earns 15 points"),
        pytest.param(date(1980, 3, 2), 10, id="46 on the application date earns 10 points"),
        pytest.param(date(1970, 3, 3), 10, id="55 on the application date earns 10 points"),
        pytest.param(date(1970, 3, 2), 5, id="56 on the application date earns 5 points"),
        pytest.param(date(1965, 3, 3), 5, id="60 on the application date earns 5 points"),
        pytest.param(date(1965, 3, 2), 0, id="61 on the application date earns nothing"),
    ],
)
def test_age_on_the_application_date(born: date, points: int) -> None:
    assert points_of("age", candidate(born=born)) == points


@pytest.mark.parametrize(
    "bonus",
    ["top_university", "fortune_500", "patent", "continuous_work_in_china"],
    ids=lambda b: f"the {b} bonus earns 5 points",
)
def test_each_bonus_earns_five_points(bonus: str) -> None:
    who = candidate(bonuses=(bonus,))
    assert points_of(f"bonus_{bonus}", who) == 5
    others = [f for f in points_by_factor(who, POLICY.points) if f.factor.startswith("bonus_")]
    assert sum(f.points for f in others) == 5


def test_a_bonus_claimed_twice_counts_once() -> None:
    assert points_of("bonus_patent", candidate(bonuses=("patent", "patent"))) == 5


def test_the_total_is_the_sum_of_every_factor_and_each_factor_is_shown() -> None:
    # 20 salary + 20 doctorate + 20 experience + 15 months + 4 HSK + 15 age + 10 bonuses
    who = candidate(
        salary=500_000,
        education="doctorate",
        experience=20,
        months=12,
        hsk=4,
        born=date(1986, 1, 1),
        bonuses=("patent", "fortune_500"),
    )
    result = classify(who, POLICY)
    assert result.points == 104
    assert {f.factor for f in result.factors} >= {
        "annual_salary",
        "education",
        "work_experience",
        "months_in_china",
        "chinese",
        "age",
        "bonus_patent",
    }
    assert result.policy_version == POLICY.version


def scored(points_profile: str, *, hsk: int = 0, bonuses: tuple[str, ...] = ()) -> Candidate:
    """Age 36 (15 points) and twelve months in China (15) throughout; then either the top
    profile (450,000: 20, doctorate: 20, two years: 5) or the middle one (150,000: 11,
    bachelor: 10, two years: 5)."""
    top = points_profile == "top"
    return candidate(
        salary=450_000 if top else 150_000,
        education="doctorate" if top else "bachelor",
        experience=2,
        hsk=hsk,
        bonuses=bonuses,
    )


@pytest.mark.parametrize(
    ("who", "total", "category"),
    [
        pytest.param(
            scored("top", bonuses=("patent", "fortune_500")), 85, "A", id="85 points make A"
        ),
        pytest.param(scored("top", hsk=4, bonuses=("patent",)), 84, "B", id="84 points make B"),
        pytest.param(scored("middle", hsk=4), 60, "B", id="60 points make Category B"),
        pytest.param(scored("middle", hsk=3), 59, "C", id="59 points make Category C"),
    ],
)
def test_category_thresholds(who: Candidate, total: int, category: str) -> None:
    result = classify(who, POLICY)
    assert (result.points, result.category, result.direct_criterion) == (total, category, None)


def recognition(valid_until: date | None = None) -> ResolvedDocument:
    return ResolvedDocument(
        kind="talent_recognition",
        registry_id="TR-1",
        issuer="Shanghai Talent Programme",
        issued_on=date(2024, 1, 1),
        valid_until=valid_until,
    )


@pytest.mark.parametrize(
    ("who", "category", "criterion"),
    [
        pytest.param(
            candidate(salary=30_000, education="other", experience=0, documents=(recognition(),)),
            "A",
            "talent_recognition",
            id="a talent recognition in the registry makes a low-points person Category A",
        ),
        pytest.param(
            candidate(
                salary=30_000,
                education="other",
                experience=0,
                documents=(recognition(valid_until=date(2026, 3, 1)),),
            ),
            "C",
            None,
            id="a recognition that lapsed before the application date does not count",
        ),
        pytest.param(
            candidate(salary=895_248, education="other", experience=0, months=2),
            "A",
            "salary",
            id="a salary of 6 times the local average wage makes Category A",
        ),
        pytest.param(
            candidate(salary=895_247, education="other", experience=0, months=2),
            "C",
            None,
            id="one yuan below 6 times the local average wage is no direct criterion",
        ),
        pytest.param(
            candidate(salary=900_000, documents=(recognition(),)),
            "A",
            "talent_recognition",
            id="when both criteria hold the talent recognition is named",
        ),
    ],
)
def test_direct_category_a_criteria(who: Candidate, category: str, criterion: str | None) -> None:
    result = classify(who, POLICY)
    assert (result.category, result.direct_criterion) == (category, criterion)
    assert result.factors, "the points are still shown beside a direct criterion"


def test_the_direct_salary_threshold_follows_the_local_average_wage() -> None:
    richer = POLICY.model_copy(update={"local_average_annual_wage_cny": 200_000})
    result = classify(candidate(salary=1_000_000, education="other", experience=0), richer)
    assert result.direct_criterion is None
    assert POLICY.direct_salary_threshold_cny == 6 * 149_208


def degree(
    level: str, registry_id: str = "DEG-1", valid_until: date | None = None
) -> ResolvedDocument:
    return ResolvedDocument(
        kind="degree",
        registry_id=registry_id,
        issuer="Leiden University",
        issued_on=date(2010, 6, 30),
        valid_until=valid_until,
        details={"level": level},
    )


# (rule, typed level, cited degrees, points scored, value shown)
REGISTRY_EDUCATION: list[tuple[str, str, tuple[ResolvedDocument, ...], int, str]] = [
    ("the registry confirms the typed level", "doctorate", (degree("doctorate"),), 20, "doctorate"),
    (
        "the registry's lower level scores, and the mismatch is noted",
        "doctorate",
        (degree("master"),),
        15,
        "master (registry; typed doctorate)",
    ),
    (
        "the registry's higher level scores too",
        "bachelor",
        (degree("doctorate"),),
        20,
        "doctorate (registry; typed bachelor)",
    ),
    (
        "a registry degree counts for a person who typed no degree",
        "other",
        (degree("bachelor"),),
        10,
        "bachelor (registry; typed other)",
    ),
    (
        "of several degrees the best one scores",
        "master",
        (degree("bachelor", "DEG-1"), degree("master", "DEG-2")),
        15,
        "master",
    ),
    (
        "without a registry degree the typed level scores, said to be unverified",
        "doctorate",
        (),
        20,
        "doctorate (typed; no registry degree)",
    ),
    (
        "a degree that expired before the application does not set the level",
        "doctorate",
        (degree("master", valid_until=date(2026, 3, 1)),),
        20,
        "doctorate (typed; no registry degree)",
    ),
    (
        "a degree without a known level does not set it",
        "master",
        (degree("honorary"),),
        15,
        "master (typed; no registry degree)",
    ),
    ("typing no degree and citing none is plain", "other", (), 0, "other"),
]


@pytest.mark.parametrize(
    ("rule", "typed", "degrees", "points", "value"),
    REGISTRY_EDUCATION,
    ids=[r[0] for r in REGISTRY_EDUCATION],
)
def test_the_registry_level_of_a_degree_is_the_one_that_scores(
    rule: str, typed: str, degrees: tuple[ResolvedDocument, ...], points: int, value: str
) -> None:
    who = candidate(education=typed, documents=degrees)
    [education] = [f for f in points_by_factor(who, POLICY.points) if f.factor == "education"]
    assert (education.points, education.value) == (points, value), rule


def test_a_typed_doctorate_the_registry_knows_as_a_master_can_change_the_category() -> None:
    # 20 salary + 20 doctorate + 5 experience + 15 months + 15 age + 10 bonuses = 85 (A);
    # the registry's master earns 15, so 80 (B).
    typed = scored("top", bonuses=("patent", "fortune_500"))
    assert classify(typed, POLICY).category == "A"
    checked = candidate(
        salary=450_000,
        education="doctorate",
        experience=2,
        bonuses=("patent", "fortune_500"),
        documents=(degree("master"),),
    )
    result = classify(checked, POLICY)
    assert (result.points, result.category) == (80, "B")

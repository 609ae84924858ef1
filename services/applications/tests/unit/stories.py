"""Builders for saga stories: a submitted case, answers from the other services."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from onewindow.applications.domain.case import Case
from onewindow.contracts.v1.applications import Actor, SubmitApplication
from onewindow.contracts.v1.common import (
    Applicant,
    ApplicationForm,
    DocumentRef,
    Employer,
    EmployerRef,
    Passport,
    Position,
    Qualifications,
    Residence,
)
from onewindow.contracts.v1.identity import IdentityVerified

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
TODAY = NOW.date()


class WeekdayCalendar:
    """Monday to Friday: enough for the saga's own arithmetic in unit tests."""

    def add_working_days(self, start: date, n: int) -> date:
        day = start
        while n > 0:
            day += timedelta(days=1)
            if day.weekday() < 5:
                n -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            if day.weekday() < 5:
                count += 1
        return count


CALENDAR = WeekdayCalendar()


def form() -> ApplicationForm:
    return ApplicationForm(
        applicant=Applicant(
            surname="DE JONG",
            given_names="ANNA",
            sex="F",
            date_of_birth=date(1984, 8, 12),
            nationality="NLD",
            passport=Passport(number="NX4K2P7R1", expires_on=date(2033, 10, 31)),
            email="anna@example.org",
        ),
        employer=EmployerRef(uscc="91310104MA1FL5KX1N", contact_email="hr@example.com"),
        position=Position(
            title="Chief Scientist",
            annual_salary_cny=900_000,
            contract_start=date(2026, 4, 1),
            contract_end=date(2029, 3, 31),
            months_in_china_per_year=12,
        ),
        qualifications=Qualifications(education="doctorate", experience_years=15),
        residence=Residence(address="Xuhui", registration_number="XH-2026-000123"),
        documents=(DocumentRef(kind="degree", registry_id="deg-1"),),
    )


def submitted(application_id: str = "case-1") -> Case:
    case = Case()
    case.open(
        SubmitApplication(
            application_id=application_id,
            submitted_by=Actor(sub="anna", role="applicant"),
            submitted_at=NOW,
            form=form(),
        ),
        due_on=CALENDAR.add_working_days(TODAY, 7),
    )
    return case


def verified(case: Case) -> IdentityVerified:
    return IdentityVerified(
        application_id=case.application_id,
        person_ref="P-1",
        employer=Employer(
            uscc="91310104MA1FL5KX1N", name="ACME", licence_valid_until=date(2030, 1, 1)
        ),
        documents=(),
    )


def assessing() -> Case:
    case = submitted()
    case.identity_verified(verified(case))
    return case

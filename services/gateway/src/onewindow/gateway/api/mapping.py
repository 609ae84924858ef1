"""The API's request bodies as the bus's values (`contracts.v1.common`): the one mapping."""

from __future__ import annotations

from collections.abc import Sequence

from onewindow.contracts.v1.common import (
    Applicant,
    ApplicationForm,
    Commitments,
    DocumentRef,
    EmployerRef,
    Passport,
    Position,
    Qualifications,
    Residence,
)
from onewindow.gateway.api.applications import ApplicationRequest, DocumentIn


def to_documents(documents: Sequence[DocumentIn]) -> tuple[DocumentRef, ...]:
    """Cited documents as references on the bus."""
    return tuple(
        DocumentRef(kind=d.kind, registry_id=d.registry_id, upload_id=d.upload_id)
        for d in documents
    )


def to_form(request: ApplicationRequest) -> ApplicationForm:
    """The application as `SubmitApplication` carries it."""
    applicant, passport = request.applicant, request.applicant.passport
    position, qualifications = request.position, request.qualifications
    mrz = (passport.mrz[0], passport.mrz[1]) if passport.mrz else None
    return ApplicationForm(
        applicant=Applicant(
            surname=applicant.surname,
            given_names=applicant.given_names,
            sex=applicant.sex,
            date_of_birth=applicant.date_of_birth,
            nationality=applicant.nationality,
            passport=Passport(number=passport.number, expires_on=passport.expires_on, mrz=mrz),
            email=applicant.email,
            phone=applicant.phone,
        ),
        employer=EmployerRef(
            uscc=request.employer.uscc, contact_email=request.employer.contact_email
        ),
        position=Position(
            title=position.title,
            annual_salary_cny=position.annual_salary_cny,
            contract_start=position.contract_start,
            contract_end=position.contract_end,
            months_in_china_per_year=position.months_in_china_per_year,
        ),
        qualifications=Qualifications(
            education=qualifications.education,
            experience_years=qualifications.experience_years,
            hsk_level=qualifications.hsk_level,
            chinese_taught_degree=qualifications.chinese_taught_degree,
            bonuses=tuple(qualifications.bonuses),
        ),
        residence=Residence(
            address=request.residence.address,
            registration_number=request.residence.registration_number,
        ),
        documents=to_documents(request.documents),
        commitments=Commitments(criminal_record=request.commitments.criminal_record),
        channel=request.channel,
        language=request.language,
    )

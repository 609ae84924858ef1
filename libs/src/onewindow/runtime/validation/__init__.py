"""Validation of what people type: passports and their MRZ, employers' USCC, countries.

Pure functions shared by the gateway (validation at the door) and identity. Every
failure is an `InvalidInput` (a `ValueError`) naming the field and the rule.
"""

from onewindow.runtime.validation.countries import UnknownCountry, is_country, validate_country
from onewindow.runtime.validation.errors import InvalidInput
from onewindow.runtime.validation.mrz import MrzError, Td3, build_td3, check_agreement, parse_td3
from onewindow.runtime.validation.passport import InvalidPassportNumber, validate_passport_number
from onewindow.runtime.validation.uscc import InvalidUscc, make_uscc, validate_uscc

__all__ = [
    "InvalidInput",
    "InvalidPassportNumber",
    "InvalidUscc",
    "MrzError",
    "Td3",
    "UnknownCountry",
    "build_td3",
    "check_agreement",
    "is_country",
    "make_uscc",
    "parse_td3",
    "validate_country",
    "validate_passport_number",
    "validate_uscc",
]

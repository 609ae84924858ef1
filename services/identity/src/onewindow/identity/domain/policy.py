"""Identity's policy data: the legal basis of every reason identity gives.

Identity verifies a case under the one-window procedure rules of Xuhui District
(passport valid on the application date, employer and cited certificates in the
registry, one open case per person and employer; DOMAIN.md "How a case is decided").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from onewindow.contracts.v1.common import LegalBasis, ReasonCode

# The one-window procedure rules identity applies. The policy id and the article numbers
# below are this project's own policy identifiers for those rules (not an official
# numbering); they change here, in one table, when the rules are revised.
POLICY: Final = "one-window-2026.1-shanghai"
ARTICLES: Final[Mapping[ReasonCode, str]] = {
    "passport_expired": "§2.1",  # a passport valid on the application date
    "employer_not_registered": "§2.3",  # the employer in the e-government registry
    "duplicate_application": "§2.5",  # one open case per person and employer
    "document_not_found": "§3.2",  # a cited certificate is the applicant's, in the registry
}


def legal_basis(code: ReasonCode) -> LegalBasis:
    """The policy and article a reason identity gives rests on.

    Raises `KeyError` for a code identity never gives (a reason without a basis is a bug).
    """
    return LegalBasis(policy=POLICY, article=ARTICLES[code])

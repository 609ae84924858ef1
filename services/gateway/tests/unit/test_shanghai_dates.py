"""The gateway's "today" is the Shanghai date: it turns at 16:00 UTC, not at midnight UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from .support import DELETE, application, auth, unit_gateway

KEY = "5b2f6a10-0000-4000-8000-000000000023"
# The passport's last valid day; "expires_on must be after today" (DOMAIN.md, at the door).
EXPIRES_ON = "2026-06-01"


@pytest.mark.parametrize(
    ("moment", "status"),
    [
        pytest.param(datetime(2026, 5, 31, 15, 59, tzinfo=UTC), 202, id="23:59 on 31 May"),
        pytest.param(datetime(2026, 5, 31, 16, 1, tzinfo=UTC), 422, id="00:01 on 1 June"),
    ],
)
async def test_a_passport_expiring_today_in_shanghai_is_refused_at_the_door(
    moment: datetime, status: int
) -> None:
    # At 16:01 UTC it is still 31 May in UTC, but 1 June, the expiry day, in Shanghai.
    gateway = unit_gateway()
    gateway.clock.set(moment)
    body = application(
        **{"applicant.passport.expires_on": EXPIRES_ON, "applicant.passport.mrz": DELETE}
    )
    async with gateway.client() as client:
        response = await client.post(
            "/v1/applications", json=body, headers={**auth(), "Idempotency-Key": KEY}
        )
    assert response.status_code == status, response.text
    if status == 422:
        [error] = response.json()["errors"]
        assert error["loc"] == ["body", "applicant", "passport", "expires_on"]

"""`POST /v1/passport-readings`: a passport data page the test renders itself (a photo box,
the printed fields, the two MRZ lines in a monospaced face) read by PassportEye and Debian's
tesseract-ocr; sharp, blurred, and with a wrong check digit; and the typed MRZ."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from onewindow.gateway.domain.passport_reading import MrzError, ocr_repaired, reading

from .support import MRZ, auth, unit_gateway

MONO = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"
SANS = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
LINES = MRZ  # API.md's example applicant
# The passport number's check digit changed (6 → 0): every other character is as issued.
WRONG_CHECK = (LINES[0], LINES[1][:9] + "0" + LINES[1][10:])
MISREAD = (LINES[0], LINES[1][:13] + "B" + LINES[1][14:26] + "I" + LINES[1][27:])


def data_page(lines: tuple[str, str], *, blur: float = 0, kind: str = "PNG") -> bytes:
    """A passport's data page as a scanner would give it."""
    page = Image.new("L", (1250, 880), 235)
    draw = ImageDraw.Draw(page)
    mono, sans = ImageFont.truetype(MONO, 40), ImageFont.truetype(SANS, 26)
    draw.rectangle((50, 120, 330, 500), fill=180)  # the photo
    printed = [("Surname", "DE JONG"), ("Given names", "ANNA"), ("Nationality", "NLD")]
    for row, (label, value) in enumerate(printed):
        draw.text((380, 120 + row * 80), label, fill=60, font=sans)
        draw.text((380, 150 + row * 80), value, fill=0, font=sans)
    draw.text((40, 680), lines[0], fill=0, font=mono)
    draw.text((40, 760), lines[1], fill=0, font=mono)
    if blur:
        page = page.filter(ImageFilter.GaussianBlur(blur))
    out = io.BytesIO()
    page.save(out, kind)
    return out.getvalue()


async def read(
    files: dict[str, Any] | None = None, data: dict[str, str] | None = None, role: str = "applicant"
) -> Any:
    # A form's text fields go as parts of the multipart body, as a browser's FormData sends them.
    parts = {**(files or {}), **{k: (None, v) for k, v in (data or {}).items()}}
    gateway = unit_gateway()
    async with gateway.client() as client:
        return await client.post("/v1/passport-readings", files=parts, headers=auth(role))


async def test_a_sharp_data_page_is_read_with_every_check_digit_verified() -> None:
    answer = await read(files={"image": ("page.png", data_page(LINES), "image/png")})

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["source"] == "image"
    assert body["mrz"] == list(LINES)
    assert body["fields"] == {
        "document_code": "P",
        "issuing_state": "NLD",
        "surname": "DE JONG",
        "given_names": "ANNA",
        "passport_number": "NX4K2P7R1",
        "nationality": "NLD",
        "date_of_birth": "1984-08-12",
        "sex": "F",
        "expires_on": "2033-10-31",
        "optional_data": "",
    }


async def test_a_blurred_photo_is_not_read_and_says_what_to_do() -> None:
    blurred = data_page(LINES, blur=6, kind="JPEG")
    answer = await read(files={"image": ("page.jpg", blurred, "image/jpeg")})

    assert answer.status_code == 422
    assert answer.json()["type"].endswith("/mrz-not-found")
    assert "type the two lines" in answer.json()["detail"]


async def test_a_wrong_check_digit_on_the_image_is_named() -> None:
    answer = await read(files={"image": ("page.png", data_page(WRONG_CHECK), "image/png")})

    assert answer.status_code == 422
    problem = answer.json()
    assert problem["type"].endswith("/mrz-invalid")
    assert problem["errors"][0]["loc"] == ["mrz", "passport_number_check"]
    assert "read from the image" in problem["detail"]


async def test_typed_lines_are_read_too() -> None:
    typed = await read(data={"mrz": "\n".join(LINES).lower()})
    wrong = await read(data={"mrz": "\n".join(WRONG_CHECK)})

    assert typed.status_code == 200
    assert typed.json()["source"] == "typed"
    assert typed.json()["fields"]["passport_number"] == "NX4K2P7R1"
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["loc"] == ["mrz", "passport_number_check"]


@pytest.mark.parametrize(
    ("files", "data", "role", "status"),
    [
        (
            {"image": ("scan.pdf", b"%PDF-1.7 not an image", "application/pdf")},
            None,
            "applicant",
            415,
        ),
        (None, {"note": "nothing to read"}, "applicant", 422),
        (None, {"mrz": "\n".join(LINES)}, "officer", 403),
    ],
    ids=["not an image", "neither image nor lines", "an officer"],
)
async def test_what_is_refused(
    files: dict[str, Any] | None, data: dict[str, str] | None, role: str, status: int
) -> None:
    answer = await read(files=files, data=data, role=role)
    assert answer.status_code == status


def test_a_letter_the_ocr_saw_where_only_a_digit_can_stand_is_read_as_that_digit() -> None:
    # The birth date's `8` read as `B`, the expiry's last `1` as `I` (as tesseract read a
    # composite check digit `0` as `Q` on a CI run).
    assert MISREAD != LINES

    repaired = ocr_repaired(MISREAD)

    assert repaired == LINES
    assert reading(repaired, date(2026, 12, 7), "image")["fields"]["date_of_birth"] == "1984-08-12"


def test_typed_lines_are_never_repaired() -> None:
    with pytest.raises(MrzError):
        reading(MISREAD, date(2026, 12, 7), "typed")

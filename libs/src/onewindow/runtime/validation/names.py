"""Names as the machine readable zone writes them (ICAO 9303 Part 3, section 6).

Only A–Z and the filler survive: letters with diacritics are transliterated,
hyphens and spaces become fillers, other punctuation is dropped. ICAO allows two
spellings for some letters (Ü as UE or U), so a typed name has up to two MRZ forms.
"""

from __future__ import annotations

import unicodedata

# ICAO 9303 Part 3, table of recommended transliterations, where a letter's
# recommended form differs from its base letter.
_RECOMMENDED = {"Ä": "AE", "Ö": "OE", "Ü": "UE", "Å": "AA"}
# Letters with no decomposition into base letter and mark.
_UNDECOMPOSABLE = {"Æ": "AE", "Ø": "OE", "Œ": "OE", "ẞ": "SS", "Þ": "TH", "Ð": "D", "Ł": "L"}
_SEPARATORS = {" ", "-", "<"}


def _transliterate(text: str, *, recommended: bool) -> str:
    out: list[str] = []
    # str.upper() already writes ß as SS.
    for upper in text.upper():
        if recommended and upper in _RECOMMENDED:
            out.append(_RECOMMENDED[upper])
        elif upper in _UNDECOMPOSABLE:
            out.append(_UNDECOMPOSABLE[upper])
        elif upper in _SEPARATORS:
            out.append(" ")
        else:
            base = unicodedata.normalize("NFKD", upper)
            out.append("".join(c for c in base if "A" <= c <= "Z"))
    return " ".join("".join(out).split())


def mrz_forms(name: str) -> frozenset[str]:
    """The ways the MRZ may write `name`: upper-case A–Z words separated by single spaces."""
    return frozenset(_transliterate(name, recommended=flag) for flag in (True, False))


def mrz_form(name: str) -> str:
    """The spelling ICAO recommends (Ü as UE), as `build_td3` writes it."""
    return _transliterate(name, recommended=True)


def agrees(mrz_name: str, typed: str, *, truncated: bool) -> bool:
    """True if the MRZ's `mrz_name` (words separated by spaces) writes the typed name.

    When the MRZ name field is full (`truncated`), ICAO shortens names to fit; then
    each MRZ word need only begin the corresponding typed word, and trailing words
    (the given names, when the surname fills the field) may be missing.
    """
    for form in mrz_forms(typed):
        if form == mrz_name:
            return True
        if truncated:
            mrz_words, typed_words = mrz_name.split(), form.split()
            if len(mrz_words) <= len(typed_words) and all(
                t.startswith(m) for m, t in zip(mrz_words, typed_words, strict=False)
            ):
                return True
    return False

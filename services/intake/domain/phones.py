"""Chinese phone numbers: which are customer phones (mobile, landline, local) and which are not."""

from __future__ import annotations

import re
import unicodedata
from enum import Enum


class PhoneKind(str, Enum):
    """What a phone string is; only `mobile`, `landline` and `local` reach a customer."""

    mobile = "mobile"
    landline = "landline"
    local = "local"
    service = "service"
    invalid = "invalid"


CUSTOMER_KINDS = frozenset({PhoneKind.mobile, PhoneKind.landline, PhoneKind.local})

_ALLOWED_CHARS = re.compile(r"\+?[\d\s\-().]+")
_COUNTRY = re.compile(r"^(?:\+86|0086)")
_MOBILE = re.compile(r"1[3-9]\d{9}")
_LANDLINE = re.compile(r"0(?:10|2\d)[2-9]\d{7}|0[3-9]\d{2}[2-9]\d{6,7}")  # area code + local number
_LOCAL = re.compile(r"[2-9]\d{7}")
# Hotlines and short codes (10050, 12315, 96296, 966022, 95598), optionally behind an area code; 400/800.
_SERVICE = re.compile(r"(?:0(?:10|2\d|[3-9]\d{2}))?(?:1\d{2,5}|9\d{4,5})|[48]00\d{7}")


def normalize_phone(raw: str) -> str:
    """Digits only: full-width digits folded, separators and a +86/0086 country prefix removed."""
    text = unicodedata.normalize("NFKC", raw).strip()
    text = _COUNTRY.sub("", text)
    return re.sub(r"\D", "", text)


def classify_phone(raw: str) -> PhoneKind:
    """Classify a phone string as written by an agent or customer."""
    text = unicodedata.normalize("NFKC", raw).strip()
    if not text or not _ALLOWED_CHARS.fullmatch(text):
        return PhoneKind.invalid
    if text.startswith("+") and not text.startswith("+86"):
        return PhoneKind.invalid
    digits = normalize_phone(text)
    if _MOBILE.fullmatch(digits):
        return PhoneKind.mobile
    if _SERVICE.fullmatch(digits):
        return PhoneKind.service
    if _LANDLINE.fullmatch(digits):
        return PhoneKind.landline
    if _LOCAL.fullmatch(digits):
        return PhoneKind.local
    return PhoneKind.invalid


def customer_phone_problem(raw: str) -> str | None:
    """Why `raw` is not a phone on which we can reach the customer, or None when it is."""
    kind = classify_phone(raw)
    if kind is PhoneKind.service:
        return f"{raw!r} is a service number, not the customer's phone"
    if kind is PhoneKind.invalid:
        return f"{raw!r} is not a mobile, a landline with area code, or an 8-digit local number"
    return None

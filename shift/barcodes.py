"""Barcode patterns from site.toml: what a patron card or an item barcode looks like.

A keyboard-wedge scanner types the barcode and Enter; what arrives may carry
junk (a stray control character, a space, a prefix the scanner adds). `check`
says exactly what is wrong, in words for the desk.
"""

from typing import NamedTuple


def luhn_ok(digits: str) -> bool:
    """The mod-10 (Luhn) check used by 14-digit Codabar library barcodes."""
    if not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def luhn_digit(body: str) -> str:
    """The check digit that makes `body` + digit pass luhn_ok."""
    return next(d for d in "0123456789" if luhn_ok(body + d))


CHECK_DIGITS = ("none", "luhn")


class BarcodePattern(NamedTuple):
    what: str  # "patron card" or "item barcode", for messages
    min_length: int = 1
    max_length: int = 80  # an Alma offline line holds 80 characters of item barcode
    prefixes: tuple[str, ...] = ()
    digits_only: bool = False
    check_digit: str = "none"

    def problem(self, code: str) -> str | None:
        """Why `code` is not a valid barcode of this kind, or None when it is."""
        if not code:
            return f"empty {self.what}"
        if any(not ch.isprintable() or ch.isspace() for ch in code):
            return f"{self.what} {visible(code)} contains spaces or control characters"
        if not code.isascii() or not code.replace("-", "").isalnum():
            return f"{self.what} {visible(code)} contains characters a barcode cannot have"
        if self.digits_only and not code.isdigit():
            return f"{self.what} {visible(code)} must be digits only"
        if not self.min_length <= len(code) <= self.max_length:
            size = (str(self.min_length) if self.min_length == self.max_length
                    else f"{self.min_length}-{self.max_length}")
            return f"{self.what} {visible(code)} has {len(code)} characters; expected {size}"
        if self.prefixes and not code.startswith(self.prefixes):
            return f"{self.what} {visible(code)} should start with {' or '.join(self.prefixes)}"
        if self.check_digit == "luhn" and not luhn_ok(code):
            return f"{self.what} {visible(code)} fails its check digit (a misread? scan again)"
        return None

    def matches(self, code: str) -> bool:
        return self.problem(code) is None


def clean_scan(raw: str) -> str:
    """What a scanner sent, without the surrounding whitespace it may add."""
    return raw.strip()


def visible(code: str) -> str:
    """The barcode with control characters made visible, for a message."""
    shown = "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in code)
    return f"'{shown[:90]}'"

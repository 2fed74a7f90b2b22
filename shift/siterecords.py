"""The `[incidents]` and `[circulation]` sections of site.toml."""

from typing import NamedTuple

from shift.barcodes import CHECK_DIGITS, BarcodePattern, visible
from shift.tomlsrc import Section

SUPPLEMENT_HOURS = 24  # supplements later than this after the report are still taken, and marked late

# Categories seen in practice at library desks (DOMAIN.md); a site may replace them.
DEFAULT_INCIDENT_CATEGORIES = (
    "Injury",
    "Medical emergency",
    "Hazardous condition",
    "Abusive or threatening behaviour",
    "Criminal activity (theft, vandalism)",
    "Unattended child or vulnerable adult",
    "Unplanned closure",
    "Facilities problem",
    "False alarm",
    "Banned person present",
    "De-escalation",
    "Other",
)
FEE_METHODS = ("cash", "debit", "credit", "cheque", "other")


class IncidentConfig(NamedTuple):
    categories: tuple[str, ...] = DEFAULT_INCIDENT_CATEGORIES
    retention_years: int = 7
    supplement_hours: int = SUPPLEMENT_HOURS
    desk_calls_authority: bool = False  # the site's policy: the desk itself calls it after a critical injury


class CirculationConfig(NamedTuple):
    patron: BarcodePattern = BarcodePattern("patron card")
    item: BarcodePattern = BarcodePattern("item barcode")
    generator: str = "Solo Shift"  # the Generator= in a Koha .koc header
    purge_after_days: int = 14  # patron identifiers are purged this long after export
    fee_methods: tuple[str, ...] = FEE_METHODS


def read_incidents(root: Section) -> IncidentConfig:
    sec = root.table("incidents")
    if sec is None:
        return IncidentConfig()
    default = IncidentConfig()
    categories = tuple(c.strip() for c in sec.texts("categories", list(default.categories)) if c.strip())
    if len(set(c.lower() for c in categories)) != len(categories):
        sec.error("categories", "a category is listed twice")
    config = IncidentConfig(
        categories=categories or default.categories,
        retention_years=sec.whole("retention_years", default.retention_years, minimum=1, maximum=100),
        supplement_hours=sec.whole("supplement_hours", default.supplement_hours, minimum=1, maximum=24 * 30),
        desk_calls_authority=sec.flag("desk_calls_authority", False),
    )
    if sec.has("ministry_of_labour"):
        sec.error("ministry_of_labour", "the number is now in the jurisdiction file; to dial it another way "
                                        "from the desk, give it as a contact (see the jurisdiction's "
                                        "[authority] contact)")
    sec.finish()
    return config


def read_circulation(root: Section) -> CirculationConfig:
    sec = root.table("circulation")
    default = CirculationConfig()
    if sec is None:
        return default
    config = CirculationConfig(
        patron=_pattern(sec.table("patron"), "patron card"),
        item=_pattern(sec.table("item"), "item barcode"),
        generator=sec.text("generator", default.generator) or default.generator,
        purge_after_days=sec.whole("purge_after_days", default.purge_after_days, minimum=0, maximum=3650),
        fee_methods=tuple(sec.texts("fee_methods", list(FEE_METHODS))) or FEE_METHODS,
    )
    if "\t" in config.generator or "=" in config.generator:
        sec.error("generator", "must not contain a tab or '=' (it goes into the Koha file header)")
    sec.finish()
    return config


def _pattern(sec: Section | None, what: str) -> BarcodePattern:
    if sec is None:
        return BarcodePattern(what)
    length = sec.whole("length", None, minimum=1, maximum=80)
    low = sec.whole("min_length", length or 1, minimum=1, maximum=80)
    high = sec.whole("max_length", length or 80, minimum=1, maximum=80)
    if length is not None and ("min_length" in sec.data or "max_length" in sec.data):
        sec.error("length", "give either length or min_length/max_length, not both")
    if low > high:
        sec.error("min_length", f"min_length {low} is more than max_length {high}")
        low, high = 1, 80
    check = sec.text("check_digit", "none") or "none"
    if check not in CHECK_DIGITS:
        sec.error("check_digit", f"'{check}' must be one of {', '.join(CHECK_DIGITS)}")
        check = "none"
    digits_only = sec.flag("digits_only", False)
    prefixes = []
    for i, prefix in enumerate(sec.texts("prefixes")):
        # A prefix no scan can have would refuse every one; an empty one would allow any.
        if not prefix or not prefix.isascii() or not prefix.replace("-", "").isalnum() or (
                digits_only and not prefix.isdigit()):
            sec.error("prefixes", f"item {i + 1}: {visible(prefix)} is not the start of a barcode: use "
                                  f"{'digits' if digits_only else 'letters, digits or -'}")
        else:
            prefixes.append(prefix)
    pattern = BarcodePattern(what, low, high, tuple(prefixes), digits_only, check)
    sec.finish()
    return pattern

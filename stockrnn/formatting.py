"""Numbers as people read them in tables and titles: one formatter for every command and target.

Prices, and errors in price units, keep their significant digits at every level: two decimals as a stock's price
is quoted (2239.39, 12.35), more below 1 (0.0123), and below 0.001 scientific notation (1.23e-05), so that a coin's
price never shows as 0.00 and its digits still fit an 80-column table. Scores (a skill, a MAPE, an index near
0.0012) keep two significant digits the same way (`significant`), never rounded to 0.00.
"""

from __future__ import annotations

import math

PRICE_DIGITS = 3  # significant digits a price shows at least (two decimals show more from 1 up)
BAND_DIGITS = 3  # significant digits of a band's upper end (2225..2254, 89.4..91.2, 1.23..1.31)
SIGNIFICANT = 2  # significant digits a score (skill, MAPE, index) shows at least, beside two decimals
SCIENTIFIC_BELOW = 1e-3  # smaller numbers in scientific notation: 1.23e-07 is 8 columns, 0.000000123 is 11


def fmt(value: float | None, spec: str | None = None) -> str:
    """`value` formatted by `spec`, or by default to SIGNIFICANT digits (`significant`); "n/a" where it is missing."""
    if value is None:
        return "n/a"
    return significant(value) if spec is None else format(value, spec)


def significant(value: float | None, digits: int = SIGNIFICANT, sign: bool = False) -> str:
    """A score (a skill, a MAPE in %, an index) to `digits` significant digits and at least two decimals, so that
    a small number never shows as 0.00: 0.0012 -> "0.0012", 4.3818 -> "4.38", 12.345 -> "12.35", 2345.67 ->
    "2345.67"; below SCIENTIFIC_BELOW in scientific notation (1.2e-05). `sign`: always a sign (+0.0075, -0.013);
    "n/a" where it is missing or not finite."""
    if value is None or not math.isfinite(value):
        return "n/a"
    plus = "+" if sign else ""
    if 0 < abs(value) < SCIENTIFIC_BELOW:
        return f"{value:{plus}.{digits - 1}e}"
    return format(value, f"{plus}.{max(2, _decimals(value, digits))}f")


def price(value: float | None) -> str:
    """A price or an error in price units: two decimals, or as many more as show PRICE_DIGITS significant digits
    (0.0123), or below SCIENTIFIC_BELOW those digits in scientific notation (1.23e-05); "n/a" where it is missing."""
    if value is None or not math.isfinite(value):
        return fmt(value, ".2f")
    if 0 < abs(value) < SCIENTIFIC_BELOW:
        return f"{value:.{PRICE_DIGITS - 1}e}"
    return format(value, f".{max(2, _decimals(value, PRICE_DIGITS))}f")


def band(lower: float, upper: float) -> str:
    """A prediction interval, lower..upper, to the decimals that show BAND_DIGITS significant digits of its upper end
    and two of its lower end: 2225..2254, 89.4..89.5, 0.0312..0.0355, 0.00021..0.00350; below SCIENTIFIC_BELOW
    in scientific notation: 1.09e-05..1.11e-05."""
    if abs(upper) < SCIENTIFIC_BELOW:
        return f"{lower:.{BAND_DIGITS - 1}e}..{upper:.{BAND_DIGITS - 1}e}"
    digits = _decimals(upper, BAND_DIGITS)
    if lower > 0:  # a price's band; a band below 0 shows no more digits for it
        digits = max(digits, _decimals(lower, 2))
    return f"{lower:.{digits}f}..{upper:.{digits}f}"


def _decimals(value: float, significant: int) -> int:
    """Decimals that show `significant` digits of `value` (0 from 10**(significant - 1) up, and for 0)."""
    if not value or not math.isfinite(value):
        return 0
    return max(0, significant - 1 - math.floor(math.log10(abs(value))))

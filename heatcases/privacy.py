"""Mask personal data in a case's title and story before it is stored.

Five kinds are recognised (codes in ``PII_KINDS``), each replaced by a short
masked form that never contains the full value:

* ``phone``     mainland mobile, 11 digits ``1[3-9]…``, optional +86/0086/86
  prefix, optional 3-4-4 grouping with spaces or hyphens  -> ``138****5678``
* ``id_card``   18-digit resident ID with a valid region, birth date
  (1900-2099) and ISO 7064 MOD 11-2 check character       -> ``110*************2X``
* ``bank_card`` 15-19 digits (optionally grouped in 4s), Luhn-valid.  Masked
  when card words (卡号, 银行卡, card …) introduce it, never when order words
  (订单号, 票号, booking …) do, otherwise only 16-19 digits starting 3/4/5/6;
  15 digits only for Amex (34/37) after card words         -> ``************1234``
* ``email``     ASCII address with a dotted domain         -> ``z***@example.com``
* ``passport``  Chinese formats (E+8 digits, E+letter+7, G+8, D/P/S(+E)+7),
  unless introduced by order words; or any 6-9 character token with at least
  5 digits right after 护照/護照/passport (号码, No., : …)      -> ``E******78``

A value counts only when it is not glued to other ASCII letters or digits (nor
part of a decimal or of a longer grouped run), so longer order numbers, flight
and train numbers, dates, prices and room numbers are left alone.  An 18-digit
number that is a valid ID card is an ID card, never a card number.

Detection runs on a copy of the text in which full-width digits, letters and a
few symbols (０-９, Ａ-Ｚ, ＋, －, ＠ …) are folded to ASCII; folding is one
character for one, so spans map back to the original and everything outside a
match is returned unchanged.  Masked values are written in compact ASCII form,
without grouping characters or country prefix.

Masking is idempotent: the masked shapes above are recognised and reserved
before detection, and every boundary rule treats "*" like the digit it hides,
so masking a masked text changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["PII_KINDS", "Found", "MaskResult", "mask_personal_data", "mask_fields"]

PII_KINDS = ("phone", "id_card", "bank_card", "email", "passport")


@dataclass(frozen=True)
class Found:
    kind: str  # one of PII_KINDS
    masked: str  # the value as it will be stored


@dataclass(frozen=True)
class MaskResult:
    text: str  # the masked text
    kinds: tuple[str, ...]  # kinds found, unique, in PII_KINDS order
    found: tuple[Found, ...] = ()  # each value replaced, as stored, in the order of the text (for a preview)


# Performance: stories can be 20,000 characters of mostly Chinese text.
# Python's re only scans fast when a pattern starts with a literal or a single
# character class, so the few patterns that scan the whole text start with one
# (left-hand boundaries are lookbehinds placed *after* that first character);
# everything else is matched at positions found by those scans or str.find.

# re.ASCII everywhere: \s and [0-9] stay ASCII, and IGNORECASE must not let the
# Kelvin sign pass for a "k".
_A = re.ASCII

# -- normalisation ----------------------------------------------------------

_FOLDABLE = "\uff03\uff05\uff0a\uff0b\uff0d\uff0e\uff10-\uff19\uff20-\uff3a\uff3f\uff41-\uff5a"
_FOLD = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_FOLD_RUN = re.compile(f"[{_FOLDABLE}]+")
# "，" and "：" (everywhere in Chinese text) are not folded, so most stories
# hold no foldable character at all and skip the folding pass; 70 str "in"
# checks cost far less.  Checking every foldable character, not just digits,
# keeps a second pass consistent: whatever is left after masking is folded again.
_FOLDABLE_CHARS = tuple(chr(code) for code in _FOLD if re.fullmatch(_FOLD_RUN, chr(code)))


def _fold(text: str) -> str:
    if any(char in text for char in _FOLDABLE_CHARS):
        return _FOLD_RUN.sub(lambda match: match.group().translate(_FOLD), text)
    return text


# -- patterns -----------------------------------------------------------------

# Right-hand boundary shared by the numeric kinds: not glued to letters or
# digits, and not the integer part of a decimal.  "*" stands for a digit that
# an earlier pass masked, so a second pass decides the same way.
_BR = r"(?![A-Za-z0-9])(?!\.[0-9*])"


# Every number of 15+ digits and every passport's digits in one pass over the
# digits of the text (the costly part of a long story).  "long": an ID card or
# card-number candidate, its left boundary checked once the first digit is
# consumed; "passport": 7 digits right after a letter, confirmed later.
_LONG_NUMBER = (
    r"[0-9]{5}(?P<id_sep>[ -])[0-9]{8}(?P=id_sep)[0-9]{3}[0-9Xx]"  # ID card 6-8-4
    r"|[0-9]{16}[Xx]"  # ID card ending in X
    r"|[0-9]{14,18}"  # compact: ID card or card number
    r"|[0-9]{3}(?P<sep4>[ -])[0-9]{4}(?P=sep4)[0-9]{4}(?P=sep4)[0-9]{4}(?:(?P=sep4)[0-9]{1,3})?"  # 4-4-4-4(-3)
    r"|[0-9]{3}(?P<sep6>[ -])[0-9]{6}(?P=sep6)[0-9]{5}"  # Amex 4-6-5
)
_NUMBERS = re.compile(
    rf"[0-9](?:(?<![A-Za-z0-9][0-9])(?<![0-9]\.[0-9])(?P<long>{_LONG_NUMBER}){_BR}"
    r"|(?<=[A-Za-z][0-9])(?P<passport>[0-9]{6}))",
    _A,
)

# The country prefix is looked for behind the number, so the scan can start at
# the literal "1".
_PHONE = re.compile(r"1[3-9][0-9]([ -]?)[0-9]{4}\1[0-9]{4}" + _BR, _A)
# A bare "86" only counts when glued on: "86 138…" may be a count or a room
# number that must survive.
_PHONE_PREFIX = re.compile(r"(?:(?:\+|00)86[ -]?|86)\Z", _A)

# Passports are confirmed with the full shape around the digits found by
# _NUMBERS; product codes ("HX-E12345678") and URL segments are not passports.
# "*" counts as part of such a code: once a neighbour is masked, the code must
# still not look like a passport on a second pass.
_PASSPORT = re.compile(
    r"(?<![A-Za-z0-9])(?<![A-Za-z0-9*][-_/.])"
    r"(?:[EG][0-9]{8}|E[A-HJ-NP-Z][0-9]{7}|[DPS]E?[0-9]{7})"
    r"(?![A-Za-z0-9])(?![-_/.][A-Za-z0-9*])",
    _A | re.IGNORECASE,
)
_PASSPORT_WORD_EN = re.compile(r"[Pp](?<![A-Za-z][Pp])[Aa][Ss][Ss][Pp][Oo][Rr][Tt]", _A)
# Only filler that *introduces* a number may sit between the word and the
# token, so "护照有效期至20300501" keeps its date.
_PASSPORT_TAIL = re.compile(
    r"(?:[\s\u3000]*(?:号码|號碼|编号|編號|号|號|no\.?|number|num\.?|nr\.?|#))?"
    r"(?:[\s\u3000]*(?:[:：#]|是|为|為|is(?![A-Za-z]))){0,3}[\s\u3000]*"
    r"(?<![A-Za-z0-9])([A-Za-z0-9]{6,9})" + _BR,
    _A | re.IGNORECASE,
)
_PASSPORT_MIN_DIGITS = 5

# E-mail addresses are found from their "@" (rare, and found by str.find).
# Matched on the reversed 65 characters before "@": one anchored attempt.
_LOCAL_PART_REVERSED = re.compile(r"[A-Za-z0-9._%+-]+", _A)
_LOCAL_MAX = 64
_LOCAL_FIRST = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9-])", _A)

# Exactly the shapes this module writes (e-mail aside, handled at its "@"),
# anchored around a run of asterisks.  The guards keep them from swallowing
# real data glued to them: "a***13812345678" still masks the phone.
_STARS = re.compile(r"\*\*\*+")
_MASKED = re.compile(
    r"(?<![A-Za-z0-9])(?:"
    r"1[3-9][0-9]\*{4}[0-9]{4}"
    r"|[0-9]{3}\*{13}[0-9][0-9X]"
    r"|\*{11,15}[0-9]{4}"
    r"|[A-Za-z0-9]\*{3,6}[A-Za-z0-9]{2}"
    r")(?![A-Za-z0-9])",
    _A,
)

# -- context words ------------------------------------------------------------

_CARD, _ORDER, _PASSPORT_CTX = "card", "order", "passport"
# fmt: off
_CONTEXT_WORDS = {
    _ORDER: (
        "订单", "訂單", "单号", "單號", "编号", "編號", "预订号", "預訂號", "预定号", "預定號",
        "确认号", "確認號", "确认码", "確認碼", "票号", "票號", "客票", "运单", "運單",
        "流水号", "流水號", "交易号", "交易號", "凭证号", "憑證號", "发票", "發票", "工单", "工單",
        "order", "booking", "confirmation", "ticket", "pnr", "tracking", "reference",
        "reservation", "invoice", "transaction", "waybill", "serial",
    ),
    _CARD: (
        "卡号", "卡號", "银行卡", "銀行卡", "信用卡", "储蓄卡", "儲蓄卡", "借记卡", "借記卡",
        "贷记卡", "貸記卡", "银联", "銀聯", "账号", "賬號", "帳號", "账户", "賬戶", "帳戶", "卡",
        "card", "visa", "mastercard", "unionpay", "amex", "account", "acct", "debit", "credit",
    ),
    _PASSPORT_CTX: ("护照", "護照", "passport"),
}
# fmt: on


_CONTEXT_CLASS = {word: cls for cls, words in _CONTEXT_WORDS.items() for word in words}
# Matched against a lower-cased window; a plain alternation of literals keeps
# the regex engine on its fast path (this runs once per candidate number).
_CONTEXT = re.compile("|".join(re.escape(word) for word in sorted(_CONTEXT_CLASS, key=len, reverse=True)))
# "Introduced by" means: a few characters before, in the same clause, with no
# other number in between.  '@' cuts off e-mail local parts, whose letters
# disappear once masked and would otherwise change the context on a 2nd pass.
_CONTEXT_WINDOW = 24
_CONTEXT_CUT = re.compile(r".*[0-9@。！？；;!?,，、\n\r]", re.DOTALL)

# -- validation -------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_REGIONS = frozenset(
    [str(code) for code in (*range(11, 16), 21, 22, 23, *range(31, 38), *range(41, 47), *range(50, 55))]
    + [str(code) for code in (*range(61, 66), 71, 81, 82, 83)]
    # Foreigners' permanent residence cards (2023 format): 9 + province digit.
    + [f"9{digit}" for digit in range(1, 9)]
)
_DAYS_IN_MONTH = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _is_id_card(number: str) -> bool:
    if number[:2] not in _ID_REGIONS:
        return False
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    if not (1900 <= year <= 2099 and 1 <= month <= 12):
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    if not 1 <= day <= _DAYS_IN_MONTH[month - 1] + (month == 2 and leap):
        return False
    total = sum(int(digit) * weight for digit, weight in zip(number, _ID_WEIGHTS, strict=False))
    return _ID_CHECK[total % 11] == number[17]


# A doubled digit counts as the sum of its digits: 7 -> 14 -> 5.
_LUHN_DOUBLED = str.maketrans("0123456789", "0246813579")


def _luhn_ok(number: str) -> bool:
    digits = number[-1::-2] + number[-2::-2].translate(_LUHN_DOUBLED)
    return sum(map(int, digits)) % 10 == 0


def _context_before(norm: str, start: int) -> str | None:
    """Class of the context word nearest before ``start`` (card/order/passport), if any."""
    window = norm[max(0, start - _CONTEXT_WINDOW) : start]
    cut = _CONTEXT_CUT.match(window)
    if cut:
        window = window[cut.end() :]
    window = window.lower()
    nearest = None
    for match in _CONTEXT.finditer(window):
        word, before = match.group(), window[match.start() - 1 : match.start()]
        # English words must start a word: "discard" is not a card.
        if word.isascii() and before.isascii() and before.isalnum():
            continue
        nearest = word
    return _CONTEXT_CLASS[nearest] if nearest else None


def _is_digit(char: str) -> bool:
    return "0" <= char <= "9"


def _is_group(chars: str) -> bool:
    return len(chars) == 2 and all(_is_digit(char) or char == "*" for char in chars)


def _glued_to_group(norm: str, start: int, end: int, sep: str) -> bool:
    """True when a grouped number is a slice of a longer grouped run.

    "6222 0212 3456 7890 1234" is one 20-digit run, not a card, while
    "138 1234 5678 2位" is a phone.  Asterisks count as digits, as above.
    """
    if not sep:
        return False
    return (norm[end : end + 1] == sep and _is_group(norm[end + 1 : end + 3])) or (
        norm[start - 1 : start] == sep and start >= 3 and _is_group(norm[start - 3 : start - 1])
    )


def _free_left(norm: str, start: int) -> bool:
    """The left boundary of a numeric value: no letter/digit, no decimal point after a digit."""
    if start == 0:
        return True
    char = norm[start - 1]
    if char.isascii() and char.isalnum():
        return False
    return not (char == "." and start >= 2 and _is_digit(norm[start - 2]))


# -- masking ------------------------------------------------------------------------


class _Spans:
    """Non-overlapping replacements; the first claim on a character wins."""

    __slots__ = ("taken", "hits")

    def __init__(self, size: int) -> None:
        self.taken = bytearray(size)
        self.hits: list[tuple[int, int, str, str]] = []  # start, end, replacement, kind

    def free(self, start: int, end: int) -> bool:
        return self.taken.find(1, start, end) == -1

    def claim(self, start: int, end: int, replacement: str | None = None, kind: str | None = None) -> bool:
        if not self.free(start, end):
            return False
        self.taken[start:end] = b"\x01" * (end - start)
        if replacement is not None and kind is not None:
            self.hits.append((start, end, replacement, kind))
        return True


def _reserve_masked(norm: str, spans: _Spans) -> None:
    for stars in _STARS.finditer(norm):
        first, last = stars.span()
        # Where a masked shape would start: 3 kept characters (phone, ID card),
        # 1 (passport), none (bank card, possibly after extra asterisks).
        for start in sorted({first - 3, first - 1, first, max(first, last - 15)}):
            if start >= 0:
                match = _MASKED.match(norm, start)
                if match:
                    spans.claim(start, match.end())
                    break


def _emails(norm: str, spans: _Spans) -> None:
    at = norm.find("@")
    while at != -1:
        domain = _DOMAIN.match(norm, at + 1)
        local = _LOCAL_PART_REVERSED.match(norm[max(0, at - _LOCAL_MAX - 1) : at][::-1]) if domain else None
        if local and local.end() <= _LOCAL_MAX:
            start = at - local.end()
            # "...zhang@x.com": the address starts after the dots.
            while start < at and norm[start] not in _LOCAL_FIRST:
                start += 1
            if start < at:
                spans.claim(start, domain.end(), f"{norm[start]}***@{domain.group()}", "email")
        elif domain and norm[at - 3 : at] == "***" and at >= 4 and norm[at - 4] in _LOCAL_FIRST:
            spans.claim(at - 4, domain.end())  # already masked
        at = norm.find("@", at + 1)


def _long_number(norm: str, match: re.Match[str], spans: _Spans) -> bool:
    """Claim an ID card or card number; False when it is neither."""
    start, end = match.span()
    id_sep, sep4, sep6 = match.group("id_sep", "sep4", "sep6")
    sep = id_sep or sep4 or sep6
    written = match.group()
    number = written.replace(sep, "").upper() if sep else written.upper()
    if sep and _glued_to_group(norm, start, end, sep):
        return False
    if len(number) == 18 and not sep4 and _is_id_card(number):
        return spans.claim(start, end, number[:3] + "*" * 13 + number[-2:], "id_card")
    if id_sep or not number.isdigit() or not _luhn_ok(number):
        return False
    context = _context_before(norm, start)
    if len(number) == 15:
        wanted = context == _CARD and number[:2] in ("34", "37")
    elif context == _CARD:
        wanted = True
    elif context == _ORDER:
        wanted = False
    else:
        wanted = number[0] in "3456"
    return wanted and spans.claim(start, end, "*" * (len(number) - 4) + number[-4:], "bank_card")


def _phones(norm: str, spans: _Spans) -> None:
    match = _PHONE.search(norm)
    while match:
        start, end = match.span()
        prefix = _PHONE_PREFIX.search(norm, max(0, start - 5), start)
        if prefix and _free_left(norm, prefix.start()):
            start = prefix.start()
        ok = (
            _free_left(norm, start)
            and not _glued_to_group(norm, start, end, match.group(1))
            and spans.claim(start, end, f"{match.group()[:3]}****{match.group()[-4:]}", "phone")
        )
        # A rejected match may hide a real one starting inside it.
        match = _PHONE.search(norm, end if ok else match.start() + 1)


def _mask_passport(token: str) -> str:
    return token[0] + "*" * (len(token) - 3) + token[-2:]


def _passport_word_ends(norm: str) -> list[int]:
    ends = []
    for word in ("护照", "護照"):
        index = norm.find(word)
        while index != -1:
            ends.append(index + 2)
            index = norm.find(word, index + 2)
    if "assport" in norm or "ASSPORT" in norm:
        ends.extend(match.end() for match in _PASSPORT_WORD_EN.finditer(norm))
    return ends


def _passports(norm: str, digit_starts: list[int], spans: _Spans) -> None:
    for word_end in _passport_word_ends(norm):
        match = _PASSPORT_TAIL.match(norm, word_end)
        if match and sum(map(str.isdigit, match.group(1))) >= _PASSPORT_MIN_DIGITS:
            spans.claim(match.start(1), match.end(1), _mask_passport(match.group(1)), "passport")
    for digits in digit_starts:
        for start in (digits - 2, digits - 1):
            match = _PASSPORT.match(norm, start) if start >= 0 else None
            # "订单号E12345678" is more likely a booking reference than a passport.
            if match and spans.free(*match.span()) and _context_before(norm, start) != _ORDER:
                spans.claim(start, match.end(), _mask_passport(match.group()), "passport")
                break


def _scan(text: str) -> list[tuple[int, int, str, str]]:
    """The personal data in ``text``: (start, end, masked form, kind), in the order of the text."""
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    if not text:
        return []
    norm = _fold(text)
    spans = _Spans(len(norm))
    if "***" in norm:
        _reserve_masked(norm, spans)
    # Order matters: an e-mail may contain a phone number, and an 18-digit
    # valid ID card is also a Luhn candidate; the more specific kind claims first.
    if "@" in norm:
        _emails(norm, spans)
    passport_digits = []
    match = _NUMBERS.search(norm)
    while match:
        if match.group("long"):
            # Not finditer: a rejected match may hide a real one after one of
            # its separators, and both passes must try the same positions.
            position = match.end() if _long_number(norm, match, spans) else match.start() + 1
        else:
            passport_digits.append(match.start())
            position = match.end()
        match = _NUMBERS.search(norm, position)
    _phones(norm, spans)
    _passports(norm, passport_digits, spans)
    return sorted(spans.hits)


def mask_personal_data(text: str) -> MaskResult:
    """Mask phone, ID card, bank card, e-mail and passport numbers in ``text``."""
    hits = _scan(text)
    if not hits:
        return MaskResult(text, ())
    pieces: list[str] = []
    position = 0
    for start, end, replacement, _kind in hits:
        pieces.append(text[position:start])
        pieces.append(replacement)
        position = end
    pieces.append(text[position:])
    kinds = tuple(kind for kind in PII_KINDS if kind in {hit[3] for hit in hits})
    return MaskResult("".join(pieces), kinds, tuple(Found(kind, masked) for _s, _e, masked, kind in hits))


def mask_fields(*texts: str) -> tuple[list[str], list[str]]:
    """Mask several texts (e.g. title and body); return (masked texts, union of kinds in PII_KINDS order)."""
    masked: list[str] = []
    found: set[str] = set()
    for text in texts:
        result = mask_personal_data(text)
        masked.append(result.text)
        found.update(result.kinds)
    return masked, [kind for kind in PII_KINDS if kind in found]

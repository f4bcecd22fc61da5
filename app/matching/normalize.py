"""Normalisation for Russian/English B2B data: names, legal forms, phones, emails, addresses.

Every function is pure and cheap, because the engine calls them once per record on bases of
a million rows.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import phonenumbers

__all__ = [
    "LEGAL_FORM_FAMILY",
    "fold_latin",
    "inn_is_valid",
    "normalise_address",
    "normalise_company_name",
    "normalise_email",
    "normalise_inn",
    "normalise_person_name",
    "normalise_phone",
    "normalise_text",
    "translit",
]

# --- text basics --------------------------------------------------------------------------

_QUOTES = "«»„“”‟\"'`´‘’‚‹›"
_QUOTE_TABLE = str.maketrans({q: " " for q in _QUOTES})
_NON_WORD = re.compile(r"[^\w&]+", re.UNICODE)
_SPACES = re.compile(r"\s+")
# Dotted abbreviations such as "N.V.", "S.A.", "о.о.о." collapse to one token before splitting.
_DOTTED = re.compile(r"(?<!\w)((?:\w\.){2,}\w?\.?)", re.UNICODE)


def normalise_text(text: str | None) -> str:
    """Lower-case, ё→е, strip quotes and punctuation, so spelling noise does not count as difference."""
    if not text:
        return ""
    text = unicodedata.normalize("NFKC", str(text)).lower().replace("ё", "е")
    text = text.translate(_QUOTE_TABLE)
    text = _DOTTED.sub(lambda m: m.group(1).replace(".", ""), text)
    text = _NON_WORD.sub(" ", text).replace("_", " ")
    return _SPACES.sub(" ", text).strip()


# --- transliteration ----------------------------------------------------------------------

_CYR_TO_LAT = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "e", "ж": "zh",
    "з": "z", "и": "i", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts",
    "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu",
    "я": "ya", "і": "i", "ї": "yi", "є": "ye", "ґ": "g", "ў": "u",
}
_CYR_TABLE = str.maketrans(_CYR_TO_LAT)

# Ordered rewrites that make the common transliteration systems (GOST, BGN, passport, ad hoc)
# land on one spelling: kh/h, ya/ia/ja, yu/iu/ju, ts/tc/tz/c (ц), shch/sch, y/i/j, w/v, x/ks.
# A "c" left over (not ch, not ц) is read as k, as in English spellings.
_FOLDS: tuple[tuple[str, str], ...] = (
    ("shch", "sh"), ("sch", "sh"), ("tch", "ch"), ("kh", "h"), ("ph", "f"), ("ck", "k"),
    ("cz", "ch"), ("tc", "c"), ("tz", "c"), ("ts", "c"), ("x", "ks"), ("q", "k"), ("w", "v"),
    ("j", "y"), ("y", "i"), ("ie", "e"), ("ou", "u"),
)
_DOUBLE = re.compile(r"([a-z])\1+")


@lru_cache(maxsize=200_000)
def fold_latin(word: str) -> str:
    """Fold a lower-case Latin word so transliteration variants of one Russian name converge."""
    for old, new in _FOLDS:
        if old in word:
            word = word.replace(old, new)
    return _DOUBLE.sub(r"\1", word)


def translit(text: str | None) -> str:
    """Canonical folded Latin form of any text, so «Ромашка» and "Romashka" compare equal."""
    norm = normalise_text(text)
    if not norm:
        return ""
    return " ".join(fold_latin(w) for w in norm.translate(_CYR_TABLE).split())


# --- company names and legal forms ----------------------------------------------------------

# Canonical codes; Russian forms use the English abbreviation that Russian firms use abroad.
_LEGAL_PHRASES: tuple[tuple[str, str], ...] = (
    (r"публичн\w* акционерн\w* обществ\w*", "PJSC"),
    (r"закрыт\w* акционерн\w* обществ\w*", "CJSC"),
    (r"открыт\w* акционерн\w* обществ\w*", "OJSC"),
    (r"непубличн\w* акционерн\w* обществ\w*", "JSC"),
    (r"акционерн\w* обществ\w*", "JSC"),
    (r"обществ\w* с ограниченн\w* ответственност\w*", "LLC"),
    (r"индивидуальн\w* предпринимател\w*", "IE"),
    (r"некоммерческ\w* организаци\w*", "NPO"),
    (r"автономн\w* некоммерческ\w* организаци\w*", "NPO"),
    (r"федеральн\w* государственн\w* унитарн\w* предприяти\w*", "SUE"),
    (r"государственн\w* унитарн\w* предприяти\w*", "SUE"),
    (r"муниципальн\w* унитарн\w* предприяти\w*", "SUE"),
    (r"товариществ\w* с ограниченн\w* ответственност\w*", "LLP"),
    (r"public joint stock company", "PJSC"),
    (r"closed joint stock company", "CJSC"),
    (r"open joint stock company", "OJSC"),
    (r"joint stock company", "JSC"),
    (r"limited liability company", "LLC"),
    (r"limited liability partnership", "LLP"),
    (r"public limited company", "PLC"),
    (r"private limited company", "LTD"),
    (r"sp z o o", "LLC"),
    (r"co ltd", "LTD"),
    (r"pty ltd", "LTD"),
)
_LEGAL_PHRASE_RES = tuple((re.compile(rf"(?<!\w){p}(?!\w)"), code) for p, code in _LEGAL_PHRASES)

_LEGAL_TOKENS: dict[str, str] = {
    "ооо": "LLC", "ooo": "LLC", "llc": "LLC", "l l c": "LLC", "ltd": "LTD", "limited": "LTD",
    "ао": "JSC", "ao": "JSC", "jsc": "JSC", "нао": "JSC",
    "пао": "PJSC", "pao": "PJSC", "pjsc": "PJSC",
    "зао": "CJSC", "zao": "CJSC", "cjsc": "CJSC",
    "оао": "OJSC", "oao": "OJSC", "ojsc": "OJSC",
    "ип": "IE", "ip": "IE", "ie": "IE", "пбоюл": "IE",
    "нко": "NPO", "ано": "NPO", "нп": "NPO", "npo": "NPO",
    "гуп": "SUE", "фгуп": "SUE", "муп": "SUE",
    "тоо": "LLP", "llp": "LLP", "lp": "LP",
    "inc": "INC", "incorporated": "INC", "corp": "CORP", "corporation": "CORP",
    "gmbh": "GMBH", "ag": "AG", "nv": "NV", "bv": "BV", "sa": "SA", "plc": "PLC",
    "srl": "SRL", "spa": "SPA", "oy": "OY", "ab": "AB", "kg": "KG", "sarl": "SARL",
}

# Forms in one family can describe the same firm: ЗАО became АО after 2014, and ООО is put
# into English as LLC or Ltd. Foreign forms belong to their own jurisdiction (a GmbH is not
# the Russian ООО), so a change of family counts against the pair.
LEGAL_FORM_FAMILY: dict[str, str] = {
    "LLC": "ru_limited", "LTD": "ru_limited",
    "JSC": "ru_stock", "PJSC": "ru_stock", "CJSC": "ru_stock", "OJSC": "ru_stock",
    "IE": "individual", "NPO": "nonprofit", "SUE": "state", "LLP": "partnership",
    "LP": "partnership", "INC": "us_corp", "CORP": "us_corp",
    "GMBH": "GMBH", "AG": "AG", "KG": "KG", "BV": "BV", "NV": "NV", "SA": "SA", "SARL": "SARL",
    "SRL": "SRL", "SPA": "SPA", "PLC": "PLC", "OY": "OY", "AB": "AB",
}

_COMPANY_STOP = frozenset({
    "the", "and", "&", "of", "co", "company", "компания", "фирма", "firm", "и", "ф",
})


def _canonical_form(value: str | None) -> str:
    norm = normalise_text(value)
    if not norm:
        return ""
    if norm in _LEGAL_TOKENS:
        return _LEGAL_TOKENS[norm]
    for rx, code in _LEGAL_PHRASE_RES:
        if rx.search(norm):
            return code
    return norm.upper()


_CAMEL = re.compile(r"([a-zа-яё])([A-ZА-ЯЁ])")
_WORD = re.compile(r"[\w.]+")


def _upper_if_form(m: re.Match[str]) -> str:
    word = m.group(0)
    return word.upper() if word.lower().replace(".", "") in _LEGAL_TOKENS else word


@lru_cache(maxsize=100_000)
def normalise_company_name(name: str | None) -> tuple[str, str]:
    """Split a name into (core, canonical legal form): "ООО «Ромашка»" gives ("ромашка", "LLC")."""
    if name:
        # "СистемаЛес" is two words, as in "Система Лес"; "GmbH" and "SpA" stay whole.
        name = _CAMEL.sub(r"\1 \2", _WORD.sub(_upper_if_form, str(name)))
    norm = normalise_text(name)
    if not norm:
        return "", ""
    form = ""
    for rx, code in _LEGAL_PHRASE_RES:
        if rx.search(norm):
            norm = rx.sub(" ", norm)
            form = form or code
    kept: list[str] = []
    for tok in norm.split():
        token_form = _LEGAL_TOKENS.get(tok)
        if token_form is not None:
            form = form or token_form
        elif tok not in _COMPANY_STOP:
            kept.append(tok)
    if not kept:  # the name was only a legal form and stop words: keep what we have
        kept = [t for t in norm.split() if t not in _LEGAL_TOKENS]
    return " ".join(kept), form


def canonical_legal_form(value: str | None) -> str:
    """Canonical code for a legal form typed in any language ("ООО", "LLC", "Ltd." ...)."""
    return _canonical_form(value)


# --- people ---------------------------------------------------------------------------------


_INITIAL_SPLIT = re.compile(r"[\s.,]+")


def normalise_person_name(name: str | None) -> str:
    """Folded Latin tokens of a person's name, so Cyrillic, Latin spellings and ё compare alike;
    initials ("И.И.") stay separate letters."""
    if not name:
        return ""
    words = []
    for tok in _INITIAL_SPLIT.split(str(name)):
        if len(tok) == 1 and tok.isalpha():
            folded = translit(tok)
            words.append(folded[:1])  # "Я." is "i", like the first letter of "Яна" -> "iana"
        elif tok:
            words.append(translit(tok))
    return " ".join(w for w in words if w)


# --- identifiers ----------------------------------------------------------------------------

_NON_DIGIT = re.compile(r"\D+")
_INN10_W = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_W1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_W2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _inn_digit(digits: str, weights: tuple[int, ...]) -> int:
    return sum(int(d) * w for d, w in zip(digits, weights)) % 11 % 10


def inn_is_valid(inn: str) -> bool:
    """True when a 10- or 12-digit INN passes its checksum, so a typo is not read as a different firm."""
    if len(inn) == 10 and inn.isdigit():
        return _inn_digit(inn, _INN10_W) == int(inn[9])
    if len(inn) == 12 and inn.isdigit():
        return (_inn_digit(inn, _INN12_W1) == int(inn[10])
                and _inn_digit(inn, _INN12_W2) == int(inn[11]))
    return False


def normalise_inn(raw: str | int | None) -> str | None:
    """Digits of a valid INN or None; an invalid INN is no evidence either way."""
    if raw is None:
        return None
    digits = _NON_DIGIT.sub("", str(raw))
    return digits if inn_is_valid(digits) else None


def normalise_phone(raw: str | None, default_region: str = "RU") -> str | None:
    """E.164 form of a phone number, or None when it cannot be a phone."""
    if not raw:
        return None
    text = str(raw).strip()
    # Extensions ("доб. 123", "ext 12") identify a desk, not a line: drop them.
    text = re.split(r"(?i)(?:доб|ext|вн|x)\.?\s*\d+\s*$", text)[0]
    digits = _NON_DIGIT.sub("", text)
    # Fast path for the usual Russian shapes; phonenumbers costs ~30 µs a call.
    if default_region == "RU" and not text.startswith("+") or text.startswith("+7"):
        if len(digits) == 11 and digits[0] in "78" and digits[1] in "3489":
            return "+7" + digits[1:]
        if len(digits) == 10 and digits[0] in "3489" and not text.startswith("+"):
            return "+7" + digits
    try:
        num = phonenumbers.parse(text, default_region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(num):
        return None
    return phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(raw: str | None) -> str | None:
    """Lower-cased address without display name or mailto:, or None when it is not an address."""
    if not raw:
        return None
    text = str(raw).strip().lower()
    if "<" in text and ">" in text:
        text = text[text.index("<") + 1:text.index(">")]
    text = text.removeprefix("mailto:").strip().strip(".")
    return text if _EMAIL.match(text) else None


# --- addresses ------------------------------------------------------------------------------

_ADDRESS_ABBREV: dict[str, str] = {
    "ул": "улица", "пр": "проспект", "прт": "проспект", "пр-т": "проспект", "просп": "проспект",
    "пер": "переулок", "пл": "площадь", "ш": "шоссе", "наб": "набережная", "б-р": "бульвар",
    "бул": "бульвар", "д": "дом", "к": "корпус", "корп": "корпус", "стр": "строение",
    "кв": "квартира", "оф": "офис", "г": "город", "гор": "город", "обл": "область",
    "р-н": "район", "пос": "поселок", "п": "поселок", "мкр": "микрорайон", "эт": "этаж",
    "пом": "помещение", "влд": "владение", "вл": "владение", "тер": "территория",
    "st": "street", "str": "street", "ave": "avenue", "av": "avenue", "rd": "road",
    "blvd": "boulevard", "ln": "lane", "dr": "drive", "pl": "place", "sq": "square",
    "hwy": "highway", "ct": "court", "cres": "crescent", "apt": "apartment", "fl": "floor",
    "bldg": "building", "ste": "suite", "pr-d": "проезд", "пр-д": "проезд",
}
_ADDRESS_WORD = re.compile(r"[\w-]+", re.UNICODE)
# Words that only say "this is a street/house" carry little identity and are dropped after
# expansion, so "ул. Ленина, д. 5" and "Ленина улица 5" agree.
_ADDRESS_STOP = frozenset({
    "улица", "дом", "город", "street", "россия", "российская", "федерация", "russia",
    "russian", "federation", "рф",
})


def normalise_address(text: str | None) -> str:
    """Address with abbreviations expanded and filler words dropped, so ул./улица and st./street agree."""
    if not text:
        return ""
    low = unicodedata.normalize("NFKC", str(text)).lower().replace("ё", "е").translate(_QUOTE_TABLE)
    out: list[str] = []
    for raw in _ADDRESS_WORD.findall(low):
        word = _ADDRESS_ABBREV.get(raw, raw)
        if word.isdigit() and len(word) == 6 and not out:
            continue  # a leading six-digit postcode is often missing in the other copy
        if word in _ADDRESS_STOP or word == "-":
            continue
        out.append(word.strip("-"))
    return " ".join(w for w in out if w)

"""Normalisation for Russian/English B2B data: names, legal forms, phones, emails, addresses.

Every function is pure and cheap, because the engine calls them once per record on bases of
a million rows. Names and legal forms are decided here; phones, emails, INNs and addresses are
decided once, in app/services/contact_points.py (its lenient keys, needing no app), and only
re-exported here under the engine's names so the engine and every form agree.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from app.services.contact_points import QUOTES as _QUOTES  # the quote marks people type, as in addresses
from app.services.contact_points import address_key as normalise_address
from app.services.contact_points import email_key as normalise_email
from app.services.contact_points import inn_is_valid
from app.services.contact_points import inn_key as normalise_inn
from app.services.contact_points import phone_key as normalise_phone

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
    words = (_name_word(tok) for tok in _INITIAL_SPLIT.split(str(name)) if tok)
    return " ".join(w for w in words if w)


@lru_cache(maxsize=1 << 17)
def _name_word(tok: str) -> str:
    """One word of a person's name, folded: given names, surnames and patronymics repeat across a base."""
    if len(tok) == 1 and tok.isalpha():
        return translit(tok)[:1]  # "Я." is "i", like the first letter of "Яна" -> "iana"
    return translit(tok)

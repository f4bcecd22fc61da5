"""A labelled, seeded set of company-name variants: Russian and English names, legal forms,
transliteration («ООО Ромашка» vs "Romashka LLC"), typos, word order, plus look-alike firms
that are NOT the same (another suffix, another number, another legal-form family)."""

from __future__ import annotations

import random
from typing import Any

from .synthetic import LEGAL_FORMS, MALE_NAMES, ROOTS_A, ROOTS_B, SURNAMES, romanise, typo

EN_WORDS = (
    "North Star Blue River Green Field Silver Line Red Rock Golden Gate Iron Bridge Oak Tree "
    "Stone Wall Bright Path Clear Water Swift Wind High Peak Deep Sea White Bear Black Swan"
).split()
EN_KINDS = ("Logistics", "Trading", "Systems", "Consulting", "Software", "Engineering", "Foods",
            "Pharma", "Energy", "Metals", "Textiles", "Holdings", "Media", "Robotics", "Labs")
EN_FORMS = (("Ltd", "Limited"), ("Inc", "Incorporated"), ("LLC", "L.L.C."), ("GmbH", "GmbH"),
            ("N.V.", "NV"), ("B.V.", "BV"), ("PLC", "Public Limited Company"), ("Corp", "Corporation"))
NEAR_SUFFIXES = ("Плюс", "Групп", "Урал", "Сибирь", "Центр", "М", "2", "Про", "Юг", "Север")


def _core(rng: random.Random) -> tuple[str, str, str, str]:
    """(core, short form, full form, Latin form) of a new firm."""
    r = rng.random()
    if r < 0.2:
        first, second = rng.choice(EN_WORDS), rng.choice(EN_WORDS)
        short, full = rng.choice(EN_FORMS)
        return f"{first} {second} {rng.choice(EN_KINDS)}", short, full, short
    form = rng.choices(LEGAL_FORMS, weights=[lf[3] for lf in LEGAL_FORMS])[0]
    if form[0] == "ИП":
        return f"{rng.choice(SURNAMES)} {rng.choice(MALE_NAMES)}", form[0], form[1], form[2]
    if r < 0.55:
        core = rng.choice(ROOTS_A) + rng.choice(ROOTS_B).lower()
    elif r < 0.85:
        core = rng.choice(ROOTS_A) + " " + rng.choice(ROOTS_B)
    else:
        core = f"{rng.choice(('Хлебозавод', 'Завод', 'Комбинат', 'Автобаза'))} №{rng.randrange(1, 40)}"
    return core, form[0], form[1], form[2]


def _written(rng: random.Random, core: str, short: str, full: str, latin: str, english: bool) -> str:
    """One way a person types the firm's name; variants pile up one or two changes."""
    ops = rng.sample(("translit", "typo", "order", "fullform", "style", "joined"), k=rng.choice((1, 1, 2)))
    if english:
        ops = [o for o in ops if o != "translit"] or ["style"]
    name = core
    if "typo" in ops:
        name = typo(rng, name)
    if "order" in ops and " " in name and "№" not in name:
        words = name.split()
        rng.shuffle(words)
        name = " ".join(words)
    if "joined" in ops and " " in name and "№" not in name:
        name = "".join(w[:1].upper() + w[1:] for w in name.split())
    if "translit" in ops:
        return f"{romanise(name, rng.randrange(3))} {latin}"
    if english:
        return f"{name} {full}" if "fullform" in ops else (
            f"{name.upper()}, {short}" if "style" in ops else f"{name} {short}")
    if "fullform" in ops:
        return f"{full} «{name}»"
    if "style" in ops:
        return rng.choice((f'{short} "{name}"', f"{name}, {short}", f"{short} {name.upper()}",
                           f"{short.lower()} «{name.lower()}»"))
    return f"{short} «{name}»"


def company_name_set(n_entities: int = 2000, seed: int = 2026) -> list[dict[str, Any]]:
    """Records {"id", "name", "entity"}: every firm once as registered, some with 1-3 variants,
    and about a third of firms are look-alikes of another firm (a distinct entity)."""
    rng = random.Random(seed)
    firms: list[tuple[str, str, str, str, bool]] = []
    used: set[tuple[str, str]] = set()
    while len(firms) < n_entities:
        if firms and rng.random() < 0.33:
            core, short, full, latin, english = rng.choice(firms)
            kind = rng.random()
            if english:
                core = f"{rng.choice(EN_WORDS)} {core}"
            elif "№" in core:
                core = core.split("№")[0] + f"№{int(core.split('№')[1]) + rng.randrange(1, 9)}"
            elif kind < 0.6:
                core = f"{core} {rng.choice(NEAR_SUFFIXES)}"
            else:  # the same name under another legal-form family: a namesake, not a copy
                stock = ("АО", "ЗАО", "ПАО")
                other = rng.choice([lf for lf in LEGAL_FORMS if lf[0] != short
                                    and not (lf[0] in stock and short in stock)])
                short, full, latin = other[0], other[1], other[2]
        else:
            core, short, full, latin = _core(rng)
            english = latin == short and not any("а" <= ch.lower() <= "я" for ch in core)
        family = {"АО": "stock", "ЗАО": "stock", "ПАО": "stock"}.get(short, short)
        key = (core.lower().replace(" ", ""), family)
        if key in used:  # two firms with one registered name would be one firm
            continue
        used.add(key)
        firms.append((core, short, full, latin, english))
    records: list[dict[str, Any]] = []
    for e, (core, short, full, latin, english) in enumerate(firms):
        registered = f"{core} {short}" if english else f"{short} «{core}»"
        records.append({"id": len(records), "name": registered, "entity": e})
        for _ in range(rng.choice((0, 0, 1, 1, 1, 2, 3))):
            records.append({"id": len(records), "name": _written(rng, core, short, full, latin, english),
                            "entity": e})
    rng.shuffle(records)
    return records

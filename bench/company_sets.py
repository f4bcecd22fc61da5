"""Two labelled, seeded company sets built from scratch (no portal data) with the kinds of difference
real client bases show: a two-publisher directory (name, street address, city, phone) and a
names-only registry where some firms appear under hundreds of spellings."""

from __future__ import annotations

import random
from typing import Any

from .synthetic import CITIES, ROOTS_A, ROOTS_B, STREETS, romanise, typo

EN_A = ("North", "Blue", "Green", "Silver", "Golden", "Iron", "Oak", "Stone", "Bright", "Clear", "Swift",
        "High", "Royal", "Lucky", "Old", "Happy", "Red", "Grand", "Sunny", "Wild")
EN_B = ("Star", "River", "Field", "Bridge", "Dragon", "Garden", "Lagoon", "Harbor", "Mill", "Castle",
        "Valley", "Lantern", "Anchor", "Bay", "Orchard", "Falcon", "Meadow", "Crown", "Pine", "Tiger")
EN_KIND = ("Deli", "Pizza", "Sushi", "Bakery", "Motors", "Dental", "Print", "Travel", "Fitness", "Books")
DESCRIPTORS_EN = ("Restaurant", "Cafe", "Group", "Bar & Grill")
DESCRIPTORS_RU = ("Ресторан", "Кафе", "Холдинг", "Группа")
BRANCHES = ("Downtown", "Airport", "Центр", "Север", "Москва", "Казань", "Main St")
SECOND = ("Seafood Grill", "Coffee House", "Кофейня", "Пекарня", "Wine Bar")
ABBREV = (("Delicatessen", "Deli"), ("International", "Intl"), ("and", "&"), ("и", "&"))
FORMS = ("B.V.", "N.V.", "Inc.", "GmbH", "Ltd")


def _phone(rng: random.Random) -> str:
    return f"+7495{rng.randrange(10**6, 10**7)}"


def _phone_written(rng: random.Random, e164: str) -> str:
    d = e164[2:]
    return rng.choice((e164, f"8 ({d[:3]}) {d[3:6]}-{d[6:8]}-{d[8:]}", f"+7 {d[:3]} {d[3:6]} {d[6:]}"))


def _address(rng: random.Random) -> tuple[str, str, int]:
    return rng.choice(STREETS), rng.choice(CITIES), rng.randrange(1, 120)


def _address_written(rng: random.Random, street: str, city: str, house: int) -> str:
    forms = (f"{street}, {house}", f"{street}, д. {house}", f"{street.replace('ул.', 'улица')} {house}")
    return rng.choice(forms)


def _base_name(rng: random.Random) -> tuple[str, bool]:
    """A firm's registered name and whether it is English."""
    if rng.random() < 0.45:
        return f"{rng.choice(EN_A)} {rng.choice(EN_B)} {rng.choice(EN_KIND)}", True
    if rng.random() < 0.5:
        return rng.choice(ROOTS_A) + rng.choice(ROOTS_B).lower(), False
    return f"{rng.choice(ROOTS_A)} {rng.choice(ROOTS_B)}", False


def _variant(rng: random.Random, name: str, english: bool, k: int | None = None) -> str:
    """The same firm written another way: one or two of the differences the issue lists."""
    ops = rng.sample(("descriptor", "branch", "second", "short", "abbrev", "case", "typo", "acronym", "translit"),
                     k=k or rng.choice((1, 1, 2)))
    out = name
    for op in ops:
        if op == "descriptor":
            d = rng.choice(DESCRIPTORS_EN if english else DESCRIPTORS_RU)
            out = rng.choice((f"The {out} {d}" if english and rng.random() < 0.3 else f"{out} {d}", f"{d} «{out}»"
                              if not english else f"{d} {out}"))
        elif op == "branch":
            out = f"{out} ({rng.choice(BRANCHES)})"
        elif op == "second":
            out = f"{out} - {rng.choice(SECOND)}"
        elif op == "short" and len(out.split()) >= 3:
            out = " ".join(out.split()[:2])
        elif op == "abbrev":
            for long, short in ABBREV:
                if long in out.split():
                    out = out.replace(long, short)
                    break
            else:
                out = out.replace("Deli", "Delicatessen") if "Deli" in out else out
        elif op == "case":
            out = rng.choice((out.upper(), out.lower(), out.replace(" ", "  ")))
        elif op == "typo" and len(out) > 6:
            out = typo(rng, out)
        elif op == "acronym" and english:
            words = out.split()
            out = rng.choice((" ".join(w[0] for w in words), ".".join(w[0] for w in words) + ".",
                              "".join(w[0] for w in words))) + (" " + words[-1] if rng.random() < 0.0 else "")
        elif op == "translit" and not english:
            out = romanise(out, rng.randrange(3))
    return out


def _lookalike(rng: random.Random, name: str, english: bool) -> str:
    """Another firm whose name looks like this one's («Альфа» / «Альфа Плюс», «Завод №5» / №7)."""
    r = rng.random()
    if r < 0.4:
        return f"{name} {rng.choice(('Плюс', 'Про', 'Plus', 'New', '2'))}"
    if r < 0.7:
        return f"{name} №{rng.randrange(2, 9)}"
    return f"{rng.choice(EN_A)} {name.split()[-1]}" if english else rng.choice(ROOTS_A) + name[-4:]


def _stem(name: str) -> str:
    """What two firms must not share for their labels to be fair: the first two words, joined."""
    return "".join(name.lower().split()[:2])


def directory_set(n_firms: int = 1500, seed: int = 15) -> list[dict[str, Any]]:
    """Two publishers list the same businesses: each firm appears in source A, 80% also in B
    under another spelling, phone format and address format; 15% of firms have a look-alike
    neighbour (another firm, another phone, another house on the same street)."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for e in range(n_firms):
        name, english = _base_name(rng)
        while _stem(name) in used:
            name, english = _base_name(rng)
        used.add(_stem(name))
        phone = _phone(rng)
        street, city, house = _address(rng)
        out.append({"id": f"a{e}", "entity": e, "source": "a", "name": name, "city": city,
                    "addresses": [_address_written(rng, street, city, house)], "phones": [_phone_written(rng, phone)]})
        if rng.random() < 0.8:
            rec = {"id": f"b{e}", "entity": e, "source": "b", "name": _variant(rng, name, english), "city": city,
                   "addresses": [_address_written(rng, street, city, house)] if rng.random() < 0.95 else [],
                   "phones": [_phone_written(rng, phone)] if rng.random() < 0.9 else []}
            out.append(rec)
        if rng.random() < 0.15:
            other = _lookalike(rng, name, english)
            out.append({"id": f"l{e}", "entity": f"l{e}", "source": "b", "name": other, "city": city,
                        "addresses": [_address_written(rng, street, city, house + rng.randrange(1, 9))],
                        "phones": [_phone_written(rng, _phone(rng))]})
    return out


def registry_set(n_firms: int = 800, seed: int = 16) -> list[dict[str, Any]]:
    """Names only. Three firms appear under 150-250 spellings each, twenty under 10-40, the rest
    under 1-3; a group's entities in several countries (B.V., N.V., Inc., GmbH, Ltd) count as one
    firm; 20% of firms have a look-alike that is another firm."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    used: set[str] = set()
    for e in range(n_firms):
        name, english = _base_name(rng)
        while _stem(name) in used:
            name, english = _base_name(rng)
        used.add(_stem(name))
        size = rng.randrange(150, 251) if e < 3 else rng.randrange(10, 41) if e < 23 else rng.choice((1, 1, 2, 3))
        for k in range(size):
            written = name if k == 0 else _variant(rng, name, english)
            if english and rng.random() < 0.5:
                written = f"{written} {rng.choice(FORMS)}"
            elif not english and rng.random() < 0.5:
                written = rng.choice((f"ООО «{written}»", f"{written} ООО",
                                      f"Общество с ограниченной ответственностью «{written}»"))
            out.append({"id": f"r{e}_{k}", "entity": e, "name": written})
        if rng.random() < 0.2:
            look = _lookalike(rng, name, english)
            if _stem(look) not in used:
                used.add(_stem(look))
                out.append({"id": f"x{e}", "entity": f"x{e}", "name": look})
    rng.shuffle(out)
    return out

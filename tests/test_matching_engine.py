"""Stories about finding duplicate companies and contacts in the CRM base."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pytest

from app.matching import (
    COMPANY_SCHEMA,
    CONTACT_SCHEMA,
    Candidate,
    Matcher,
    Reason,
    Thresholds,
    cluster,
)
from app.matching.normalize import (
    normalise_address,
    normalise_company_name,
    normalise_email,
    normalise_inn,
    normalise_person_name,
    normalise_phone,
    translit,
)

# Two real-format INNs with valid check digits.
INN_A = "7707083893"
INN_B = "500100732259"


def codes(candidate: Candidate) -> set[str]:
    """Reason codes of a candidate, as the UI would translate them."""
    return {r.code for r in candidate.reasons}


def pair_ids(candidates: list[Candidate]) -> set[frozenset]:
    return {frozenset((c.a_id, c.b_id)) for c in candidates}


# --- normalisation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "core", "form"),
    [
        ("ООО «Ромашка»", "ромашка", "LLC"),
        ("Romashka LLC", "romashka", "LLC"),
        ('Общество с ограниченной ответственностью "Рога и копыта"', "рога копыта", "LLC"),
        ("ПАО «Газпром»", "газпром", "PJSC"),
        ("Gazprom PJSC", "gazprom", "PJSC"),
        ("ЗАО «Хлебозавод»", "хлебозавод", "CJSC"),
        ("ОАО Лютик", "лютик", "OJSC"),
        ("АО «Вектор»", "вектор", "JSC"),
        ("ИП Иванов Иван Иванович", "иванов иван иванович", "IE"),
        ("Koninklijke Philips N.V.", "koninklijke philips", "NV"),
        ("Siemens AG", "siemens", "AG"),
        ("Acme Co., Ltd.", "acme", "LTD"),
        ("Shell PLC", "shell", "PLC"),
        ("Apple Inc.", "apple", "INC"),
        ("Bosch GmbH", "bosch", "GMBH"),
        ("ООО «Ёлка»", "елка", "LLC"),
    ],
)
def test_legal_forms_are_taken_out_of_the_name(raw: str, core: str, form: str) -> None:
    assert normalise_company_name(raw) == (core, form)


def test_cyrillic_and_latin_spellings_of_a_name_converge() -> None:
    assert translit("Ромашка") == translit("Romashka")
    spellings = ["Дмитрий Хрущёв", "Dmitriy Khrushchev", "Dmitrij Hruschev", "Dmitry Khrushchev"]
    assert len({translit(s) for s in spellings}) == 1
    assert translit("Юлия Царева") == translit("Iuliia Tcareva") == translit("Yulia Tsareva")


@pytest.mark.parametrize(
    "raw", ["8 (495) 123-45-67", "+7 495 123 45 67", "495-123-45-67", "84951234567", "+7(495)1234567 доб. 12"]
)
def test_a_phone_written_any_way_becomes_e164(raw: str) -> None:
    assert normalise_phone(raw) == "+74951234567"


def test_foreign_phones_and_garbage() -> None:
    assert normalise_phone("+44 20 7946 0958") == "+442079460958"
    assert normalise_phone("12345") is None
    assert normalise_phone("") is None


def test_emails_and_inns() -> None:
    assert normalise_email("Ivan Petrov <Ivan.Petrov@Example.RU>") == "ivan.petrov@example.ru"
    assert normalise_email("not an email") is None
    assert normalise_inn("7707 083 893") == INN_A
    assert normalise_inn("7707083894") is None  # bad check digit: no evidence either way


def test_address_abbreviations_agree_with_full_words() -> None:
    assert normalise_address("г. Москва, ул. Ленина, д. 5, оф. 12") == normalise_address(
        "Москва, улица Ленина, дом 5, офис 12")
    assert normalise_address("12 Baker St.") == normalise_address("12 Baker Street")
    assert "проспект" in normalise_address("пр-т Мира, 10")


def test_initials_stay_initials() -> None:
    assert normalise_person_name("Яковлева Я.Н.") == "iakovleva i n"


# --- companies ------------------------------------------------------------------------------


def test_romashka_in_russian_and_english_is_found_with_reasons() -> None:
    base = [
        {"id": 1, "name": "ООО «Ромашка»", "city": "Москва"},
        {"id": 2, "name": "Romashka LLC", "city": "Moskva"},
        {"id": 3, "name": "АО «Василек»", "city": "Москва"},
    ]
    found = Matcher(COMPANY_SCHEMA).scan(base)
    assert pair_ids(found) == {frozenset((1, 2))}
    cand = found[0]
    assert {"name_similar", "same_legal_form"} <= codes(cand)
    assert "name 100% similar" in cand.reasons
    assert 0 <= cand.score <= 100


def test_different_inn_keeps_namesakes_apart() -> None:
    base = [
        {"id": 1, "name": "ООО «Ромашка»", "inn": INN_A},
        {"id": 2, "name": "ООО «Ромашка»", "inn": INN_B},
    ]
    matcher = Matcher(COMPANY_SCHEMA)
    assert matcher.scan(base) == []
    verdict = matcher.compare(base[0], base[1])
    assert "different_inn" in codes(verdict)
    assert verdict.score < 1


def test_same_inn_links_a_renamed_company() -> None:
    base = [
        {"id": 1, "name": "ЗАО «Хлебозавод №5»", "inn": INN_A},
        {"id": 2, "name": "АО «Городской хлеб»", "inn": INN_A},
    ]
    found = Matcher(COMPANY_SCHEMA).scan(base)
    assert pair_ids(found) == {frozenset((1, 2))}
    assert "same_inn" in codes(found[0])


def test_phone_in_another_format_links_companies_with_typo_in_name() -> None:
    base = [
        {"id": 1, "name": "ООО «СтройИнвест»", "phones": ["8 (495) 123-45-67"]},
        {"id": 2, "name": "Стройинвестт, ООО", "phones": ["+7 495 123 45 67"]},
    ]
    found = Matcher(COMPANY_SCHEMA).scan(base)
    assert pair_ids(found) == {frozenset((1, 2))}
    assert "same_phone" in codes(found[0])


def test_email_domain_and_similar_name_is_a_reason() -> None:
    verdict = Matcher(COMPANY_SCHEMA).compare(
        {"id": 1, "name": "АО «Лютик»", "emails": ["info@lutik.ru"]},
        {"id": 2, "name": "Lyutik JSC", "emails": ["ivan@lutik.ru"]},
    )
    assert "same_email_domain_similar_name" in codes(verdict)
    assert "same email domain and similar name" in verdict.reasons


def test_llc_and_sole_trader_with_one_name_are_not_the_same() -> None:
    verdict = Matcher(COMPANY_SCHEMA).compare(
        {"id": 1, "name": "ООО «Иванов»"}, {"id": 2, "name": "ИП Иванов"})
    assert "different_legal_form" in codes(verdict)
    assert verdict.score < Thresholds().review


def test_thresholds_are_respected() -> None:
    base = [
        {"id": 1, "name": "ООО «Ромашка»"},
        {"id": 2, "name": "Romashka LLC"},
        {"id": 3, "name": "ООО «Ромашка»", "phones": ["+7 495 123 45 67"]},
        {"id": 4, "name": "Ромашка", "phones": ["84951234567"]},
    ]
    strict = Matcher(COMPANY_SCHEMA, Thresholds(review=99.0, strong=99.9)).scan(base)
    lenient = Matcher(COMPANY_SCHEMA, Thresholds(review=50.0, strong=99.0)).scan(base)
    assert pair_ids(strict) == {frozenset((3, 4))}
    assert pair_ids(strict) < pair_ids(lenient)
    assert all(c.score >= 99.0 for c in strict)
    assert all(c.score >= 50.0 for c in lenient)


def test_default_thresholds_prefer_precision() -> None:
    t = Thresholds()
    assert 50 < t.review < t.strong <= 100
    verdict = Matcher(COMPANY_SCHEMA).compare({"id": 1, "name": "ООО «Ромашка»"},
                                              {"id": 2, "name": "Romashka LLC"})
    assert not verdict.is_strong()  # a name alone is for a person to confirm, never an auto-merge


def test_check_finds_the_existing_record_in_milliseconds_territory() -> None:
    base = [{"id": i, "name": f"ООО «Компания {i}»", "inn": None} for i in range(500)]
    base.append({"id": "romashka", "name": "ООО «Ромашка»", "phones": ["+7 495 123 45 67"]})
    matcher = Matcher(COMPANY_SCHEMA)
    index = matcher.index(base)
    hits = matcher.check({"id": "new", "name": "Romashka LLC", "phones": ["8 495 1234567"]}, index)
    assert [h.b_id for h in hits] == ["romashka"]
    assert hits[0].a_id == "new"
    assert {"same_phone", "name_similar"} <= codes(hits[0])
    # The record itself is never its own duplicate.
    assert all(h.b_id != "romashka" for h in matcher.check(base[-1], index))


def test_a_switchboard_shared_by_many_firms_does_not_blow_up_but_duplicates_are_found() -> None:
    switchboard = "+7 495 000 00 00"
    base = [{"id": i, "name": f"ООО «Арендатор {i:03d}»", "phones": [switchboard]} for i in range(300)]
    base += [
        {"id": "a", "name": "ООО «Ромашка»", "phones": [switchboard, "+7 916 111 22 33"]},
        {"id": "b", "name": "Ромашка, ООО", "phones": ["8 916 111-22-33"]},
    ]
    matcher = Matcher(COMPANY_SCHEMA)
    assert 300 > matcher.schema.max_block
    found = matcher.scan(base)
    assert frozenset(("a", "b")) in pair_ids(found)


def test_blocking_loses_nothing_on_a_small_base() -> None:
    names = ["Ромашка", "Romashka", "Ромашко", "Лютик", "Lyutik", "Василёк", "Vasilek", "Вектор",
             "Vektor Plus", "Вектор Плюс", "Альфа Строй", "Строй Альфа", "АльфаСтрой"]
    base = [{"id": i, "name": f"ООО «{n}»", "city": "Москва"} for i, n in enumerate(names)]
    matcher = Matcher(COMPANY_SCHEMA)
    review = matcher.thresholds.review
    brute = {frozenset((a["id"], b["id"])) for i, a in enumerate(base) for b in base[i + 1:]
             if matcher.compare(a, b).score >= review}
    assert brute  # the base does contain look-alikes
    assert pair_ids(matcher.scan(base)) == brute


def test_scan_reports_progress() -> None:
    seen: list[float] = []
    Matcher(COMPANY_SCHEMA).scan([{"id": 1, "name": "А"}, {"id": 2, "name": "Б"}], progress=seen.append)
    assert seen and seen == sorted(seen) and seen[-1] == pytest.approx(1.0)


# --- contacts -------------------------------------------------------------------------------


def test_contact_with_phone_in_another_format_is_found() -> None:
    base = [
        {"id": 1, "name": "Иванов Сергей Петрович", "phones": ["8 (916) 123-45-67"], "company_id": 7},
        {"id": 2, "name": "Sergey Ivanov", "phones": ["+7 916 123 45 67"], "company_id": 7},
    ]
    found = Matcher(CONTACT_SCHEMA).scan(base)
    assert pair_ids(found) == {frozenset((1, 2))}
    assert {"same_phone", "name_similar", "field_same"} <= codes(found[0])
    assert "same company" in found[0].reasons


def test_colleagues_sharing_the_office_line_are_not_merged() -> None:
    office = "+7 495 765 43 21"
    base = [
        {"id": 1, "name": "Вячеслав Котов", "phones": [office], "company_id": 3,
         "emails": ["v.kotov@vektor.ru"]},
        {"id": 2, "name": "Вячеслав Зотов", "phones": [office], "company_id": 3,
         "emails": ["v.zotov@vektor.ru"]},
        {"id": 3, "name": "Инна Потапова", "phones": [office], "company_id": 3},
        {"id": 4, "name": "Ирина Потапова", "phones": [office], "company_id": 3},
    ]
    matcher = Matcher(CONTACT_SCHEMA)
    assert matcher.scan(base) == []
    assert "different_mailbox_same_domain" in codes(matcher.compare(base[0], base[1]))


def test_namesakes_at_different_companies_are_not_merged() -> None:
    base = [
        {"id": 1, "name": "Иван Иванов", "company_id": 1},
        {"id": 2, "name": "Иван Иванов", "company_id": 2},
    ]
    assert Matcher(CONTACT_SCHEMA).scan(base) == []


def test_initials_and_patronymic_do_not_hide_a_person() -> None:
    base = [
        {"id": 1, "name": "Яковлева Яна Николаевна", "emails": ["yana.yakovleva@vektor.ru"]},
        {"id": 2, "name": "Яковлева Я.Н.", "emails": ["Yana.Yakovleva@vektor.ru"]},
        {"id": 3, "name": "Яна Яковлева", "company_name": "ООО «Вектор»", "phones": ["+79161112233"]},
        {"id": 4, "name": "Yakovleva Yana", "company_name": "Vektor LLC", "phones": ["89161112233"]},
    ]
    found = Matcher(CONTACT_SCHEMA).scan(base)
    assert {frozenset((1, 2)), frozenset((3, 4))} <= pair_ids(found)


def test_different_patronymics_mean_different_people() -> None:
    verdict = Matcher(CONTACT_SCHEMA).compare(
        {"id": 1, "name": "Иванов Иван Петрович", "company_id": 1},
        {"id": 2, "name": "Иванов Иван Сергеевич", "company_id": 1},
    )
    assert "name_different" in codes(verdict)
    assert verdict.score < Thresholds().review


# --- clustering -----------------------------------------------------------------------------


def test_clustering_groups_copies_and_respects_a_different_inn() -> None:
    base = [
        {"id": 1, "name": "ООО «Ромашка»", "phones": ["+7 495 123 45 67"]},
        {"id": 2, "name": "Romashka LLC"},
        {"id": 3, "name": "ООО Ромашка", "inn": INN_A, "phones": ["84951234567"]},
        {"id": 4, "name": "ООО Ромашка", "inn": INN_B},
        {"id": 5, "name": "АО «Лютик»", "emails": ["info@lutik.ru"]},
        {"id": 6, "name": "Lyutik JSC", "emails": ["sales@lutik.ru"]},
    ]
    matcher = Matcher(COMPANY_SCHEMA)
    index = matcher.index(base)
    found = matcher.scan(index)
    groups = cluster(found, matcher.thresholds.review, cannot_link=matcher.cannot_link(index))
    as_sets = [set(g) for g in groups]
    assert {5, 6} in as_sets
    romashka = next(g for g in as_sets if 1 in g)
    assert {1, 2} <= romashka
    assert not {3, 4} <= romashka  # two valid, different INNs never share a group


def test_one_weak_link_does_not_chain_two_groups() -> None:
    def c(a: str, b: str, score: float) -> Candidate:
        return Candidate(a, b, score, [])

    # a1-a2-a3 and b1-b2-b3 are tight triangles; a single pair a3-b1 touches both.
    cands = [c("a1", "a2", 99), c("a1", "a3", 99), c("a2", "a3", 99),
             c("b1", "b2", 99), c("b1", "b3", 99), c("b2", "b3", 99), c("a3", "b1", 90)]
    groups = sorted(sorted(g) for g in cluster(cands, threshold=85))
    assert groups == [["a1", "a2", "a3"], ["b1", "b2", "b3"]]
    # Plain union-find (min_link=0) would chain them into one group of six.
    assert len(cluster(cands, threshold=85, min_link=0.0)[0]) == 6


def test_cluster_ignores_pairs_below_its_threshold() -> None:
    cands = [Candidate(1, 2, 97.0, []), Candidate(2, 3, 86.0, [])]
    assert [sorted(g) for g in cluster(cands, threshold=95)] == [[1, 2]]


# --- reasons and packaging ------------------------------------------------------------------


def test_reasons_carry_a_code_params_and_english_text() -> None:
    r = Reason("name_similar", pct=94)
    assert r == "name 94% similar"
    assert (r.code, r.params, r.pct) == ("name_similar", {"pct": 94}, 94)
    again = pickle.loads(pickle.dumps(r))  # job results travel through Redis
    assert again.code == "name_similar" and again == r


def test_importing_the_package_loads_no_matching_libraries() -> None:
    code = "import sys, app.matching; print('rapidfuzz' in sys.modules, 'phonenumbers' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# --- learning weights -----------------------------------------------------------------------


def test_weights_learnt_from_the_base_itself_find_the_copies() -> None:
    import random

    from app.matching import BlockPass, Field, Schema, SortKey

    schema = Schema(
        name="people",
        fields=(
            Field("passport", "code", agree=1.0, disagree=1.0, partial=0.5),
            Field("born", "date", agree=1.0, disagree=1.0, partial=0.5),
            Field("surname", "text", agree=1.0, disagree=1.0),
            Field("town", "category", agree=1.0, disagree=1.0),
        ),
        blocks=(BlockPass("passport"), BlockPass("born"), BlockPass("surname"), BlockPass("town")),
        sort_keys=(SortKey(("surname",), window=4),),
    )
    rng = random.Random(5)
    surnames = ["ivanov", "petrov", "sidorov", "smirnov", "kuznetsov", "popov", "volkov", "orlov"]
    towns = ["tver", "omsk", "perm", "kazan"]
    base = [{"id": i, "passport": f"{rng.randrange(10**6):06d}",
             "born": f"19{rng.randrange(40, 99)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}",
             "surname": rng.choice(surnames), "town": rng.choice(towns)} for i in range(300)]
    copies = [dict(base[i], id=f"copy-{i}", town=rng.choice(towns)) for i in range(0, 300, 15)]
    matcher = Matcher(schema)
    index = matcher.index(base + copies)
    learnt = matcher.fit(index)
    by_name = {f.name: f for f in learnt.fields}
    # Passports almost never agree by chance, towns often do: the weights must say so.
    assert by_name["passport"].agree > by_name["town"].agree
    found = pair_ids(Matcher(learnt).scan(index))
    assert found == {frozenset((i, f"copy-{i}")) for i in range(0, 300, 15)}


def test_a_fit_that_learns_same_company_instead_of_same_person_keeps_the_hand_weights() -> None:
    """Contacts block mostly with their colleagues; EM then takes 'same company' for the match class
    (company weight 12, name near 0) and would flood the queue. The fit is refused: hand weights stay."""
    import random

    from app.matching import CONTACT_SCHEMA

    rng = random.Random(3)
    first = ["Иван", "Пётр", "Анна", "Ольга", "Сергей", "Мария", "Алексей", "Елена", "Дмитрий", "Наталья"]
    last = ["Иванов", "Петров", "Сидоров", "Смирнов", "Кузнецов", "Попов", "Волков", "Орлов", "Козлов", "Лебедев"]
    base = [{"id": c * 25 + k, "name": f"{rng.choice(last)} {rng.choice(first)}",
             "emails": [f"p{c * 25 + k}@firm{c}.ru"], "phones": [f"+7495{c * 25 + k:07d}"], "company_id": c,
             "company_name": f"Фирма {c}", "position": "менеджер"} for c in range(20) for k in range(25)]
    copies = [dict(base[i], id=1000 + i, phones=[]) for i in range(0, 500, 25)]
    matcher = Matcher(CONTACT_SCHEMA)
    index = matcher.index(base + copies)
    assert matcher.fit(index) == CONTACT_SCHEMA
    assert pair_ids(Matcher(matcher.fit(index)).scan(index)) == {frozenset((i, 1000 + i)) for i in range(0, 500, 25)}

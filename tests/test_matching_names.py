"""Names that differ the way real client names differ still match; look-alikes of another firm do not."""

from __future__ import annotations

import pytest

from app.matching import COMPANY_SCHEMA, Matcher, Thresholds

PHONE = "+74951234567"
ADDRESS = "Москва, ул. Ленина, 5"
INN_A = "7707083893"
INN_B = "500100732259"


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(COMPANY_SCHEMA)


def codes(candidate) -> set[str]:
    return {r.code for r in candidate.reasons}


REVIEW = Thresholds().review


@pytest.mark.parametrize(("a", "b"), [
    ("Joe's Deli", "Joe's Delicatessen"),
    ("Acme Intl", "ACME International"),
    ("Рога и копыта", "Рога & Копыта"),
    ("Smith and Sons", "Smith & Sons"),
    ("ООО «Ромашка»", "Общество с ограниченной ответственностью «Ромашка»"),
    ("D S M", "D.S.M."),
    ("DSM", "d.s.m."),
    ("Кафе «Лето»", "Лето"),
    ("The Golden Dragon Restaurant", "Golden Dragon"),
    ("Холдинг Вектор", "Вектор"),
    ("Ромашка (Казань)", "Ромашка"),
    ("Blue Lagoon - Seafood Grill", "Blue Lagoon"),
])
def test_names_differing_by_abbreviation_descriptor_or_qualifier_reach_review(matcher, a, b) -> None:
    c = matcher.compare({"name": a}, {"name": b})
    assert c.score >= REVIEW
    assert c.band == "possible"  # the name alone: a person decides, nothing merges by itself
    assert not c.is_strong()


@pytest.mark.parametrize(("a", "b"), [
    ("Альфа", "Альфа Плюс"),
    ("Завод №5", "Завод №7"),
    ("Хлебозавод №12", "Хлебозавод №2"),
    ("Альфа", "Бета"),
    ("Маякхим", "Маякхим М"),
])
def test_look_alikes_of_another_firm_do_not_match_on_the_name(matcher, a, b) -> None:
    assert matcher.compare({"name": a}, {"name": b}).score < REVIEW


@pytest.mark.parametrize(("a", "b"), [
    ("Лето", "Ресторан «Лето» на Невском"),
    ("Green Garden", "The Green Garden Cafe & Bar"),
    ("Northwind", "Northwind Traders - Downtown"),
])
def test_same_phone_and_address_outweigh_a_partial_name(matcher, a, b) -> None:
    c = matcher.compare({"name": a, "phones": [PHONE], "addresses": [ADDRESS]},
                        {"name": b, "phones": [PHONE], "addresses": [ADDRESS]})
    assert c.score >= REVIEW
    assert c.band == "likely"
    assert "same_phone_and_address" in codes(c)
    assert codes(c) & {"name_contains", "name_core"}


def test_a_different_valid_inn_sinks_even_phone_address_and_name(matcher) -> None:
    c = matcher.compare({"name": "Ромашка", "inn": INN_A, "phones": [PHONE], "addresses": [ADDRESS]},
                        {"name": "Ромашка", "inn": INN_B, "phones": [PHONE], "addresses": [ADDRESS]})
    assert c.score < REVIEW
    assert "different_inn" in codes(c)


@pytest.mark.parametrize(("a", "b"), [
    ("Philips B.V.", "Philips N.V."), ("Siemens AG", "Siemens Inc."), ("Bosch GmbH", "Bosch Ltd"),
])
def test_one_groups_entities_in_several_countries_stay_in_review_below_one_legal_form(matcher, a, b) -> None:
    group = matcher.compare({"name": a}, {"name": b})
    same = matcher.compare({"name": a}, {"name": a})
    assert REVIEW <= group.score < same.score
    assert "group_legal_forms" in codes(group)


def test_russian_legal_forms_of_another_family_still_count_against(matcher) -> None:
    assert matcher.compare({"name": "ООО Вектор"}, {"name": "ПАО Вектор"}).score < REVIEW


def test_common_words_weigh_little_and_a_name_of_them_alone_does_not_match(matcher) -> None:
    c = matcher.compare({"name": "Сервис Трейд"}, {"name": "ООО «Сервис Трейд»"})
    assert c.score < REVIEW
    assert "name_common_only" in codes(c)
    extra = matcher.compare({"name": "Ромашка"}, {"name": "Ромашка Сервис"})
    assert extra.score >= REVIEW and "name_core" in codes(extra)


def test_words_common_in_this_base_weigh_little_once_it_is_indexed() -> None:
    m = Matcher(COMPANY_SCHEMA)
    base = [{"id": i, "name": f"Firm{i:04d}x Logistics"} for i in range(600)]
    base += [{"id": "a", "name": "Zebra"}, {"id": "b", "name": "Zebra Logistics"}]
    idx = m.index(base)
    pairs = {frozenset((c.a_id, c.b_id)): c for c in m.scan(idx)}
    assert "name_core" in codes(pairs[frozenset(("a", "b"))])
    assert not Matcher(COMPANY_SCHEMA).compare({"name": "Zebra"}, {"name": "Zebra Logistics"}).score >= REVIEW


def test_the_reasons_read_in_russian(app) -> None:
    from flask_babel import force_locale

    from app.services.matching import reason_dicts, reason_text

    c = Matcher(COMPANY_SCHEMA).compare({"name": "Лето", "phones": [PHONE], "addresses": [ADDRESS]},
                                        {"name": "Кафе Лето на Невском", "phones": [PHONE], "addresses": [ADDRESS]})
    with app.test_request_context(), force_locale("ru"):
        text = "; ".join(reason_text(r) for r in reason_dicts(c.reasons))
    assert text == "тот же телефон и адрес; одно название содержит другое"


def test_a_firm_with_hundreds_of_spellings_stays_one_group_despite_capped_blocks() -> None:
    from app.matching import cluster

    spellings = ["Polar Star Logistics", "POLAR STAR LOGISTICS", "Polar Star Logistics Ltd",
                 "Polar Star Logistics (Kazan)", "Polar Star Logistics Group", "The Polar Star Logistics",
                 "Polar  Star Logistics B.V.", "Polar Star Logistics - Depot"]
    base = [{"id": f"p{i}", "name": spellings[i % len(spellings)] + ("" if i < 8 else f" ({i})")}
            for i in range(300)]
    base += [{"id": f"o{i}", "name": f"Polar Firm{i:03d}"} for i in range(100)]  # one big "polar" block
    m = Matcher(COMPANY_SCHEMA)
    idx = m.index(base)
    found = m.scan(idx)
    assert len(found) < 300 * 299 // 2 // 10  # a spanning set, not every pair
    groups = cluster(found, m.thresholds.review, max_size=10_000, min_link=0.2, verify=m.verifier(idx))
    assert sorted(groups[0]) == sorted(f"p{i}" for i in range(300))
    assert not any(g for g in groups if any(x.startswith("o") for x in g))


def test_weights_learnt_from_a_generated_base_find_more_than_the_hand_weights() -> None:
    from bench.company_sets import directory_set

    records = directory_set(600, seed=3)
    entity = {r["id"]: r["entity"] for r in records}
    rows = [{k: r[k] for k in ("id", "name", "phones", "addresses", "city")} for r in records]
    hand = Matcher(COMPANY_SCHEMA)
    idx = hand.index(rows)
    learnt = Matcher(hand.fit(idx))

    def true_found(m: Matcher) -> int:
        return sum(entity[c.a_id] == entity[c.b_id] for c in m.scan(idx))

    def false_found(m: Matcher) -> int:
        return sum(entity[c.a_id] != entity[c.b_id] for c in m.scan(idx))

    assert true_found(learnt) > true_found(hand)
    assert false_found(learnt) <= false_found(hand) + 1


def test_a_names_only_base_keeps_the_hand_weights() -> None:
    m = Matcher(COMPANY_SCHEMA)
    idx = m.index({"id": i, "name": f"Firm {i}"} for i in range(300))
    assert m.fit(idx) == COMPANY_SCHEMA

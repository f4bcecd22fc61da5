"""The shortcuts that make a full duplicate scan of a million contacts fit in minutes decide every pair as the
full score does: a person name refused from its letters alone is one the full comparison would refuse too,
the scan's quick sum accepts exactly the pairs whose explained score reaches the threshold, the index reaches
the shard workers through Redis whole, and the base is read with each record's own phones and emails."""
import itertools
import os
import random
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from app.extensions import db
from app.matching import CONTACT_SCHEMA, COMPANY_SCHEMA, Matcher
from app.matching.compare import person_similarity
from app.matching.normalize import normalise_person_name
from app.models.contact_points import Email, Phone
from app.models.contacts import Contact
from app.services import matching
from bench import synthetic
from bench.febrl import FEBRL_SCHEMA
from tests.conftest import require_service

NAMES = [
    "Иванов Иван Иванович", "Иванов Иван Петрович", "Иванова Анна Сергеевна", "Иванова Алла Сергеевна",
    "Иван Иванов", "Ivan Ivanov", "Иванов И. И.", "И. Иванов", "Иванов Иван", "Петров Пётр", "Петров Петр",
    "Сидорова Инна", "Сидорова Ирина", "Сидорова Ирина Олеговна", "Ирина Олеговна Сидорова",
    "Лебедева Любовь", "Lyubov Lebedeva", "Любовь Лебедева-Смирнова", "Смирнов Ильич", "Ильин Илья Ильич",
    "Кузнецов Алексей Викторович", "Кузнецов Алексей Викторови", "Kuznetsov Aleksei", "Алексей Кузнецов",
    "Орлова Мария", "Орлова Марина", "Ким Ен", "Ен Ким", "Ли", "Анна-Мария Орлова",
]


def test_a_person_name_refused_from_its_letters_is_one_the_full_comparison_refuses():
    """Below the cutoff the quick answer is an upper bound of the full similarity; at or above it, the same."""
    folded = [normalise_person_name(n) for n in NAMES]
    refused = 0
    for a, b in itertools.product(folded, repeat=2):
        full = person_similarity(a, b)
        for cutoff in (0.0, 60.0, 80.0, 85.0, 87.6, 93.0, 95.0, 97.5, 100.0):
            quick = person_similarity(a, b, cutoff)
            if full >= cutoff:
                assert quick == full, (a, b, cutoff)
            else:
                assert full <= quick < cutoff, (a, b, cutoff, full, quick)
                refused += quick != full
    assert refused > 50  # the shortcut is taken, not only allowed


def _people(n: int, seed: int):
    """FEBRL-like people; a copy in ten has its given name and surname swapped, or its streets, or a typo."""
    rng = random.Random(seed)
    given = ["john", "mary", "peter", "anna", "liam", "olivia", "noah", "emma", "jack", "grace"]
    family = ["smith", "white", "brown", "taylor", "wilson", "martin", "clarke", "walker", "young", "king"]
    for i in range(n):
        rec = {"id": i, "soc_sec_id": f"{rng.randrange(10**7):07d}", "given_name": rng.choice(given),
               "surname": rng.choice(family), "date_of_birth": f"19{rng.randrange(40, 99)}0{rng.randrange(1, 9)}1{rng.randrange(9)}",
               "postcode": f"{rng.randrange(2000, 2100)}", "suburb": rng.choice(["bondi", "manly", "ryde"]),
               "address_1": f"{rng.choice(family)} street", "address_2": rng.choice(["", "unit 5", "flat 2"]),
               "street_number": str(rng.randrange(1, 99)), "state": rng.choice(["nsw", "vic"])}
        yield rec
        if i % 10 == 0:
            copy = dict(rec, id=f"copy-{i}")
            kind = rng.randrange(3)
            if kind == 0:
                copy["given_name"], copy["surname"] = rec["surname"], rec["given_name"]
            elif kind == 1:
                copy["address_1"], copy["address_2"] = rec["address_2"], rec["address_1"]
            else:
                copy["surname"] = rec["surname"][:-1] + "x"
            yield copy


# the contact, company and FEBRL schemas, each on records of its own kind
EACH_SCHEMA = pytest.mark.parametrize("schema, records", [(CONTACT_SCHEMA, synthetic.contacts),
                                                          (COMPANY_SCHEMA, synthetic.companies), (FEBRL_SCHEMA, _people)])


def _pairs_to_try(m: Matcher, idx, rng: random.Random, scanned: int | None, random_pairs: int) -> list[tuple[int, int]]:
    """The pairs a scan meets (its blocks and windows, the first `scanned` of them) and random ones."""
    met = itertools.islice(m._pairs(idx), scanned)
    return list(met) + [tuple(rng.sample(range(len(idx.values)), 2)) for _ in range(random_pairs)]


@EACH_SCHEMA
def test_the_quick_sum_accepts_exactly_the_pairs_whose_score_reaches_the_threshold(schema, records):
    """Cheap fields first, the name told what it must still bring: the same verdict as the explained score."""
    m = Matcher(schema)
    idx = m.index(records(3000, seed=5))
    values = idx.values
    need = m._logit(m.thresholds.review)
    pairs = _pairs_to_try(m, idx, random.Random(3), None, 5000)
    accepted = 0
    for a, b in pairs:
        score, _reasons = m.explain(values[a], values[b])
        if abs(score - m.thresholds.review) < 0.01:
            continue  # the explained score is rounded to hundredths
        quick = m._total(values[a], values[b], need) is not None
        assert quick == (score >= m.thresholds.review), (values[a], values[b], score)
        accepted += quick
    assert accepted > 20


def test_the_index_reaches_a_shard_worker_through_redis_whole(app, monkeypatch):
    """Stored in many small pieces as it is packed, and read back equal: records, blocks and windows."""
    from redis import Redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        connection = Redis.from_url(url, socket_connect_timeout=1)
        connection.ping()
    except Exception:
        connection = None
    require_service("Redis", connection is not None, url)
    monkeypatch.setattr(matching, "SNAPSHOT_CHUNK", 64 * 1024)
    monkeypatch.setattr(matching, "SNAPSHOT_RECORDS", 700)
    m = Matcher(CONTACT_SCHEMA)
    idx = m.index(synthetic.contacts(5000, seed=9))
    key = "test:scan-index-roundtrip"
    sizes = matching.store_index(connection, key, idx, ttl=60)
    try:
        assert len(sizes) > 3 and max(sizes) <= 64 * 1024
        back = matching.load_index(connection, key, len(sizes), m)
    finally:
        matching.drop_index(connection, key, len(sizes))
    assert back.ids == idx.ids and back.values == idx.values
    assert back.entries == idx.entries and back.key_start == idx.key_start and back.key_all == idx.key_all
    assert back.sort_ranks == idx.sort_ranks and back.spans == idx.spans and back.oversized == idx.oversized
    assert m.scan(back) == m.scan(idx)
    assert connection.exists(f"{key}:0") == 0


def test_the_base_is_read_with_each_records_own_phones_and_emails(app):
    """A run of ids is read by range: a deleted contact inside it gives nothing to its neighbours, and a
    sparse choice of ids reads only theirs; SQLite's memory map is back on the connection afterwards."""
    with app.app_context():
        people = [Contact(name=f"Контакт {i}") for i in range(6)]
        db.session.add_all(people)
        db.session.flush()
        for i, c in enumerate(people):
            db.session.add(Phone(contact_id=c.id, e164=f"+7916000000{i}"))
            db.session.add(Email(contact_id=c.id, address=f"k{i}@firm.ru"))
        db.session.flush()
        people[2].deleted_at = datetime.now(UTC)
        db.session.flush()
        got = {r["id"]: r for r in matching.engine_records(db.session, "contact")}
        assert people[2].id not in got
        for i, c in enumerate(people):
            if i != 2:
                assert got[c.id]["phones"] == [f"+7916000000{i}"] and got[c.id]["emails"] == [f"k{i}@firm.ru"]
        sparse = list(matching.engine_records(db.session, "contact",
                                              where=Contact.id.in_([people[0].id, people[5].id])))
        assert [(r["id"], r["phones"]) for r in sparse] == [(people[0].id, ["+79160000000"]),
                                                           (people[5].id, ["+79160000005"])]
        matching.prepare_scan(db.session, "contact")
        if db.engine.dialect.name == "sqlite":
            from app import SQLITE_MMAP_BYTES

            assert db.session.execute(text("PRAGMA mmap_size")).scalar() == SQLITE_MMAP_BYTES
        db.session.rollback()


def _reference_levels(m: Matcher, va, vb) -> tuple[int, ...]:
    """The agreement levels read the long way: every field through _swap_parts() or its comparator."""
    fields = m.schema.fields
    out = [-1] * len(fields)

    def level(f, contrib: float) -> int:
        return 2 if contrib >= f.agree - 1e-9 else 0 if contrib <= -f.disagree + 1e-9 else 1

    for slot, f, cmp, alt, slot2, cmp2 in m._plan:
        if cmp2 is not None:
            for s, (contrib, _detail) in m._swap_parts(va, vb, slot, slot2, cmp, cmp2)[1]:
                out[s] = level(fields[s], contrib)
            continue
        a, b = va[slot], vb[slot]
        if a is None or b is None or (alt >= 0 and va[alt] is not None and vb[alt] is not None):
            continue
        out[slot] = level(f, cmp(a, b)[0])
    return tuple(out)


@EACH_SCHEMA
def test_the_levels_em_counts_are_those_of_each_fields_own_comparison(schema, records):
    """The fit reads a pair's agreement levels in one pass; they are what each field's comparison says."""
    m = Matcher(schema)
    idx = m.index(records(2000, seed=11))
    values = idx.values
    pairs = _pairs_to_try(m, idx, random.Random(4), 20000, 3000)
    seen = set()
    for a, b in pairs:
        lv = m._levels(values[a], values[b])
        assert lv == _reference_levels(m, values[a], values[b]), (values[a], values[b])
        seen.update(lv)
    assert seen == {-1, 0, 1, 2}


@EACH_SCHEMA
def test_every_pair_sharing_a_normal_block_is_proposed_once_and_in_one_shard(schema, records):
    """The walk lists each record's blocks to skip pairs met before: a pair of one block is still proposed,
    and only once, however many blocks the two share, whole or in three shards."""
    m = Matcher(schema)
    idx = m.index(records(3000, seed=7))
    blocked = set()
    for p in range(len(idx.entries)):
        for h, start, end in idx.blocks(p):
            if h in idx.oversized[p]:
                continue
            members = sorted(e & 0xFFFFFFFF for e in idx.entries[p][start:end])
            blocked.update(itertools.combinations(members, 2))
    assert len(blocked) > 1000
    whole = [tuple(sorted(pair)) for pair in m._pairs(idx)]
    sharded = [tuple(sorted(pair)) for part in range(3) for pair in m._pairs(idx, part=(part, 3))]
    for proposed in (whole, sharded):
        from_blocks = [pair for pair in proposed if pair in blocked]
        assert len(from_blocks) == len(set(from_blocks))  # a blocked pair is never proposed twice ...
        assert set(from_blocks) == blocked  # ... and none is missed
    assert sorted(whole) == sorted(sharded)

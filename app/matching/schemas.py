"""Ready-made schemas for the CRM's companies and contacts; weights are log-odds chosen for precision."""

from __future__ import annotations

from .engine import BlockPass, Field, Schema, SortKey

# An identical INN outweighs everything; a different valid INN sinks any name match.
COMPANY_SCHEMA = Schema(
    name="company",
    fields=(
        Field("inn", "inn", agree=10.0, disagree=12.0, label="INN"),
        Field("name", "company_name", agree=6.0, disagree=4.0, lo=70.0, hi=90.0),
        Field("emails", "email", agree=6.0, disagree=0.5, partial=0.33, multi=True),
        Field("phones", "phone", agree=5.0, disagree=0.5, partial=1.0, multi=True),
        Field("addresses", "address", agree=2.0, disagree=1.5, lo=60.0, hi=90.0, multi=True),
        Field("city", "category", agree=0.5, disagree=2.0),
        Field("legal_form", "legal_form", agree=0.5, disagree=2.0, label="legal form"),
    ),
    blocks=(
        BlockPass("inn"),
        BlockPass("phones"),
        BlockPass("emails"),
        BlockPass("name", "name_pairs", 4, max_block=20),
        BlockPass("name", "name_suffix_pairs", 3, max_block=20),
        BlockPass("name", "joined_prefix", 6, max_block=20),
        BlockPass("addresses"),
    ),
    sort_keys=(SortKey(("name",), window=6), SortKey(("name",), window=4, joined=True)),
    offset=4.0,
)

# Namesakes are common and office phones are shared, so a contact needs a name match plus
# one more piece of evidence (company, phone or email) to reach the review threshold.
CONTACT_SCHEMA = Schema(
    name="contact",
    fields=(
        Field("emails", "email", agree=9.0, disagree=2.5, partial=0.0, multi=True),
        Field("name", "person_name", agree=5.0, disagree=5.0, lo=80.0, hi=98.0),
        Field("phones", "phone", agree=4.0, partial=0.25, multi=True),
        Field("company_id", "ref", agree=2.0, disagree=2.5, label="company"),
        Field("company_name", "company_name", agree=2.0, disagree=2.5, lo=75.0, hi=95.0,
              label="company", alt_of="company_id"),
        Field("position", "text", agree=0.5, disagree=0.0, lo=80.0, hi=95.0),
    ),
    blocks=(
        BlockPass("emails"),
        BlockPass("phones", max_block=8),  # colleagues share the office line: walk it by name
        BlockPass("name", "name_pairs", 4, max_block=20),
        BlockPass("name", "name_suffix_pairs", 3, max_block=20),
    ),
    sort_keys=(SortKey(("name",), window=6),),
    offset=4.0,
)

"""Human-readable reasons for a duplicate score, with a stable code the UI can translate."""

from __future__ import annotations

from typing import Any

_TEMPLATES: dict[str, str] = {
    "same_inn": "same INN",
    "different_inn": "different INN",
    "same_phone": "same phone",
    "same_office_phone": "same office phone",
    "same_email": "same email",
    "different_mailbox_same_domain": "different mailboxes at the same domain",
    "same_shared_mailbox": "same shared mailbox",
    "same_email_domain": "same email domain",
    "same_email_domain_similar_name": "same email domain and similar name",
    "name_similar": "name {pct}% similar",
    "name_different": "names differ ({pct}% similar)",
    "name_contains": "one name contains the other",
    "name_core": "same name apart from descriptive words or a qualifier",
    "name_acronym": "one name is the acronym of the other",
    "name_common_only": "same name, but made only of common words",
    "same_phone_and_address": "same phone and address",
    "group_legal_forms": "entities of one group in different countries ({a} / {b})",
    "same_legal_form": "same legal form",
    "compatible_legal_form": "compatible legal forms ({a} / {b})",
    "different_legal_form": "different legal form ({a} vs {b})",
    "address_similar": "address {pct}% similar",
    "address_different": "different address",
    "field_same": "same {field}",
    "field_same_category": "same {field}",
    "field_similar": "{field} {pct}% similar",
    "field_close": "{field} differs by one character",
    "field_different": "different {field}",
    "fields_swapped": "{a} and {b} swapped",
}


def _make_reason(code: str, params: dict[str, Any]) -> Reason:
    return Reason(code, **params)


class Reason(str):
    """A reason is its English text (list[str] callers just work) plus `code` and `params` to translate."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, **params: Any) -> Reason:
        obj = super().__new__(cls, _TEMPLATES[code].format(**params))
        obj.code = code
        obj.params = params
        return obj

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["params"][name]
        except KeyError:
            raise AttributeError(name) from None

    def __reduce__(self) -> tuple[Any, ...]:
        return _make_reason, (self.code, self.params)

    def __repr__(self) -> str:
        args = ", ".join([repr(self.code)] + [f"{k}={v!r}" for k, v in self.params.items()])
        return f"Reason({args})"

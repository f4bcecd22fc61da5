"""Form helpers shared by every area: choices, and the fields that parse numbers, ids and dates by the one rule
of services/numbers.py (the person's locale, finite, bounded by the column)."""
from __future__ import annotations

import re

from babel.numbers import format_decimal
from wtforms.fields import DateField, DateTimeLocalField, Field, IntegerField
from wtforms.fields.choices import SelectChoice
from wtforms.widgets import TextInput

from app.i18n import reader_locale, tr
from app.services import numbers
from app.services.errors import RuleError


def options(pairs) -> list[SelectChoice]:
    """(value, label) pairs as the select options WTForms wants."""
    return [SelectChoice(value, label) for value, label in pairs]


def id_choice(value) -> int:
    """`coerce=` for a select of records: 0 ("none") or an id up to 2^31-1; anything else is not a choice."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= numbers.MAX_ID:
        return value
    number = numbers.whole_number(value, 0, numbers.MAX_ID)
    if number is None:
        raise ValueError(f"not a choice: {value!r}")
    return number


class AmountField(Field):
    """An amount, quantity or price typed in the person's locale; a bad value is a message next to the field."""

    widget = TextInput(input_type="text")

    def __init__(self, label=None, validators=None, precision: numbers.Precision = numbers.MONEY,
                 minimum=0, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.precision, self.minimum = precision, minimum
        self.raw = None
        self.render_kw = {"inputmode": "decimal", **(self.render_kw or {})}

    def process_formdata(self, valuelist):
        if not valuelist:
            return
        self.raw = valuelist[0]
        try:
            from decimal import Decimal

            self.data = numbers.parse_decimal_input(
                self.raw, self.precision, minimum=None if self.minimum is None else Decimal(self.minimum))
        except RuleError as exc:
            self.data = None
            raise ValueError(exc.message) from None

    def _value(self):
        if self.raw is not None:
            return self.raw
        if self.data is None:
            return ""
        pattern = "#,##0" + ("." + "#" * self.precision.places if self.precision.places else "")
        text = format_decimal(self.data, format=pattern, locale=reader_locale()).replace("\u00a0", " ")
        # 1.234 shown as "1,234" would read as a thousand and more; "1,2340" reads one way only.
        return text + "0" if re.fullmatch(r"[0-9]{1,3}[.,][0-9]{3}", text) else text


class IdField(IntegerField):
    """A record id in a form (a picker's hidden value): 1..2^31-1 or a message, never an overflow."""

    def process_formdata(self, valuelist):
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        self.data = numbers.id_or_none(valuelist[0])
        if self.data is None:
            raise ValueError(tr("Choose from the list."))


class _InDateRange:
    """A date within 1900..2100: a year 1 or 9999 is a message next to the field, not a page error later."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not numbers.in_date_range(self.data):
            self.data = None
            raise ValueError(numbers.date_error())


class BoundedDateField(_InDateRange, DateField):
    """A date field within the portal's date bounds."""


class BoundedDateTimeLocalField(_InDateRange, DateTimeLocalField):
    """A local date and time within the portal's date bounds."""

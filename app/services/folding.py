"""One rule for comparing what people type with what is stored: case and ё/е folded the same way in
Python, on SQLite (a registered function, since SQLite's lower() folds only ASCII) and on PostgreSQL."""
from __future__ import annotations

import re

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

SQLITE_FOLD = "cl_fold"  # the name the fold is registered under on every SQLite connection

QUOTES_RE = re.compile(r"[\"'«»„“”‘’`]")
PUNCT_RE = re.compile(r"[^\w@.+\-]+", re.UNICODE)
# Russian legal forms (short), stripped from names so «ООО "Василёк"» and «Василёк» are the same name.
LEGAL_FORMS = frozenset("""ооо оао зао пао ао нао ип чп тоо нко ано муп гуп фгуп мбоу гбоу ано оп фл ул
                          llc ltd inc gmbh""".split())


def fold_case(text: str | None) -> str:
    """Lower case (Cyrillic included) with ё read as е: the fold every text comparison uses."""
    return (text or "").lower().replace("ё", "е")


def fold_name(text: str | None) -> str:
    """A name as the search index keeps it: case and ё folded, quotes, punctuation and legal forms dropped."""
    text = QUOTES_RE.sub(" ", fold_case(text))
    words = [w.strip(".-+") for w in PUNCT_RE.sub(" ", text).split()]
    return " ".join(w for w in words if w and w not in LEGAL_FORMS)


class folded(FunctionElement):
    """SQL `fold(column)`: the same fold as fold_case, on either engine."""

    type = String()
    name = "folded"
    inherit_cache = True


@compiles(folded, "sqlite")
def _folded_sqlite(element, compiler, **kw):
    return f"{SQLITE_FOLD}({compiler.process(element.clauses, **kw)})"


@compiles(folded)
def _folded_default(element, compiler, **kw):
    return f"translate(lower({compiler.process(element.clauses, **kw)}), 'ё', 'е')"


def like_escape(text: str) -> str:
    """Text for a LIKE pattern with its wildcards taken literally (escape character '\\')."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def folded_equals(col, text: str):
    """Column equals text, case and ё/е aside."""
    return folded(col) == fold_case(text)


def folded_contains(col, text: str):
    """Column contains text anywhere, case and ё/е aside."""
    return folded(col).like(f"%{like_escape(fold_case(text))}%", escape="\\")


def folded_starts(col, text: str):
    """Column starts with text, case and ё/е aside."""
    return folded(col).like(f"{like_escape(fold_case(text))}%", escape="\\")


def register_sqlite(dbapi_connection) -> None:
    """Make the fold available to SQL on a new SQLite connection."""
    dbapi_connection.create_function(SQLITE_FOLD, 1, lambda v: None if v is None else fold_case(v),
                                     deterministic=True)

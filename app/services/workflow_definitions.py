"""Workflow definitions (app/workflows/definitions/*.toml) and the division's warning signs (signs.toml there).

They are data, read with the standard library and checked when the portal starts, so a broken file stops
start-up with a message naming the file, the field and what is wrong instead of failing on some later page.
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app

SIGNS_FILE = "signs.toml"
RECURRENCES = ("none", "weekly")
PRIORITIES = ("low", "normal", "high")
OPERATORS = {"below": lambda v, x: v < x, "above": lambda v, x: v > x, "equals": lambda v, x: v == x,
             "at_most": lambda v, x: v <= x, "at_least": lambda v, x: v >= x}
EXT_KEY = "clientele_workflows"


class DefinitionError(Exception):
    """A definition file is wrong; the message names the file and the field."""

    def __init__(self, path: Path, field: str, problem: str):
        self.path, self.field, self.problem = path, field, problem
        super().__init__(f"workflow definition {path}: field '{field}': {problem}")


@dataclass(frozen=True)
class Text:
    """A text in both interface languages."""

    ru: str
    en: str

    def __call__(self, locale: str = "ru") -> str:
        return self.ru if str(locale) == "ru" else self.en


@dataclass(frozen=True)
class ColumnDef:
    key: str
    title: Text
    wip: int | None
    done: bool


@dataclass(frozen=True)
class TaskTemplate:
    title: Text
    description: Text | None
    checklist: tuple[Text, ...]
    due_days: int | None
    column: str
    priority: str


@dataclass(frozen=True)
class WorkflowDef:
    key: str
    path: Path
    unit: str
    title: Text
    purpose: Text
    columns: tuple[ColumnDef, ...]
    tasks: tuple[TaskTemplate, ...]
    figures: tuple[str, ...]
    recurrence: str
    action: int  # its place in the list (the seed's numbering for the shipped ten)

    @property
    def weekly(self) -> bool:
        return self.recurrence == "weekly"


@dataclass(frozen=True)
class Condition:
    """The sign shows when `figure <op> value` holds."""

    figure: str
    op: str
    value: float

    def holds(self, actual: float) -> bool:
        return OPERATORS[self.op](actual, self.value)


@dataclass(frozen=True)
class SignDef:
    number: int
    title: Text
    conditions: tuple[Condition, ...]
    note: Text | None

    @property
    def figures(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.figure for c in self.conditions))


@dataclass(frozen=True)
class Registry:
    workflows: dict[str, WorkflowDef]
    signs: tuple[SignDef, ...]


class _Reader:
    """Field access that reports the exact field when something is missing or of the wrong kind."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, field: str, problem: str):
        raise DefinitionError(self.path, field, problem)

    def get(self, data: dict, key: str, kind, where: str, required: bool = True, default=None):
        field = f"{where}.{key}" if where else key
        if key not in data:
            if required:
                self.fail(field, "is missing")
            return default
        value = data[key]
        if kind is int and isinstance(value, bool) or not isinstance(value, kind):
            names = {str: "a text", int: "a whole number", list: "a list", dict: "a table", bool: "true or false",
                     (int, float): "a number", (str, dict): "a text or a table with ru and en"}
            self.fail(field, f"must be {names.get(kind, kind)}, not {value!r}")
        return value

    def text(self, data: dict, key: str, where: str, required: bool = True) -> Text | None:
        """A text is a table {ru = "...", en = "..."}; a plain string serves both languages."""
        value = self.get(data, key, (str, dict), where, required)
        if value is None:
            return None
        field = f"{where}.{key}" if where else key
        if isinstance(value, str):
            return self._nonblank(Text(value, value), field)
        ru = self.get(value, "ru", str, field)
        en = self.get(value, "en", str, field)
        return self._nonblank(Text(ru, en), field)

    def _nonblank(self, text: Text, field: str) -> Text:
        if not text.ru.strip() or not text.en.strip():
            self.fail(field, "must not be empty")
        return text

    def read_toml(self) -> dict:
        try:
            with self.path.open("rb") as f:
                return tomllib.load(f)
        except tomllib.TOMLDecodeError as exc:
            self.fail("(file)", f"is not valid TOML: {exc}")
        except UnicodeDecodeError as exc:
            self.fail("(file)", f"is not UTF-8 text: {exc}")


def load_definition(path: Path, figure_names: set[str], unit_codes: set[str]) -> WorkflowDef:
    """Read and check one workflow file; its name (without .toml) is the workflow's key."""
    r = _Reader(path)
    data = r.read_toml()
    title = r.text(data, "title", "")
    purpose = r.text(data, "purpose", "")
    unit = r.get(data, "unit", str, "")
    if unit not in unit_codes:
        r.fail("unit", f"unknown unit {unit!r}; units: {', '.join(sorted(unit_codes))}")
    action = r.get(data, "action", int, "", required=False, default=1000)
    recurrence = r.get(data, "recurrence", str, "", required=False, default="none")
    if recurrence not in RECURRENCES:
        r.fail("recurrence", f"must be one of {', '.join(RECURRENCES)}, not {recurrence!r}")

    raw_columns = r.get(data, "columns", list, "")
    if not raw_columns:
        r.fail("columns", "must list at least one column")
    columns: list[ColumnDef] = []
    for i, raw in enumerate(raw_columns):
        where = f"columns[{i}]"
        if not isinstance(raw, dict):
            r.fail(where, "must be a table ([[columns]])")
        key = r.get(raw, "key", str, where)
        if key in {c.key for c in columns}:
            r.fail(f"{where}.key", f"column {key!r} is listed twice")
        wip = r.get(raw, "wip", int, where, required=False)
        if wip is not None and wip < 1:
            r.fail(f"{where}.wip", "must be 1 or more (leave it out for no limit)")
        columns.append(ColumnDef(key, r.text(raw, "title", where), wip,
                                 r.get(raw, "done", bool, where, required=False, default=False)))
    done = [c for c in columns if c.done]
    if len(done) > 1:
        r.fail("columns", "only one column may be marked done = true")
    if not done:  # the last column is where finished cards go
        last = columns[-1]
        columns[-1] = ColumnDef(last.key, last.title, last.wip, True)
    column_keys = [c.key for c in columns]

    tasks: list[TaskTemplate] = []
    for i, raw in enumerate(r.get(data, "tasks", list, "", required=False, default=[])):
        where = f"tasks[{i}]"
        if not isinstance(raw, dict):
            r.fail(where, "must be a table ([[tasks]])")
        column = r.get(raw, "column", str, where, required=False, default=column_keys[0])
        if column not in column_keys:
            r.fail(f"{where}.column", f"unknown column {column!r}; columns: {', '.join(column_keys)}")
        due_days = r.get(raw, "due_days", int, where, required=False)
        if due_days is not None and due_days < 0:
            r.fail(f"{where}.due_days", "must be 0 or more")
        priority = r.get(raw, "priority", str, where, required=False, default="normal")
        if priority not in PRIORITIES:
            r.fail(f"{where}.priority", f"must be one of {', '.join(PRIORITIES)}")
        checklist = []
        for j, _item in enumerate(r.get(raw, "checklist", list, where, required=False, default=[])):
            checklist.append(r.text({"item": _item}, "item", f"{where}.checklist[{j}]"))
        tasks.append(TaskTemplate(r.text(raw, "title", where), r.text(raw, "description", where, required=False),
                                  tuple(checklist), due_days, column, priority))

    figures = r.get(data, "figures", list, "", required=False, default=[])
    for i, name in enumerate(figures):
        if name not in figure_names:
            r.fail(f"figures[{i}]", f"unknown figure {name!r}; registered figures: {', '.join(sorted(figure_names))}")
    return WorkflowDef(path.stem, path, unit, title, purpose, tuple(columns), tuple(tasks), tuple(figures), recurrence,
                       action)


def load_signs(path: Path, figure_names: set[str]) -> tuple[SignDef, ...]:
    """Read and check the warning signs: each names figures and the values at which it shows."""
    r = _Reader(path)
    data = r.read_toml()
    signs: list[SignDef] = []
    for i, raw in enumerate(r.get(data, "signs", list, "")):
        where = f"signs[{i}]"
        if not isinstance(raw, dict):
            r.fail(where, "must be a table ([[signs]])")
        number = r.get(raw, "number", int, where)
        conditions = []
        raw_conditions = r.get(raw, "when_any", list, where)
        if not raw_conditions:
            r.fail(f"{where}.when_any", "must list at least one condition")
        for j, cond in enumerate(raw_conditions):
            cwhere = f"{where}.when_any[{j}]"
            if not isinstance(cond, dict):
                r.fail(cwhere, "must be a table like {figure = \"...\", below = 0.8}")
            name = r.get(cond, "figure", str, cwhere)
            if name not in figure_names:
                r.fail(f"{cwhere}.figure", f"unknown figure {name!r}")
            ops = [op for op in OPERATORS if op in cond]
            if len(ops) != 1:
                r.fail(cwhere, f"needs exactly one of {', '.join(OPERATORS)}")
            value = r.get(cond, ops[0], (int, float), cwhere)
            conditions.append(Condition(name, ops[0], float(value)))
        signs.append(SignDef(number, r.text(raw, "title", where), tuple(conditions),
                             r.text(raw, "note", where, required=False)))
    return tuple(sorted(signs, key=lambda s: s.number))


def load_folder(folder: Path, figure_names: set[str], unit_codes: set[str]) -> Registry:
    """Every *.toml in the folder is a workflow, except signs.toml."""
    if not folder.is_dir():
        raise DefinitionError(folder, "(folder)", "does not exist")
    workflows = {}
    for path in sorted(folder.glob("*.toml")):
        if path.name == SIGNS_FILE:
            continue
        definition = load_definition(path, figure_names, unit_codes)
        workflows[definition.key] = definition
    workflows = dict(sorted(workflows.items(), key=lambda kv: (kv[1].action, kv[0])))
    signs_path = folder / SIGNS_FILE
    signs = load_signs(signs_path, figure_names) if signs_path.exists() else ()
    return Registry(workflows, signs)


def init_app(app: Flask) -> None:
    """Load and check every definition at start-up; a broken file stops the portal here."""
    from app.services import figures
    from app.services.org import ORG_BOARD

    app.extensions[EXT_KEY] = load_folder(Path(app.config["WORKFLOWS_DIR"]), figures.names(),
                                          {code for code, *_ in ORG_BOARD})


def registry() -> Registry:
    return current_app.extensions[EXT_KEY]


def workflow(key: str) -> WorkflowDef | None:
    return registry().workflows.get(key)

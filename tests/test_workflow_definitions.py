"""Workflow definitions are data checked at start-up: all ten of the seed's actions load, a broken file stops
the portal with a message naming the file and the field."""
from pathlib import Path

import pytest

from app import create_app
from app.config import APP_DIR, TestConfig
from app.services import figures
from app.services.org import ORG_BOARD
from app.services.workflow_definitions import DefinitionError, load_folder

GOOD = """
unit = "promotion"
figures = ["activities_this_week"]
title = { ru = "Учёт откликов", en = "Count responses" }
purpose = { ru = "Считать отклики.", en = "Count responses." }

[[columns]]
key = "todo"
title = { ru = "К выполнению", en = "To do" }

[[columns]]
key = "done"
title = { ru = "Готово", en = "Done" }

[[tasks]]
title = { ru = "Первая задача", en = "First task" }
column = "todo"
due_days = 2
"""


def _start(folder: Path):
    return create_app({**{k: getattr(TestConfig, k) for k in dir(TestConfig) if k.isupper()},
                       "SQLALCHEMY_DATABASE_URI": "sqlite://", "WORKFLOWS_DIR": folder,
                       "START_INPROCESS_WORKER": False})


def test_all_ten_of_the_seeds_actions_ship_and_load():
    """Needs every area's figures registered (true once all areas are merged)."""
    registry = load_folder(APP_DIR / "workflows" / "definitions", figures.names(), {code for code, *_ in ORG_BOARD})
    assert len(registry.workflows) == 10
    assert [w.action for w in registry.workflows.values()] == list(range(1, 11))
    assert {w.unit for w in registry.workflows.values()} == {"promotion", "publications", "sales"}
    assert registry.workflows["weekly_sales_planning"].weekly
    assert "откликов" in registry.workflows["count_responses"].purpose.ru
    assert [s.number for s in registry.signs] == list(range(1, 11))


def test_a_good_definition_starts_the_portal(tmp_path):
    (tmp_path / "count.toml").write_text(GOOD, encoding="utf-8")
    app = _start(tmp_path)
    with app.app_context():
        from app.services.workflow_definitions import workflow

        definition = workflow("count")
        assert [c.key for c in definition.columns] == ["todo", "done"]
        assert definition.columns[-1].done  # the last column takes finished cards when none is marked
        assert definition.tasks[0].title("en") == "First task"


@pytest.mark.parametrize("broken, field, problem", [
    (GOOD.split("[[columns]]")[0] + GOOD[GOOD.index("[[tasks]]"):].replace('column = "todo"\n', ""),
     "columns", "is missing"),
    (GOOD.replace('figures = ["activities_this_week"]', 'figures = ["activities_this_week", "no_such_figure"]'),
     "figures[1]", "unknown figure 'no_such_figure'"),
    (GOOD.replace('unit = "promotion"', 'unit = "promotion'), "(file)", "is not valid TOML"),
    (GOOD.replace('unit = "promotion"', 'unit = "marketing"'), "unit", "unknown unit 'marketing'"),
    (GOOD.replace('column = "todo"', 'column = "doing"'), "tasks[0].column", "unknown column 'doing'"),
    (GOOD.replace('title = { ru = "Учёт откликов", en = "Count responses" }', 'title = { ru = "Учёт откликов" }'),
     "title.en", "is missing"),
])
def test_a_broken_definition_stops_start_up_naming_file_and_field(tmp_path, broken, field, problem):
    (tmp_path / "good.toml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "broken.toml").write_text(broken, encoding="utf-8")
    with pytest.raises(DefinitionError) as caught:
        _start(tmp_path)
    message = str(caught.value)
    assert "broken.toml" in message
    assert f"field '{field}'" in message
    assert problem in message


def test_a_sign_naming_an_unknown_figure_stops_start_up(tmp_path):
    (tmp_path / "signs.toml").write_text(
        '[[signs]]\nnumber = 3\ntitle = "Responses are not counted"\n'
        'when_any = [{ figure = "responses_nowhere", below = 0.8 }]\n', encoding="utf-8")
    with pytest.raises(DefinitionError, match=r"signs.toml: field 'signs\[0\].when_any\[0\].figure'"):
        _start(tmp_path)

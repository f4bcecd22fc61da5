"""Old import paths of RQ entry points, so jobs queued (or scheduled) before a module moved still run.

RQ stores a job's function as a dotted path and imports it when a worker picks the job up. When an entry
point moves, the job already in Redis still names the old path; this finder answers that old module name
with the new module. Add a line here whenever an entry point moves; never reuse an old path for new code.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys

# old module path -> the module that holds its entry points now (same function names)
MOVED: dict[str, str] = {
    "app.tasks": "app.demo",
    "app.accounts.tasks": "app.key_accounts.jobs",
    "app.backups.tasks": "app.backups.jobs",
    "app.duplicates.tasks": "app.data_quality.jobs",
    "app.promotion.tasks": "app.promotion.jobs",
    "app.workflows.tasks": "app.workflows.jobs",
}
# old packages that no longer exist but are parents of a moved module
_PARENTS = {name.rpartition(".")[0] for name in MOVED} - {"app"}


class _Alias(importlib.abc.Loader):
    """Loads an old module name as a module holding the very functions of the one that replaced it
    (copied names, so the new module's own identity and spec stay untouched)."""

    def __init__(self, target: str | None):
        self.target = target

    def create_module(self, spec):
        return None  # the usual empty module

    def exec_module(self, module) -> None:
        if self.target is None:  # an emptied parent package: a bare namespace for its moved children
            module.__path__ = []
            return
        replacement = importlib.import_module(self.target)
        module.__dict__.update({k: v for k, v in vars(replacement).items() if not k.startswith("__")})


class _LegacyFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, fullname, path=None, target=None):
        if fullname in MOVED:
            return importlib.util.spec_from_loader(fullname, _Alias(MOVED[fullname]))
        if fullname in _PARENTS:  # only asked when no real package has that name
            return importlib.util.spec_from_loader(fullname, _Alias(None), is_package=True)
        return None


def install() -> None:
    """Put the finder at the end of the import path once: real modules always win."""
    if not any(isinstance(f, _LegacyFinder) for f in sys.meta_path):
        sys.meta_path.append(_LegacyFinder())

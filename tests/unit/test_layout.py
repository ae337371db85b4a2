"""The layout explains the architecture: data flows one way, and each room stays small enough to read.

Imports are read from the source (ast), so the checks cost no import time and see lazy imports too.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = (
    "config",
    "modules",
    "stacks",
    "synthesis",
    "orchestrator",
    "emulator",
    "cost",
    "artifacts",
    "hooks",
    "ci",
    "bench",
    "app",
)
MAX_MODULES_PER_FOLDER = 12


def imported_packages(package: str) -> dict[str, set[str]]:
    """{module path: the top-level project packages it imports}, for every module of `package`."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = {n for n in names if n in PACKAGES and n != package}
    return found


def package_graph() -> dict[str, set[str]]:
    return {p: set().union(*imported_packages(p).values()) for p in PACKAGES if (ROOT / p).is_dir()}


def test_the_emulator_imports_nothing_of_the_orchestrator():
    offending = {m: sorted(deps) for m, deps in imported_packages("emulator").items() if "orchestrator" in deps}
    assert not offending, f"the emulator must not know its client: {offending}"


def test_synthesis_sits_below_the_orchestrator_and_cost():
    deps = package_graph()["synthesis"]
    assert not deps & {"orchestrator", "cost", "emulator"}, f"synthesis imports {sorted(deps)}"


def test_no_package_imports_one_that_imports_it_back():
    graph = package_graph()

    def reaches(start: str, goal: str, seen: set[str]) -> list[str] | None:
        for nxt in sorted(graph.get(start, ())):
            if nxt == goal:
                return [start, nxt]
            if nxt not in seen:
                seen.add(nxt)
                path = reaches(nxt, goal, seen)
                if path:
                    return [start, *path]
        return None

    cycles = [" -> ".join(path) for p in graph if (path := reaches(p, p, set()))]
    assert not cycles, f"import cycles between packages: {cycles}"


def test_no_orchestrator_folder_holds_more_than_a_dozen_modules():
    crowded = {}
    for folder in [ROOT / "orchestrator", *(p for p in (ROOT / "orchestrator").rglob("*") if p.is_dir())]:
        modules = [p for p in folder.glob("*.py") if p.name != "__init__.py"]
        if len(modules) > MAX_MODULES_PER_FOLDER:
            crowded[str(folder.relative_to(ROOT))] = len(modules)
    assert not crowded, f"folders over {MAX_MODULES_PER_FOLDER} modules (split by concern): {crowded}"


def test_every_orchestrator_room_says_what_it_holds():
    rooms = [p for p in (ROOT / "orchestrator").iterdir() if p.is_dir() and p.name != "__pycache__"]
    silent = [p.name for p in rooms if not ast.get_docstring(ast.parse((p / "__init__.py").read_text()))]
    assert not silent, f"orchestrator rooms without a docstring in __init__.py: {silent}"

"""The layers depend one way: api/ and web/ on services/, services/ on models/ and core/, never back."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
# What each lower layer must never import, even inside a function.
FORBIDDEN = {
    "services": ("app.api", "app.web", "app.schemas"),
    "models": ("app.api", "app.web", "app.schemas", "app.services"),
    "core": ("app.api", "app.web", "app.schemas", "app.services"),
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, module) of every import in a file, top level or nested."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_lower_layer_never_imports_a_higher_one(layer):
    banned = FORBIDDEN[layer]
    offenders = [f"{path.relative_to(APP.parent)}:{line} imports {module}"
                 for path in sorted((APP / layer).rglob("*.py"))
                 for line, module in imports_of(path)
                 if any(module == b or module.startswith(b + ".") for b in banned)]
    assert offenders == []


IMPORT_EACH = """
import importlib, pkgutil, sys
import app
# The API's modules are leaves (nothing imports them back); every other module is tried first.
names = sorted(m.name for m in pkgutil.walk_packages(app.__path__, "app.") if not m.name.startswith("app.api"))
for name in names:
    for loaded in [m for m in sys.modules if m == "app" or m.startswith("app.")]:
        del sys.modules[loaded]
    try:
        importlib.import_module(name)
    except Exception as exc:
        print(f"{name}: {type(exc).__name__}: {exc}")
"""


def test_every_module_imports_first_without_a_cycle():
    """Whichever module a process imports first, the imports resolve (no cycle hidden by import order)."""
    done = subprocess.run([sys.executable, "-c", IMPORT_EACH], cwd=APP.parent, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""

"""No module of lib uses another module's private name (one that starts with ``_``).

A private name is free to change with its module; a module that needs another's helper calls a
public name of the module that owns it (or of ``lib._validate``, the shared argument checks).
Ruff's PLC2701 (import-private-name) does not flag imports inside one package, and no linter
flags ``module._name`` attribute access, so this test reads every module's syntax tree.
"""

import ast
from pathlib import Path

import pytest

LIB = Path(__file__).resolve().parents[1] / "lib"

# Private names of other modules still in use, to be made public; delete an entry when its use is gone.
PENDING: set[tuple[str, str]] = set()


def _module_name(path: Path) -> str:
    parts = path.relative_to(LIB.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted(LIB.rglob("*.py"))}


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _dotted(node):
    """``a.b.c`` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return ".".join([node.id, *reversed(parts)])


def private_uses(source: str, module: str, modules=MODULES) -> list[tuple[int, str, str]]:
    """``(line, owner, name)`` for each private name of another lib module that ``source`` uses.

    ``module`` is the dotted name of the module whose source this is; ``modules`` the names of
    every module of lib. Importing a private *module* (``from .. import _validate``) is allowed.
    """
    package = module if MODULES.get(module, Path()).name == "__init__.py" else module.rpartition(".")[0]
    aliases = {}  # local name -> the lib module it is bound to
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                owner = ".".join(base + ([node.module] if node.module else []))
            else:
                owner = node.module or ""
            for alias in node.names:
                if f"{owner}.{alias.name}" in modules:
                    aliases[alias.asname or alias.name] = f"{owner}.{alias.name}"
                elif owner in modules and owner != module and _private(alias.name):
                    found.append((node.lineno, owner, alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in modules:
                    aliases[alias.asname or alias.name.partition(".")[0]] = (
                        alias.name if alias.asname else alias.name.partition(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            chain = _dotted(node.value)
            if chain is None:
                continue
            head, _, rest = chain.partition(".")
            owner = aliases.get(head)
            if owner is not None and rest:
                owner = f"{owner}.{rest}"
            if owner in modules and owner != module and f"{owner}.{node.attr}" not in modules:
                found.append((node.lineno, owner, node.attr))
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_module_uses_another_modules_private_name(module):
    uses = [use for use in private_uses(MODULES[module].read_text(encoding="utf-8"), module)
            if use[1:] not in PENDING]
    assert uses == [], f"{module} uses private names of other modules (line, owner, name): {uses}"


def test_pending_private_names_are_still_used():
    used = {use[1:] for module, path in MODULES.items()
            for use in private_uses(path.read_text(encoding="utf-8"), module)}
    assert PENDING <= used, f"no longer used, delete from PENDING: {sorted(PENDING - used)}"


@pytest.mark.parametrize("source, expected", [
    ("from ..optim.driver import _scan\n", [(1, "lib.optim.driver", "_scan")]),
    ("from .driver import _scan\n", []),  # lib.explorer.driver: not a module of lib
    ("from lib.optim.driver import optimize, _scan\n", [(1, "lib.optim.driver", "_scan")]),
    ("from ..teaching import checks\nchecks._tolerance('t', 1)\n",
     [(2, "lib.teaching.checks", "_tolerance")]),
    ("from ..optim import driver as opt\nopt._optimize()\n", [(2, "lib.optim.driver", "_optimize")]),
    ("import lib.theory.quadratic\nlib.theory.quadratic._symmetric_matrix('H', 1)\n",
     [(2, "lib.theory.quadratic", "_symmetric_matrix")]),
    ("import lib.theory.quadratic as q\nq._symmetric_matrix('H', 1)\n",
     [(2, "lib.theory.quadratic", "_symmetric_matrix")]),
    ("from .. import _validate\n_validate.positive('lr', 1.0)\n", []),  # a private module, public name
    ("from ..models.surfaces import Surface\nrun._replace(x=1)\nSurface._fields\n", []),  # not modules
    ("from .. import theory\n", []),
])
def test_the_check_finds_a_violation(source, expected):
    assert private_uses(source, "lib.explorer.widget") == expected


def test_a_module_may_use_its_own_private_names():
    source = "import lib.explorer.widget\nlib.explorer.widget._HERE\nlib._validate.positive('lr', 1.0)\n"
    assert private_uses(source, "lib.explorer.widget") == []

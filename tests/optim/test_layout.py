"""lib.optim is used through public names only: no module imports or reads a private name of it, and it
reads none of another module's (the shared checks of lib._validate are its one private import)."""

import ast
import pathlib

LIB = pathlib.Path(__file__).resolve().parents[2] / "lib"
OPTIM_MODULES = {"driver", "rules", "clipping", "schedules", "minibatch"}


def private_uses(path):
    """``(line, what)`` for every private name ``path`` imports, or reads from a lib.optim module."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__":
            module = node.module or ""
            into_optim = "optim" in module.split(".") or path.parent.name == "optim"
            for alias in node.names:
                if alias.name.startswith("_") and alias.name != "_validate" and into_optim:
                    found.append((node.lineno, f"from {'.' * node.level}{module} import {alias.name}"))
        if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                and isinstance(node.value, ast.Name) and node.value.id in OPTIM_MODULES | {"optim"}):
            found.append((node.lineno, f"{node.value.id}.{node.attr}"))
    return found


def test_no_module_uses_a_private_name_of_lib_optim():
    offenders = {str(path.relative_to(LIB)): uses for path in sorted(LIB.rglob("*.py"))
                 if (uses := private_uses(path))}
    assert not offenders, offenders


def test_the_check_finds_a_private_import(tmp_path):
    module = tmp_path / "optim" / "example.py"
    module.parent.mkdir()
    module.write_text("from .driver import _scan\nfrom .. import _validate\nx = rules._momentum\n")
    assert private_uses(module) == [(1, "from .driver import _scan"), (3, "rules._momentum")]

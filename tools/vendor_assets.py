"""Copy the front-end assets the site serves itself into ``_vendor/``.

The pages would otherwise load require.js, the ipywidgets HTML manager and
MathJax from CDNs, which fails offline. Sources: ``node_modules/`` (installed
by ``npm ci`` from package-lock.json) and the ``anywidget`` Python package,
whose AMD build lets the HTML manager load anywidget front ends.
"""

import shutil
import sys
from pathlib import Path

import anywidget

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "_vendor" / "vendor"
NODE = ROOT / "node_modules"

COPIES = {
    NODE / "requirejs" / "require.js": OUT / "require.js",
    NODE / "@jupyter-widgets" / "html-manager" / "dist": OUT / "html-manager",
    NODE / "mathjax" / "es5": OUT / "mathjax",
    NODE / "axe-core" / "axe.min.js": OUT / "axe.min.js",
    Path(anywidget.__file__).parent / "nbextension" / "index.js": OUT / "anywidget" / "index.js",
    ROOT / "tools" / "widgets-offline.js": OUT / "widgets-offline.js",
    ROOT / "tools" / "anywidget-static.js": OUT / "anywidget-static.js",
    ROOT / "tools" / "book.js": OUT / "book.js",
    ROOT / "tools" / "book.css": OUT / "book.css",
}


def main() -> int:
    missing = [str(src) for src in COPIES if not src.exists()]
    if missing:
        print("missing front-end assets (run `npm ci` first):", *missing, sep="\n  ", file=sys.stderr)
        return 1
    for src, dst in COPIES.items():
        dst.parent.mkdir(parents=True, exist_ok=True)
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dst)
    print(f"vendored {len(COPIES)} front-end assets into {OUT.relative_to(ROOT)}/")
    return 0


if __name__ == "__main__":
    sys.exit(main())

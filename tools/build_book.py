"""Build the book: execute every chapter and write the HTML site to ``_build/html``.

Fails on any execution error or Sphinx warning (``-W -n --keep-going`` plus
``nb_execution_raise_on_error`` in ``_config.yml``).

The execution cache keys a chapter on its own text only, so it would keep
outputs computed by an older ``lib``. We fingerprint ``lib/`` and the pinned
requirements; when the fingerprint changes, the cache is dropped and every
page is rebuilt. The wall time of each build is appended to
``_build/.timings.json`` for ``make bench``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import portable_notebook  # noqa: E402
from portable_notebook import myst  # noqa: E402  (tools/myst_reader.py)

BUILD = ROOT / "_build"
FINGERPRINT = BUILD / ".lib-fingerprint"
TIMINGS = BUILD / ".timings.json"
INPUTS = ["lib/**/*.py", "lib/**/*.js", "lib/**/*.css", "requirements.txt", "constraints.txt",
          "assignments/*.yml"]  # the instructors page tabulates the assignments


def fingerprint() -> str:
    digest = hashlib.sha256()
    for pattern in INPUTS:
        for path in sorted(ROOT.glob(pattern)):
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def check_sources(root: Path = ROOT) -> int:
    """Refuse, before executing anything, a page that shows a glued number no code cell of its glues.

    Returns how many glue references were checked; raises :class:`myst_reader.MystError` (file:line).
    """
    return myst.check_chapters([root / "intro.md", *sorted((root / "chapters").glob("*.md"))], root)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true", help="re-execute and rebuild every page")
    parser.add_argument("--config", default=None, help="another _config.yml (e.g. the student build)")
    parser.add_argument("--output", default=str(ROOT), help="folder that receives _build/")
    args = parser.parse_args()

    try:
        check_sources(ROOT)
    except myst.MystError as err:
        print(f"The book's sources are not valid MyST for the build: {err}", file=sys.stderr)
        return 1
    build = Path(args.output) / "_build"
    stamp = build / FINGERPRINT.name
    current = fingerprint()
    rebuild_all = args.all or not stamp.exists() or stamp.read_text() != current
    if rebuild_all and (build / ".jupyter_cache").exists():
        print("lib/ or the requirements changed since the last build: re-executing every chapter")
        shutil.rmtree(build / ".jupyter_cache")
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT),
               "--path-output", str(args.output), "-W", "-n", "--keep-going"]
    if args.config:
        command += ["--config", args.config]
    if rebuild_all:
        command.append("--all")
    # One commit for the whole build: the Binder buttons and the downloads' install cells name it.
    os.environ["BOOK_BUILD_REF"] = portable_notebook.build_ref(ROOT)
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        print(f"\nThe book build FAILED after {seconds:.0f} s (see the messages above).", file=sys.stderr)
        return result.returncode
    # The .ipynb offered for download: plain Markdown with the computed numbers written in.
    count = portable_notebook.write_downloads(ROOT, build)
    print(f"Wrote {count} downloadable notebooks (plain Markdown, numbers filled in)")
    build.mkdir(exist_ok=True)
    stamp.write_text(current)
    timings = json.loads(TIMINGS.read_text()) if TIMINGS.exists() else []
    timings.append({"seconds": round(seconds, 1), "all": rebuild_all, "time": time.time(),
                    "config": args.config or "_config.yml"})
    TIMINGS.parent.mkdir(exist_ok=True)
    TIMINGS.write_text(json.dumps(timings[-20:], indent=1))
    index = build / "html" / "index.html"
    print(f"\nBuilt in {seconds:.0f} s. The site is at {index}")
    print("Read it with `make serve` (http://127.0.0.1:8000) or open that file in a browser.")
    return 0


if __name__ == "__main__":
    sys.exit(main())

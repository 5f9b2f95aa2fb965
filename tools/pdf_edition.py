"""The PDF edition: the built website printed page by page with headless Chromium.

Each page of ``_toc.yml`` is opened from a local server, left to finish what a reader's
browser does (MathJax typesets the math, the explorers draw their initial state), prepared for
paper, and printed with the site's own print style (the ``@media print`` block of
``tools/book.css``). Preparing means: solutions forced open (full edition), a note under each
explorer with the address of its interactive version on the website, and links to other pages
pointed at the website instead of the local server. The chapters are then merged with pypdf
behind a title page with the contents, with bookmarks and page numbers stamped on.

Why this route and not Sphinx's LaTeX builder: it prints exactly what the website shows
(MathJax, matplotlib figures, the explorers' SVG) with the Chromium the browser tests already
need, and it takes seconds; LaTeX would need several hundred MB of TeX Live and cannot draw the
explorers at all (they are JavaScript). See README.md, "PDF edition".

Output (``--out``, default ``_build/pdf``): ``book.pdf`` and ``chapters/<page>.pdf`` for every
page of the table of contents; ``--student`` prints the student edition (no solutions) into
``<out>/student``.
"""

from __future__ import annotations

import argparse
import datetime
import html
import io
import logging
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
from local_server import serve  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MAIN_HTML = ROOT / "_build" / "html"
STUDENT_HTML = ROOT / "_build" / "student" / "_build" / "html"
OUT = ROOT / "_build" / "pdf"
CHROMIUM = os.environ.get("CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
# A4 with room for the running title at the top and the page number at the bottom.
PAPER = {"format": "A4", "margin": {"top": "16mm", "bottom": "16mm", "left": "14mm", "right": "14mm"}}
RUNNING_TITLE = ('<div style="font: 9px sans-serif; color: #555; width: 100%; text-align: center;">'
                 '<span class="title"></span></div>')
WIDGET_TIMEOUT_MS = 60_000
# pypdf warns about every Chromium PDF ("Object count ... exceeds defined trailer size"): harmless.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass
class Chapter:
    """One page of the table of contents: its source name, part and what printing it gave."""

    docname: str  # "intro", "chapters/momentum"
    part: str | None
    title: str = ""
    pages: int = 0

    @property
    def slug(self) -> str:
        return Path(self.docname).name


def toc_chapters(toc_path: Path = ROOT / "_toc.yml", *, student: bool = False) -> list[Chapter]:
    """Every page of the book in reading order (the root first), with the caption of its part;
    for the student edition without the pages it leaves out (``student_edition.NOT_FOR_STUDENTS``)."""
    try:
        from tools.student_edition import NOT_FOR_STUDENTS
    except ImportError:  # run as a script: tools/ is on the path, the project's root is not
        from student_edition import NOT_FOR_STUDENTS

    toc = yaml.safe_load(toc_path.read_text())
    found = [Chapter(toc["root"], None)]

    def walk(entries, part):
        for entry in entries:
            if "file" in entry:
                found.append(Chapter(entry["file"], part))
            walk(entry.get("sections", []), part)

    for part in toc.get("parts", []):
        walk(part.get("chapters", []), part.get("caption"))
    walk(toc.get("chapters", []), None)
    return [chapter for chapter in found if not (student and chapter.docname in NOT_FOR_STUDENTS)]


def website(config_path: Path = ROOT / "_config.yml") -> str:
    """The published site (``html.baseurl``), ending in a slash."""
    base = yaml.safe_load(config_path.read_text())["html"]["baseurl"]
    return base if base.endswith("/") else base + "/"


# Runs in the page once it has loaded. Returns the chapter's title.
PREPARE_FOR_PAPER = """
async ({local, site, pageUrl}) => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  // Solutions open (sphinx-togglebutton hides dropdown admonitions with a class).
  document.querySelectorAll(".toggle-hidden").forEach(el => el.classList.remove("toggle-hidden"));
  document.querySelectorAll("details.toggle-details").forEach(el => { el.open = true; });
  // Explorers: a note with the address of the interactive version, inside the explorer's
  // box so that the two stay on one page.
  document.querySelectorAll(".optx").forEach(root => {
    const note = document.createElement("p");
    note.className = "pdf-explorer-note";
    note.append("Interactive version: ");
    const link = document.createElement("a");
    link.href = link.textContent = pageUrl;
    note.append(link);
    root.append(note);
  });
  // Links to other pages of the book lead to the website, not to this local server.
  document.querySelectorAll("a[href]").forEach(a => {
    const url = new URL(a.getAttribute("href"), location.href);
    if (url.href.startsWith(local) && url.pathname !== location.pathname) {
      a.href = site + url.href.slice(local.length);
    }
  });
  // The chapter's own title carries its number ("6. Momentum"); print shows the theme's
  // title block instead, without the number: give it the numbered title.
  const heading = document.querySelector("article section > h1")
    || document.querySelector("article h1, main h1, h1");
  const title = heading ? heading.textContent.replace(/#$/, "").replace(/\\s+/g, " ").trim() : document.title;
  const printed = document.querySelector("#jb-print-docs-body h1");
  if (printed && heading) printed.textContent = title;
  document.title = title;  // Chromium prints it as the running title
  await document.fonts.ready;
  return title;
}
"""


def print_chapter(browser, base_url: str, site: str, chapter: Chapter, path: Path) -> None:
    """Print one page of the book into ``path``; fills in ``chapter.title`` and ``chapter.pages``."""
    from pypdf import PdfReader

    context = browser.new_context(viewport={"width": 1000, "height": 1400})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        response = page.goto(f"{base_url}{chapter.docname}.html", wait_until="load")
        if response is None or response.status != 200:
            raise SystemExit(f"{chapter.docname}.html is not in the built site: rebuild it (`make book`)")
        widgets = page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count()
        if widgets:
            try:  # every widget of the book is an explorer: wait until each has drawn
                page.wait_for_function(
                    "n => document.querySelectorAll('.optx .optx-plot[data-drawn]').length >= n",
                    arg=widgets, timeout=WIDGET_TIMEOUT_MS)
            except Exception as error:
                raise RuntimeError(f"{chapter.docname}: {widgets} widgets, not all drawn as explorers "
                                   f"(page errors: {errors})") from error
        chapter.title = page.evaluate(PREPARE_FOR_PAPER, {
            "local": base_url, "site": site, "pageUrl": f"{site}{chapter.docname}.html"})
        page.emulate_media(media="print")
        path.write_bytes(page.pdf(print_background=True, display_header_footer=True,
                                  header_template=RUNNING_TITLE, footer_template="<span></span>", **PAPER))
    finally:
        context.close()
    chapter.pages = len(PdfReader(path).pages)


def title_page_html(chapters: list[Chapter], first_pages: list[int], edition: str, site: str) -> str:
    """The book's first page: title, edition, where the website is, and the contents."""
    rows, part = [], object()
    for chapter, first in zip(chapters, first_pages):
        if chapter.part != part and chapter.part:
            rows.append(f'<tr><th colspan="2">{html.escape(chapter.part)}</th></tr>')
        part = chapter.part
        rows.append(f"<tr><td>{html.escape(chapter.title)}</td><td>{first}</td></tr>")
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    return f"""<!doctype html><html><head><meta charset="utf-8"><style>
      @page {{ size: A4; margin: 25mm 22mm; }}
      body {{ font-family: sans-serif; color: #222; }}
      h1 {{ font-size: 26pt; margin: 0 0 4mm; }}
      .edition {{ font-size: 13pt; margin: 0 0 2mm; }}
      .meta {{ color: #444; font-size: 10pt; margin: 0 0 10mm; }}
      table {{ width: 100%; border-collapse: collapse; font-size: 11pt; }}
      th {{ text-align: left; padding: 4mm 0 1mm; font-size: 10pt; text-transform: uppercase; color: #555; }}
      td {{ padding: 0.8mm 0; }} td:last-child {{ text-align: right; }}
    </style></head><body>
      <h1>{html.escape(config["title"])}</h1>
      <p class="edition">{html.escape(edition)}</p>
      <p class="meta">{html.escape(config["author"])}. Printed from the website on
        {datetime.date.today().isoformat()}. The interactive version, with explorers whose sliders
        redraw the figures, is at <a href="{site}">{site}</a>.</p>
      <h2 style="font-size: 14pt">Contents</h2>
      <table>{"".join(rows)}</table>
    </body></html>"""


def print_html(browser, markup: str) -> bytes:
    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_content(markup, wait_until="load")
        return page.pdf(format="A4", prefer_css_page_size=True, print_background=True)
    finally:
        context.close()


def page_numbers_pdf(browser, count: int) -> bytes:
    """``count`` blank A4 pages, page k carrying the number k at the bottom centre: an overlay."""
    pages = "".join(f'<div class="p"><span>{k}</span></div>' for k in range(1, count + 1))
    return print_html(browser, f"""<!doctype html><html><head><style>
      @page {{ size: A4; margin: 0; }} body {{ margin: 0; }}
      .p {{ height: 297mm; position: relative; break-after: page; }}
      .p span {{ position: absolute; bottom: 8mm; width: 100%; text-align: center;
                font: 9pt sans-serif; color: #444; }}
    </style></head><body>{pages}</body></html>""")


def stamp_page_numbers(reader, numbers, first_number: int = 1):
    """A writer holding ``reader``'s pages, page i numbered ``first_number + i`` from ``numbers``."""
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=reader)
    for index, page in enumerate(writer.pages):
        page.merge_page(numbers.pages[first_number + index - 1])
    return writer


def build_edition(html_dir: Path, out: Path, edition: str, browser) -> dict:
    """Print every chapter of ``html_dir`` and merge them into ``out/book.pdf``."""
    from pypdf import PdfReader, PdfWriter

    if not (html_dir / "index.html").exists():
        raise SystemExit(f"no built site at {html_dir}: run `make book` (and `make book-student`) first")
    site = website()
    chapters = toc_chapters(student=html_dir == STUDENT_HTML)
    chapter_dir = out / "chapters"
    if chapter_dir.exists():
        shutil.rmtree(chapter_dir)
    chapter_dir.mkdir(parents=True)
    started = time.perf_counter()
    with serve(html_dir) as server_url:
        base_url = server_url + "/"
        raw = {}
        for chapter in chapters:
            raw[chapter.docname] = chapter_dir / f"{chapter.slug}.pdf"
            print_chapter(browser, base_url, site, chapter, raw[chapter.docname])
            print(f"  {chapter.docname}: {chapter.pages} pages", flush=True)

    # The title page may run to more than one page; lay it out until its length is known.
    front_pages, front = 1, None
    for _ in range(3):
        first_pages, next_page = [], front_pages + 1
        for chapter in chapters:
            first_pages.append(next_page)
            next_page += chapter.pages
        front = print_html(browser, title_page_html(chapters, first_pages, edition, site))
        if len(PdfReader(io.BytesIO(front)).pages) == front_pages:
            break
        front_pages = len(PdfReader(io.BytesIO(front)).pages)
    total = next_page - 1
    numbers = PdfReader(io.BytesIO(page_numbers_pdf(browser, total)))

    book = PdfWriter()
    book.append(PdfReader(io.BytesIO(front)))
    part_marks = {}
    for chapter, first in zip(chapters, first_pages):
        stamped = stamp_page_numbers(PdfReader(raw[chapter.docname]), numbers, first)
        start = len(book.pages)
        for page in stamped.pages:
            book.add_page(page)
        # Bookmarks: a part leads to its first chapter, chapters sit under their part.
        if chapter.part and chapter.part not in part_marks:
            part_marks[chapter.part] = book.add_outline_item(title=chapter.part, page_number=start)
        book.add_outline_item(title=chapter.title, page_number=start, parent=part_marks.get(chapter.part))
        # Each chapter's own PDF is numbered from 1.
        single = stamp_page_numbers(PdfReader(raw[chapter.docname]), numbers, 1)
        single.add_metadata({"/Title": f"{chapter.title} ({edition})"})
        single.compress_identical_objects()
        single.write(raw[chapter.docname])
    book.add_metadata({"/Title": yaml.safe_load((ROOT / "_config.yml").read_text())["title"]
                       + f" ({edition})"})
    book.page_mode = "/UseOutlines"
    book.compress_identical_objects()
    with open(out / "book.pdf", "wb") as handle:
        book.write(handle)
    seconds = time.perf_counter() - started
    size = (out / "book.pdf").stat().st_size
    print(f"{edition}: {out / 'book.pdf'} ({total} pages, {size / 1e6:.1f} MB) in {seconds:.0f} s")
    return {"pages": total, "bytes": size, "seconds": seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--student", action="store_true",
                        help="also print the student edition (_build/student/_build/html) into OUT/student")
    parser.add_argument("--out", type=Path, default=OUT, help="output folder (default _build/pdf)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise SystemExit(f"Chromium not found at {CHROMIUM}: run `make chromium`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            build_edition(MAIN_HTML, args.out, "Full edition, with solutions", browser)
            if args.student:
                build_edition(STUDENT_HTML, args.out / "student", "Student edition, without solutions",
                              browser)
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

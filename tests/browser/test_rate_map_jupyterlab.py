"""The rate map in JupyterLab with a running kernel: a click is computed exactly by Python.

A one-cell notebook shows ``Explorer(surfaces.ravine(kappa=25), rate_map=True)``; a click
on the map must set run A to the (α, μ) under the pointer (three significant digits),
draw ``lib.descend`` at those values, and read out the rate and regime Python computed.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("playwright.sync_api")
pytest.importorskip("jupytext")

from . import lab  # noqa: E402  (needs jupytext)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

KERNEL_TIMEOUT_MS = 180_000
CELL = """---
jupytext:
  text_representation: {extension: .md, format_name: myst}
kernelspec: {display_name: Python 3, language: python, name: python3}
---

```{code-cell} ipython3
from lib.models import surfaces
from lib.explorer import Explorer, Run

Explorer(surfaces.ravine(kappa=25), runs=[Run(lr=0.002)], rate_map=True, grid_size=(5, 3), steps=40)
```
"""


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    work = tmp_path_factory.mktemp("rate-map-lab")
    source = work / "rate_map.md"
    source.write_text(CELL)
    (work / "notebooks").mkdir()
    name = lab.write_notebook(source, work / "notebooks")
    try:
        with lab.jupyterlab(work) as base:
            yield base, name
    except RuntimeError as error:
        pytest.fail(str(error))


def test_a_click_on_the_map_is_computed_exactly_by_the_kernel(jupyterlab, browser, screenshot_dir):
    import lib
    from lib.models import surfaces
    from lib.theory import quadratic as quad

    base, name = jupyterlab
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        lab.start_kernel(base, name)
        page.goto(f"{base}/lab/tree/{name}?reset", timeout=120_000)
        lab.run_all_to_the_end(page, kernel_timeout_ms=KERNEL_TIMEOUT_MS)
        explorer = lab.wait_until_live(page, KERNEL_TIMEOUT_MS)
        image = explorer.locator(".optx-map-image")
        image.scroll_into_view_if_needed()
        box = image.bounding_box()
        page.mouse.click(box["x"] + 0.537 * box["width"], box["y"] + (1 - 0.613) * box["height"])
        page.wait_for_function(
            """() => { const p = document.querySelector('.optx path.optx-run-a');
                       return p.dataset.source === 'live' && Number(p.dataset.momentum) > 0; }""",
            timeout=60_000)
        path = explorer.locator("path.optx-run-a")
        lr, momentum = float(path.get_attribute("data-lr")), float(path.get_attribute("data-momentum"))
        surface = surfaces.ravine(kappa=25)
        low, high = surface.lr_range
        # The point clicked, to half a slider position of the α and μ ladders, rounded to three
        # significant digits: the value the readout shows is the value run.
        lr_positions = int(explorer.locator("input[id$='-lr0']").get_attribute("max"))
        mu_positions = int(explorer.locator("input[id$='-mu0']").get_attribute("max"))
        assert abs(np.log(lr / low) / np.log(high / low) - 0.537) <= 0.5 / lr_positions + 2e-3
        assert abs(np.log(1 - momentum) / np.log(0.01) - 0.613) <= 0.5 / mu_positions + 2e-3
        assert lr == float(f"{lr:.3g}")
        run = lib.descend(surface.f, np.array(surface.x0), lr=lr, momentum=momentum, steps=40)
        last = np.array([float(v) for v in path.get_attribute("data-last").split(",")])
        np.testing.assert_allclose(last, run.points[-1], rtol=1e-12, atol=1e-14)
        readout = explorer.locator(".optx-map-readout")
        at = quad.momentum_regimes(lr, momentum, [1.0, 25.0])
        assert float(readout.get_attribute("data-rate")) == pytest.approx(float(at.rate), rel=1e-12)
        assert readout.get_attribute("data-regime") == quad.MOMENTUM_REGIMES[int(at.regime)]
        assert "[live]" in explorer.locator(".optx-readout").first.inner_text()
        explorer.screenshot(path=str(screenshot_dir / "rate-map-jupyterlab.png"))

        # A value no slider can send (a page edited in the browser's developer tools): the
        # kernel refuses it, the widget says so, and the slider goes back to the kernel's value.
        steps_slider = explorer.locator("input[type=range]").last
        steps_slider.evaluate("""el => { el.max = '100000'; el.value = '100000';
            el.dispatchEvent(new Event('input', { bubbles: true }));
            el.dispatchEvent(new Event('change', { bubbles: true })); }""")
        error = explorer.locator(".optx-error")
        error.wait_for(state="visible", timeout=30_000)
        assert "refused" in error.inner_text() and "shown_steps must lie in [1, 40]" in error.inner_text()
        page.wait_for_function("el => el.value === '40' && el.max === '40'",
                               arg=steps_slider.element_handle(), timeout=30_000)
        explorer.screenshot(path=str(screenshot_dir / "rate-map-jupyterlab-refused.png"))
        # The next real move is accepted and clears the message.
        steps_slider.evaluate("""el => { el.max = '40'; el.value = '30';
            el.dispatchEvent(new Event('input', { bubbles: true }));
            el.dispatchEvent(new Event('change', { bubbles: true })); }""")
        error.wait_for(state="hidden", timeout=30_000)
    finally:
        context.close()

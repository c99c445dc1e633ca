"""Every notebook, run for real in JupyterLab inside headless Chromium.

Conventions the notebooks follow (and this test relies on)
-----------------------------------------------------------
* Interactive controls are ipywidgets: sliders (IntSlider / FloatSlider /
  SelectionSlider ...) and buttons (Button).
* A control's effect is shown in an ``ipywidgets.Output`` (or the output of
  ``interact``/``interactive``, which is an Output too) - i.e. something this
  test can see change in the page: an Output's content, an image, an HTML widget
  or a cell output updated through a display handle.
* A notebook may mark the ONE control this test should move with the CSS class
  ``gan-course-probe``::

      slider.add_class("gan-course-probe")

  If such an element exists it is used; otherwise the first slider of the
  notebook, otherwise the first enabled button.  A slider is moved one step
  (ArrowRight, or ArrowLeft when already at its maximum; dragged if the keys
  are ignored), a button is clicked.
* A notebook whose code mentions ``ipywidgets`` must show at least one widget
  and one slider or button.  Display-only widgets (e.g. tqdm.notebook bars in a
  notebook that never names ipywidgets) need no control.

What each test does
-------------------
1. opens ``/lab/tree/<notebook>`` (a copy in a temp dir) and waits for its kernel,
2. Edit > Clear Outputs of All Cells (stored outputs must not count), then
   Run > Run All Cells - both through the menu, as a person would,
3. waits (``GAN_COURSE_BROWSER_RUN_TIMEOUT``, 600 s) for the kernel to be idle
   with no ``[*]`` left and every non-empty code cell numbered (when every cell is
   done but the page still shows the kernel non-idle after 30 s, a kernel_info reply,
   which the kernel gives only when no cell runs, counts as idle),
4. asserts: no error output (JupyterLab 4 renders a traceback as
   ``data-mime-type="application/vnd.jupyter.stderr"``, like ordinary stderr, so
   errors are found in the cell models (``output_type == "error"``), in the
   kernel's iopub ``error`` messages and as traceback text inside widget
   outputs; plain stderr - warnings, progress bars - is allowed); every widget
   rendered (no "Error displaying widget", no stuck "Loading widget...", and at
   least one rendered widget view when the notebook uses ipywidgets),
5. moves the probe (see above) and waits (``GAN_COURSE_BROWSER_CHANGE_TIMEOUT``,
   60 s) for the driven output to change, then checks again for errors.

On failure a screenshot (and the page's HTML) is saved under
tests/browser/artifacts/ and its path is in the assertion message.

Run:  pytest tests/browser            (or: pytest -m browser)
      GAN_COURSE_BROWSER_NOTEBOOKS=/some/dir pytest tests/browser
"""

from __future__ import annotations

import json
import os
import re
import time
import warnings
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

RUN_TIMEOUT = float(os.environ.get("GAN_COURSE_BROWSER_RUN_TIMEOUT", 600))
CHANGE_TIMEOUT = float(os.environ.get("GAN_COURSE_BROWSER_CHANGE_TIMEOUT", 60))
KERNEL_TIMEOUT = 120.0
STALE_STATUS_SECS = 30.0  # every cell done but the kernel not shown idle: ask it (see finished())
PROBE_CLASS = "gan-course-probe"
ENABLED_SLIDER_HANDLE = ".widget-slider .noUi-target:not([disabled]) .noUi-handle"
FIRST_BUTTON = "button.jupyter-button:not(:disabled):not(.mod-active)"

# ---------------------------------------------------------------------------- page-side JS
# The panel of our notebook is looked up by path, never "whatever tab is current".

JS_FIND_PANEL = """(name) => {
  const app = window.jupyterapp;
  if (!app) return false;
  for (const w of app.shell.widgets('main')) {
    if (w.context && w.context.path.split('/').pop() === name && w.content && w.content.model) {
      window.__ganPanel = w;
      w.node.setAttribute('data-gan-course-test', 'panel');
      return true;
    }
  }
  return false;
}"""

JS_KERNEL_READY = """() => {
  const p = window.__ganPanel;
  const s = p && p.sessionContext;
  const k = s && s.session && s.session.kernel;
  return !!(s && s.isReady && k && k.status === 'idle' && k.connectionStatus === 'connected');
}"""

# Record every iopub error (cells, widget callbacks) and kernel status changes.
JS_ATTACH_LISTENERS = """() => {
  const k = window.__ganPanel.sessionContext.session.kernel;
  window.__ganIopubErrors = [];
  window.__ganStatusHistory = [];
  k.iopubMessage.connect((_, msg) => {
    if (msg.header.msg_type === 'error') {
      window.__ganIopubErrors.push(msg.content.ename + ': ' + msg.content.evalue);
    }
  });
  k.statusChanged.connect((_, st) => { window.__ganStatusHistory.push(st); });
  return true;
}"""

JS_STATE = """() => {
  const p = window.__ganPanel;
  const k = p.sessionContext.session && p.sessionContext.session.kernel;
  const node = p.content.node;
  const cells = [];
  const list = p.content.model.cells;
  for (let i = 0; i < list.length; i++) {
    const c = list.get(i);
    if (c.type !== 'code') continue;
    const outs = c.outputs.toJSON();
    cells.push({
      index: i,
      empty: c.sharedModel.getSource().trim() === '',
      count: c.executionCount,
      nOutputs: outs.length,
      errors: outs.filter(o => o.output_type === 'error').map(o => o.ename + ': ' + o.evalue),
      widgetOutputs: outs.filter(o => o.data && o.data['application/vnd.jupyter.widget-view+json']).length,
    });
  }
  const prompts = [...node.querySelectorAll('.jp-CodeCell .jp-InputPrompt')].map(e => e.textContent.trim());
  let runningCell = null;
  for (let i = 0; i < list.length && runningCell === null; i++) {
    if (list.get(i).type === 'code' && list.get(i).executionState === 'running') runningCell = i;
  }
  const text = node.innerText || '';
  const tracebacks = [...node.querySelectorAll('.jp-OutputArea-output')]
      .filter(e => !e.querySelector('.jp-OutputArea-output'))
      .map(e => e.innerText || '')
      .filter(t => /Traceback \\(most recent call last\\)/.test(t))
      .map(t => t.slice(-400));
  return {
    kernel: k ? k.status : null,
    connection: k ? k.connectionStatus : null,
    busyPrompts: prompts.filter(t => t.includes('*')).length,
    runningCell,
    cells,
    iopubErrors: window.__ganIopubErrors || [],
    statusHistory: window.__ganStatusHistory || [],
    domTracebacks: tracebacks,
    errorWidgets: [...node.querySelectorAll('.jupyter-widgets-error-widget, .jp-OutputArea-output')]
        .filter(e => e.matches('.jupyter-widgets-error-widget')
                     || (!e.querySelector('.jp-OutputArea-output')
                         && /Error displaying widget/.test(e.innerText || '')))
        .map(e => e.matches('.jupyter-widgets-error-widget')
             ? 'a widget view failed to render (its error is in the browser console, below)'
             : (e.innerText || '').trim().replace(/\s+/g, ' ').slice(0, 300)),
    loadingWidgets: (text.match(/Loading widget/g) || []).length,
    renderedWidgets: node.querySelectorAll(
        '.jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output > .jupyter-widgets:not(.jupyter-widgets-error-widget)'
    ).length,
    // A closed widget (e.g. a tqdm.notebook bar with leave=False) hides its output.
    closedWidgets: node.querySelectorAll(
        '.jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output.lm-mod-hidden'
    ).length,
    sliders: node.querySelectorAll('.widget-slider .noUi-handle').length,
    probes: node.querySelectorAll('.gan-course-probe').length,
    buttons: node.querySelectorAll('button.jupyter-button:not(:disabled)').length,
  };
}"""

# What a widget "drives": Output widgets, images, HTML widgets and plain cell
# outputs - excluding anything inside (or containing) the control we move, whose
# own readout changes by itself.
JS_SNAPSHOT = """(probe) => {
  const node = window.__ganPanel.content.node;
  const parts = [];
  const sel = '.widget-output, .widget-html-content, img, '
      + '.jp-Cell-outputArea > .jp-OutputArea-child > .jp-OutputArea-output';
  for (const e of node.querySelectorAll(sel)) {
    if (probe && (probe.contains(e) || e.contains(probe))) continue;
    if (e.matches('.jp-OutputArea-output') && e.querySelector('.jupyter-widgets')) continue;
    parts.push(e.tagName === 'IMG' ? 'img:' + e.src : e.innerHTML);
  }
  return parts;
}"""

# Ask the kernel for its info on the shell channel. The kernel answers shell requests one
# at a time, so a reply means no cell is running, whatever status the page last saw.
JS_KERNEL_ANSWERS = """async (ms) => {
  const k = window.__ganPanel.sessionContext.session.kernel;
  const timeout = new Promise(resolve => setTimeout(() => resolve(false), ms));
  return await Promise.race([k.requestKernelInfo().then(() => true, () => false), timeout]);
}"""

JS_SCROLL_HEIGHT = """() => {
  const p = window.__ganPanel;
  if (!p) return document.body.scrollHeight;
  const node = p.content.node;
  const scrollers = [node, ...node.querySelectorAll('.jp-WindowedPanel-outer')];
  return Math.max(...scrollers.map(e => e.scrollHeight)) + 250;
}"""


# ---------------------------------------------------------------------------- helpers


class NotebookFailure(AssertionError):
    pass


def _uses_ipywidgets(path: Path) -> bool:
    nb = json.loads(path.read_text(encoding="utf-8"))
    return any(
        c.get("cell_type") == "code" and re.search(r"\bipywidgets\b", "".join(c.get("source", "")))
        for c in nb.get("cells", [])
    )


def _wait(predicate, timeout: float, interval: float = 0.5):
    """Poll predicate() until it returns a truthy value; return it (or None on timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            return None
        time.sleep(interval)


def _errors(state) -> list[str]:
    errs = []
    for c in state["cells"]:
        errs += [f"cell #{c['index']}: {e}" for e in c["errors"]]
    errs += [f"kernel iopub error: {e}" for e in state["iopubErrors"]]
    errs += [f"traceback shown in an output: ...{t}" for t in state["domTracebacks"]]
    bad = [s for s in state["statusHistory"] if s in ("dead", "autorestarting", "restarting")]
    if bad:
        errs.append(f"kernel status went {bad} (kernel died?)")
    return errs


def _unnumbered(state) -> list[int]:
    """The indices of the non-empty code cells that have no execution count."""
    return [c["index"] for c in state["cells"] if c["count"] is None and not c["empty"]]


def _cells_done(state) -> bool:
    """Every non-empty code cell numbered, none marked [*] or running."""
    return not state["busyPrompts"] and state["runningCell"] is None and not _unnumbered(state)


def _run_finished(state) -> bool:
    # The kernel status alone is not enough (an idle status for a control-channel
    # request can arrive while a cell still runs): the [*] prompts decide.
    if state["kernel"] != "idle" or state["busyPrompts"]:
        return False
    if _errors(state):
        return True  # Run All stops at the first error; remaining cells stay unnumbered.
    return not _unnumbered(state)


def _menu(page, menu: str, command: str) -> None:
    """Click a main-menu entry, e.g. Run > Run All Cells, as a person would."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{menu}$")).first.click()
    page.locator(f".lm-Menu-item[data-command='{command}']").first.click()


def _save_artifacts(page, artifacts_dir: Path, name: str) -> str:
    stem = artifacts_dir / f"{Path(name).stem}-{time.strftime('%Y%m%d-%H%M%S')}"
    shot = stem.with_suffix(".png")
    try:
        # JupyterLab scrolls inside its own panel, so grow the viewport to the
        # notebook's height to get every cell into the "full page" screenshot.
        height = int(page.evaluate(JS_SCROLL_HEIGHT))
        page.set_viewport_size({"width": 1400, "height": max(1000, min(height, 16000))})
        page.wait_for_timeout(500)
        page.evaluate(
            """() => { const n = window.__ganPanel && window.__ganPanel.content.node;
                   if (n) [n, ...n.querySelectorAll('.jp-WindowedPanel-outer')]
                       .forEach(e => { e.scrollTop = 0; }); }"""
        )
        page.wait_for_timeout(500)
    except Exception:
        pass
    try:
        page.screenshot(path=str(shot), full_page=True)
    except Exception as exc:  # the page may have crashed
        return f"(screenshot failed: {exc})"
    try:
        stem.with_suffix(".html").write_text(page.content(), encoding="utf-8")
    except Exception:
        pass
    return str(shot)


# ---------------------------------------------------------------------------- the test


def test_notebook_runs_and_widgets_respond(
    notebook_name, jupyter_lab, browser_page, artifacts_dir, browser_timings
):
    page = browser_page
    nb_path = jupyter_lab.root / notebook_name
    uses_widgets = _uses_ipywidgets(nb_path)
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(str(exc)[:300]))
    page.on(
        "console",
        lambda m: page_errors.append("console: " + m.text[:300]) if m.type == "error" else None,
    )
    started = time.monotonic()
    phase = "opening the notebook"
    failure = None

    def fail(msg: str):
        raise NotebookFailure(msg)

    def state():
        return page.evaluate(JS_STATE)

    try:
        page.goto(jupyter_lab.lab_url(notebook_name, f"t{int(time.time() * 1000)}"))
        page.wait_for_function(JS_FIND_PANEL, arg=notebook_name, timeout=KERNEL_TIMEOUT * 1000)

        phase = "waiting for the kernel"

        def kernel_ready():
            # A notebook without kernelspec metadata asks which kernel to use.
            accept = page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept")
            if accept.count() and accept.first.is_visible():
                accept.first.click()
            return page.evaluate(JS_KERNEL_READY)

        if not _wait(kernel_ready, KERNEL_TIMEOUT):
            fail(f"the kernel of {notebook_name} was not ready within {KERNEL_TIMEOUT:.0f} s")

        # Outputs / execution counts stored in the file must not count as "ran".
        phase = "Edit > Clear Outputs of All Cells"
        _menu(page, "Edit", "editmenu:clear-all")
        if not _wait(
            lambda: all(c["count"] is None and not c["nOutputs"] for c in state()["cells"]), 10
        ):
            fail("could not clear the stored outputs before running")

        page.evaluate(JS_ATTACH_LISTENERS)
        phase = "Run > Run All Cells"
        _menu(page, "Run", "runmenu:run-all")

        phase = "running all cells"
        stable = {"n": 0, "done_since": None, "asked": 0}

        def finished():
            s = state()
            stable["n"] = stable["n"] + 1 if _run_finished(s) else 0
            if stable["n"] >= 3:  # idle and complete on 3 polls in a row
                return True
            # Every cell done, yet the page does not show the kernel idle: the status the page
            # keeps is the last one it received, and once, under a CI's load, it stayed
            # non-idle for 9 minutes after 03's last cell. A kernel_info reply settles it:
            # the kernel answers the shell channel only when no cell is running.
            if not _cells_done(s) or _errors(s) or s["kernel"] == "idle":
                stable["done_since"] = None
                return False
            stable["done_since"] = stable["done_since"] or time.monotonic()
            if time.monotonic() - stable["done_since"] < STALE_STATUS_SECS or stable["asked"] >= 3:
                return False
            stable["asked"] += 1
            if page.evaluate(JS_KERNEL_ANSWERS, 30_000):
                # A warning, not a print: pytest's summary shows it even under xdist.
                warnings.warn(f"{notebook_name}: every cell done and the kernel answered kernel_info, "
                              f"though the page showed it {s['kernel']!r} for {STALE_STATUS_SECS:.0f} s "
                              f"(connection {s['connection']}, last statuses {s['statusHistory'][-6:]})")
                return True
            stable["done_since"] = None
            return False

        if not _wait(finished, RUN_TIMEOUT, 0.5):
            s = state()
            missing = _unnumbered(s)
            fail(
                f"Run All did not finish within {RUN_TIMEOUT:.0f} s "
                f"(GAN_COURSE_BROWSER_RUN_TIMEOUT): still running cell #{s['runningCell']}, "
                f"{s['busyPrompts']} cell(s) [*], unexecuted code cells {missing}; kernel {s['kernel']!r} "
                f"({s['connection']}), its last statuses {s['statusHistory'][-8:]}"
            )
        run_secs = time.monotonic() - started

        phase = "checking outputs"
        s = state()
        errs = _errors(s)
        if errs:
            fail("errors after Run All:\n  " + "\n  ".join(errs))
        missing = _unnumbered(s)
        if missing:
            fail(f"code cells {missing} have no execution count after Run All")

        expected_views = sum(c["widgetOutputs"] for c in s["cells"])

        def widgets_rendered():
            st = state()
            return (
                len(st["errorWidgets"])
                or (
                    not st["loadingWidgets"]
                    and st["renderedWidgets"] + st["closedWidgets"] >= expected_views
                )
            ) and st

        s = _wait(widgets_rendered, 30) or state()
        if s["errorWidgets"]:
            fail("widget(s) failed to display:\n  " + "\n  ".join(s["errorWidgets"]))
        if s["loadingWidgets"]:
            fail(f"{s['loadingWidgets']} widget(s) stuck at 'Loading widget...'")
        if s["renderedWidgets"] + s["closedWidgets"] < expected_views:
            fail(
                f"only {s['renderedWidgets']} of {expected_views} widget outputs rendered"
                f" ({s['closedWidgets']} closed)"
            )
        if uses_widgets and s["renderedWidgets"] == 0:
            fail("the notebook uses ipywidgets but no widget view was rendered")

        # Interact when there is a control; a notebook that imports ipywidgets must
        # have one.  (Widgets that only display, e.g. tqdm.notebook bars, need none.)
        if uses_widgets or s["sliders"] or s["buttons"] or s["probes"]:
            phase = "interacting with a widget"
            _interact(page, state, fail)

        phase = "looking for pop-ups"
        toasts = page.locator(".Toastify__toast, .jp-toast-container, .jp-Notification-Toast").all_inner_texts()
        if any("news" in t.lower() or "update" in t.lower() for t in toasts):
            fail(f"a notification pops up in front of the class: {toasts}")

        blocked = getattr(page, "gan_course_blocked_requests", [])
        if blocked:
            print(f"{notebook_name}: blocked non-local requests: {blocked[:10]}")
        browser_timings[notebook_name] = time.monotonic() - started
        print(f"{notebook_name}: run all {run_secs:.1f} s, total {browser_timings[notebook_name]:.1f} s")
    except Exception as exc:
        browser_timings[notebook_name + " (FAILED)"] = time.monotonic() - started
        shot = _save_artifacts(page, artifacts_dir, notebook_name)
        extra = ("\nbrowser errors:\n  " + "\n  ".join(page_errors[-8:])) if page_errors else ""
        blocked = getattr(page, "gan_course_blocked_requests", [])
        if blocked:
            extra += "\nblocked non-local requests: " + ", ".join(blocked[:5])
        msg = (
            f"[{notebook_name}, while {phase}] {exc}\nscreenshot: {shot}"
            f"\nJupyterLab log: {jupyter_lab.log_path}{extra}"
        )
        if not isinstance(exc, NotebookFailure):  # an unexpected error: keep its traceback
            raise AssertionError(f"{type(exc).__name__}: {msg}") from exc
        failure = msg
    finally:
        try:
            page.close()
        except Exception:
            pass
        jupyter_lab.shutdown_sessions(notebook_name)
    if failure:
        pytest.fail(failure, pytrace=False)


def _move_slider(page, target, what, fail) -> str:
    """One step right (left at the maximum) with the keyboard, dragging if keys are ignored."""
    handle = target.locator(".noUi-handle").first
    handle.scroll_into_view_if_needed()

    def value():
        return float(handle.get_attribute("aria-valuenow") or 0)

    now = value()
    top = float(handle.get_attribute("aria-valuemax") or 0)
    key = "ArrowLeft" if now >= top else "ArrowRight"
    handle.press(key)
    moved = _wait(lambda: value() != now, 3, 0.2)
    if not moved:
        box = handle.bounding_box()
        bar = target.locator(".noUi-target").first.bounding_box()
        if box and bar:
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            dx = bar["width"] / 4 * (-1 if key == "ArrowLeft" else 1)
            page.mouse.move(x, y)
            page.mouse.down()
            page.mouse.move(x + dx, y, steps=5)
            page.mouse.up()
        moved = _wait(lambda: value() != now, 3, 0.2)
    if not moved:
        fail(f"could not move {what} (aria-valuenow stayed {now:g})")
    return f"moved {what} from {now:g} to {value():g}"


def _interact(page, state, fail):
    """Move the probe (or first slider / button) and wait for the driven output to change."""
    node = page.locator("[data-gan-course-test='panel'] .jp-Notebook").first
    probe = node.locator(f".{PROBE_CLASS}")
    if probe.count():
        target = probe.first
        if target.locator(".noUi-handle").count():
            kind = "slider"
        elif target.evaluate("e => e.matches('button') || !!e.querySelector('button')"):
            kind = "button"
        elif target.evaluate("e => e.matches('select') || !!e.querySelector('select')"):
            kind = "select"
        else:
            fail(f"the .{PROBE_CLASS} element is not a slider, button(s) or a select")
        what = f"the .{PROBE_CLASS} {kind}"
    elif node.locator(ENABLED_SLIDER_HANDLE).count():
        kind, what = "slider", "the first slider"
        handle = node.locator(ENABLED_SLIDER_HANDLE).first
        target = handle.locator("xpath=ancestor::*[contains(@class,'widget-slider')][1]")
    elif node.locator(FIRST_BUTTON).count():
        kind, what = "button", "the first button"
        target = node.locator(FIRST_BUTTON).first
    else:
        fail("the notebook uses ipywidgets but has no slider or enabled button to interact with")

    probe_el = target.element_handle()

    def snapshot():
        return page.evaluate(JS_SNAPSHOT, probe_el)

    # Baseline: kernel idle and the outputs unchanged for 1.5 s.
    prev = {"snap": None, "n": 0}

    def settled():
        snap = snapshot()
        quiet = snap == prev["snap"] and state()["kernel"] == "idle"
        prev["n"] = prev["n"] + 1 if quiet else 0
        prev["snap"] = snap
        return (snap,) if prev["n"] >= 3 else None  # a tuple: an empty snapshot is truthy too

    before = (_wait(settled, 30) or (snapshot(),))[0]

    if kind == "slider":
        action = _move_slider(page, target, what, fail)
    elif kind == "button":
        # A Button / ToggleButton is clicked.  In ToggleButtons (several buttons)
        # the enabled option after the selected one is clicked; if none shows as
        # selected (seen with an option whose value is None) the value is most
        # likely the first option, so the second one is clicked.
        if target.evaluate("e => e.matches('button')"):
            button = target
        else:
            index = target.evaluate(
                """e => {
                  const bs = [...e.querySelectorAll('button')];
                  const active = bs.findIndex(b => b.classList.contains('mod-active'));
                  const start = active >= 0 ? active : 0;
                  for (let k = 1; k <= bs.length; k++) {
                    const i = (start + k) % bs.length;
                    if (!bs[i].disabled && (bs.length === 1 || i !== active)) return i;
                  }
                  return -1;
                }"""
            )
            if index < 0:
                fail(f"{what} has no enabled button to click")
            button = target.locator("button").nth(index)
        label = (button.inner_text() or "").strip()
        button.click()
        action = f"clicked {what} ({label!r})"
    else:  # Dropdown / Select / SelectMultiple: pick another option
        select = target if target.evaluate("e => e.matches('select')") else target.locator("select").first
        options = select.evaluate("e => [...e.options].map(o => [o.index, o.selected, o.text])")
        others = [o for o in options if not o[1]]
        if not others:
            fail(f"{what} has no other option to choose")
        select.select_option(index=others[0][0])
        action = f"chose {others[0][2]!r} in {what}"

    outcome = _wait(
        lambda: ("changed" if snapshot() != before else None) or ("error" if _errors(state()) else None),
        CHANGE_TIMEOUT,
    )
    if outcome != "changed":
        errs = _errors(state())
        if errs:
            fail(f"{action}, and the kernel reported:\n  " + "\n  ".join(errs))
        fail(f"{action}, but no widget output changed within {CHANGE_TIMEOUT:.0f} s")

    # Let the update finish (kernel idle, outputs stable), then look for errors again.
    prev["snap"], prev["n"] = None, 0
    _wait(settled, CHANGE_TIMEOUT)
    s = state()
    errs = _errors(s)
    if errs:
        fail(f"after the interaction ({action}):\n  " + "\n  ".join(errs))
    if s["errorWidgets"]:
        fail(f"after the interaction ({action}), widget(s) failed to display:\n  "
             + "\n  ".join(s["errorWidgets"]))

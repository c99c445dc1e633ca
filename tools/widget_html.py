"""Widgets as static HTML: what a notebook's sliders, buttons and plots looked like when it was executed.

An executed notebook keeps each widget's state (``metadata.widgets``, ipywidgets' saved widget state) and
shows it with an ``application/vnd.jupyter.widget-view+json`` output that names the model. A web page can
only draw that with the widget manager's JavaScript from a CDN; :func:`static_widget_outputs` draws it
instead as plain HTML, offline: boxes as flex rows and columns, controls disabled at their values, and an
Output widget's captured figures and text as images and text.
"""

from __future__ import annotations

import html
from typing import Any

import nbformat

VIEW = "application/vnd.jupyter.widget-view+json"
STATE = "application/vnd.jupyter.widget-state+json"
NOTE = "A picture of the controls as they were when this page was made; they move live only in JupyterLab."


def _ref(value: Any) -> str | None:
    return value[len("IPY_MODEL_"):] if isinstance(value, str) and value.startswith("IPY_MODEL_") else None


def _label(state: dict) -> str:
    text = state.get("description") or ""
    return f'<span class="gc-widget-label">{html.escape(text)}</span>' if text else ""


def output_html(output: dict) -> str:
    """One notebook output (a display_data, execute_result or stream dict) as HTML."""
    if output.get("output_type") == "stream":
        return f"<pre>{html.escape(''.join(output.get('text', '')))}</pre>"
    data = output.get("data", {})
    for mime in ("image/png", "image/jpeg"):
        if mime in data:
            payload = "".join(data[mime]).replace("\n", "")
            return f'<img src="data:{mime};base64,{payload}" alt="figure"/>'
    if "image/svg+xml" in data:
        return "".join(data["image/svg+xml"])
    if "text/html" in data:
        return "".join(data["text/html"])
    if "text/plain" in data:
        return f"<pre>{html.escape(''.join(data['text/plain']))}</pre>"
    return ""


def _options(state: dict, chosen) -> str:
    chosen = set(chosen if isinstance(chosen, list) else [chosen])
    return "".join(f'<span class="gc-option{" gc-chosen" if i in chosen else ""}">{html.escape(str(label))}</span>'
                   for i, label in enumerate(state.get("_options_labels", [])))


def model_html(model_id: str, models: dict[str, dict], depth: int = 0) -> str:
    """The HTML of widget ``model_id`` and its children, from the saved widget state ``models``."""
    model = models.get(model_id)
    if model is None or depth > 50:
        return ""
    name, state = model.get("model_name", ""), model.get("state", {})
    if name in ("VBoxModel", "HBoxModel", "BoxModel", "GridBoxModel"):
        direction = "row" if name == "HBoxModel" else "column"
        children = "".join(model_html(ref, models, depth + 1) for ref in map(_ref, state.get("children", [])) if ref)
        return f'<div class="gc-widget-box" style="display:flex;flex-direction:{direction};gap:6px">{children}</div>'
    if name == "OutputModel":
        return f'<div class="gc-widget-output">{"".join(output_html(o) for o in state.get("outputs", []))}</div>'
    if name in ("HTMLModel", "HTMLMathModel"):
        return f'<div class="gc-widget-html">{_label(state)}{state.get("value", "")}</div>'
    if name == "LabelModel":
        return f'<span class="gc-widget-label">{html.escape(str(state.get("value", "")))}</span>'
    if name in ("IntSliderModel", "FloatSliderModel", "FloatLogSliderModel"):
        value = state.get("value")
        return (f'<div class="gc-widget-control">{_label(state)}<input type="range" disabled min="{state.get("min")}" '
                f'max="{state.get("max")}" step="{state.get("step")}" value="{value}"/>'
                f'<span class="gc-widget-value">{html.escape(str(value))}</span></div>')
    if name == "SelectionSliderModel":
        labels, index = state.get("_options_labels", []), state.get("index", 0)
        shown = labels[index] if 0 <= index < len(labels) else ""
        return (f'<div class="gc-widget-control">{_label(state)}<input type="range" disabled min="0" '
                f'max="{max(len(labels) - 1, 0)}" value="{index}"/><span class="gc-widget-value">'
                f'{html.escape(str(shown))}</span></div>')
    if name in ("ToggleButtonsModel", "DropdownModel", "RadioButtonsModel", "SelectModel", "SelectMultipleModel"):
        return f'<div class="gc-widget-control">{_label(state)}{_options(state, state.get("index"))}</div>'
    if name in ("CheckboxModel", "ToggleButtonModel"):
        checked = " checked" if state.get("value") else ""
        return f'<div class="gc-widget-control"><input type="checkbox" disabled{checked}/>{_label(state)}</div>'
    if name in ("IntTextModel", "FloatTextModel", "BoundedIntTextModel", "BoundedFloatTextModel", "TextModel"):
        return (f'<div class="gc-widget-control">{_label(state)}<input type="text" disabled '
                f'value="{html.escape(str(state.get("value", "")))}"/></div>')
    if name == "ButtonModel":
        return f'<button class="gc-widget-button" disabled>{html.escape(state.get("description", ""))}</button>'
    return ""


def static_widget_outputs(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """A copy of ``nb`` whose widget views are static HTML outputs, without the saved widget state; and how many."""
    nb = nbformat.from_dict(nb)
    saved = nb.metadata.pop("widgets", {}).get(STATE, {})
    models = saved.get("state", {})
    count = 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(VIEW)
            if view is None:
                continue
            body = model_html(view.get("model_id", ""), models)
            output["data"] = {"text/html": f'<div class="gc-widget">{body}<p class="gc-widget-note">{NOTE}</p></div>'}
            count += 1
    return nb, count

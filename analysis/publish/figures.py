"""Charts as inline SVG: drawn once by vl-convert, cleaned, and given ids unique on the page.

Inline SVG needs no script, no font and no request: the page works from
any static host or a file:// URL. Every chart comes with a text
alternative (the ``describe_*`` sentence of ``analysis.charts``) and the
page puts a table of the same numbers beside it.

Vega's SVG escapes the text it draws; the SVG is parsed and written again
anyway (defence in depth): only drawing elements and attributes survive,
no script, no event handler, no external reference. Vega numbers its clip
paths ``clip1``, ``clip2``... in every chart, so two charts on one page
would share ids: each chart's ids get a prefix.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from concurrent.futures import Executor, Future
from dataclasses import dataclass

from markupsafe import Markup


SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ALLOWED_TAGS = {"svg", "g", "path", "rect", "line", "text", "tspan", "circle", "ellipse", "polygon", "polyline",
                "clipPath", "defs", "title", "desc", "linearGradient", "radialGradient", "stop", "image"}
URL_REF = re.compile(r"url\(#([^)]+)\)")
# Room around the drawing: a browser's fonts can run wider than the ones vl-convert measured text with, and
# right-aligned axis labels then start left of the drawing.
LEFT_ROOM, RIGHT_ROOM, BOTTOM_ROOM = 24, 16, 12
MAX_ZOOM = 1.2  # on a wide screen a chart may grow a little beyond its drawn size (Vega's 10-11 px text)
# Text is laid out with the metrics of the first font here and drawn by the reader's browser. DejaVu Sans
# (Linux's usual sans-serif) is among the widest: measured with it, text drawn with Arial or Helvetica
# fits with room to spare. (vl-convert's own default, Liberation Sans, is narrower than DejaVu, and a
# Linux reader's labels would overrun the axis titles.)
FONT_CONFIG = {"font": "DejaVu Sans, Verdana, sans-serif"}
MIN_ZOOM = 0.85  # on a phone it shrinks no further (its text stays readable) and scrolls sideways instead
# On a page the plot keeps its drawn width and labels and legends are added around it ("pad"); the
# charts' own "fit-x" suits Streamlit's column, where the whole chart must fit a given width.
STATIC_AUTOSIZE = {"type": "pad", "contains": "padding"}

ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)


@dataclass(frozen=True)
class Figure:
    """One chart: its inline SVG (drawn in the background) and the sentence that says what it shows."""

    key: str
    pending: Future
    description: str
    prefix: str

    @property
    def svg(self) -> Markup:
        return Markup(clean_svg(self.pending.result(), self.prefix, self.description))


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def clean_svg(svg: str, prefix: str, label: str) -> str:
    """Parse, keep drawing only, prefix ids, label for assistive technology."""
    root = ET.fromstring(svg)
    for parent in list(root.iter()):
        for child in list(parent):
            if _local(child.tag) not in ALLOWED_TAGS:
                parent.remove(child)
    for element in root.iter():
        if _local(element.tag) == "image":  # vega draws none; an image could fetch a URL
            element.attrib.clear()
        for name in list(element.attrib):
            local, value = _local(name), element.attrib[name]
            if local.startswith("on") or (local == "href" and not value.startswith("#")):
                del element.attrib[name]
            elif local == "id":
                element.attrib[name] = f"{prefix}-{value}"
            elif local == "href":
                element.attrib[name] = f"#{prefix}-{value[1:]}"
            elif "url(" in value:
                element.attrib[name] = URL_REF.sub(lambda m: f"url(#{prefix}-{m.group(1)})", value)
    root.set("role", "img")
    root.set("aria-label", label)
    root.set("focusable", "false")
    # The viewBox keeps the shape; CSS scales the chart down to the column, never up beyond its drawn size.
    width, height = (float(root.attrib.pop(n, "0") or 0) for n in ("width", "height"))
    if width and height:
        full = width + LEFT_ROOM + RIGHT_ROOM
        root.set("viewBox", f"{-LEFT_ROOM} 0 {full:g} {height + BOTTOM_ROOM:g}")
        root.set("style", f"max-width: {full * MAX_ZOOM:.0f}px; min-width: {full * MIN_ZOOM:.0f}px")
    return ET.tostring(root, encoding="unicode")


class _Now(Executor):
    """Draw at once (when no pool is given)."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future: Future = Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _draw(spec: str) -> str:
    import vl_convert as vlc

    # Inline data only: never fetch anything.
    return vlc.vegalite_to_svg(spec, config=FONT_CONFIG, allowed_base_urls=[])


def figure(key: str, chart, description: str, prefix: str, pool: Executor | None = None) -> Figure:
    """Start drawing ``chart``; vl-convert releases the GIL, so a thread pool draws while statistics run."""
    spec = chart.properties(autosize=STATIC_AUTOSIZE).to_json()
    return Figure(key, (pool or _Now()).submit(_draw, spec), description, f"{prefix}-{key}")

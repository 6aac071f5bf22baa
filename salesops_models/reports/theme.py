"""The look every report shares: one stylesheet, a header with the as-of date and the data
source, a table of contents, full-width charts, a print layout, and long tables that sort
and filter.

Applied to nbconvert's HTML by :func:`apply_theme` when a run renders. The HTML stays one
self-contained file that opens offline (nothing external is loaded). The only script added
is :data:`TABLE_SCRIPT`, which holds no data: it reads the table cells' *text* (already
escaped by the notebook) and never writes HTML, so CRM text cannot become markup through
it. Status colours are those of the health scorecard (healthy / watch / act).
"""

from __future__ import annotations

import html
import re

from .. import __version__
from ..display import STATUS_COLORS

THEME_CSS = """
:root { --so-ink:#263238; --so-muted:#607d8b; --so-rule:#cfd8dc; --so-accent:#1565c0;
        --so-healthy:HEALTHY; --so-watch:WATCH; --so-act:ACT; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--so-ink); }
.so-header { border-bottom: 3px solid var(--so-accent); padding: 10px 0 8px; margin: 0 0 12px; }
.so-header .so-title { font-size: 15px; font-weight: 650; color: var(--so-accent); }
.so-header .so-meta { color: var(--so-muted); font-size: 13px; margin-top: 2px; }
.so-toc { font-size: 13px; margin: 0 0 16px; padding: 8px 12px; background: #f5f7f8;
          border-radius: 6px; columns: 3 220px; }
.so-toc a { color: var(--so-accent); text-decoration: none; display: block; padding: 1px 0; }
.so-toc .so-toc-title { font-weight: 600; color: var(--so-muted); column-span: all; margin-bottom: 4px; }
.jp-RenderedHTMLCommon h2 { border-bottom: 1px solid var(--so-rule); padding-bottom: 4px; margin-top: 28px; }
.jp-RenderedImage img, .jp-OutputArea-output img { max-width: 100%; height: auto; }
.jp-RenderedImage { width: 100%; }
.jp-RenderedHTMLCommon table { border-collapse: collapse; font-size: 13px; margin: 6px 0 12px; }
.jp-RenderedHTMLCommon th { background: #eceff1; position: sticky; top: 0; }
.jp-RenderedHTMLCommon td, .jp-RenderedHTMLCommon th { padding: 3px 8px; border-bottom: 1px solid #eceff1; }
.jp-RenderedHTMLCommon tbody tr:nth-child(even) { background: #fafbfc; }
.jp-RenderedHTMLCommon td { font-variant-numeric: tabular-nums; }
.jp-RenderedHTMLCommon td.so-text { text-align: left; }
.so-filter { margin: 4px 0; padding: 3px 6px; border: 1px solid var(--so-rule); border-radius: 4px;
              font-size: 12px; width: 220px; }
th.so-sortable { cursor: pointer; }
th.so-sortable::after { content: " \\2195"; color: #b0bec5; font-size: 10px; }
.so-footer { color: var(--so-muted); font-size: 11px; border-top: 1px solid var(--so-rule);
             margin-top: 24px; padding-top: 6px; }
@media print {
  .so-toc, .so-filter { display: none; }
  .jp-RenderedHTMLCommon h2 { break-before: page; }
  .jp-RenderedHTMLCommon h2:first-of-type { break-before: auto; }
  table, img, .hs-tile { break-inside: avoid; }
  .so-footer { position: fixed; bottom: 0; left: 0; right: 0; background: #fff; }
  body { font-size: 11px; }
}
"""

#: Tables of at least this many rows get a filter box and sortable columns.
INTERACTIVE_ROWS = 15

TABLE_SCRIPT = """
(function () {
  function value(cell) {
    var s = cell ? cell.textContent.trim() : "";
    var m = s.replace(/[$,%\\s]/g, "").match(/^(-?[0-9.]+(?:e[-+]?[0-9]+)?)([kMB]?)$/i);
    if (!m) return [1, s.toLowerCase()];
    var mult = {"": 1, "k": 1e3, "m": 1e6, "b": 1e9}[m[2].toLowerCase()];
    return [0, parseFloat(m[1]) * mult];
  }
  document.querySelectorAll(".jp-RenderedHTMLCommon table, .jp-OutputArea-output table").forEach(function (t) {
    var body = t.tBodies[0];
    if (!body) return;
    Array.prototype.forEach.call(body.querySelectorAll("td"), function (td) {
      if (value(td)[0] === 1 && td.textContent.trim().length > 12) td.classList.add("so-text");
    });
    if (body.rows.length < MIN_ROWS || !t.tHead) return;
    var box = document.createElement("input");
    box.type = "search"; box.className = "so-filter"; box.placeholder = "filter " + body.rows.length + " rows";
    t.parentNode.insertBefore(box, t);
    box.addEventListener("input", function () {
      var q = box.value.toLowerCase();
      Array.prototype.forEach.call(body.rows, function (r) {
        r.style.display = r.textContent.toLowerCase().indexOf(q) >= 0 ? "" : "none";
      });
    });
    var head = t.tHead.rows[t.tHead.rows.length - 1].cells;
    Array.prototype.forEach.call(head, function (th, i) {
      th.classList.add("so-sortable");
      th.addEventListener("click", function () {
        var asc = th.getAttribute("data-sort") !== "asc";
        th.setAttribute("data-sort", asc ? "asc" : "desc");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = value(a.cells[i]), y = value(b.cells[i]);
          var c = x[0] - y[0] || (x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0);
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
""".replace("MIN_ROWS", str(INTERACTIVE_ROWS))

for _status, _color in STATUS_COLORS.items():
    THEME_CSS = THEME_CSS.replace(_status.upper(), _color)

_H2 = re.compile(r'<h2 id="([^"]+)"[^>]*>(.*?)</h2>', re.S)
_TAG = re.compile(r"<[^>]+>")


def _headings(body: str) -> list[tuple[str, str]]:
    """(anchor id, plain text) of every level-2 heading, in page order."""
    out = []
    for anchor, inner in _H2.findall(body):
        text = html.unescape(_TAG.sub("", inner)).replace("¶", "").strip()
        if text:
            out.append((anchor, text))
    return out


def apply_theme(body: str, *, title: str, meta: dict) -> str:
    """Add the stylesheet, the header (title, as-of date, data source, run), a table of
    contents of the level-2 sections, a footer and the sort-and-filter script of long
    tables (:data:`TABLE_SCRIPT`) to a report's HTML. Every value is escaped.

    Examples
    --------
    >>> h2 = "".join(f'<h2 id="{h}">{h}</h2>' for h in ("Headline", "Deals", "Quality"))
    >>> page = f"<html><head></head><body>{h2}</body></html>"
    >>> out = apply_theme(page, title="Pipeline health", meta={"as of": "2026-08-31",
    ...                   "source": "<script>x</script>.duckdb"})
    >>> "so-toc" in out and 'href="#Headline"' in out and "<script>x" not in out
    True
    """
    parts = " · ".join(
        f"{html.escape(str(k))} <b>{html.escape(str(v))}</b>" for k, v in meta.items() if v
    )
    header = (
        f'<div class="so-header"><div class="so-title">{html.escape(title)}</div>'
        f'<div class="so-meta">{parts}</div></div>'
    )
    heads = _headings(body)
    toc = ""
    if len(heads) > 2:
        links = "".join(
            f'<a href="#{html.escape(a, quote=True)}">{html.escape(t)}</a>' for a, t in heads
        )
        toc = f'<nav class="so-toc"><div class="so-toc-title">Contents</div>{links}</nav>'
    footer = f'<div class="so-footer">{parts} · salesops workbench {html.escape(__version__)}</div>'
    style = f'<style id="so-theme">{THEME_CSS}</style>'
    script = f'<script id="so-tables">{TABLE_SCRIPT}</script>'
    body = body.replace("</head>", style + "</head>", 1)
    m = re.search(r"<body[^>]*>", body)
    if m:
        body = body[: m.end()] + '<main class="so-page">' + header + toc + body[m.end() :]
        body = body.replace("</body>", footer + "</main>" + script + "</body>", 1)
    return body


def report_title(report: str) -> str:
    """``pipeline_health`` -> ``Pipeline health``."""
    return report.replace("_", " ").capitalize()

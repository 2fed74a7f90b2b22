"""One self-contained HTML page for the manager: the shift report and the statistics.

No scripts, no fonts or styles from elsewhere: the page opens offline, prints on
A4 or Letter, and is the same file years later. Everything a person typed or a
file supplied goes through `esc` (HTML escaped, control characters made visible).
"""

from __future__ import annotations

import html

from shift.text import printable

STYLE = """
:root { color-scheme: light; }
body { font: 11pt/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111;
       background: #fff; margin: 2em auto; max-width: 60em; padding: 0 1em; }
/* A long unbroken string (a 300-character note, a pasted link) wraps instead of running off
   the screen or the paper; tables and text blocks may not grow wider than the page. */
body, td, th, pre { overflow-wrap: anywhere; }
table { max-width: 100%; } img { max-width: 100%; }
h1 { font-size: 1.5em; margin: 0 0 .2em; }
h2 { font-size: 1.15em; margin: 1.4em 0 .4em; border-bottom: 1px solid #999; }
h3 { font-size: 1em; margin: 1em 0 .3em; }
p.meta { color: #333; margin: 0 0 1em; }
ul { padding-left: 1.4em; } li { margin: .1em 0; }
table { border-collapse: collapse; margin: .4em 0 1em; }
th, td { border: 1px solid #bbb; padding: .2em .5em; text-align: left; vertical-align: top; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
pre { white-space: pre-wrap; font: inherit; margin: 0; }
.attention { border-left: 4px solid #b00020; padding-left: .8em; }
.warn { color: #8a4b00; font-weight: bold; }
.alarm { color: #b00020; font-weight: bold; }
table.heat td { width: 2.6em; text-align: center; font-size: .85em; border: 1px solid #fff; }
table.heat th { white-space: nowrap; overflow-wrap: normal; }  /* "Mon", never "Mo" over "n" */
table.heat td.closed { background: #fff; border: 1px dotted #ccc; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; } table, ul, .attention { break-inside: avoid; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def esc(text: object) -> str:
    """Text for an HTML page: escaped (quotes too), control characters shown, newlines kept."""
    return html.escape(printable(str(text), keep_newlines=True), quote=True)


def page(title: str, body: str, lang: str = "en", style: str = STYLE) -> str:
    """A whole page around `body` (already HTML, built with `esc`); `style`: the phone companion's own."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{esc(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # A report must never reach out: no scripts, nothing loaded from elsewhere.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "img-src data:\">\n"
        f"<title>{esc(title)}</title>\n<style>{style}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n"
    )

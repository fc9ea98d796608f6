"""How wide each page of a real render is on a 390 px phone, with a given styles.css.

``../shared/render/pages/`` holds each page's ``<main>`` as Quarto wrote it, without Quarto's own
CSS. This script puts each one in a page with Bootstrap 5 (Debian ``libjs-bootstrap5``, which the
cosmo theme builds on), the one Quarto behaviour that made pages too wide (code spans and
cross-reference links that never wrap: ``THEME``) and the styles.css given, opens it in Debian
Chromium at 390 px and prints the page's width and what sticks out beyond the screen (a table
inside its own scroll box does not count). Not part of the test suite: Quarto is not installed
here, so this is an approximation to compare styles, and the next real render is the proof.

    apt-get install chromium libjs-bootstrap5
    python3 -m venv /tmp/venv && /tmp/venv/bin/pip install playwright
    /tmp/venv/bin/python tools/phone_widths.py ../shared/render/pages styles.css
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

PHONE = {"width": 390, "height": 844}
BOOTSTRAP = Path("/usr/share/javascript/bootstrap5/css/bootstrap.css")
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
THEME = "code { white-space: nowrap } a.quarto-xref, a.quarto-xref span { white-space: nowrap }"
# Quarto's page on a phone: one grid column, the body's padding on either side.
LAYOUT = "body { padding: 0 1.5rem } #content { display: grid; grid-template-columns: 1fr }"
PAGE = (
    '<!doctype html><html><head><meta name="viewport" content="width=device-width">'
    "<style>{bootstrap}</style><style>{layout}</style><style>{theme}</style>"
    '<style>{styles}</style></head><body><div id="content">{main}</div></body></html>'
)
WIDEST = """() => {
  const screen = document.documentElement.clientWidth;
  const out = [];
  for (const el of document.querySelectorAll('main *')) {
    if (el.closest('.cell-output-display table, pre, math[display=block]')) continue;
    const box = el.getBoundingClientRect();
    if (box.width > 0 && box.right > screen + 0.5) {
      out.push(`${el.tagName.toLowerCase()} ${Math.round(box.right)} px: `
        + (el.textContent || '').trim().slice(0, 60));
    }
  }
  return [document.documentElement.scrollWidth, out];
}"""


def main(pages: Path, styles: Path) -> int:
    css = {
        "bootstrap": BOOTSTRAP.read_text(encoding="utf-8"),
        "layout": LAYOUT,
        "theme": THEME,
        "styles": styles.read_text(encoding="utf-8"),
    }
    wider = 0
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport=PHONE)
        for file in sorted(pages.glob("*.html")):
            page.set_content(PAGE.format(main=file.read_text(encoding="utf-8"), **css))
            width, sticking_out = page.evaluate(WIDEST)
            wider += width > PHONE["width"]
            print(f"{file.stem:40} {width} px")
            for line in sticking_out[:5]:
                print(f"    {line}")
        browser.close()
    print(f"{wider} of the pages wider than {PHONE['width']} px")
    return 1 if wider else 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))

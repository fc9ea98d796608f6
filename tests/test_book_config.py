"""_quarto.yml: the book Quarto renders needs nothing from the network and says what it needs.

The first real render loaded require.js and jQuery from CDNs (for text/html cell outputs, which
tests/test_chapters_execute.py now forbids), the cosmo theme's web font from Google and MathJax
from jsDelivr. What the configuration decides is pinned here; the rest is in the chapters.
"""

from __future__ import annotations

import re

import yaml

from analysis import paths


def config() -> dict:
    return yaml.safe_load(paths.quarto_config.read_text(encoding="utf-8"))


def html() -> dict:
    return config()["format"]["html"]


def test_equations_need_no_script_from_a_cdn() -> None:
    # mathjax and katex load from a CDN; webtex fetches images. MathML is drawn by the browser.
    assert html().get("html-math-method") in ("mathml", "plain")


def test_the_theme_fetches_no_web_font() -> None:
    theme = html()["theme"]
    layers = theme if isinstance(theme, list) else [theme]
    own = [paths.root / layer for layer in layers if str(layer).endswith(".scss")]
    assert own, "cosmo alone imports its font from fonts.googleapis.com"
    text = "\n".join(file.read_text(encoding="utf-8") for file in own)
    defaults = text.split("/*-- scss:defaults --*/", 1)[1].split("/*-- scss:rules --*/")[0]
    assert re.search(r"^\$web-font-path:\s*false\s*;", defaults, re.MULTILINE)


def test_no_url_in_the_configuration_but_quartos_own() -> None:
    text = paths.quarto_config.read_text(encoding="utf-8")
    urls = re.findall(r"https?://[^\s\"')]+", text)
    assert urls == []
    for css in [paths.root / "styles.css", paths.root / "theme.scss"]:
        body = css.read_text(encoding="utf-8")
        assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", body), css.name


def test_the_book_offers_its_pdf_and_states_the_quarto_it_needs() -> None:
    found = config()
    assert set(found["format"]) == {"html", "typst"}
    assert found["book"]["downloads"] == ["pdf"]
    assert re.fullmatch(r">=\s*1\.(9|\d{2,})(\.\d+)*", found["quarto-required"])
    assert "repo-url" not in found["book"]  # no public repository yet: no links to nowhere

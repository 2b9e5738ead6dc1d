"""The rendered book in a real headless browser (Debian's chromium), served from 127.0.0.1 only.

Every page loads without console errors, every image is present and decodes, internal links resolve,
the sidebar reaches every page of the table of contents, math typesets from the vendored MathJax, and
no script, style or font comes from outside the built site. No page shows stderr output or a path of the
machine that built it. The layout holds: at 1,400 px no table is wider than its container and every claims
table shows its status column; at phone width (400 px) the page does not scroll sideways and each claims
table fits the screen. Screenshots of the first page and of a chapter page are kept in ``_build/artifacts/``.
"""
from __future__ import annotations

import functools
import http.server
import re
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlparse

import pytest

from tests.book_tools import HTML, ROOT, notebooks, toc_files

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "_build" / "artifacts"
CHROMIUM_FLAGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--window-size=1280,900"]


# ------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def site(test_book):
    """The test book's HTML served over http://127.0.0.1 by a thread; yields the base URL."""
    assert test_book.returncode == 0, "the book did not build:\n" + test_book.stdout[-3000:] + test_book.stderr[-3000:]
    handler = functools.partial(QuietHandler, directory=str(HTML))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    """Headless chromium through chromedriver, logging the console."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome", "chrome"))), None)
    driver_path = shutil.which("chromedriver")
    if not binary or not driver_path:
        pytest.fail("the browser tests need Debian's chromium and chromium-driver: run `make test-packages` "
                    "(`scripts/system-packages test` installs them), or put chromium and chromedriver on the PATH")
    profile = tempfile.mkdtemp(prefix="fscore-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in CHROMIUM_FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def pages() -> list[str]:
    """Every HTML page of the built book, relative to its root."""
    return sorted(p.relative_to(HTML).as_posix() for p in HTML.rglob("*.html") if "_static" not in p.parts)


def load(driver, url: str, settle: float = 0.3):
    """Open ``url``, wait until the document and MathJax (where the page has it) are done, drain old logs."""
    driver.get_log("browser")
    driver.get(url)
    deadline = time.time() + 30
    while time.time() < deadline:
        state = driver.execute_script(
            "if (document.readyState !== 'complete') return false;"
            "if (!window.MathJax) return true;"
            "return !!(MathJax.startup && MathJax.startup.promise && window.__typeset_done);")
        if state:
            break
        driver.execute_script(
            "if (window.MathJax && MathJax.startup && MathJax.startup.promise && !window.__typeset_hooked) {"
            "  window.__typeset_hooked = true; MathJax.startup.promise.then(() => { window.__typeset_done = true; }); }")
        time.sleep(0.1)
    time.sleep(settle)
    return driver.get_log("browser")


# ---------------------------------------------------------------------------------- the checks
def test_the_book_has_its_pages(site):
    for file in toc_files():
        assert (HTML / f"{file}.html").is_file(), f"{file} is in _toc.yml but was not rendered"


def test_every_page_loads_without_console_errors_and_every_image_decodes(site, browser):
    errors, broken_images, seen_images = {}, {}, 0
    for page in pages():
        logs = load(browser, site + page)
        severe = [e["message"] for e in logs if e["level"] == "SEVERE"]
        if severe:
            errors[page] = severe
        images = browser.execute_script(
            "return Array.from(document.images).map(i => [i.currentSrc || i.src, i.complete, i.naturalWidth]);")
        seen_images += len(images)
        bad = [src for src, complete, width in images if not complete or width == 0]
        if bad:
            broken_images[page] = bad
    assert not errors, f"console errors: {errors}"
    assert not broken_images, f"images missing or empty: {broken_images}"
    assert seen_images > 0, "the book rendered no figure at all"


def test_every_chapter_with_a_plot_shows_its_figures(site, browser):
    for notebook in notebooks():
        page = notebook.relative_to(ROOT).with_suffix(".html").as_posix()
        source = notebook.read_text()
        if "plt.show()" not in source and "plt.subplots" not in source:
            continue
        load(browser, site + page, settle=0)
        sizes = browser.execute_script("return Array.from(document.images)"
                                       ".filter(i => i.src.includes('_images/')).map(i => i.naturalWidth);")
        assert sizes and all(w > 0 for w in sizes), f"{page}: its plots are not on the page ({sizes})"


def test_math_typesets_from_the_vendored_mathjax(site, browser):
    page = "chapters/part1_features/ch01_linear_selection.html"
    if not (HTML / page).is_file():
        pytest.skip("chapter 1 is not in this build")
    load(browser, site + page)
    src = browser.execute_script("var s = document.querySelector('script[src*=\"mathjax\"]'); return s && s.src;")
    assert src and src.startswith(site), f"MathJax is not served by the book itself: {src}"
    assert browser.execute_script("return document.querySelectorAll('mjx-container').length;") > 0
    assert browser.execute_script("return document.querySelectorAll('mjx-merror').length;") == 0


def test_the_sidebar_reaches_every_page_of_the_toc(site, browser):
    load(browser, site + "index.html", settle=0)
    links = browser.execute_script(
        "return Array.from(document.querySelectorAll('nav.bd-docs-nav a, #bd-docs-nav a')).map(a => a.href);")
    reached = {urlparse(urldefrag(href)[0]).path.lstrip("/") for href in links}
    root = toc_files()[0]
    missing = [f for f in toc_files()[1:] if f"{f}.html" not in reached]
    assert not missing, f"the navigation does not reach {missing} (from {sorted(reached)})"
    # ... and each of those pages opens with the same sidebar and its own title
    for file in toc_files()[1:]:
        load(browser, site + f"{file}.html", settle=0)
        assert browser.execute_script("return document.querySelectorAll('nav.bd-docs-nav a').length;") >= len(toc_files()) - 1
        title = browser.execute_script("var h = document.querySelector('article h1, main h1'); return h && h.textContent;")
        assert (title or "").strip(), f"{file} has no title"
    assert (HTML / f"{root}.html").is_file()


def test_chapter_pages_offer_the_notebook_for_download(site):
    for notebook in notebooks():
        page = HTML / notebook.relative_to(ROOT).with_suffix(".html")
        hrefs = [h for h in Links.of(page).hrefs if h.endswith(".ipynb")]
        assert hrefs, f"{page.name} has no .ipynb download link"
        url = urljoin(site + page.relative_to(HTML).as_posix(), hrefs[0])
        with urllib.request.urlopen(url) as reply:
            assert reply.status == 200 and b'"cells"' in reply.read()


def test_screenshots_of_the_first_page_and_a_chapter(site, browser):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    load(browser, site + "index.html")
    browser.save_screenshot(str(ARTIFACTS / "first-page.png"))
    chapter = next((f for f in toc_files()[1:] if (HTML / f"{f}.html").is_file() and f"{f}.ipynb" in
                    {n.relative_to(ROOT).as_posix() for n in notebooks()}), toc_files()[0])
    load(browser, site + f"{chapter}.html")
    browser.save_screenshot(str(ARTIFACTS / "chapter.png"))
    for name in ("first-page.png", "chapter.png"):
        assert (ARTIFACTS / name).stat().st_size > 10_000, f"{name} looks empty"


# ------------------------------------------------------------------------------------ layout
def claims_pages() -> list[str]:
    return [p for p in pages() if 'class="table fscore-claims"' in (HTML / p).read_text(encoding="utf-8")]


@pytest.fixture
def viewport(browser):
    """Set the viewport's width (CSS pixels; ``mobile`` for a phone), and put the desktop window back after."""
    def set_width(width: int, mobile: bool = False):
        browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                                {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": mobile})
    yield set_width
    browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


TABLES_WIDER_THAN_CONTAINER = """
const main = document.querySelector('article.bd-article') || document.querySelector('main') || document.body;
const limit = main.getBoundingClientRect().right + 1;
return Array.from(main.querySelectorAll('table')).filter(t => t.offsetParent !== null).map(t => {
  const box = t.getBoundingClientRect(), parent = t.parentElement.getBoundingClientRect();
  const cls = t.className || t.parentElement.className || t.tagName;
  return (box.width > parent.width + 1 || box.right > limit)
      ? `${cls}: ${Math.round(box.width)} px in ${Math.round(parent.width)} px` : null;
}).filter(x => x);
"""

STATUS_VISIBLE = """
const width = document.documentElement.clientWidth;
const visible = e => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0 && r.left >= -1
                       && r.right <= width + 1 && getComputedStyle(e).visibility !== 'hidden'; };
return Array.from(document.querySelectorAll('table.fscore-claims')).map((t, i) => {
  const rows = Array.from(t.querySelectorAll('tbody tr:not(.fscore-group)'));
  const cells = rows.map(r => r.querySelector('td[data-label="Status"]'));
  const head = t.querySelector('th.fscore-col-status');
  const problems = [];
  if (!head || head.textContent.trim() !== 'Status') problems.push('no Status column');
  if (!rows.length) problems.push('no claims');
  cells.forEach((c, j) => { if (!c || !visible(c) || !c.textContent.trim()) problems.push(`row ${j + 1}: status not visible`); });
  return problems.length ? `table ${i + 1}: ${problems.join(', ')}` : null;
}).filter(x => x);
"""


def test_every_chapter_ends_with_a_claims_table(site):
    have = set(claims_pages())
    missing = [n.stem for n in notebooks() if n.relative_to(ROOT).with_suffix(".html").as_posix() not in have]
    assert not missing, f"no claims table rendered in {missing}"


def test_at_1400_px_no_table_is_wider_than_its_container_and_claims_show_their_status(site, browser, viewport):
    viewport(1400)
    wide, hidden = {}, {}
    for page in pages():
        load(browser, site + page, settle=0)
        if problems := browser.execute_script(TABLES_WIDER_THAN_CONTAINER):
            wide[page] = problems
        if problems := browser.execute_script(STATUS_VISIBLE):
            hidden[page] = problems
    assert not wide, f"tables wider than their container at 1,400 px: {wide}"
    assert not hidden, f"claims tables without a visible status: {hidden}"


def test_at_phone_width_pages_do_not_scroll_sideways_and_claims_tables_fit(site, browser, viewport):
    viewport(400, mobile=True)
    sideways, problems = {}, {}
    for page in claims_pages() + ["index.html"]:
        load(browser, site + page, settle=0)
        overflow = browser.execute_script(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;")
        if overflow > 1:
            sideways[page] = f"{overflow} px"
        found = browser.execute_script(STATUS_VISIBLE) + [
            p for p in browser.execute_script(TABLES_WIDER_THAN_CONTAINER) if "fscore" in p]
        if found:
            problems[page] = found
    assert not sideways, f"pages that scroll sideways at 400 px: {sideways}"
    assert not problems, f"claims tables that do not fit a phone: {problems}"


# ------------------------------------------------------------------- static checks of the HTML
#: Paths of the machine that built the book; none belongs in a page.
MACHINE_PATHS = re.compile(r"/work/|/root/|/home/|/tmp/|/Users/|site-packages|[A-Z]:\\Users")


def test_no_page_shows_stderr_or_a_path_of_the_build_machine(site):
    stderr, paths = {}, {}
    for page in pages():
        text = (HTML / page).read_text(encoding="utf-8")
        if "output stderr" in text:
            stderr[page] = text.count('class="output stderr"')
        found = sorted({text[max(0, m.start() - 40): m.end() + 40].replace("\n", " ")
                        for m in MACHINE_PATHS.finditer(text)})
        if found:
            paths[page] = found[:5]
    assert not stderr, f"pages with stderr output (warnings, progress bars): {stderr}"
    assert not paths, f"pages showing paths of the build machine: {paths}"

class Links(HTMLParser):
    """The href/src targets of a page, and which of them load scripts, styles, fonts or images."""

    def __init__(self):
        super().__init__()
        self.hrefs, self.assets, self.ids = [], [], set()

    @classmethod
    def of(cls, page: Path) -> "Links":
        parser = cls()
        parser.feed(page.read_text(encoding="utf-8"))
        return parser

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.hrefs.append(attrs["href"])
        if tag in ("script", "img", "iframe", "source", "video", "audio") and attrs.get("src"):
            self.assets.append(attrs["src"])
        if tag == "link" and attrs.get("href"):
            self.assets.append(attrs["href"])


EXTERNAL = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.I)


def _local(url: str) -> bool:
    return not EXTERNAL.match(url) and not re.match(r"^[a-z][a-z0-9+.-]*:", url, re.I)


def test_no_script_style_or_font_comes_from_outside_the_site(site):
    assert pages(), "the built book has no page"
    external = {}
    for page in pages():
        assets = [a for a in Links.of(HTML / page).assets if not _local(a) and not a.startswith("data:")]
        if assets:
            external[page] = assets
    for css in HTML.rglob("*.css"):
        for url in re.findall(r"""(?:url\(\s*['"]?|@import\s+['"])((?:https?:)?//[^'")\s]+)""", css.read_text(errors="ignore")):
            external.setdefault(css.relative_to(HTML).as_posix(), []).append(url)
    assert not external, f"assets loaded from outside the built site: {external}"


def test_internal_links_resolve(site):
    broken, checked = [], 0
    anchors = {}
    for page in pages():
        parsed = Links.of(HTML / page)
        for href in parsed.hrefs + parsed.assets:
            if not _local(href) or href.startswith(("data:", "javascript:")):
                continue
            target, fragment = urldefrag(urljoin(site + page, href))
            checked += 1
            try:
                with urllib.request.urlopen(urllib.request.Request(target, method="HEAD")) as reply:
                    ok = reply.status == 200
            except urllib.error.HTTPError:
                ok = False
            if not ok:
                broken.append(f"{page}: {href}")
                continue
            path = urlparse(target).path.lstrip("/") or "index.html"
            if fragment and path.endswith(".html"):
                if path not in anchors:
                    anchors[path] = Links.of(HTML / path).ids
                if fragment not in anchors[path]:
                    broken.append(f"{page}: {href} (no #{fragment})")
    assert checked > 0
    assert not broken, f"broken internal links: {broken}"

# Copyright: scst.iscsi contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The built docsite, looked at as a person would: the page of the module
scst_lun opened in headless Chromium (Debian's /usr/bin/chromium driven by
Playwright), served over HTTP on 127.0.0.1, with a screenshot of its
Parameters section in tests/output/docs/.

The options table must be there and visible: its header row, and every option
of the module (as ansible-doc reports them, not a list written here) as a row.
The screenshot must be a real picture: a PNG of the expected size with many
colours, not an empty page.

scripts/test docs builds the site (.cache/docs/build/html, or DOCS_HTML) and
runs this file; it is not part of the unit stage.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import pathlib
import shutil
import struct
import subprocess
import tempfile
import threading
import zlib
from collections import Counter

import pytest
from playwright.sync_api import sync_playwright

ROOT = pathlib.Path(__file__).resolve().parents[2]
SITE = pathlib.Path(os.environ.get("DOCS_HTML") or ROOT / ".cache" / "docs" / "build" / "html")
SHOTS = ROOT / "tests" / "output" / "docs"
MODULE = "scst.iscsi.scst_lun"
PAGE = "scst_lun_module.html"
CHROMIUM = os.environ.get("DOCS_CHROMIUM", "/usr/bin/chromium")
# Needed on a build machine that runs as root, without network or GPU.
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}
# The class (or tag) of a fixed or sticky element over the given element, or null.
COVERED_BY = """element => {
    const r = element.getBoundingClientRect();
    for (const other of document.querySelectorAll('body *')) {
        const style = getComputedStyle(other);
        if (!['fixed', 'sticky'].includes(style.position) || other.contains(element)) continue;
        if (style.display === 'none' || style.visibility === 'hidden') continue;
        const o = other.getBoundingClientRect();
        if (o.left < r.right && r.left < o.right && o.top < r.bottom && r.top < o.bottom) {
            return other.className || other.tagName;
        }
    }
    return null;
}"""


def module_options(name):
    """Option names of a module, from ``ansible-doc --json`` (doc fragments included)."""
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"), ANSIBLE_NOCOLOR="1")
    ansible_doc = shutil.which("ansible-doc") or "ansible-doc"
    done = subprocess.run([ansible_doc, "--json", "-t", "module", name], env=env, cwd=str(ROOT),
                          capture_output=True, text=True, check=True)
    return sorted(json.loads(done.stdout)[name]["doc"]["options"])


def decode_png(data):
    """(width, height, rows of RGB(A) bytes, bytes per pixel) of an 8-bit, non-interlaced PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    width, height, depth, colour, _compression, _filter, interlace = header
    assert depth == 8 and interlace == 0 and colour in (2, 6), "unexpected PNG format %r" % (header,)
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = width * bpp
    prev = bytearray(stride)
    rows = []
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        if kind == 1:      # Sub
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif kind == 2:    # Up
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif kind == 3:    # Average
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif kind == 4:    # Paeth
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows, bpp


def check_picture(path, min_width, min_height):
    """A real image: PNG, at least this size, not one colour, not almost empty."""
    data = path.read_bytes()
    assert len(data) > 20000, "%s is only %d bytes" % (path, len(data))
    width, height, rows, bpp = decode_png(data)
    assert width >= min_width and height >= min_height, "%s is %dx%d" % (path, width, height)
    colours = Counter(row[i:i + 3] for row in rows for i in range(0, len(row), bpp))
    background, count = colours.most_common(1)[0]
    share = count / float(width * height)
    assert len(colours) >= 32, "%s has only %d colours" % (path, len(colours))
    assert share < 0.97, "%s is %.1f%% one colour %r" % (path, 100 * share, background)
    return width, height, len(colours), share


@pytest.fixture(scope="module")
def site_url():
    """The built site over HTTP on 127.0.0.1, a free port."""
    if not (SITE / PAGE).is_file():
        pytest.fail("%s is missing: build the site with scripts/test docs" % (SITE / PAGE))
    handler = functools.partial(QuietHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield "http://127.0.0.1:%d/" % server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the site without a log line per request."""

    def log_message(self, format, *args):  # pylint: disable=redefined-builtin
        pass


@pytest.fixture(scope="module")
def browser_page(site_url):
    """A fresh headless Chromium (own profile directory) with one page, and the
    list of requests that left the test server (refused)."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail("%s is missing: scripts/bootstrap installs the Debian package chromium" % CHROMIUM)
    outside = []

    def only_local(route):
        url = route.request.url
        if url.startswith(site_url) or url.startswith("data:"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    with tempfile.TemporaryDirectory(prefix="docs-chromium-") as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, viewport=VIEWPORT)
        try:
            page = context.new_page()
            page.route("**/*", only_local)
            yield page, outside
        finally:
            context.close()


def test_scst_lun_page_shows_its_options_table(site_url, browser_page):
    page, outside = browser_page
    options = module_options(MODULE)
    assert "lun" in options and "target" in options, options

    response = page.goto(site_url + PAGE, wait_until="load")
    assert response is not None and response.status == 200
    assert "scst_lun module" in page.title()

    heading = page.locator("section#parameters > h2")
    assert heading.inner_text().startswith("Parameters")
    table = page.locator("section#parameters table.ansible-option-table").first
    table.scroll_into_view_if_needed()
    page.evaluate("document.querySelector('section#parameters').scrollIntoView()")
    assert table.is_visible()

    header = [cell.strip() for cell in table.locator("thead th").all_inner_texts()]
    assert header == ["Parameter", "Comments"]
    for cell in table.locator("thead th").all():
        assert cell.is_visible()
        # no fixed or sticky element (the navigation bar at the top) covers it
        assert cell.evaluate(COVERED_BY) is None, cell.inner_text()
    # the header row is in the viewport, so in the screenshot taken next
    head_box = table.locator("thead").bounding_box()
    assert head_box is not None and 0 <= head_box["y"] < VIEWPORT["height"], head_box

    SHOTS.mkdir(parents=True, exist_ok=True)
    view_png = SHOTS / "scst_lun_parameters.png"
    table_png = SHOTS / "scst_lun_options_table.png"
    page.screenshot(path=str(view_png))
    # the whole table, cut out of a full-page picture (an element screenshot
    # would scroll it under the fixed navigation bar)
    table_box = table.bounding_box()
    scroll_y = page.evaluate("window.scrollY")
    page.screenshot(path=str(table_png), full_page=True,
                    clip={"x": table_box["x"], "y": table_box["y"] + scroll_y,
                          "width": table_box["width"], "height": table_box["height"]})

    titles = table.locator("p.ansible-option-title")
    shown = sorted(text.strip() for text in titles.all_inner_texts())
    assert shown == options, "table rows %s, module options %s" % (shown, options)
    for name in options:
        row_title = table.locator("#parameter-%s + p.ansible-option-title" % name)
        assert row_title.count() == 1, name
        assert row_title.is_visible(), name
        box = row_title.bounding_box()
        assert box and box["width"] > 0 and box["height"] > 0, name

    check_picture(view_png, VIEWPORT["width"], VIEWPORT["height"])
    check_picture(table_png, int(table_box["width"]) - 1, int(table_box["height"]) - 1)
    assert outside == [], "the page asked for %s" % outside

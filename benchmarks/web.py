"""The web page's speed (issue 19): with the server warm, a 1024×768 photo → 5.1 + binaural shown, and a
re-render after an edit of the table, timed in a real browser (Debian's chromium, Playwright, headless).

Reference, measured in the same run: ``see2sound.run`` called directly on the same photo with the same
options (what the page does under the hood), and ``see2sound.render`` of both formats from the finished
scene (what "render again" does). Prints wall seconds (median of ``--repeats``) and the page/reference
ratios. Targets of the issue: ≤ 2.5 s for the photo, ≤ 1 s for the re-render, on the 2-core machine.

Usage: ``python benchmarks/web.py [--repeats 3] [--photo PICTURE] [--screenshot docs/web.png]``
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

import see2sound
from see2sound.web.app import serve
from see2sound.web.jobs import Limits

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_status(page, text: str) -> None:
    page.wait_for_function(f"document.querySelector('#status').innerText.includes({text!r})", timeout=600_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--photo", type=Path, default=ROOT / "examples" / "rocket.jpg")
    parser.add_argument("--screenshot", type=Path, default=None, help="Save the page after the edit here.")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="see2sound-bench-web-"))
    photo = work / "photo.jpg"
    Image.open(args.photo).convert("RGB").resize((1024, 768)).save(photo, quality=92)

    # the reference: the same work without the page
    direct, render_only = [], []
    for i in range(args.repeats + 1):
        t = time.perf_counter()
        result = see2sound.run(photo, work / f"direct{i}", formats=["5.1", "binaural"], overwrite=True)
        direct.append(time.perf_counter() - t)
        t = time.perf_counter()
        for fmt, path in result.audio.items():
            see2sound.render(result.scene, path, format=fmt, overwrite=True)
        render_only.append(time.perf_counter() - t)
    direct, render_only = direct[1:], render_only[1:]  # the first warms the caches

    port = free_port()
    demo = serve("127.0.0.1", port, Limits(), block=False)
    made, again = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"http://127.0.0.1:{port}/")
        page.wait_for_selector("#go")
        for i in range(args.repeats + 1):  # the first run warms the server
            clear = page.locator("#upload").get_by_role("button", name="Clear")
            if clear.count():
                clear.first.click()
            page.locator("#upload input[type=file]").set_input_files(str(photo))
            page.wait_for_timeout(500)
            t = time.perf_counter()
            page.click("#go")
            wait_status(page, "source(s),")
            page.locator("#binaural").wait_for()
            made.append(time.perf_counter() - t)
            cell = page.locator("#sources [data-testid=cell-0-5]")
            cell.dblclick()
            page.keyboard.press("Control+A")
            page.keyboard.type(str(-3 - i))
            page.keyboard.press("Enter")
            page.wait_for_timeout(300)
            t = time.perf_counter()
            page.click("#again")
            wait_status(page, "rendered again (1)")
            again.append(time.perf_counter() - t)
        if args.screenshot is not None:
            page.screenshot(path=str(args.screenshot), full_page=True)
        browser.close()
    demo.close()
    demo.workspace.close()
    made, again = made[1:], again[1:]

    def med(xs):
        return statistics.median(xs)

    print(f"photo 1024x768 → 5.1 + binaural shown in the page: {med(made):.2f} s (target ≤ 2.5 s)")
    print(
        f"  reference see2sound.run, same photo and formats:  {med(direct):.2f} s  "
        f"(page/ref {med(made) / med(direct):.2f}×)"
    )
    print(f"re-render after an edit, shown in the page:         {med(again):.2f} s (target ≤ 1 s)")
    print(
        f"  reference see2sound.render of both formats:        {med(render_only):.2f} s  "
        f"(page/ref {med(again) / med(render_only):.2f}×)"
    )


if __name__ == "__main__":
    main()

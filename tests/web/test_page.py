"""The page in a real browser: Debian's chromium driven headless by Playwright (no browser download).

One server for the module on a free port of 127.0.0.1 with a 1 MB upload limit; screenshots of every
state go to the test's tmp folder.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image, ImageDraw
from playwright.sync_api import sync_playwright

from see2sound.vision.backends import DETECTORS
from see2sound.web.app import serve
from see2sound.web.jobs import Limits
from tests.pipeline.test_run import draw_scene
from tests.vision.synthetic import RedThings

CHROMIUM = "/usr/bin/chromium"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
RUN_TIMEOUT_MS = 180_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    """The page on a free local port; the detector `auto` picks is a stand-in that names red things "dog"
    (the page is under test here, not the detector's trust: a known source to move is needed)."""
    saved = dict(DETECTORS._backends)
    DETECTORS.register("reddog", priority=1000)(lambda **_: RedThings("dog"))
    port = free_port()
    demo = serve("127.0.0.1", port, Limits(max_upload_mb=1, max_video_s=60), block=False)
    yield f"http://127.0.0.1:{port}/", port, demo
    demo.close()
    demo.workspace.close()
    DETECTORS._backends.clear()
    DETECTORS._backends.update(saved)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield b
        b.close()


@pytest.fixture
def page(server, browser, real_cache):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(server[0])
    page.wait_for_selector("#go")
    yield page
    page.close()


def status(page) -> str:
    return page.locator("#status").inner_text()


def wait_status(page, text: str) -> None:
    page.wait_for_function(
        f"document.querySelector('#status').innerText.includes({text!r})", timeout=RUN_TIMEOUT_MS
    )


def make(page, picture: Path, seconds: int = 3) -> None:
    page.locator("#seconds input[type=number]").fill(str(seconds))
    page.keyboard.press("Enter")
    clear = page.locator("#upload").get_by_role("button", name="Clear")
    if clear.count():
        clear.first.click()
    page.locator("#upload input[type=file]").set_input_files(str(picture))
    page.wait_for_timeout(500)
    page.click("#go")
    wait_status(page, "source(s),")


def cell(page, row: int, col: int):
    return page.locator(f"#sources [data-testid=cell-{row}-{col}]")


def set_cell(page, row: int, col: int, text: str) -> None:
    cell(page, row, col).dblclick()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_timeout(300)


def table(page) -> list[list[str]]:
    rows = []
    while cell(page, len(rows), 0).count():
        rows.append([cell(page, len(rows), c).inner_text().strip() for c in range(6)])
    return rows


def download(page, suffix: str) -> bytes:
    links = [a.get_attribute("href") for a in page.locator("#files a").all()]
    [url] = {u for u in links if u and u.split("?")[0].endswith(suffix)}
    response = page.request.get(url)
    assert response.ok
    return response.body()


def ild_db(wav: bytes) -> float:
    y, _ = sf.read(io.BytesIO(wav), always_2d=True)
    return float(10 * np.log10(np.sum(y[:, 0] ** 2) / np.sum(y[:, 1] ** 2)))


def generated_picture(path: Path) -> Path:
    img = Image.new("RGB", (320, 240), (120, 170, 225))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 150, 320, 240], fill=(70, 140, 60))
    draw.ellipse([200, 40, 250, 90], fill=(250, 220, 80))
    img.save(path)
    return path


def test_only_localhost_listens(server):
    _url, port, _demo = server
    listening = subprocess.run(["ss", "-ltnH"], capture_output=True, text=True, check=True).stdout
    addresses = {line.split()[3] for line in listening.splitlines() if line.split()[3].endswith(f":{port}")}
    assert addresses == {f"127.0.0.1:{port}"}


def test_upload_a_picture_lists_sources_and_serves_binaural(page, tmp_path):
    wavs = []
    page.on("response", lambda r: wavs.append(r) if ".binaural.wav" in r.url else None)
    page.screenshot(path=tmp_path / "0-empty.png", full_page=True)
    make(page, generated_picture(tmp_path / "meadow.png"))
    rows = table(page)
    assert rows and rows[0][0] == "s0" and all(r[1] for r in rows)
    assert page.locator("#map img").count() == 1 and page.locator("#preview img").count() == 1
    page.wait_for_timeout(1000)
    served = [r for r in wavs if r.ok]
    assert served, "the binaural file was not fetched by the page"
    body = served[-1].body()
    assert served[-1].headers["content-type"].startswith("audio/")
    assert body[:4] == b"RIFF" and body[8:12] == b"WAVE"
    info = sf.info(io.BytesIO(body))
    assert info.channels == 2 and info.duration == pytest.approx(3, abs=0.01)
    page.screenshot(path=tmp_path / "1-made.png", full_page=True)


def test_move_a_source_left_to_right_and_render_again(page, tmp_path):
    picture = tmp_path / "dog.png"
    draw_scene(640, 480, 320.0).save(picture)  # a red disc in front, which the stand-in calls a dog
    make(page, picture)
    rows = table(page)
    cat = next(i for i, r in enumerate(rows) if r[1] == "dog")
    for i in range(len(rows)):  # only the dog is heard
        if i != cat:
            cell(page, i, 6).locator("input[type=checkbox]").click()
    set_cell(page, cat, 2, "60")
    page.click("#again")
    wait_status(page, "rendered again (1)")
    assert table(page)[cat][2] == "60"
    left = ild_db(download(page, ".binaural.wav"))
    page.screenshot(path=tmp_path / "2-left.png", full_page=True)
    set_cell(page, cat, 2, "-60")
    page.click("#again")
    wait_status(page, "rendered again (2)")
    right = ild_db(download(page, ".binaural.wav"))
    page.screenshot(path=tmp_path / "3-right.png", full_page=True)
    assert left > 3 and right < -3, (left, right)
    assert b'"azimuth": -60' in download(page, "scene.json")
    page.click("#zip")
    page.locator("#zip-file a").first.wait_for(timeout=30_000)
    archive = zipfile.ZipFile(
        io.BytesIO(page.request.get(page.locator("#zip-file a").first.get_attribute("href")).body())
    )
    names = {"dog-see2sound/dog.binaural.wav", f"dog-see2sound/stems/{rows[cat][0]}.wav"}
    assert names <= set(archive.namelist())


def test_random_bytes_show_one_error_and_the_page_still_works(page, tmp_path):
    junk = tmp_path / "junk.png"
    junk.write_bytes(os.urandom(20_000))
    page.locator("#upload input[type=file]").set_input_files(str(junk))
    page.wait_for_timeout(500)
    page.click("#go")
    toast = page.locator(".toast-body").filter(has_text="junk.png")
    toast.wait_for(timeout=60_000)
    text = toast.inner_text()
    assert "Traceback" not in text and "/tmp" not in text and "see2sound-web" not in text
    page.screenshot(path=tmp_path / "4-error.png", full_page=True)
    page.click("#again")  # the page still answers, with its own readable message
    page.locator(".toast-body").filter(has_text="nothing made yet").wait_for(timeout=30_000)
    make(page, generated_picture(tmp_path / "after.png"), seconds=2)
    assert table(page)


def test_oversize_upload_is_refused(page, tmp_path):
    big = tmp_path / "big.png"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (800, 800, 3), dtype=np.uint8)).save(big)
    assert big.stat().st_size > 1_000_000
    page.locator("#upload input[type=file]").set_input_files(str(big))
    page.locator(".toast-body").filter(has_text="maximum allowed size").wait_for(timeout=30_000)
    page.screenshot(path=tmp_path / "5-oversize.png", full_page=True)
    page.click("#go")
    page.locator(".toast-body").filter(has_text="upload a picture").wait_for(timeout=30_000)


def test_two_uploads_at_once_are_queued_and_both_finish(server, browser, real_cache, tmp_path):
    pages = [browser.new_page(viewport={"width": 1400, "height": 1000}) for _ in range(2)]
    try:
        for i, page in enumerate(pages):
            page.goto(server[0])
            page.wait_for_selector("#go")
            page.locator("#seconds input[type=number]").fill("2")
            page.keyboard.press("Enter")
            page.locator("#upload input[type=file]").set_input_files(
                str(generated_picture(tmp_path / f"p{i}.png"))
            )
            page.wait_for_timeout(500)
        for page in pages:
            page.click("#go")
        for i, page in enumerate(pages):
            wait_status(page, "source(s),")
            assert table(page)
            page.screenshot(path=tmp_path / f"6-queued-{i}.png", full_page=True)
    finally:
        for page in pages:
            page.close()


def test_an_animation_gets_a_video_with_its_new_soundtrack(page, tmp_path):
    page.locator("#upload input[type=file]").set_input_files(str(EXAMPLES / "car.gif"))
    page.wait_for_timeout(500)
    page.click("#go")
    wait_status(page, "source(s),")
    page.locator("#video video").wait_for(timeout=30_000)
    page.wait_for_function("document.querySelector('#video video').readyState >= 1", timeout=30_000)
    assert page.evaluate("document.querySelector('#video video').duration") > 1
    mp4 = download(page, ".mp4")
    assert mp4[4:8] == b"ftyp"
    page.screenshot(path=tmp_path / "7-video.png", full_page=True)


@pytest.mark.parametrize("prefix", ["gradio_api/file=", "file="])
def test_no_client_path_reaches_the_filesystem(server, prefix):
    url, _port, demo = server
    inside = demo.workspace.root / "job-probe"
    inside.mkdir(exist_ok=True)
    (inside / "scene.json").write_text("{}")
    for path in ["/etc/passwd", str(inside / "scene.json"), "/tmp/../etc/passwd"]:
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(f"{url}{prefix}{path}")
        assert info.value.code in (403, 404)

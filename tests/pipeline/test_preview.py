"""``preview.png`` drawn with Pillow: the picture panel (mask tint, box, label) and the top-down map,
checked pixel by pixel against where the listener-frame geometry (DESIGN §2) puts each source."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from see2sound.errors import See2SoundError
from see2sound.pipeline.analyze import write_preview
from see2sound.pipeline.preview import (
    LABEL_ALPHA,
    MAP_BOX,
    PICTURE_BOX,
    PREVIEW_SIZE,
    TAB10,
)
from see2sound.scene import Scene
from see2sound.vision.types import Region


def make_scene(sources: list[dict], duration: float = 4.0) -> Scene:
    for i, src in enumerate(sources):
        src.setdefault("id", f"s{i}")
        src.setdefault("label", f"thing{i}")
    return Scene.from_dict({"version": 1, "sample_rate": 48000, "duration": duration, "sources": sources})


def fixed(azimuth: float, distance: float, elevation: float = 0.0) -> dict:
    return {"position": {"azimuth": azimuth, "elevation": elevation, "distance": distance}}


def draft(bbox, mask=None, kind="object"):
    """What write_preview reads of a vision SourceDraft: box, kind and the region's mask."""
    return SimpleNamespace(bbox=bbox, kind=kind, region=Region(mask=mask, box=bbox))


def draw(tmp_path, image, drafts, scene, name="preview.png") -> np.ndarray:
    path = tmp_path / name
    write_preview(path, image, drafts, scene)
    with Image.open(path) as im:
        assert im.format == "PNG" and im.size == PREVIEW_SIZE and im.mode == "RGB"
        return np.asarray(im)


def map_reach(distances_m) -> float:
    """The map's half-width in log(1 + m) units: the farthest horizontal radius (at least 1 m) + 15 %."""
    return max(np.log1p(1.0), *np.log1p(distances_m)) * 1.15


def map_pixel(azimuth_deg: float, distance_m: float, reach: float) -> tuple[float, float]:
    """Where the map draws a horizontal source: forward up, left (+azimuth) to the left."""
    x0, y0, x1, y1 = MAP_BOX
    half = (x1 - x0) / 2
    radius = np.log1p(distance_m) / reach * half
    a = np.radians(azimuth_deg)
    return (x0 + x1) / 2 - radius * np.sin(a), (y0 + y1) / 2 - radius * np.cos(a)


def has_colour_near(rgb: np.ndarray, xy, colour, within: int = 2) -> bool:
    x, y = round(xy[0]), round(xy[1])
    window = rgb[y - within : y + within + 1, x - within : x + within + 1]
    return bool(np.any(np.all(window == colour, axis=-1)))


def dot_at(rgb: np.ndarray, xy, colour) -> bool:
    """A filled 5 x 5 patch of ``colour`` centred on ``xy`` (a start dot, not a 2-px line)."""
    x, y = round(xy[0]), round(xy[1])
    return bool(np.all(rgb[y - 2 : y + 3, x - 2 : x + 3] == colour))


def picture_placement(width: int, height: int) -> tuple[float, int, int, int, int]:
    """Scale and top-left corner and size of the picture inside the left panel (fitted, centred)."""
    bx0, by0, bx1, by1 = PICTURE_BOX
    scale = min((bx1 - bx0) / width, (by1 - by0) / height)
    w, h = round(width * scale), round(height * scale)
    return scale, bx0 + (bx1 - bx0 - w) // 2, by0 + (by1 - by0 - h) // 2, w, h


def test_map_puts_each_source_where_the_listener_hears_it(tmp_path):
    # left (+90°), in front (0°), right (-90°), behind (180°): DESIGN §2 azimuths
    placed = [(90.0, 5.0), (0.0, 10.0), (-90.0, 3.0), (180.0, 2.0)]
    scene = make_scene([fixed(az, d) for az, d in placed])
    rgb = draw(tmp_path, np.full((60, 80, 3), 200, np.uint8), [], scene)
    reach = map_reach([d for _, d in placed])
    x0, y0, x1, y1 = MAP_BOX
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    for i, (az, d) in enumerate(placed):
        colour = TAB10[i]
        x, y = map_pixel(az, d, reach)
        # the start dot: filled in the source's colour around its exact position
        assert dot_at(rgb, (x, y), colour)
        ys, xs = np.nonzero(np.all(rgb[y0:y1, x0:x1] == colour, axis=-1))
        xs, ys = xs + x0, ys + y0
        if az == 90.0:
            assert x < cx - 100 and xs.max() < cx  # everything of the left source is left of centre
        elif az == 0.0:
            assert y < cy - 100 and abs(x - cx) < 1 and ys.max() < cy
        elif az == -90.0:
            assert x > cx + 100 and xs.min() > cx
        else:
            assert y > cy + 50 and ys.min() > cy
    # the listener: a black triangle at the centre, pointing forward (narrower at the top)
    tri = np.all(rgb[round(cy) - 8 : round(cy) + 7, round(cx) - 8 : round(cx) + 9] == 0, axis=-1)
    assert tri[-3].sum() > tri[3].sum() > 0


def test_log_radius_keeps_near_and_far_sources_on_the_map(tmp_path):
    placed = [(30.0, 0.3), (-45.0, 300.0)]
    rgb = draw(tmp_path, np.zeros((40, 40, 3), np.uint8), [], make_scene([fixed(az, d) for az, d in placed]))
    reach = map_reach([d for _, d in placed])
    for i, (az, d) in enumerate(placed):
        assert has_colour_near(rgb, map_pixel(az, d, reach), TAB10[i], within=1)


def test_elevated_source_is_drawn_at_its_horizontal_distance(tmp_path):
    scene = make_scene([fixed(0.0, 10.0, elevation=60.0)])  # 5 m ahead, 8.7 m up
    rgb = draw(tmp_path, np.zeros((40, 40, 3), np.uint8), [], scene)
    assert has_colour_near(rgb, map_pixel(0.0, 5.0, map_reach([5.0])), TAB10[0], within=1)


def test_moving_source_path_is_drawn_from_start_to_end(tmp_path):
    keys = [
        {"t": 0.0, "azimuth": 60.0, "elevation": 0.0, "distance": 8.0},
        {"t": 4.0, "azimuth": -60.0, "elevation": 0.0, "distance": 8.0},
    ]
    scene = make_scene([{"trajectory": keys}, fixed(180.0, 2.0)], duration=4.0)
    rgb = draw(tmp_path, np.zeros((40, 40, 3), np.uint8), [], scene)
    reach = map_reach([8.0, 2.0])
    colour = TAB10[0]
    assert dot_at(rgb, map_pixel(60.0, 8.0, reach), colour)
    for az in (30.0, 0.0, -30.0, -60.0):  # along the great circle, to the end (no dot there)
        assert has_colour_near(rgb, map_pixel(az, 8.0, reach), colour)
    assert not dot_at(rgb, map_pixel(-60.0, 8.0, reach), colour)


def test_mask_is_tinted_inside_its_box_and_the_box_outlined(tmp_path):
    height, width = 300, 400
    image = np.full((height, width, 3), 128, np.uint8)
    mask = np.zeros((height // 2, width // 2), bool)  # masks live on a smaller working picture
    mask[30:90, 40:120] = True  # picture pixels x 80..240, y 60..180
    second = np.zeros((height // 2, width // 2), bool)
    second[100:140, 140:190] = True  # picture pixels x 280..380, y 200..280
    drafts = [draft((80, 60, 240, 180), mask, "object"), draft((280, 200, 380, 280), second, "ambience")]
    scene = make_scene([fixed(10.0, 3.0), fixed(-20.0, 30.0)])
    rgb = draw(tmp_path, image, drafts, scene).astype(int)
    scale, ox, oy, _, _ = picture_placement(width, height)

    def at(x, y):
        return rgb[oy + int(y * scale), ox + int(x * scale)]

    for (x, y), colour, alpha in (((200, 160), TAB10[0], 0.4), ((350, 260), TAB10[1], 0.2)):
        expected = np.round(128 * (1 - alpha) + np.array(colour) * alpha)
        assert np.all(np.abs(at(x, y) - expected) <= 1)
    assert np.all(at(60, 250) == 128)  # outside every mask: the picture itself
    assert np.all(at(300, 100) == 128)
    # the box outline in the source's colour on its right edge, halfway down
    edge = rgb[oy + int(120 * scale), ox + int(240 * scale) - 2 : ox + int(240 * scale) + 2]
    assert any(np.all(px == TAB10[0]) for px in edge)
    # the label box in its top-left corner: the colour at 75 % over the tinted picture
    tinted = 128 * 0.6 + np.array(TAB10[0]) * 0.4
    label = np.round(tinted * (1 - LABEL_ALPHA) + np.array(TAB10[0]) * LABEL_ALPHA)
    corner = rgb[oy + int(60 * scale) + 5, ox + int(80 * scale) + 5]
    assert np.all(np.abs(corner - label) <= 2)


@pytest.mark.parametrize(
    "image",
    [
        np.full((120, 160), 90, np.uint8),  # greyscale
        np.full((120, 160, 1), 90, np.uint8),
        np.full((120, 160, 4), 90, np.uint8),  # RGBA
        np.full((120, 160, 3), 90 * 257, np.uint16),  # 16-bit
        np.full((120, 160, 3), 90 / 255, np.float32),  # floats in [0, 1]
    ],
    ids=["grey", "grey1", "rgba", "uint16", "float"],
)
def test_any_picture_type_is_drawn_as_rgb(tmp_path, image):
    rgb = draw(tmp_path, image, [draft((10, 10, 50, 50))], make_scene([fixed(0.0, 2.0)]))
    _, ox, oy, w, h = picture_placement(160, 120)
    assert np.all(rgb[oy + h - 3, ox + w // 2] == 90)


@pytest.mark.parametrize("size", [(256, 2048), (1000, 100), (2, 3), (1024, 2048)])
def test_wide_tall_and_tiny_pictures_fit_the_left_panel(tmp_path, size):
    height, width = size
    image = np.zeros((height, width, 3), np.uint8)
    image[..., 1] = 250
    rgb = draw(tmp_path, image, [draft((0, 0, width, height))], make_scene([fixed(0.0, 2.0)]))
    _, ox, oy, w, h = picture_placement(width, height)
    bx0, by0, bx1, by1 = PICTURE_BOX
    assert bx0 <= ox and ox + w <= bx1 and by0 <= oy and oy + h <= by1
    assert max(w / (bx1 - bx0), h / (by1 - by0)) > 0.99  # fills the panel along its limiting side
    assert rgb[oy + h // 2, ox + w // 2][1] == 250


def test_drafts_without_masks_and_more_sources_than_drafts(tmp_path):
    """Later video frames keep no masks; a scene may hold sources the drafts do not cover."""
    image = np.full((90, 160, 3), 60, np.uint8)
    drafts = [draft((10, 10, 80, 60), None), draft((90, 20, 150, 80), np.zeros((0, 0), bool))]
    scene = make_scene([fixed(az, 4.0) for az in (40.0, 0.0, -40.0)] + [fixed(0.0, 1.0) for _ in range(9)])
    rgb = draw(tmp_path, image, drafts, scene)
    _, ox, oy, w, h = picture_placement(160, 90)
    assert np.all(rgb[oy + h - 5, ox + w // 2] == 60)  # nothing tinted
    reach = map_reach([4.0, 1.0])
    assert has_colour_near(rgb, map_pixel(-40.0, 4.0, reach), TAB10[2], within=1)


def test_same_input_gives_identical_bytes_without_metadata(tmp_path):
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (200, 300, 3), dtype=np.uint8)
    mask = np.zeros((200, 300), bool)
    mask[50:150, 100:200] = True
    keys = [
        {"t": 0.0, "azimuth": 80.0, "elevation": 5.0, "distance": 4.0},
        {"t": 2.0, "azimuth": -10.0, "elevation": 0.0, "distance": 12.0},
    ]
    scene = make_scene([fixed(20.0, 6.0), {"trajectory": keys}])
    drafts = [draft((100, 50, 200, 150), mask), draft((0, 0, 60, 40))]
    write_preview(tmp_path / "a.png", image, drafts, scene)
    write_preview(tmp_path / "b.png", image, drafts, scene)
    data = (tmp_path / "a.png").read_bytes()
    assert data == (tmp_path / "b.png").read_bytes()
    assert b"tEXt" not in data and b"iTXt" not in data and b"zTXt" not in data  # no Software chunk


def test_picture_that_is_not_an_image_is_refused_in_one_line(tmp_path):
    scene = make_scene([fixed(0.0, 2.0)])
    for bad in (np.zeros((10,), np.uint8), np.zeros((0, 10, 3), np.uint8), np.zeros((4, 4, 3), complex)):
        with pytest.raises(See2SoundError, match="preview") as info:
            write_preview(tmp_path / "p.png", bad, [], scene)
        assert "\n" not in str(info.value)
    assert not (tmp_path / "p.png").exists()


def test_drawing_the_preview_imports_no_plotting_library(tmp_path):
    script = textwrap.dedent(
        f"""
        import sys
        import numpy as np
        from see2sound.pipeline.analyze import write_preview
        from see2sound.scene import Scene
        scene = Scene.from_dict({{"version": 1, "duration": 2.0, "sources": [
            {{"id": "s0", "label": "dog", "position": {{"azimuth": 30, "elevation": 0, "distance": 3}}}}]}})
        write_preview({str(tmp_path / "p.png")!r}, np.zeros((48, 64, 3), np.uint8), [], scene)
        print(sorted(m for m in sys.modules if m.split(".")[0] in ("matplotlib", "pylab")))
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
    assert (tmp_path / "p.png").exists()


def test_without_a_scalable_font_the_bitmap_font_is_used(tmp_path, monkeypatch):
    """Pillow 10.0 has no ``load_default(size=...)``: the preview still draws, with the bitmap font."""
    from PIL import ImageFont

    from see2sound.pipeline import preview

    def old_load_default(**kwargs):  # Pillow 10.0: no size, always the bitmap font
        if kwargs:
            raise TypeError("load_default() got an unexpected keyword argument 'size'")
        return ImageFont.load_default_imagefont()

    monkeypatch.setattr(ImageFont, "load_default", old_load_default)
    preview._font.cache_clear()
    try:
        assert type(preview._font(11)) is ImageFont.ImageFont  # the bitmap font
        image = np.full((60, 80, 3), 30, np.uint8)
        rgb = draw(tmp_path, image, [draft((5, 5, 40, 40))], make_scene([fixed(90.0, 5.0)]))
    finally:
        preview._font.cache_clear()
    assert dot_at(rgb, map_pixel(90.0, 5.0, map_reach([5.0])), TAB10[0])

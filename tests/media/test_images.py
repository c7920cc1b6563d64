"""Still images and animations: pixels as a viewer shows them, EXIF field of view, real frame delays."""

from __future__ import annotations

import struct
import zlib
from math import atan, degrees

import numpy as np
import pytest
from PIL import Image

from see2sound.errors import MediaError
from see2sound.media import iter_frames, open_media, read_image
from see2sound.media.info import hfov_from_focal_35mm

RED, BLUE = (255, 0, 0), (0, 0, 255)


def two_band_image(width=40, height=20) -> Image.Image:
    """Top half red, bottom half blue."""
    data = np.zeros((height, width, 3), np.uint8)
    data[: height // 2] = RED
    data[height // 2 :] = BLUE
    return Image.fromarray(data)


def exif_with(orientation: int | None = None, focal_35mm: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if focal_35mm is not None:
        exif.get_ifd(0x8769)[0xA405] = focal_35mm
    return exif


def is_colour(pixel, colour, tol=40) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - np.array(colour)) < tol))


# --- orientation and field of view -------------------------------------------------------------------


def test_exif_orientation_6_rotates_clockwise(tmp_path):
    # Orientation 6: the stored top row is shown on the right (rotate 90° clockwise to display).
    path = tmp_path / "rot6.jpg"
    two_band_image().save(path, quality=95, exif=exif_with(orientation=6))
    image, info = read_image(path)
    assert image.shape == (40, 20, 3)
    assert (info.width, info.height) == (20, 40)
    assert is_colour(image[20, 17], RED) and is_colour(image[20, 2], BLUE)


def test_exif_orientation_3_turns_upside_down(tmp_path):
    path = tmp_path / "rot3.jpg"
    two_band_image().save(path, quality=95, exif=exif_with(orientation=3))
    image, _ = read_image(path)
    assert image.shape == (20, 40, 3)
    assert is_colour(image[18, 20], RED) and is_colour(image[1, 20], BLUE)


def test_hfov_from_35mm_focal_length(tmp_path):
    path = tmp_path / "f24.jpg"
    two_band_image(60, 40).save(path, exif=exif_with(focal_35mm=24))
    info = open_media(path)
    assert info.focal_length_35mm == 24
    assert info.hfov == pytest.approx(degrees(2 * atan(36 / 48)), abs=1e-9)  # 73.74°


def test_hfov_portrait_uses_the_short_side(tmp_path):
    # A portrait (orientation 6) picture: horizontal extent is 36 mm · width/height.
    path = tmp_path / "portrait.jpg"
    two_band_image(60, 40).save(path, exif=exif_with(orientation=6, focal_35mm=24))
    info = open_media(path)
    assert (info.width, info.height) == (40, 60)
    assert info.hfov == pytest.approx(degrees(2 * atan(36 * 40 / 60 / 48)), abs=1e-9)
    assert info.hfov == pytest.approx(hfov_from_focal_35mm(24, 40, 60))


def test_no_exif_means_no_hfov(tmp_path):
    path = tmp_path / "plain.png"
    two_band_image().save(path)
    assert open_media(path).hfov is None


# --- pixel formats -------------------------------------------------------------------------------------


def test_16bit_greyscale_is_scaled_to_8_bits(tmp_path):
    path = tmp_path / "grey16.png"
    data = np.array([[0, 32896, 65535, 257]], dtype=np.uint16).repeat(4, axis=0)
    Image.fromarray(data).save(path)
    image, _ = read_image(path)
    assert image.dtype == np.uint8 and image.shape == (4, 4, 3)
    assert image[0, :, 0].tolist() == [0, 128, 255, 1]
    assert np.all(image[..., 0] == image[..., 2])


def test_palette_with_transparency_is_composited_on_white(tmp_path):
    path = tmp_path / "pal.png"
    im = Image.new("P", (8, 8), 0)
    im.putpalette([0, 0, 0, 255, 0, 0] + [0] * 762)
    im.paste(1, (0, 0, 4, 8))
    im.info["transparency"] = 0
    im.save(path, transparency=0)
    image, _ = read_image(path)
    assert is_colour(image[4, 1], RED, 2) and is_colour(image[4, 6], (255, 255, 255), 2)


def test_half_transparent_rgba_blends_with_white(tmp_path):
    path = tmp_path / "rgba.png"
    Image.new("RGBA", (4, 4), (0, 0, 0, 128)).save(path)
    image, _ = read_image(path)
    assert abs(int(image[0, 0, 0]) - 127) <= 1


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    path = tmp_path / "cmyk.jpg"
    Image.new("CMYK", (16, 16), (0, 255, 255, 0)).save(path, quality=95)  # pure red ink-wise
    image, _ = read_image(path)
    assert image.shape == (16, 16, 3)
    assert is_colour(image[8, 8], RED, 30)


@pytest.mark.parametrize("suffix", [".bmp", ".tiff", ".webp", ".png", ".gif"])
def test_common_formats_read_back(tmp_path, suffix):
    path = tmp_path / f"img{suffix}"
    two_band_image().save(path, **({"lossless": True} if suffix == ".webp" else {}))
    image, info = read_image(path)
    assert info.kind == "image" and image.shape == (20, 40, 3)
    assert is_colour(image[2, 5], RED, 10) and is_colour(image[17, 5], BLUE, 10)


def test_greyscale_and_bilevel(tmp_path):
    for mode, value in (("L", 77), ("1", 1)):
        path = tmp_path / f"{mode}.png"
        Image.new(mode, (5, 3), value).save(path)
        image, _ = read_image(path)
        assert image.shape == (3, 5, 3)
        assert int(image[1, 1, 0]) == (77 if mode == "L" else 255)


# --- 360° ----------------------------------------------------------------------------------------------

GPANO = (
    '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    '<rdf:Description xmlns:GPano="http://ns.google.com/photos/1.0/panorama/" '
    'GPano:ProjectionType="equirectangular"/></rdf:RDF></x:xmpmeta>'
)


def test_equirect_needs_2_to_1_and_metadata(tmp_path):
    pano = tmp_path / "pano.jpg"
    Image.new("RGB", (200, 100)).save(pano, xmp=GPANO.encode())
    assert open_media(pano).projection == "equirect"
    assert open_media(pano).hfov is None
    plain = tmp_path / "plain21.jpg"
    Image.new("RGB", (200, 100)).save(plain)
    assert open_media(plain).projection == "perspective"
    not21 = tmp_path / "not21.jpg"
    Image.new("RGB", (160, 100)).save(not21, xmp=GPANO.encode())
    assert open_media(not21).projection == "perspective"


# --- animations ----------------------------------------------------------------------------------------

LEVELS = (0, 50, 100, 150, 200, 250)


def make_gif(path, delays_ms, loop=0, size=(16, 12)):
    frames = [Image.new("RGB", size, (v, v, v)) for v in LEVELS[: len(delays_ms)]]
    kwargs = {} if loop is None else {"loop": loop}
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=list(delays_ms), **kwargs)
    return path


def test_gif_delays_follow_the_browser_rule(tmp_path):
    path = make_gif(tmp_path / "a.gif", [100, 200, 50, 0, 10, 20])
    info = open_media(path)
    assert info.kind == "animation" and info.n_frames == 6
    assert info.frame_delays == pytest.approx((0.1, 0.2, 0.05, 0.1, 0.1, 0.02))
    assert info.duration == pytest.approx(0.57)
    assert info.loop_count == 0


@pytest.mark.parametrize(("loop", "plays"), [(0, 0), (2, 3), (None, 1)])
def test_gif_loop_count_as_plays(tmp_path, loop, plays):
    assert open_media(make_gif(tmp_path / "l.gif", [100, 100], loop=loop)).loop_count == plays


def test_gif_frames_sampled_by_real_delays(tmp_path):
    path = make_gif(tmp_path / "a.gif", [100, 200, 50, 150])  # starts 0, .1, .3, .35; one loop 0.5 s
    frames = list(iter_frames(path, fps=20))
    assert [round(f.time_s, 3) for f in frames] == [round(k * 0.05, 3) for k in range(10)]
    shown = [int(f.image[0, 0, 0]) for f in frames]
    assert shown == [0, 0, 50, 50, 50, 50, 100, 150, 150, 150]
    assert all(f.source_time_s <= f.time_s + 1e-9 for f in frames)


def test_every_animation_frame_when_fps_is_none(tmp_path):
    path = make_gif(tmp_path / "a.gif", [100, 200, 50])
    frames = list(iter_frames(path, fps=None))
    assert [f.time_s for f in frames] == pytest.approx([0.0, 0.1, 0.3])


@pytest.mark.parametrize("suffix", [".png", ".webp"])
def test_apng_and_webp_animations(tmp_path, suffix):
    path = tmp_path / f"anim{suffix}"
    frames = [Image.new("RGB", (16, 12), (v, v, v)) for v in (0, 100, 200)]
    frames[0].save(
        path,
        save_all=True,
        append_images=frames[1:],
        duration=[100, 300, 200],
        loop=0,
        **({"lossless": True} if suffix == ".webp" else {}),
    )
    info = open_media(path)
    assert info.kind == "animation"
    assert info.frame_delays == pytest.approx((0.1, 0.3, 0.2))
    assert info.loop_count == 0


def test_still_image_is_one_frame_at_zero_and_bounded(tmp_path):
    path = tmp_path / "big.png"
    two_band_image(400, 100).save(path)
    frames = list(iter_frames(path, fps=4, max_size=100))
    assert len(frames) == 1 and frames[0].time_s == 0.0
    assert frames[0].image.shape == (25, 100, 3)


# --- bad input -----------------------------------------------------------------------------------------


def test_empty_file(tmp_path):
    path = tmp_path / "empty.jpg"
    path.write_bytes(b"")
    with pytest.raises(MediaError, match="empty.jpg: file is empty"):
        read_image(path)


def test_truncated_jpeg(tmp_path):
    path = tmp_path / "cut.jpg"
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(MediaError, match="cut.jpg: corrupt image data"):
        read_image(path)


def test_jpeg_with_garbage_header(tmp_path):
    path = tmp_path / "garbage.jpg"
    path.write_bytes(b"\xff\xd8\xff\xe0" + b"\x00" * 10 + b"not really a jpeg" * 10)
    with pytest.raises(MediaError, match="garbage.jpg"):
        read_image(path)


def test_text_file_named_jpg(tmp_path):
    path = tmp_path / "notes.jpg"
    path.write_text("hello, I am text\n")
    with pytest.raises(MediaError, match="notes.jpg: not a readable image"):
        open_media(path)


def giant_png(path, width, height):
    """A tiny PNG whose header claims ``width × height`` (a decompression bomb's header)."""
    Image.new("1", (8, 8)).save(path)
    data = bytearray(path.read_bytes())
    ihdr = data.index(b"IHDR")
    struct.pack_into(">II", data, ihdr + 4, width, height)
    struct.pack_into(">I", data, ihdr + 17, zlib.crc32(bytes(data[ihdr : ihdr + 17])) & 0xFFFFFFFF)
    path.write_bytes(bytes(data))
    return path


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    path = giant_png(tmp_path / "bomb.png", 40000, 40000)
    with pytest.raises(MediaError, match=r"bomb.png: .*decompression bomb"):
        open_media(path)
    with pytest.raises(MediaError, match="decompression bomb"):
        next(iter_frames(path))


def test_pixel_limit_is_adjustable(tmp_path):
    path = tmp_path / "small.png"
    Image.new("RGB", (100, 100)).save(path)
    with pytest.raises(MediaError, match="over the limit"):
        read_image(path, max_pixels=5000)


def test_non_ascii_path(tmp_path):
    path = tmp_path / "Straße ünïcødé 音.png"
    two_band_image().save(path)
    image, info = read_image(path)
    assert image.shape == (20, 40, 3) and info.path == path
    bad = tmp_path / "Straße 音.jpg"
    bad.write_text("x")
    with pytest.raises(MediaError, match="Straße 音.jpg"):
        read_image(bad)


def test_bad_analysis_fps(tmp_path):
    path = tmp_path / "a.png"
    two_band_image().save(path)
    for fps in (0, -1, 1e6):
        with pytest.raises(MediaError, match="analysis frame rate"):
            next(iter_frames(path, fps=fps))


def test_a_huge_picture_is_decoded_at_a_reduced_size_close_to_the_full_decode(tmp_path):
    """A picture far larger than the analysis needs is reduced while decoding (a 13,000-pixel PNG then costs
    one decoded copy instead of four: 0.79 GB instead of 2.4 GB peak); what analysis sees barely changes."""
    from see2sound.media.images import read_image
    from see2sound.media.probe import iter_frames, resize_image

    rng = np.random.default_rng(1)
    small = rng.integers(0, 256, (60, 120, 3), dtype=np.uint8)
    big = np.repeat(np.repeat(small, 80, axis=0), 80, axis=1)  # 4800 x 9600, blocky
    Image.fromarray(big).save(tmp_path / "big.png", compress_level=1)
    reduced, info = read_image(tmp_path / "big.png", max_size=1024)
    assert (info.width, info.height) == (9600, 4800)
    assert reduced.shape[1] < 9600 / 2  # not decoded whole into the array
    frame = next(iter(iter_frames(tmp_path / "big.png", max_size=1024))).image
    full = resize_image(read_image(tmp_path / "big.png")[0], 1024)
    assert frame.shape == full.shape
    assert np.abs(frame.astype(int) - full.astype(int)).mean() < 2.0

"""``preview.png``: the analysed picture with each source's region, and a top-down map of the sources.

Drawn with Pillow alone (no plotting library: importing one costs more than the whole drawing), so the
same input gives the same bytes. Left panel: the picture with each source's mask tinted, its box, and a
label ``id label / sound class, role / az … el … distance m / evidence`` (the detector's score against
the score it needed, or the scene part and its confidence); the horizon as a dashed line; the kind of
picture in the panel's title; detections that were not trusted as thin grey boxes. Right panel: the
listener seen from above, forward up and left to the left (DESIGN §2), each source's path with a dot
where it starts, the radius on a log scale ``log(1 + metres)`` so that a cup at 30 cm and the sky at
300 m both show.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from ..errors import See2SoundError

# matplotlib's "tab10" palette (Tableau 10), the colours of source 0, 1, 2, ... in both panels
TAB10 = (
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
)
PREVIEW_SIZE = (1200, 550)  # width, height of preview.png, pixels
PICTURE_BOX = (10, 28, 720, 540)  # x0, y0, x1, y1: the picture is fitted inside, keeping its aspect
MAP_BOX = (755, 58, 1185, 488)  # the square top-down map
MAP_TICKS_M = (1, 3, 10, 30, 100, 300)
PATH_POINTS = 50  # points along a moving source's path over the scene's duration
MASK_ALPHA = {"object": 0.4}  # other kinds (ambience): OTHER_MASK_ALPHA
OTHER_MASK_ALPHA = 0.2
LABEL_ALPHA = 0.75
AXIS_GREY = (217, 217, 217)
TEXT_PX, TITLE_PX, TICK_PX = 11, 13, 13  # font sizes (8, 9 and 10 pt at 100 dpi)


def write_preview(
    path: str | os.PathLike, image: np.ndarray, drafts: list, scene, picture=None, dropped=None
) -> None:
    """Draw ``preview.png``: the picture with each source's mask, box, label and az/el/distance, and a
    top-down map of the sources.

    Parameters
    ----------
    path : path
        Where to write the PNG (written as PNG whatever its suffix; zlib level 1, no metadata).
    image : ndarray
        The analysed picture, ``(H, W, 3)`` RGB ``uint8`` (greyscale, RGBA, other integer types and
        floats in [0, 1] are converted).
    drafts : list of SourceDraft
        The vision stage's sources in scene order: ``bbox`` in pixels of ``image``, ``kind``, and
        ``region.mask`` (any size, stretched over the picture; ``None`` for later video frames).
    scene : Scene
        The scene written from them: ids, labels, positions or trajectories, duration.
    picture : PictureKind, optional
        The kind of picture (default: the one the drafts' regions carry, if any): its name goes in a
        corner and its horizon row (pixels of ``image``) is drawn.
    dropped : list of dict, optional
        Detections that failed trust (``label``, ``score``, ``threshold``, ``box`` in pixels of ``image``).
    """
    from PIL import Image, ImageDraw

    canvas = Image.new("RGB", PREVIEW_SIZE, (255, 255, 255))
    draw = ImageDraw.Draw(canvas, "RGBA")
    if picture is None:
        picture = next((d.region.extra.get("picture") for d in drafts if _extra(d).get("picture")), None)
    _draw_picture(canvas, draw, _as_rgb8(image), drafts, scene, picture, dropped or [])
    _draw_map(draw, scene)
    # fast zlib level: a few times faster than the default for a slightly larger file
    canvas.save(path, format="PNG", compress_level=1)


def _extra(draft) -> dict:
    return getattr(getattr(draft, "region", None), "extra", None) or {}


def _evidence_line(draft) -> str:
    """``score 0.68 >= 0.55`` for a detection, ``part 0.92`` for a scene part, else empty."""
    ev = getattr(draft, "evidence", None) or {}
    if ev.get("score") is not None:
        threshold = ev.get("threshold")
        return f"score {ev['score']:.2f}" + (f" >= {threshold:.2f}" if threshold is not None else "")
    if ev.get("part"):
        return f"{ev['part']} {float(ev.get('part_confidence', 0.0)):.2f}"
    return ""


def _draw_picture(canvas, draw, image: np.ndarray, drafts: list, scene, kind, dropped) -> None:
    from PIL import Image, ImageDraw

    h, w = image.shape[:2]
    bx0, by0, bx1, by1 = PICTURE_BOX
    scale = min((bx1 - bx0) / w, (by1 - by0) / h)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    picture = _shrink(image, size)
    tinted = _tint(picture, [(d, TAB10[i % 10]) for i, d in enumerate(drafts)])
    panel = Image.fromarray(tinted)
    pen = ImageDraw.Draw(panel, "RGBA")  # drawn on the panel: boxes and labels end at its edges
    sx, sy = size[0] / w, size[1] / h
    font = _font(TEXT_PX)
    horizon = getattr(kind, "horizon_row", None)
    if horizon is not None and 0 <= horizon < h:
        y = (horizon + 0.5) * sy
        for x in range(0, size[0], 12):  # dashed
            pen.line([(x, y), (min(x + 7, size[0]), y)], fill=(255, 255, 255, 220), width=1)
        pen.text((size[0] - 4, y - 2), "horizon", fill=(255, 255, 255, 230), font=font, anchor="rd")
    for item in dropped:
        x0, y0, x1, y1 = (float(v) for v in item["box"])
        pen.rectangle(
            [x0 * sx, y0 * sy, max(x0, x1) * sx, max(y0, y1) * sy], outline=(160, 160, 160), width=1
        )
        # the verdict's last reason: the score against the bar, or the missing context ("no sky around it")
        why = (item.get("reasons") or [f"score {item['score']:.2f} < {item['threshold']:.2f}"])[-1]
        note = f"{item['label']}: {why} (not trusted)"
        pen.text((x0 * sx + 3, max(y1 * sy - 3, 0)), note, fill=(200, 200, 200), font=font, anchor="ld")
    for i, (draft, src) in enumerate(zip(drafts, scene.sources, strict=False)):
        colour = TAB10[i % 10]
        x0, y0, x1, y1 = (float(v) for v in draft.bbox)
        pen.rectangle([x0 * sx, y0 * sy, max(x0, x1) * sx, max(y0, y1) * sy], outline=colour, width=2)
        az, el, dist = src.direction_at(0.0)
        sound = getattr(src, "sound_class", None) or getattr(draft, "sound_class", "")
        role = getattr(src, "role", None) or getattr(draft, "role", None)
        lines = [f"{src.id} {src.label}", f"{sound}{', ' + role if role else ''}"]
        lines.append(f"az {az:.0f}° el {el:.0f}° {dist:.1f} m")
        evidence = _evidence_line(draft)
        if evidence:
            lines.append(evidence)
        text = "\n".join(lines)
        left, top, right, bottom = pen.multiline_textbbox((0, 0), text, font=font, spacing=2)
        pad = 3
        box_w, box_h = right - left + 2 * pad, bottom - top + 2 * pad
        # inside the box's top-left corner, moved in where the box touches the picture's edge
        bx = min(max(x0 * sx + 3, 0), max(size[0] - box_w, 0))
        by = min(max(y0 * sy + 3, 0), max(size[1] - box_h, 0))
        pen.rectangle([bx, by, bx + box_w - 1, by + box_h - 1], fill=(*colour, round(255 * LABEL_ALPHA)))
        pen.multiline_text((bx + pad - left, by + pad - top), text, fill="white", font=font, spacing=2)
    ox = bx0 + (bx1 - bx0 - size[0]) // 2
    oy = by0 + (by1 - by0 - size[1]) // 2
    canvas.paste(panel, (ox, oy))
    title = "sources (mask, box, label, sound, azimuth / elevation / distance, evidence)"
    if kind is not None:  # the kind of picture heads the panel
        title = f"{kind.kind} ({kind.confidence:.2f}), {'outdoor' if kind.outdoor else 'indoor'}"
        title += ", night" if getattr(kind, "night", False) else ""
        title += ": sources (box, label, sound, az / el / distance, evidence)"
    _text(draw, (ox + size[0] / 2, oy - 5), title, _font(TITLE_PX), (0, 0, 0), "mb")


def _tint(picture: np.ndarray, drafts_colours: list) -> np.ndarray:
    """``picture`` with each draft's mask (stretched over it, nearest pixel) blended in its colour;
    where masks overlap the later one shows, as in one RGBA overlay."""
    from PIL import Image

    size = (picture.shape[1], picture.shape[0])
    index = np.zeros(picture.shape[:2], dtype=np.uint8)
    colours = np.zeros((len(drafts_colours) + 1, 3))
    alphas = np.zeros(len(drafts_colours) + 1)
    for i, (draft, colour) in enumerate(drafts_colours, start=1):
        mask = getattr(getattr(draft, "region", None), "mask", None)  # later video frames keep none
        if mask is None or np.ndim(mask) != 2 or 0 in np.shape(mask):
            continue
        grey = Image.fromarray(np.asarray(mask, dtype=bool).astype(np.uint8) * 255)
        if grey.size != size:
            grey = grey.resize(size, Image.Resampling.NEAREST)
        index[np.asarray(grey) > 127] = i
        colours[i] = colour
        alphas[i] = MASK_ALPHA.get(getattr(draft, "kind", None), OTHER_MASK_ALPHA)
    if not index.any():
        return picture
    alpha = alphas[index][..., None]
    blended = picture * (1.0 - alpha) + colours[index] * alpha
    return np.round(blended).astype(np.uint8)


def _draw_map(draw, scene) -> None:
    """Top view: forward (+x) up, left (+y) to the left; radius log(1 + metres) in the horizontal plane."""
    paths = []
    reach = float(np.log1p(1.0))
    for src in scene.sources:
        times = np.linspace(0.0, float(scene.duration), PATH_POINTS) if src.is_moving else [0.0]
        dirs, dist = src.positions_at(times)
        horizontal = np.hypot(dirs[:, 0], dirs[:, 1])
        radius = np.log1p(dist * horizontal)
        x = np.where(horizontal > 0, dirs[:, 0] / np.maximum(horizontal, 1e-9), 0) * radius
        y = np.where(horizontal > 0, dirs[:, 1] / np.maximum(horizontal, 1e-9), 0) * radius
        paths.append((-y, x))  # (right, forward): plot coordinates
        reach = max(reach, float(np.max(np.hypot(x, y))))
    reach *= 1.15
    mx0, my0, mx1, my1 = MAP_BOX
    cx, cy, half = (mx0 + mx1) / 2, (my0 + my1) / 2, (mx1 - mx0) / 2

    def to_px(right, forward):
        return cx + np.asarray(right) / reach * half, cy - np.asarray(forward) / reach * half

    black = (0, 0, 0)
    draw.line([(mx0, cy), (mx1, cy)], fill=AXIS_GREY, width=1)
    draw.line([(cx, my0), (cx, my1)], fill=AXIS_GREY, width=1)
    draw.rectangle([mx0, my0, mx1, my1], outline=black, width=1)
    ticks = [t for t in MAP_TICKS_M if np.log1p(t) <= reach]
    tick_font = _font(TICK_PX)
    for value, text in (
        [(-np.log1p(t), str(t)) for t in ticks[::-1]] + [(0.0, "0")] + [(np.log1p(t), str(t)) for t in ticks]
    ):
        px, _ = to_px(value, 0.0)
        draw.line([(px, my1), (px, my1 + 4)], fill=black, width=1)
        _text(draw, (px, my1 + 7), text, tick_font, black, "mt")
    for t in ticks:
        _, py = to_px(0.0, np.log1p(t))
        draw.line([(mx0 - 4, py), (mx0, py)], fill=black, width=1)
        _text(draw, (mx0 - 7, py), str(t), tick_font, black, "rm")
    _caption(draw, (cx, my1 + 30), tick_font)
    _text(draw, (cx, my0 - 6), "top view (forward is up)", _font(TITLE_PX), black, "mb")
    # the listener: a triangle pointing forward
    draw.polygon([(cx, cy - 7), (cx - 6, cy + 5), (cx + 6, cy + 5)], fill=black)
    font = _font(TEXT_PX)
    _text(draw, (cx + 10, cy), "listener", font, black, "lm")
    for i, (src, (right, forward)) in enumerate(zip(scene.sources, paths, strict=True)):
        colour = TAB10[i % 10]
        px, py = to_px(right, forward)
        if len(px) > 1:
            draw.line(list(zip(px.tolist(), py.tolist(), strict=True)), fill=colour, width=2, joint="curve")
        x0, y0 = float(px[0]), float(py[0])
        draw.ellipse([x0 - 4, y0 - 4, x0 + 4, y0 + 4], fill=colour)
        label = f"{src.id} {src.label}"
        width = _text_size(draw, label, font)[0]
        if x0 + 7 + width <= PREVIEW_SIZE[0] - 2:
            _text(draw, (x0 + 7, y0), label, font, colour, "lm")
        else:  # no room on the right of the dot: on its left
            _text(draw, (x0 - 7, y0), label, font, colour, "rm")


def _caption(draw, centre: tuple[float, float], font) -> None:
    """``← left     metres (log scale)     right →`` centred on ``centre`` (the arrows are drawn: the
    embedded font has no arrow glyphs)."""
    text = "left     metres (log scale)     right"
    arrow, gap = 14, 5
    width = _text_size(draw, text, font)[0]
    x0 = centre[0] - (width + 2 * (arrow + gap)) / 2
    y = centre[1]
    _text(draw, (x0 + arrow + gap, y), text, font, (0, 0, 0), "lm")
    for tail, tip in ((x0 + arrow, x0), (x0 + arrow + gap + width + gap, x0 + 2 * (arrow + gap) + width)):
        back = 4 if tip > tail else -4
        draw.line([(tail, y), (tip, y)], fill=(0, 0, 0), width=1)
        draw.line([(tip - back, y - 3), (tip, y), (tip - back, y + 3)], fill=(0, 0, 0), width=1)


def _text(draw, xy: tuple[float, float], text: str, font, fill, anchor: str) -> None:
    """``text`` placed by ``anchor`` (horizontal l/m/r, vertical t/m/b of its ink box), measured here so
    that it works with FreeType and bitmap fonts alike."""
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    x = xy[0] - {"l": left, "m": (left + right) / 2, "r": right}[anchor[0]]
    y = xy[1] - {"t": top, "m": (top + bottom) / 2, "b": bottom}[anchor[1]]
    draw.text((round(x), round(y)), text, fill=fill, font=font)


def _text_size(draw, text: str, font) -> tuple[int, int]:
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    return right - left, bottom - top


@functools.lru_cache(maxsize=8)
def _font(size_px: int):
    """Pillow's embedded scalable font (Pillow >= 10.1 with FreeType), else its small bitmap font."""
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size_px)
    except (TypeError, OSError, ImportError):
        return ImageFont.load_default()


def _as_rgb8(image: np.ndarray) -> np.ndarray:
    """``image`` as ``(H, W, 3)`` RGB ``uint8``: grey is repeated, alpha dropped, 16-bit and other
    integers scaled from their range, floats taken as [0, 1]."""
    a = np.asarray(image)
    if a.ndim == 3 and a.shape[2] in (1, 2):  # grey, grey + alpha
        a = a[..., 0]
    if a.ndim == 2:
        a = np.repeat(a[..., None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] < 3 or a.shape[0] == 0 or a.shape[1] == 0:
        raise See2SoundError(f"preview: need an (H, W, 3) picture, got an array of shape {a.shape}")
    a = a[..., :3]
    if a.dtype == np.uint8:
        return np.ascontiguousarray(a)
    if a.dtype == bool:
        return a.astype(np.uint8) * 255
    if np.issubdtype(a.dtype, np.unsignedinteger):
        return np.round(a * (255.0 / np.iinfo(a.dtype).max)).astype(np.uint8)
    if np.issubdtype(a.dtype, np.integer):
        return np.clip(a, 0, 255).astype(np.uint8)
    if np.issubdtype(a.dtype, np.floating):
        return np.round(np.clip(np.nan_to_num(a.astype(float)), 0.0, 1.0) * 255.0).astype(np.uint8)
    raise See2SoundError(f"preview: cannot draw a picture of type {a.dtype}")


def _shrink(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` (RGB ``uint8``) resized to ``size`` = (width, height) with a box filter (an area
    average when shrinking, whole pixels when enlarging)."""
    from PIL import Image

    if (image.shape[1], image.shape[0]) == tuple(size):
        return image
    return np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BOX))

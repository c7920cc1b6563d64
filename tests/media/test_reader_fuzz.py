"""Mutated media: every reader gives a result or the project's MediaError naming the file, never another
exception (seeded byte mutations of valid GIF, APNG, TIFF, PNG, MP4 and MKV files; bounded in time)."""

from __future__ import annotations

import io
from itertools import islice

import numpy as np
import pytest
from PIL import Image

from see2sound.errors import MediaError
from see2sound.media import iter_frames, open_media

from .makers import make_video, tone

MUTANTS = 60  # per file and kind of damage


def pictures(rng) -> list[Image.Image]:
    frames = []
    for i in range(4):
        a = np.full((40, 56, 3), 30 + 40 * i, np.uint8)
        a[10:30, 5 * i : 5 * i + 12] = rng.integers(0, 255, 3)
        frames.append(Image.fromarray(a))
    return frames


def seeds(tmp_path) -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    frames = pictures(rng)
    out = {}
    for name, fmt, extra in (
        (
            "anim.gif",
            "GIF",
            {"save_all": True, "append_images": frames[1:], "duration": [40, 80, 40, 120], "loop": 2},
        ),
        ("anim.png", "PNG", {"save_all": True, "append_images": frames[1:], "duration": 50}),
        ("still.tif", "TIFF", {}),
        ("still.png", "PNG", {}),
        ("still.jpg", "JPEG", {}),
    ):
        buf = io.BytesIO()
        frames[0].save(buf, format=fmt, **extra)
        out[name] = buf.getvalue()
    audio = np.stack([tone(300, 24000)] * 2)
    out["clip.mp4"] = make_video(tmp_path / "seed.mp4", n_frames=12, audio=audio, sr=48000).read_bytes()
    out["clip.mkv"] = make_video(tmp_path / "seed.mkv", n_frames=12, audio=audio, sr=48000).read_bytes()
    return out


def mutate(data: bytes, rng, how: str) -> bytes:
    b = bytearray(data)
    if how == "truncate":
        return bytes(b[: int(rng.integers(8, max(9, len(b) - 1)))])
    if how == "flip":
        for _ in range(int(rng.integers(1, 8))):
            b[int(rng.integers(0, len(b)))] = int(rng.integers(0, 256))
        return bytes(b)
    # "header": damage the first 64 bytes, where sizes, counts and delays live
    for _ in range(int(rng.integers(1, 4))):
        b[int(rng.integers(0, min(64, len(b))))] = int(
            rng.choice([0, 1, 0x7F, 0xFF, int(rng.integers(0, 256))])
        )
    return bytes(b)


@pytest.mark.parametrize("how", ["truncate", "flip", "header"])
def test_mutated_media_give_media_error_or_a_result(tmp_path, how):
    rng = np.random.default_rng({"truncate": 1, "flip": 2, "header": 3}[how])
    escaped = []
    for name, data in seeds(tmp_path).items():
        for k in range(MUTANTS):
            path = tmp_path / f"m{k}_{name}"
            path.write_bytes(mutate(data, rng, how))
            try:
                open_media(path)
                for frame in islice(iter_frames(path, fps=4.0, max_size=64), 40):
                    assert frame.image.ndim == 3 and frame.image.dtype == np.uint8
            except MediaError as exc:
                assert str(path) in str(exc)
            except Exception as exc:  # noqa: BLE001 (what escapes is the finding)
                escaped.append(f"{name} #{k}: {type(exc).__name__}: {exc}")
            path.unlink()
    assert not escaped, "\n".join(escaped[:20])

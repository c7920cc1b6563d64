"""Generate the bundled example clip and GIF (run once; the outputs are committed).

A red car drives from left to right along a road under a blue sky, 4 s at 24 fps, 480x270 H.264.
The same motion, shortened, becomes an animated GIF with uneven frame delays.
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
from PIL import Image, ImageDraw

HERE = Path(__file__).parent
W, H = 480, 270


def frame(x_centre: float) -> Image.Image:
    img = Image.new("RGB", (W, H))
    d = ImageDraw.Draw(img)
    for y in range(0, 150):  # sky gradient
        c = int(120 + 100 * y / 150)
        d.line([(0, y), (W, y)], fill=(90, 150, c))
    d.rectangle([0, 150, W, 190], fill=(70, 130, 60))  # grass verge
    d.rectangle([0, 190, W, H], fill=(60, 60, 65))  # road
    for x in range(0, W, 60):
        d.rectangle([x, 228, x + 30, 232], fill=(230, 230, 230))
    x0 = int(x_centre - 45)
    d.rectangle([x0, 185, x0 + 90, 220], fill=(200, 30, 30))  # car body
    d.rectangle([x0 + 18, 165, x0 + 70, 188], fill=(170, 25, 25))  # cabin
    d.rectangle([x0 + 24, 169, x0 + 64, 184], fill=(150, 200, 230))  # windows
    for wx in (x0 + 20, x0 + 70):
        d.ellipse([wx - 11, 210, wx + 11, 232], fill=(20, 20, 20))
    return img


def main() -> None:
    fps, seconds = 24, 4
    n = fps * seconds
    xs = np.linspace(40, W - 40, n)
    with av.open(str(HERE / "car.mp4"), "w") as out:
        stream = out.add_stream("libx264", rate=fps, options={"crf": "28", "preset": "veryslow"})
        stream.width, stream.height, stream.pix_fmt = W, H, "yuv420p"
        for x in xs:
            for packet in stream.encode(av.VideoFrame.from_image(frame(x))):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    frames = [frame(x).resize((240, 135)) for x in xs[::6]]
    delays = [120 if i % 2 else 80 for i in range(len(frames))]  # uneven delays, 1.6 s in all
    frames[0].save(HERE / "car.gif", save_all=True, append_images=frames[1:], duration=delays, loop=0)


if __name__ == "__main__":
    main()

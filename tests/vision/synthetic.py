"""Synthetic pictures with known truth, drawn in the tests (no files from elsewhere)."""

from __future__ import annotations

import numpy as np

from see2sound.vision.types import Detection

SKY = (110, 160, 230)
GRASS = (70, 140, 60)
ROAD = (105, 105, 110)


def outdoor_scene(width: int = 640, height: int = 480, ground=GRASS, horizon: float = 0.5, seed: int = 0):
    """Blue sky above a textured ground; the horizon at ``horizon`` of the height (a level camera)."""
    rng = np.random.default_rng(seed)
    image = np.zeros((height, width, 3), dtype=np.int32)
    row = int(round(horizon * height))
    gradient = np.linspace(-20, 20, row)[:, None, None]
    image[:row] = np.array(SKY)[None, None, :] + gradient + rng.integers(-2, 3, (row, width, 3))
    image[row:] = np.array(ground)[None, None, :] + rng.integers(-12, 13, (height - row, width, 3))
    return np.clip(image, 0, 255).astype(np.uint8)


def draw_box(image: np.ndarray, x0: int, y0: int, x1: int, y1: int, colour) -> None:
    image[y0:y1, x0:x1] = colour


def draw_disc(image: np.ndarray, cx: float, cy: float, radius: float, colour) -> np.ndarray:
    yy, xx = np.mgrid[0 : image.shape[0], 0 : image.shape[1]]
    mask = (xx - cx) ** 2 + (yy - cy) ** 2 <= radius**2
    image[mask] = colour
    return mask


def _noise(rng, shape, amplitude: float) -> np.ndarray:
    return rng.normal(0.0, amplitude, shape)


def sky_over_water(width: int = 480, height: int = 320, horizon: float = 0.45, seed: int = 0):
    """A clear sky (deep blue at the top, pale at the horizon) over a lake that mirrors it, a little
    darker, with horizontal ripples; the horizon at ``horizon`` of the height."""
    rng = np.random.default_rng(seed)
    row = int(round(horizon * height))
    top, pale = np.array([70.0, 120.0, 210.0]), np.array([175.0, 205.0, 240.0])
    t = np.linspace(0.0, 1.0, row)[:, None, None]
    sky = top + (pale - top) * t + np.zeros((row, width, 3))
    depth = np.linspace(0.0, 1.0, height - row)[:, None, None]
    water = 0.8 * (pale + (top - pale) * depth) + np.zeros((height - row, width, 3))
    # ripples: streaks along the rows, a few pixels tall, varying slowly along them
    streaks = np.repeat(rng.normal(0.0, 12.0, ((height - row) // 2 + 1, width // 40 + 2)), 2, axis=0)
    streaks = np.repeat(streaks, 40, axis=1)[: height - row, :width, None]
    water += streaks
    image = np.concatenate([sky, water]) + _noise(rng, (height, width, 3), 1.5)
    return np.clip(image, 0, 255).astype(np.uint8)


def grass_field(
    width: int = 480, height: int = 320, horizon: float = 0.4, colour=(75, 135, 50), seed: int = 0
):
    """A pale blue sky over a meadow of fine-textured grass (``colour`` on average)."""
    rng = np.random.default_rng(seed)
    row = int(round(horizon * height))
    image = np.zeros((height, width, 3))
    t = np.linspace(0.0, 1.0, row)[:, None, None]
    image[:row] = np.array([110.0, 160.0, 225.0]) + 40.0 * t
    blades = rng.normal(0.0, 1.0, (height - row, width, 1))
    blades = 0.6 * blades + 0.4 * np.roll(blades, 1, axis=0)  # short vertical strokes
    image[row:] = np.array(colour, dtype=float) * (1.0 + 0.25 * blades)
    image += _noise(rng, image.shape, 1.5)
    return np.clip(image, 0, 255).astype(np.uint8)


def still_life(width: int = 480, height: int = 360, colour=(200, 40, 40), seed: int = 0):
    """A plain beige wall over a wooden table, with one uniformly coloured box standing on it."""
    rng = np.random.default_rng(seed)
    row = int(0.45 * height)
    image = np.zeros((height, width, 3))
    image[:row] = np.array([205.0, 195.0, 175.0])
    grain = np.repeat(rng.normal(0.0, 8.0, (height - row, 1, 1)), width, axis=1)
    image[row:] = np.array([140.0, 95.0, 60.0]) + grain
    image += _noise(rng, image.shape, 2.0)
    draw_box(image, int(0.4 * width), int(0.3 * height), int(0.6 * width), int(0.7 * height), colour)
    image[int(0.3 * height) : int(0.7 * height), int(0.4 * width) : int(0.6 * width)] += _noise(
        rng, (int(0.7 * height) - int(0.3 * height), int(0.6 * width) - int(0.4 * width), 3), 2.0
    )
    return np.clip(image, 0, 255).astype(np.uint8)


def aerial_town(width: int = 480, height: int = 360, seed: int = 0):
    """A town seen from high above: a grid of grey streets and small roofs of many colours."""
    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 120.0)
    roofs = np.array([[170, 70, 50], [150, 150, 150], [90, 90, 100], [190, 160, 120], [60, 110, 60]])
    for y in range(1, height - 8, 10):
        for x in range(1, width - 8, 10):
            if rng.random() < 0.9:
                h, w = rng.integers(6, 10, 2)
                image[y : y + h, x : x + w] = roofs[rng.integers(len(roofs))]
    image += _noise(rng, image.shape, 4.0)
    return np.clip(image, 0, 255).astype(np.uint8)


def flat_artwork(width: int = 480, height: int = 360):
    """Clip art: flat colours with black outlines on a white background (a sun, a hill, a house)."""
    image = np.full((height, width, 3), 255, dtype=np.uint8)
    yy, xx = np.mgrid[0:height, 0:width]
    hill = (yy - height * 1.3) ** 2 / (0.8 * height) ** 2 + (xx - width / 2) ** 2 / (0.7 * width) ** 2 <= 1
    image[hill] = (90, 180, 60)
    sun = draw_disc(image, 0.8 * width, 0.2 * height, 0.08 * width, (250, 210, 40))
    draw_box(image, int(0.25 * width), int(0.4 * height), int(0.45 * width), int(0.7 * height), (200, 60, 50))
    from scipy import ndimage

    for mask in (hill, sun, np.zeros_like(hill)):
        edge = mask & ~ndimage.binary_erosion(mask, iterations=2)
        image[edge] = 0
    return image


class RedThings:
    """A stand-in detector: every red blob of the picture, reported as ``label`` at score 0.9."""

    def __init__(self, label):
        self.label = label

    def detect(self, image):
        from scipy import ndimage

        r, g, b = (image[..., c].astype(int) for c in range(3))
        blobs, n = ndimage.label((r > 180) & (g < 80) & (b < 80))
        found = []
        for sl in ndimage.find_objects(blobs):
            if (sl[0].stop - sl[0].start) * (sl[1].stop - sl[1].start) >= 50:
                box = (float(sl[1].start), float(sl[0].start), float(sl[1].stop), float(sl[0].stop))
                found.append(Detection(box, self.label, 0.9, "red"))
        return found


def stadium(width: int = 480, height: int = 360, seed: int = 0):
    """A blue sky over blue stands (rows of seats: textured, straight lines) over a green pitch with a
    blue ball on it. Returns the picture and the rows where the stands begin and end."""
    rng = np.random.default_rng(seed)
    image = np.zeros((height, width, 3))
    top, bottom = int(0.3 * height), int(0.55 * height)
    t = np.linspace(0.0, 1.0, top)[:, None, None]
    image[:top] = np.array([80.0, 140.0, 225.0]) + 40.0 * t
    image[top:bottom] = np.array([40.0, 70.0, 170.0])
    image[top:bottom:6] = (15, 20, 45)  # seat rows
    image[top:bottom, ::10] = (15, 20, 45)  # aisles and seat backs
    image[top:bottom] += rng.normal(0.0, 18.0, (bottom - top, width, 1))  # the crowd
    image[bottom:] = np.array([60.0, 140.0, 60.0]) * (
        1.0 + 0.2 * rng.normal(0.0, 1.0, (height - bottom, width, 1))
    )
    image += _noise(rng, image.shape, 1.5)
    image = np.clip(image, 0, 255).astype(np.uint8)
    draw_disc(image, 0.6 * width, 0.8 * height, 0.05 * width, (40, 90, 220))
    return image, top, bottom

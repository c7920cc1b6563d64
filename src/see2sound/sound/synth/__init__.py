"""Procedural sound synthesis: physically and perceptually motivated recipes, one per sound class.

Every recipe is ``recipe(n, sr, rng, intensity, size, density) -> (n,) float64`` and generates the
whole clip in one pass (no loops, no joins), so any duration is seamless and never repeats.
:func:`synthesize` is the entry point: it checks its arguments, runs the recipe with a pre-roll (the
clip starts in the middle of the sound, never with a filter's start-up), and levels the result.

Examples
--------
>>> from see2sound.sound.synth import synthesize
>>> y = synthesize("rain", duration=2.0, sample_rate=16000, seed=1)
>>> y.shape, y.dtype
((32000,), dtype('float32'))
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ...errors import See2SoundError
from . import ambience, animals, human, nature, vehicles, water, weather

SYNTH_VERSION = 3  # bump when a recipe changes its output: cached stems are keyed on it
PREROLL_S = 0.75
TARGET_RMS_DB = -20.0
PEAK_LIMIT = 0.891  # -1 dBFS
EDGE_FADE_S = 0.005


@dataclass(frozen=True)
class SynthClass:
    """One procedural sound class: its recipe, family and what it models."""

    name: str
    family: str
    recipe: Callable[..., np.ndarray]
    description: str
    kind: str = "texture"  # "texture" (continuous bed) or "events" (sparse calls/strikes over a quiet bed)


def _table() -> dict[str, SynthClass]:
    rows = [
        ("wind", "weather", weather.wind, "texture"),
        ("rain", "weather", weather.rain, "texture"),
        ("thunder", "weather", weather.thunder, "events"),
        ("stream", "water", water.stream, "texture"),
        ("waterfall", "water", water.waterfall, "texture"),
        ("ocean_waves", "water", water.ocean_waves, "texture"),
        ("lapping", "water", water.lapping, "texture"),
        ("water_drip", "water", water.water_drip, "events"),
        ("fire", "nature", nature.fire, "texture"),
        ("leaves", "nature", nature.leaves, "texture"),
        ("grass_wind", "nature", nature.grass_wind, "texture"),
        ("birdsong", "animals", animals.birdsong, "events"),
        ("crickets", "animals", animals.crickets, "events"),
        ("cicadas", "animals", animals.cicadas, "texture"),
        ("insects", "animals", animals.insects, "texture"),
        ("frogs", "animals", animals.frogs, "events"),
        ("pigeons", "animals", animals.pigeons, "events"),
        ("dog_bark", "animals", animals.dog_bark, "events"),
        ("cat_meow", "animals", animals.cat_meow, "events"),
        ("cow", "animals", animals.cow, "events"),
        ("sheep", "animals", animals.sheep, "events"),
        ("horse", "animals", animals.horse, "events"),
        ("crowd", "human", human.crowd, "texture"),
        ("footsteps", "human", human.footsteps, "events"),
        ("applause", "human", human.applause, "texture"),
        ("keyboard", "human", human.keyboard, "events"),
        ("voices", "human", human.voices, "events"),
        ("ball", "human", human.ball, "events"),
        ("engine_idle", "vehicles", vehicles.engine_idle, "texture"),
        ("motorcycle", "vehicles", vehicles.motorcycle, "texture"),
        ("car_pass_by", "vehicles", vehicles.car_pass_by, "events"),
        ("traffic", "vehicles", vehicles.traffic, "texture"),
        ("train", "vehicles", vehicles.train, "texture"),
        ("aircraft", "vehicles", vehicles.aircraft, "texture"),
        ("boat", "vehicles", vehicles.boat, "texture"),
        ("siren", "vehicles", vehicles.siren, "texture"),
        ("city", "places", ambience.city, "texture"),
        ("machinery", "places", ambience.machinery, "texture"),
        ("bells", "places", ambience.bells, "events"),
        ("clock", "places", ambience.clock, "events"),
        ("room_tone", "places", ambience.room_tone, "texture"),
        ("ambience", "places", ambience.ambience, "texture"),
    ]
    table = {}
    for name, family, recipe, kind in rows:
        doc = (recipe.__doc__ or "").strip().splitlines()[0]
        table[name] = SynthClass(name, family, recipe, doc, kind)
    return table


CLASSES: dict[str, SynthClass] = _table()
FALLBACK_CLASS = "ambience"


def _unit(value: float, name: str) -> float:
    value = float(value)
    if not np.isfinite(value) or not 0.0 <= value <= 1.0:
        raise See2SoundError(f"{name}: must be between 0 and 1, got {value}")
    return value


def synthesize(
    sound_class: str,
    duration: float,
    sample_rate: int = 48000,
    seed: int = 0,
    intensity: float = 0.5,
    size: float = 0.5,
    density: float = 0.5,
) -> np.ndarray:
    """Generate ``duration`` seconds of a sound class as mono float32.

    Parameters
    ----------
    sound_class : str
        A key of :data:`CLASSES` (``"wind"``, ``"rain"``, …); map free labels with
        :func:`see2sound.sound.classes.match_class` first.
    duration : float
        Seconds, > 0. The result has exactly ``round(duration * sample_rate)`` samples.
    sample_rate : int
        8–192 kHz.
    seed : int
        Same seed, same samples; another seed, another variation.
    intensity, size, density : float
        0–1 controls whose meaning each recipe documents (louder/faster, bigger/lower, more events).

    Returns
    -------
    numpy.ndarray
        ``(n,)`` float32 at about -20 dBFS RMS, peaks at most -1 dBFS.
    """
    if sound_class not in CLASSES:
        raise See2SoundError(f"unknown sound class {sound_class!r}; choose one of {', '.join(CLASSES)}")
    duration = float(duration)
    if not np.isfinite(duration) or duration <= 0:
        raise See2SoundError(f"duration: must be greater than 0 seconds, got {duration}")
    sample_rate = int(sample_rate)
    if not 8000 <= sample_rate <= 192000:
        raise See2SoundError(f"sample rate: must be 8000–192000 Hz, got {sample_rate}")
    params = {k: _unit(v, k) for k, v in (("intensity", intensity), ("size", size), ("density", density))}
    n = int(round(duration * sample_rate))
    if n == 0:
        raise See2SoundError(f"duration: {duration} s is shorter than one sample at {sample_rate} Hz")
    if duration > LONG_S:
        return _synthesize_long(sound_class, n, sample_rate, int(seed), params)
    # textures start mid-flow; event recipes place their first event near t = 0 themselves
    pre = int(PREROLL_S * sample_rate) if CLASSES[sound_class].kind == "texture" else 0
    rng = np.random.default_rng([int(seed) & 0xFFFFFFFF, _name_key(sound_class)])
    y = CLASSES[sound_class].recipe(n + pre, sample_rate, rng, **params)[pre:]
    return level(y, sample_rate)


# Clips longer than LONG_S are made of SEGMENT_S pieces, each its own seeded variation, joined by
# equal-power crossfades of CROSSFADE_S: memory stays bounded for a 10-minute video, and two independent
# textures summed with cos/sin gains keep their level through the join.
LONG_S = 60.0
SEGMENT_S = 30.0
CROSSFADE_S = 2.0


def _synthesize_long(sound_class: str, n: int, sample_rate: int, seed: int, params: dict) -> np.ndarray:
    hop = int(SEGMENT_S * sample_rate)
    fade = int(CROSSFADE_S * sample_rate)
    theta = (np.arange(fade) + 0.5) / fade * (np.pi / 2)
    fade_in, fade_out = np.sin(theta).astype(np.float32), np.cos(theta).astype(np.float32)
    out = np.zeros(n, dtype=np.float32)
    for i, start in enumerate(range(0, n, hop)):
        length = min(hop + fade, n - start)
        piece_seed = (seed * 1_000_003 + i + 1) & 0xFFFFFFFF
        piece = synthesize(sound_class, length / sample_rate, sample_rate, piece_seed, **params)[:length]
        if i > 0:  # fade in over the previous piece's tail
            k = min(fade, length)
            piece[:k] *= fade_in[:k]
        if start + length < n:  # fade out under the next piece
            piece[-fade:] *= fade_out
        out[start : start + len(piece)] += piece
    peak = float(np.abs(out).max())
    if peak > PEAK_LIMIT:  # two pieces' peaks may meet inside a crossfade
        out *= np.float32(PEAK_LIMIT / peak)
    return out


def _name_key(name: str) -> int:
    return int.from_bytes(name.encode("utf-8")[:8].ljust(8, b"\0"), "little") & 0x7FFFFFFF


def level(y: np.ndarray, sample_rate: int) -> np.ndarray:
    """Remove DC, set the RMS to :data:`TARGET_RMS_DB` (peak-limited to -1 dBFS), fade the edges 5 ms."""
    y = np.array(y, dtype=np.float32)  # a copy: the caller's array is left alone
    y -= np.float32(np.mean(y, dtype=np.float64))
    rms = float(np.sqrt(np.mean(np.square(y), dtype=np.float64)))
    peak = max(float(y.max()), -float(y.min()))
    if rms > 0 and peak > 0:
        y *= np.float32(min(10 ** (TARGET_RMS_DB / 20) / rms, PEAK_LIMIT / peak))
    fade = min(int(EDGE_FADE_S * sample_rate), y.size // 2)
    if fade > 0:
        ramp = (0.5 - 0.5 * np.cos(np.pi * np.arange(fade) / fade)).astype(np.float32)
        y[:fade] *= ramp
        y[-fade:] *= ramp[::-1]
    return y

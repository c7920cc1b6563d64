"""Test signals built from closed-form physics, independently of see2sound's renderer and estimators."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

SR = 48000
HEAD_RADIUS = 0.0875
C = 343.0


def noise(seconds: float = 1.0, seed: int = 0, sr: int = SR) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(int(seconds * sr)) * 0.1


def unit(azimuth_deg: float, elevation_deg: float = 0.0) -> np.ndarray:
    """x forward, y left, z up — written out here rather than imported."""
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    return np.array([np.cos(el) * np.cos(az), np.cos(el) * np.sin(az), np.sin(el)])


def ambix_plane_wave(s: np.ndarray, azimuth_deg: float, elevation_deg: float, order: int) -> np.ndarray:
    """A plane wave encoded with the AmbiX SN3D formulas of Zotter & Frank (2019), table of orders 0–2."""
    az, el = np.radians(azimuth_deg), np.radians(elevation_deg)
    ce, se = np.cos(el), np.sin(el)
    gains = [1.0, np.sin(az) * ce, se, np.cos(az) * ce]  # W Y Z X
    if order >= 2:
        r3 = np.sqrt(3.0) / 2
        gains += [
            r3 * np.sin(2 * az) * ce**2,  # V
            r3 * np.sin(az) * np.sin(2 * el),  # T
            0.5 * (3 * se**2 - 1),  # R
            r3 * np.cos(az) * np.sin(2 * el),  # S
            r3 * np.cos(2 * az) * ce**2,  # U
        ]
    return np.outer(gains, s)


def _ear_delay(theta: np.ndarray) -> np.ndarray:
    """Brown & Duda (1998) delay to an ear on a sphere for angle θ between source and ear axis."""
    a_c = HEAD_RADIUS / C
    return np.where(theta < np.pi / 2, -a_c * np.cos(theta), a_c * (theta - np.pi / 2))


def _shadow(freqs: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Brown & Duda's one-pole/one-zero head shadow, α(θ) = 1.05 + 0.95 cos(θ·180°/150°)."""
    w0 = C / HEAD_RADIUS
    alpha = 1.05 + 0.95 * np.cos(theta * np.pi / np.radians(150.0))
    jw = 1j * 2 * np.pi * freqs / (2 * w0)
    return (1 + alpha * jw) / (1 + jw)


def sphere_head_hrir(direction: np.ndarray, taps: int = 256, sr: int = SR) -> np.ndarray:
    """HRIR pair ``(2, taps)`` of a rigid sphere (ears at ±90°); ITD = Woodworth's (a/c)(θ + sin θ)."""
    freqs = np.fft.rfftfreq(taps, 1.0 / sr)
    out = []
    for ear in (unit(90.0), unit(-90.0)):
        theta = np.arccos(np.clip(np.dot(direction, ear), -1, 1))
        delay = _ear_delay(theta) + 2e-3  # bulk delay keeps the response causal
        spec = _shadow(freqs, theta) * np.exp(-2j * np.pi * freqs * delay)
        out.append(np.fft.irfft(spec, n=taps))
    return np.array(out)


def sphere_head(step_deg: float = 5.0, elevations=(0.0,), sr: int = SR) -> SimpleNamespace:
    """An HRTF-like object (``directions``, ``hrirs``, ``sample_rate``) on a grid of directions."""
    dirs = np.array([unit(az, el) for el in elevations for az in np.arange(-180.0, 180.0, step_deg)])
    hrirs = np.array([sphere_head_hrir(d, sr=sr) for d in dirs])
    return SimpleNamespace(directions=dirs, hrirs=hrirs, sample_rate=sr)


def binaural_source(s: np.ndarray, azimuth_deg: float, elevation_deg: float = 0.0) -> np.ndarray:
    h = sphere_head_hrir(unit(azimuth_deg, elevation_deg))
    return np.array([np.convolve(s, h[0])[: len(s)], np.convolve(s, h[1])[: len(s)]])


def scene_dict(*sources) -> dict:
    """A scene with fixed sources given as (id, azimuth, elevation)."""
    items = [
        {"id": sid, "position": {"azimuth": az, "elevation": el, "distance": 1.0}} for sid, az, el in sources
    ]
    return {"version": 1, "duration": 1.0, "sample_rate": SR, "sources": items}


def sphere_head_split(directions: np.ndarray, taps: int = 256, sr: int = SR) -> tuple[np.ndarray, np.ndarray]:
    """The same head split: minimum-phase shelves ``(k, 2, taps)`` and per-ear delays ``(k, 2)`` (samples)."""
    freqs = np.fft.rfftfreq(taps, 1.0 / sr)
    filters, delays = [], []
    for d in directions:
        pair, lag = [], []
        for ear in (unit(90.0), unit(-90.0)):
            theta = np.arccos(np.clip(np.dot(d, ear), -1, 1))
            pair.append(np.fft.irfft(_shadow(freqs, theta), n=taps))
            lag.append((_ear_delay(theta) + 2e-3) * sr)
        filters.append(pair)
        delays.append(lag)
    return np.array(filters), np.array(delays)

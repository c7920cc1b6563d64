"""EBU's ADM renderer (``ear``, ITU-R BS.2127's reference) in its own virtual environment, for the tests.

``ear`` pins ``numpy<2``, so ``make test`` installs it into ``.venv-ear`` at the repository root; the tests
call its command-line tools and measure what they render.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

EAR_VENV = Path(__file__).resolve().parents[2] / ".venv-ear"

# BS.2051 loudspeaker directions (azimuth, elevation) in ear's output order; None = the LFE
LAYOUTS = {
    "0+5+0": [(30, 0), (-30, 0), (0, 0), None, (110, 0), (-110, 0)],
    "4+7+0": [
        (30, 0), (-30, 0), (0, 0), None, (90, 0), (-90, 0), (135, 0), (-135, 0),
        (45, 30), (-45, 30), (135, 30), (-135, 30),
    ],
}  # fmt: skip


def ear_tool(name: str) -> Path:
    tool = EAR_VENV / "bin" / name
    if not tool.exists():
        pytest.fail(
            f"{tool} is missing: EBU's ADM renderer lives in its own virtual environment; run `make test` "
            "(or: python3 -m venv .venv-ear && .venv-ear/bin/pip install ear==2.1.0)"
        )
    return tool


def run_ear(*args) -> str:
    """Run ``ear-render``/``ear-utils`` with ``args``; fails the test with its stderr if it fails."""
    done = subprocess.run([str(ear_tool(args[0])), *map(str, args[1:])], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return done.stdout


def ear_render(adm_path: Path, layout: str) -> np.ndarray:
    """EAR's render of an ADM BWF file to a BS.2051 ``layout``: ``(channels, samples)``."""
    out = adm_path.with_name(f"{adm_path.stem}.ear-{layout}.wav")
    if not out.exists():
        run_ear("ear-render", "-s", layout, adm_path, out)
    y, _ = sf.read(str(out), always_2d=True, dtype="float64")
    return y.T


def unit(azimuth_deg, elevation_deg) -> np.ndarray:
    a, e = np.radians(azimuth_deg), np.radians(elevation_deg)
    return np.array([np.cos(e) * np.cos(a), np.cos(e) * np.sin(a), np.sin(e)])


def velocity_vector(y: np.ndarray, layout: str) -> np.ndarray:
    """Gerzon's velocity vector ``Σ g_i u_i / Σ g_i`` of a render of one coherent object, with each
    loudspeaker's gain taken as its RMS amplitude (the LFE left out)."""
    rms = np.sqrt(np.mean(y**2, axis=1))
    speakers = [(i, d) for i, d in enumerate(LAYOUTS[layout]) if d is not None]
    vec = sum(rms[i] * unit(*d) for i, d in speakers)
    return vec / sum(rms[i] for i, _ in speakers)


def angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    cos = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def rms_db(y: np.ndarray) -> float:
    return float(10 * np.log10(np.mean(np.asarray(y, dtype=np.float64) ** 2) + 1e-30))

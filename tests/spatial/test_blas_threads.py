"""Renders do not depend on the number of BLAS threads (issue 23): 1 and 2 give the same bytes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import hashlib, numpy as np
from see2sound.scene import Scene
from see2sound.spatial.hrtf import spherical_head_hrtf
from see2sound.spatial.render import RenderOptions, render_scene
rng = np.random.default_rng(0)
sources, signals = [], {}
for i in range(12):
    keys = [{"t": float(t), "azimuth": float((37 * i + 25 * t) % 360 - 180),
             "elevation": float(30 * np.sin(t + i)), "distance": float(2 + np.cos(t + i))} for t in range(3)]
    extra = {"extent": {"width": 90.0, "height": 30.0}} if i == 0 else {}
    sources.append({"id": f"s{i}", "trajectory": keys, **extra})
    signals[f"s{i}"] = (rng.standard_normal(2 * 48000) * 0.05).astype(np.float32)
sources.append({"id": "bed", "position": {"azimuth": 0.0}, "extent": {"width": 360.0, "height": 90.0}})
signals["bed"] = (rng.standard_normal(2 * 48000) * 0.05).astype(np.float32)
scene = Scene.from_dict({"duration": 2.0, "sources": sources})
digest = hashlib.md5()
for fmt, room in (("5.1", "indoor"), ("7.1.4", "none"), ("hoa3", "none"), ("binaural", "none")):
    hrtf = spherical_head_hrtf(48000) if fmt == "binaural" else None
    digest.update(render_scene(scene, signals, RenderOptions(format=fmt, room=room), hrtf).tobytes())
print(digest.hexdigest())
"""


def _digest(threads: int) -> str:
    env = dict(
        os.environ,
        OPENBLAS_NUM_THREADS=str(threads),
        OMP_NUM_THREADS=str(threads),
        MKL_NUM_THREADS=str(threads),
    )
    src = Path(__file__).resolve().parents[2] / "src"
    env["PYTHONPATH"] = os.pathsep.join([str(src), env.get("PYTHONPATH", "")])
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_moving_and_extended_renders_are_identical_with_one_and_two_blas_threads():
    one, two = _digest(1), _digest(2)
    assert len(one) == len(hashlib.md5().hexdigest())
    assert one == two

"""Sources heard only while they are in the picture: `active` spans fade in and out without clicks."""

from __future__ import annotations

import numpy as np
import pytest

from see2sound.errors import SceneError
from see2sound.pipeline.analyze import _mark_activity
from see2sound.scene import Scene
from see2sound.spatial.render import RenderOptions, render_scene

SR = 16000


def scene_with(active):
    src = {"id": "a", "position": {"azimuth": 30.0, "distance": 1.0}}
    if active is not None:
        src["active"] = active
    return Scene.from_dict({"duration": 3.0, "sample_rate": SR, "sources": [src]})


def test_source_is_silent_outside_its_span_and_fades_smoothly():
    tone = np.sin(2 * np.pi * 440 * np.arange(3 * SR) / SR).astype(np.float32)
    opts = RenderOptions(format="stereo", loudness_lufs=None, sample_rate=SR)
    y = render_scene(scene_with([1.0, 2.0]), {"a": tone}, opts)
    full = render_scene(scene_with(None), {"a": tone}, opts)
    left = y[0]
    assert np.max(np.abs(left[: int(0.8 * SR)])) == 0.0
    assert np.max(np.abs(left[int(2.2 * SR) :])) == 0.0
    middle = slice(int(1.2 * SR), int(1.8 * SR))
    np.testing.assert_allclose(left[middle], full[0][middle], rtol=1e-6)
    # the ramps add no sample-to-sample step larger than the steady tone has
    assert np.max(np.abs(np.diff(left))) <= np.max(np.abs(np.diff(full[0]))) + 1e-6


@pytest.mark.parametrize("bad", [[1.0], [2.0, 1.0], [-1.0, 1.0], [0.0, float("nan")]])
def test_bad_active_span_is_named(bad):
    with pytest.raises(SceneError, match=r"sources\[0\] \(id 'a'\): active"):
        Scene.from_dict(
            {"duration": 3.0, "sources": [{"id": "a", "position": {"azimuth": 0}, "active": bad}]}
        )


def test_tracks_that_appear_or_leave_mid_video_get_an_active_span():
    sources = [
        {"id": "whole", "track": {"start": 0.0, "end": 9.75}},
        {"id": "enters", "track": {"start": 3.0, "end": 9.75}},
        {"id": "leaves", "track": {"start": 0.25, "end": 4.0}},
        {"id": "fixed"},
    ]
    _mark_activity(sources, duration=10.0, frame_interval=0.25)
    assert "active" not in sources[0] and "active" not in sources[3]
    assert sources[1]["active"] == [3.0, 10.0]
    assert sources[2]["active"] == [0.0, 4.25]

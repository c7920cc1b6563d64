"""Measure where each sound is and whether the output is sound, independently of the renderer.

The estimators are written from the formulas (Gerzon vectors, active intensity, GCC-PHAT ITD and band ILDs,
BS.1770) and share no geometry or panning code with ``see2sound.spatial``.

- :func:`evaluate_render` — per-source direction errors and signal health of a render (``see2sound evaluate``)
- :func:`signal_health` — loudness, true peak, clipping, DC, coherence, LFE content
- :func:`compare_signals` — the paper's similarity metrics, computed along time (``see2sound compare``)
"""

from .evaluate import evaluate_render
from .health import signal_health
from .similarity import compare_signals

__all__ = ["compare_signals", "evaluate_render", "signal_health"]

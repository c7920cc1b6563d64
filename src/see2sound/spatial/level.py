"""Level calibration: what a source's ``level`` (dB SPL) means in the rendered file.

Every stem is normalised to -20 dBFS RMS (:data:`see2sound.sound.synth.TARGET_RMS_DB`). On the fixed playback
calibration used throughout, such a stem plays at :data:`CALIBRATION_DB_SPL` (76 dB SPL) at
:data:`REFERENCE_DISTANCE_M` (1 m), i.e. a full-scale RMS (0 dBFS) is 96 dB SPL. A source whose ``level`` is
``L`` dB SPL therefore gets an extra gain of ``L - 76`` dB (on top of its ``gain_db``), and the renderer's 1/r
distance gain is relative to 1 m. A bed's (``role`` "bed") level is the level at the listener: the renderer
cancels the 1/r gain of its (first) distance.

With this calibration and no loudness normalisation (the default), a still life stays quiet and a street loud:
the file carries the scene's natural level. ``--loudness TARGET`` normalises instead.
"""

from __future__ import annotations

import math

from .distance import DEFAULT_MIN_DISTANCE_M, distance_gain

CALIBRATION_DB_SPL = 76.0  # a stem at -20 dBFS RMS plays at this level at the reference distance
REFERENCE_DISTANCE_M = 1.0  # the distance at which a source's level is given (and 1/r gain is 1)


def level_gain_db(level: float | None) -> float:
    """Gain in dB that makes a -20 dBFS RMS stem play at ``level`` dB SPL at 1 m (0 for ``None``).

    Examples
    --------
    >>> level_gain_db(76.0), level_gain_db(46.0), level_gain_db(None)
    (0.0, -30.0, 0.0)
    """
    if level is None:
        return 0.0
    if not math.isfinite(level):
        raise ValueError(f"level must be a finite number of dB SPL, got {level}")
    return float(level) - CALIBRATION_DB_SPL


def source_gain_db(source, min_distance_m: float = DEFAULT_MIN_DISTANCE_M) -> float:
    """A scene source's gain in dB before its distance gain: its ``gain_db`` plus the calibrated level, and
    for a bed (whose level is given at the listener) the inverse of the 1/r gain of its first distance.

    The one place the level contract is applied: the channel renderers and the ADM export both use it.
    """
    gain_db = float(source.gain_db) + level_gain_db(source.level)
    if source.level is not None and source.role == "bed":
        r0 = source.keyframes()[0].distance
        gain_db -= 20.0 * math.log10(float(distance_gain(r0, min_distance_m)))
    return gain_db


__all__ = ["CALIBRATION_DB_SPL", "REFERENCE_DISTANCE_M", "level_gain_db", "source_gain_db"]

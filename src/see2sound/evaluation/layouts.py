"""Loudspeaker directions of the channel-based formats, written here from ITU-R BS.775 and BS.2051.

Kept apart from the renderer's own table on purpose: the estimators must not share geometry with the code
they check. Angles follow DESIGN §2 (azimuth counter-clockwise from the front, +90° = left).
"""

from __future__ import annotations

import numpy as np

from ..formats import Format
from ..geometry import direction_to_vector

# (azimuth°, elevation°) per channel label; ITU-R BS.775 (5.1), BS.2051 System D/J (7.1, 7.1.4).
SPEAKER_ANGLES_DEG: dict[str, tuple[float, float]] = {
    "L": (30.0, 0.0),
    "R": (-30.0, 0.0),
    "C": (0.0, 0.0),
    "Ls": (110.0, 0.0),
    "Rs": (-110.0, 0.0),
    "Lss": (90.0, 0.0),
    "Rss": (-90.0, 0.0),
    "Lrs": (135.0, 0.0),
    "Rrs": (-135.0, 0.0),
    "Ltf": (45.0, 45.0),
    "Rtf": (-45.0, 45.0),
    "Ltr": (135.0, 45.0),
    "Rtr": (-135.0, 45.0),
}


def speaker_vectors(fmt: Format) -> tuple[np.ndarray, np.ndarray]:
    """Unit vectors ``(k, 3)`` of the format's loudspeakers and their channel indices ``(k,)`` (no LFE)."""
    index = [i for i, name in enumerate(fmt.channels) if name in SPEAKER_ANGLES_DEG]
    angles = np.array([SPEAKER_ANGLES_DEG[fmt.channels[i]] for i in index])
    return direction_to_vector(angles[:, 0], angles[:, 1]), np.array(index)


def has_height(fmt: Format) -> bool:
    """Whether the layout has loudspeakers off the horizontal plane (so elevation can be measured)."""
    return any(SPEAKER_ANGLES_DEG.get(name, (0.0, 0.0))[1] != 0.0 for name in fmt.channels)

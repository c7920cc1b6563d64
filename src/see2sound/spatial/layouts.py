"""Loudspeaker layouts: the direction of every channel of a loudspeaker format (DESIGN §2).

Angles follow ITU-R BS.775 (stereo, 5.1) and ITU-R BS.2051 (7.1 = system I without heights,
7.1.4 = system J): C 0°, L/R ±30°, 5.1 surrounds ±110°, 7.1 sides ±90° and rears ±135°, heights at
+45° elevation and ±45°/±135° azimuth. Channel order is that of :mod:`see2sound.formats`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import See2SoundError
from ..formats import FORMATS
from ..geometry import direction_to_vector

# (azimuth°, elevation°) per channel label; the LFE has no direction.
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

LOUDSPEAKER_FORMATS = tuple(name for name, f in FORMATS.items() if not (f.is_ambisonic or f.binaural))


@dataclass(frozen=True)
class Layout:
    """A loudspeaker layout: channel labels in file order and the directions of the full-range speakers.

    Attributes
    ----------
    name : str
        Format name (``"5.1"``).
    channels : tuple of str
        All channel labels in file order, LFE included.
    speaker_channels : tuple of int
        File-order index of each full-range speaker (rows of ``vectors``).
    azimuth_deg, elevation_deg : ndarray, shape (n_speakers,)
        Directions of the full-range speakers.
    lfe_index : int or None
        File-order index of the LFE channel.
    """

    name: str
    channels: tuple[str, ...]
    speaker_channels: tuple[int, ...]
    azimuth_deg: np.ndarray
    elevation_deg: np.ndarray
    lfe_index: int | None

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @property
    def n_speakers(self) -> int:
        return len(self.speaker_channels)

    @property
    def vectors(self) -> np.ndarray:
        """Unit vectors ``(n_speakers, 3)`` of the full-range speakers."""
        return direction_to_vector(self.azimuth_deg, self.elevation_deg)

    @property
    def is_3d(self) -> bool:
        """True when some speaker is off the horizontal plane (height layouts)."""
        return bool(np.any(np.abs(self.elevation_deg) > 1e-9))


def get_layout(name: str) -> Layout:
    """The loudspeaker layout of format ``name`` (stereo, 5.1, 7.1, 7.1.4).

    Raises :class:`See2SoundError` for unknown names and for formats that are not loudspeaker layouts.

    Examples
    --------
    >>> get_layout("5.1").azimuth_deg
    array([  30.,  -30.,    0.,  110., -110.])
    """
    fmt = FORMATS.get(name)
    if fmt is None or name not in LOUDSPEAKER_FORMATS:
        raise See2SoundError(
            f"{name!r} is not a loudspeaker layout; choose one of {', '.join(LOUDSPEAKER_FORMATS)}"
        )
    speakers = tuple(i for i, ch in enumerate(fmt.channels) if ch != "LFE")
    angles = np.array([SPEAKER_ANGLES_DEG[fmt.channels[i]] for i in speakers], dtype=float)
    return Layout(
        name=name,
        channels=fmt.channels,
        speaker_channels=speakers,
        azimuth_deg=angles[:, 0],
        elevation_deg=angles[:, 1],
        lfe_index=fmt.lfe_index,
    )

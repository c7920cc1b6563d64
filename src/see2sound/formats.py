"""Output formats: their channel labels, order and WAVE_FORMAT_EXTENSIBLE channel masks (DESIGN §2).

This is the one table every stage and the CLI share; loudspeaker angles live in ``spatial.layouts``.
"""

from __future__ import annotations

from dataclasses import dataclass

# dwChannelMask bits (Microsoft KSAUDIO speaker positions); WAVEX orders channels by bit.
SPEAKER_BITS = {
    "FL": 0x1,
    "FR": 0x2,
    "FC": 0x4,
    "LFE": 0x8,
    "BL": 0x10,
    "BR": 0x20,
    "FLC": 0x40,
    "FRC": 0x80,
    "BC": 0x100,
    "SL": 0x200,
    "SR": 0x400,
    "TC": 0x800,
    "TFL": 0x1000,
    "TFC": 0x2000,
    "TFR": 0x4000,
    "TBL": 0x8000,
    "TBC": 0x10000,
    "TBR": 0x20000,
}


@dataclass(frozen=True)
class Format:
    """An output format: ``name`` as on the command line, channel labels in file order."""

    name: str
    channels: tuple[str, ...]
    speaker_positions: tuple[str, ...] | None = None  # WAVEX position per channel; None = no mask
    ambisonic_order: int | None = None
    binaural: bool = False

    @property
    def n_channels(self) -> int:
        return len(self.channels)

    @property
    def channel_mask(self) -> int:
        """The WAVEX ``dwChannelMask`` (0 for ambisonics, which carry no loudspeaker layout)."""
        if self.speaker_positions is None:
            return 0
        return sum(SPEAKER_BITS[p] for p in self.speaker_positions)

    @property
    def is_ambisonic(self) -> bool:
        return self.ambisonic_order is not None

    @property
    def lfe_index(self) -> int | None:
        return self.channels.index("LFE") if "LFE" in self.channels else None

    @property
    def ffmpeg_layout(self) -> str:
        """FFmpeg's name for the channel layout (what ffprobe reports for the file)."""
        if self.is_ambisonic:
            return f"ambisonic {self.ambisonic_order}"
        return {"binaural": "stereo"}.get(self.name, self.name)


def _ambisonic(name: str, order: int) -> Format:
    acn = tuple(f"ACN{i}" for i in range((order + 1) ** 2))
    if order == 1:
        acn = ("W", "Y", "Z", "X")
    return Format(name, acn, None, ambisonic_order=order)


FORMATS: dict[str, Format] = {
    "stereo": Format("stereo", ("L", "R"), ("FL", "FR")),
    "5.1": Format("5.1", ("L", "R", "C", "LFE", "Ls", "Rs"), ("FL", "FR", "FC", "LFE", "BL", "BR")),
    "7.1": Format(
        "7.1",
        ("L", "R", "C", "LFE", "Lrs", "Rrs", "Lss", "Rss"),
        ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR"),
    ),
    "7.1.4": Format(
        "7.1.4",
        ("L", "R", "C", "LFE", "Lrs", "Rrs", "Lss", "Rss", "Ltf", "Rtf", "Ltr", "Rtr"),
        ("FL", "FR", "FC", "LFE", "BL", "BR", "SL", "SR", "TFL", "TFR", "TBL", "TBR"),
    ),
    "binaural": Format("binaural", ("L", "R"), ("FL", "FR"), binaural=True),
    "foa": _ambisonic("foa", 1),
    "hoa2": _ambisonic("hoa2", 2),
    "hoa3": _ambisonic("hoa3", 3),
}

FORMAT_NAMES = tuple(FORMATS)
# Object-based output: ADM BWF (pipeline.adm), not a channel layout, so not in FORMATS.
OBJECT_FORMATS = ("adm",)
OUTPUT_FORMAT_NAMES = FORMAT_NAMES + OBJECT_FORMATS


def get_format(name: str) -> Format:
    """Look a format up by name; raises :class:`See2SoundError` naming the valid choices."""
    from .errors import See2SoundError

    try:
        return FORMATS[name]
    except KeyError:
        raise See2SoundError(f"unknown format {name!r}; choose one of {', '.join(FORMAT_NAMES)}") from None

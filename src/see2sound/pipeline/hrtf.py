"""Choosing and loading the HRTF for a binaural render: ``load_hrtf(spec, sample_rate)``.

``spec`` is ``None``/``"auto"`` (a cached measured set if ``see2sound models fetch hrtf`` fetched one,
KU100 preferred, else the analytic head), ``"analytic"``, a cached set by name (``"ku100"``,
``"kemar"``) or the path of a SimpleFreeFieldHRIR ``.sofa`` file. The result is at ``sample_rate``.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from functools import lru_cache
from pathlib import Path

import numpy as np

from ..cache import cache_dir
from ..errors import See2SoundError
from ..fileio import atomic_output
from ..log import get_logger
from ..media.sofa import SofaHRIR, read_sofa
from ..spatial.hrtf import HRTF, spherical_head_hrtf

log = get_logger(__name__)

AUTO_PREFERENCE = ("ku100", "kemar")


def hrtf_from_sofa(sofa: SofaHRIR, name: str, credit: str = "") -> HRTF:
    """An :class:`HRTF` from a read SOFA file; with several measurement distances the most complete
    (then farthest) sphere is used."""
    directions, hrirs = sofa.directions, sofa.hrirs
    radii = np.round(sofa.distances_m, 3)
    counts = Counter(radii.tolist())
    if len(counts) > 1:
        keep = max(counts, key=lambda r: (counts[r], r))
        log.warning(
            f"{name}: measured at {len(counts)} distances; using the {counts[keep]} directions at {keep} m"
        )
        mask = radii == keep
        directions, hrirs = directions[mask], hrirs[mask]
    title = sofa.attributes.get("Title", "")
    if not credit:
        credit = (
            " / ".join(
                x
                for x in (title, sofa.attributes.get("AuthorContact", ""), sofa.attributes.get("License", ""))
                if x
            )
            or name
        )
    return HRTF(sofa.sample_rate, directions, hrirs, name=name, credit=credit)


@lru_cache(maxsize=8)
def _load_sofa_cached(path: str, mtime_ns: int, name: str, credit: str, sample_rate: int) -> HRTF:
    hrtf = hrtf_from_sofa(read_sofa(path), name, credit).resampled(sample_rate)
    key = hashlib.sha256(f"{path}|{mtime_ns}|{sample_rate}".encode()).hexdigest()[:16]
    return _with_prepared_split(hrtf, f"{name}-{sample_rate}-{key}")


def _with_prepared_split(hrtf: HRTF, key: str) -> HRTF:
    """The HRTF with its minimum-phase/delay split read from the cache, computed and stored once.

    Splitting a measured set (thousands of minimum-phase filters) costs most of a short binaural render;
    the result depends only on the file and the rate, so it is kept in ``<cache>/hrtf/prepared``.
    """
    try:
        path = cache_dir("hrtf", "prepared") / f"{key}.npz"
    except See2SoundError:  # no writable cache: compute in memory
        return hrtf
    if path.exists():
        try:
            with np.load(path) as stored:
                return HRTF(
                    hrtf.sample_rate,
                    hrtf.directions,
                    hrtf.hrirs,
                    hrtf.name,
                    hrtf.credit,
                    delays_samples=stored["delays"],
                    min_phase=stored["min_phase"],
                )
        except (OSError, ValueError, KeyError, See2SoundError):
            log.debug("prepared HRTF %s unreadable; computing it again", path)
    try:
        with atomic_output(path, overwrite=True) as tmp:
            with open(tmp, "wb") as fh:
                np.savez(fh, delays=hrtf.delays_samples, min_phase=hrtf.min_phase)
    except (OSError, See2SoundError) as exc:
        log.debug("could not store the prepared HRTF: %s", exc)
    return hrtf


@lru_cache(maxsize=8)
def _analytic(sample_rate: int) -> HRTF:
    return spherical_head_hrtf(sample_rate)


def _cached_sets() -> dict[str, tuple[Path, str]]:
    from ..assets.hrtf import cached_sets

    return cached_sets()


def load_hrtf(spec: str | None, sample_rate: int) -> HRTF:
    """The HRTF named by ``spec``, resampled to ``sample_rate``.

    Parameters
    ----------
    spec : str or None
        ``None``/``"auto"``, ``"analytic"``, ``"ku100"``, ``"kemar"`` or a path to a ``.sofa`` file.
    sample_rate : int
        Output rate in Hz.

    Raises
    ------
    See2SoundError
        Unknown name, set not fetched, or a file that is not a SimpleFreeFieldHRIR SOFA file.
    """
    sample_rate = int(sample_rate)
    if not 8000 <= sample_rate <= 192000:
        raise See2SoundError(f"sample rate {sample_rate} Hz is out of range (8000-192000)")
    key = "auto" if spec is None else str(spec).strip()
    low = key.lower()
    if low == "analytic":
        return _analytic(sample_rate)
    if low == "auto":
        sets = _cached_sets()
        for name in AUTO_PREFERENCE:
            if name in sets:
                return _load_named(name, sets[name], sample_rate)
        return _analytic(sample_rate)
    if low in AUTO_PREFERENCE:
        sets = _cached_sets()
        if low not in sets:
            raise See2SoundError(f"HRTF {low!r} is not cached", hint="run `see2sound models fetch hrtf`")
        return _load_named(low, sets[low], sample_rate)
    path = Path(key).expanduser()
    if path.suffix.lower() != ".sofa" and not path.exists():
        raise See2SoundError(f"unknown HRTF {key!r}; use auto, analytic, ku100, kemar or a .sofa file")
    if not path.is_file():
        raise See2SoundError(f"{path}: no such SOFA file")
    stat = path.stat()
    return _load_sofa_cached(str(path.resolve()), stat.st_mtime_ns, path.stem, "", sample_rate)


def _load_named(name: str, entry: tuple[Path, str], sample_rate: int) -> HRTF:
    path, credit = entry
    return _load_sofa_cached(str(path), path.stat().st_mtime_ns, name, credit, sample_rate)

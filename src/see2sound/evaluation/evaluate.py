"""Score a render against its scene: where each source is heard, and whether the signal is healthy.

Each source is isolated in one of three ways, best first: the caller renders it alone (``render_one``,
which the pipeline builds from the renderer); or the scene's stems identify it in the mix: per block and
frequency, a least-squares fit of the mix on the time-aligned stems gives each source's channel transfer,
and that transfer times the stem is the source alone, whatever renderer made the file and even when the
sources overlap; or the scene has a single source. Directions are estimated per block of about 0.25 s and
compared with the scene's intended direction at that time; a source's error is the median over the blocks
where it is active.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np

from ..errors import See2SoundError
from ..formats import Format
from ..geometry import angle_between_deg, direction_to_vector, vector_to_direction, wrap_azimuth_deg
from ..scene import Scene
from .binaural import (
    HrtfCues,
    azimuth_from_lateral_deg,
    block_binaural,
    hrtf_cues,
    lateral_angle_deg,
)
from .energy_map import energy_map, intended_energy_map, map_correlation, sphere_grid
from .gerzon import block_vectors
from .health import signal_health
from .intensity import block_intensity
from .layouts import has_height, speaker_vectors
from .spectra import analysis_fft_size, frame_times, stft

BLOCK_S = 0.25
ACTIVE_BLOCK_DB = -30.0  # blocks quieter than this (re the source's loudest block) are not scored


def evaluate_render(
    y: np.ndarray,
    sample_rate: int,
    fmt: Format,
    scene: Scene,
    *,
    stems: Mapping[str, np.ndarray] | None = None,
    render_one: Callable[[str], np.ndarray] | None = None,
    hrtf=None,
    block_s: float = BLOCK_S,
) -> dict:
    """Evaluate a render ``y`` ``(channels, samples)`` of ``scene`` in format ``fmt``.

    Parameters
    ----------
    y : np.ndarray
        The render, ``(fmt.n_channels, samples)``.
    sample_rate : int
        Its rate in Hz.
    fmt : Format
        Its layout (``see2sound.formats.FORMATS[...]``).
    scene : Scene
        The scene with the intended positions.
    stems : mapping of source id to mono array, optional
        The sources' signals at ``sample_rate``, used to tell the sources apart in the mix.
    render_one : callable, optional
        ``render_one(source_id) -> (channels, samples)``: the source rendered alone; preferred over ``stems``.
    hrtf : optional
        For binaural: the HRTF used for rendering, any object with ``directions`` ``(k, 3)``, ``hrirs``
        ``(k, 2, taps)`` and ``sample_rate``, or its cues (:func:`.binaural.hrtf_cues`).
        Without it, Woodworth's spherical head gives the expected ITD.
    block_s : float
        Analysis block length in seconds.

    Returns
    -------
    dict
        JSON-ready: ``sources`` (per source ``id``, ``azimuth_error_deg``, ``elevation_error_deg`` and more),
        ``median_azimuth_error_deg``, ``median_elevation_error_deg``, the health measures of
        :func:`~see2sound.evaluation.health.signal_health`, and ``energy_map_cc`` for ambisonics.
    """
    y = np.atleast_2d(np.asarray(y, dtype=float))
    if y.shape[0] != fmt.n_channels:
        raise See2SoundError(f"{fmt.name} needs {fmt.n_channels} channels, the audio has {y.shape[0]}")
    report: dict = {
        "format": fmt.name,
        "sample_rate": int(sample_rate),
        "duration_s": y.shape[1] / sample_rate,
    }
    report.update(signal_health(y, sample_rate, fmt))
    analyser = _Analyser(fmt, sample_rate, hrtf, block_s)
    sources = scene.sources
    if render_one is not None:
        isolation = "render"
    elif len(sources) == 1:
        isolation = "single"
    elif stems is not None and all(s.id in stems for s in sources):
        isolation = "stems"
    else:
        isolation = "none"
    report["isolation"] = isolation
    if isolation == "single":
        mix_spec = analyser.spectra(y)
    elif isolation == "stems":
        separator = _StemSeparator(analyser, y, [np.asarray(stems[s.id], dtype=float) for s in sources])
    results = []
    for i, src in enumerate(sources):
        if isolation == "render":
            alone = np.atleast_2d(np.asarray(render_one(src.id), dtype=float))
            if alone.shape[0] != fmt.n_channels:
                raise See2SoundError(
                    f"source {src.id!r}: render has {alone.shape[0]} channels, "
                    f"{fmt.name} needs {fmt.n_channels}"
                )
            spec = analyser.spectra(alone)
            results.append(analyser.score_source(src, spec.shape[-1], lambda sl, spec=spec: spec[..., sl]))
        elif isolation == "single":
            results.append(analyser.score_source(src, mix_spec.shape[-1], lambda sl: mix_spec[..., sl]))
        elif isolation == "stems":
            results.append(
                analyser.score_source(src, separator.n_frames, lambda sl, i=i: separator.block(sl)[i])
            )
        else:
            results.append(
                {
                    "id": src.id,
                    "azimuth_error_deg": None,
                    "elevation_error_deg": None,
                    "note": "several sources and no stems or renderer to tell them apart",
                }
            )
    report["sources"] = results
    report["median_azimuth_error_deg"] = _median([r["azimuth_error_deg"] for r in results])
    report["median_elevation_error_deg"] = _median([r["elevation_error_deg"] for r in results])
    if fmt.is_ambisonic and sources:
        report["energy_map_cc"] = _energy_map_cc(y, sample_rate, scene, stems)
        report["energy_map_cc_1s"] = _energy_map_cc_per_second(y, sample_rate, scene, stems)
    return report


class _Analyser:
    """Per-format direction estimation on blocks of STFT frames."""

    def __init__(self, fmt: Format, sample_rate: int, hrtf, block_s: float):
        self.fmt = fmt
        self.sample_rate = int(sample_rate)
        self.n_fft = analysis_fft_size(sample_rate)
        self.cues: HrtfCues | None = None
        if fmt.binaural and hrtf is not None:
            if int(hrtf.sample_rate) != self.sample_rate:
                raise See2SoundError(
                    f"HRTF sample rate {hrtf.sample_rate} Hz differs from the audio's {self.sample_rate} Hz"
                )
            if isinstance(hrtf, HrtfCues):  # already read (saves time when scoring many renders)
                self.cues = hrtf
            else:
                # the filters as rendered, where the HRTF says how (minimum phase plus delays)
                self.cues = hrtf_cues(
                    hrtf.directions,
                    hrtf.hrirs,
                    self.sample_rate,
                    self.n_fft,
                    getattr(hrtf, "min_phase", None),
                    getattr(hrtf, "delays_samples", None),
                )
            self.n_fft = self.cues.n_fft
        self.hop = self.n_fft // 2
        self.freqs = np.fft.rfftfreq(self.n_fft, 1.0 / self.sample_rate)
        self.per_block = max(1, int(round(block_s * self.sample_rate / self.hop)))
        if fmt.is_ambisonic:
            self.kind, self.channels = "intensity", np.arange(4)
            self.measures_elevation = True
        elif fmt.binaural:
            self.kind, self.channels = "binaural", np.arange(2)
            self.measures_elevation = False
        else:
            self.kind = "gerzon"
            self.speakers, self.channels = speaker_vectors(fmt)
            self.measures_elevation = has_height(fmt)

    def spectra(self, y: np.ndarray) -> np.ndarray:
        return stft(y[self.channels], self.n_fft, self.hop)

    def frame_times(self, n_frames: int) -> np.ndarray:
        return frame_times(n_frames, self.n_fft, self.hop, self.sample_rate)

    def score_source(self, src, n_frames: int, block_spectra) -> dict:
        """Score one source from ``block_spectra(frames) -> (channels, bins, frames)`` of it alone."""
        times = self.frame_times(n_frames)
        rows = []
        for start in range(0, n_frames, self.per_block):
            sl = slice(start, min(start + self.per_block, n_frames))
            t_mid = float(times[sl].mean())
            intended = src.positions_at([t_mid])[0][0]
            rows.append((t_mid, intended, *self._estimate(block_spectra(sl), None, intended)))
        energies = np.array([r[3] for r in rows])
        active = energies > 10 ** (ACTIVE_BLOCK_DB / 10) * max(float(energies.max(initial=0.0)), 1e-300)
        active &= energies > 0
        out: dict = {"id": src.id}
        if not active.any():
            out.update({"azimuth_error_deg": None, "elevation_error_deg": None, "note": "source is silent"})
            return out
        rows = [r for r, a in zip(rows, active, strict=True) if a]
        est = np.array([r[2] for r in rows])
        intended = np.array([r[1] for r in rows])
        az_est, el_est = vector_to_direction(est)
        az_int, el_int = vector_to_direction(intended)
        az_err = np.abs(wrap_azimuth_deg(az_est - az_int))
        out["azimuth_error_deg"] = float(np.median(az_err))
        out["elevation_error_deg"] = (
            float(np.median(np.abs(el_est - el_int))) if self.measures_elevation else None
        )
        if self.measures_elevation:
            out["angular_error_deg"] = float(np.median(angle_between_deg(est, intended)))
        mean_dir = np.sum(est * energies[active][:, None], axis=0)
        mean_az, mean_el = vector_to_direction(mean_dir)
        mean_int_az, mean_int_el = vector_to_direction(intended.mean(axis=0))
        out.update(
            {
                "estimated_azimuth_deg": float(mean_az),
                "estimated_elevation_deg": float(mean_el) if self.measures_elevation else None,
                "intended_azimuth_deg": float(mean_int_az),
                "intended_elevation_deg": float(mean_int_el),
                "blocks": len(rows),
                "moving": bool(src.is_moving),
            }
        )
        extras = [r[4] for r in rows]
        for key in extras[0]:
            values = [e[key] for e in extras if e[key] is not None]
            out[key] = float(np.median(values)) if values else None
        return out

    def _estimate(self, spec, weight, intended) -> tuple[np.ndarray, float, dict]:
        if self.kind == "gerzon":
            r_e, r_v, energy = block_vectors(spec, self.freqs, self.speakers, weight)
            v_err = float(angle_between_deg(r_v, intended)) if np.linalg.norm(r_v) > 0 else None
            if not self.measures_elevation:  # a horizontal layout: compare azimuths only
                v_err = float(
                    abs(
                        wrap_azimuth_deg(
                            np.degrees(np.arctan2(r_v[1], r_v[0]))
                            - np.degrees(np.arctan2(intended[1], intended[0]))
                        )
                    )
                )
            return (
                r_e,
                energy,
                {"energy_vector_length": float(np.linalg.norm(r_e)), "velocity_vector_error_deg": v_err},
            )
        if self.kind == "intensity":
            vec, psi, energy = block_intensity(spec, self.freqs, weight)
            return vec, energy, {"diffuseness": psi}
        est, energy = block_binaural(
            spec, self.freqs, self.sample_rate, self.n_fft, self.cues, weight, intended
        )
        az_int, el_int = vector_to_direction(intended)
        front = est.front if not est.front_back_ambiguous else bool(intended[0] >= 0)
        az = azimuth_from_lateral_deg(est.lateral_deg, float(el_int), front)
        vec = direction_to_vector(az, float(el_int))
        extras = {
            "itd_us": est.itd_s * 1e6,
            "itd_error_us": est.itd_error_s * 1e6 if est.itd_error_s is not None else None,
            "ild_error_db": est.ild_error_db,
            "lateral_error_deg": abs(est.lateral_deg - float(lateral_angle_deg(intended))),
            "front_back_ambiguous_fraction": float(est.front_back_ambiguous),
        }
        return vec, energy, extras


class _StemSeparator:
    """Each source's part of the mix, from the mix and the stems, per block of frames.

    In one block and one frequency bin the render is (close to) linear and time-invariant in the stems:
    X_c = Σ_s A_cs S_s. A least-squares fit over the block's frames gives A (the source's gains, phases or
    HRTF at that frequency, whatever renderer made them), and A_cs S_s is source s rendered alone. Stems are
    first aligned with the mix by cross-correlation (propagation delays, bulk delays of filters).
    """

    MAX_LAG_S = 0.5

    def __init__(self, analyser: _Analyser, y: np.ndarray, stems: list[np.ndarray]):
        self.analyser = analyser
        self.mix = analyser.spectra(y)
        self.n_frames = self.mix.shape[-1]
        n = (self.n_frames - 1) * analyser.hop + analyser.n_fft
        reference = y[0] if analyser.kind == "intensity" else y[analyser.channels].sum(axis=0)
        aligned = []
        for stem in stems:
            stem = stem.ravel()[: y.shape[1]]
            lag = _lag_samples(stem, reference, int(self.MAX_LAG_S * analyser.sample_rate))
            s = np.zeros(n)
            s[lag : lag + stem.size] = stem[: max(0, n - lag)]
            aligned.append(s)
        self.stems = stft(np.array(aligned), analyser.n_fft, analyser.hop)[..., : self.n_frames]
        self._cache: tuple[int, np.ndarray] | None = None

    def block(self, frames: slice) -> np.ndarray:
        """Spectra ``(sources, channels, bins, frames)`` of each source alone in ``frames``."""
        if self._cache is not None and self._cache[0] == frames.start:
            return self._cache[1]
        x = self.mix[..., frames]  # (C, K, F)
        s = self.stems[..., frames]  # (N, K, F)
        gram = np.einsum("nkf,mkf->knm", s, np.conj(s))
        cross = np.einsum("ckf,mkf->kcm", x, np.conj(s))
        load = 1e-9 * np.trace(gram, axis1=1, axis2=2).real.max(initial=0.0) + 1e-30
        transfer = cross @ np.linalg.inv(gram + load * np.eye(gram.shape[-1]))  # (K, C, N)
        alone = np.einsum("kcn,nkf->nckf", transfer, s)
        self._cache = (frames.start, alone)
        return alone


def _lag_samples(stem: np.ndarray, reference: np.ndarray, max_lag: int) -> int:
    """The delay (0 … max_lag samples) at which ``stem`` best matches ``reference`` (GCC-PHAT)."""
    n = int(2 ** np.ceil(np.log2(max(len(stem), len(reference)) + max_lag + 1)))
    g = np.fft.rfft(reference, n) * np.conj(np.fft.rfft(stem, n))
    mag = np.abs(g)
    g = np.where(mag > 1e-12 * max(float(mag.max(initial=0.0)), 1e-300), g / np.maximum(mag, 1e-300), 0.0)
    corr = np.fft.irfft(g, n)[: max_lag + 1]
    return int(np.argmax(corr))


def _energy_map_cc(
    y: np.ndarray, sample_rate: int, scene: Scene, stems, start_s: float = 0.0, stop_s: float | None = None
) -> float | None:
    """ViSAGe-style correlation of the render's energy map with the map of a perfect render of the scene.

    Over ``start_s``–``stop_s`` (default: the whole clip); sources weigh by their stem's energy there
    (equal weights without stems) times gain and 1/r². None when nothing plays.
    """
    grid = sphere_grid(4.0)
    order = int(round(np.sqrt(y.shape[0]))) - 1
    a = int(round(start_s * sample_rate))
    b = y.shape[1] if stop_s is None else min(y.shape[1], int(round(stop_s * sample_rate)))
    segment = y[:, a:b]
    if not np.any(segment):
        return None
    times = np.linspace(a / sample_rate, b / sample_rate, 16)
    directions, energies = [], []
    for src in scene.sources:
        dirs, dist = src.positions_at(times)
        power = 1.0
        if stems is not None and src.id in stems:
            power = float(np.mean(np.asarray(stems[src.id], dtype=float)[a:b] ** 2)) if b > a else 0.0
        directions.append(dirs)
        energies.append(power * 10 ** (src.gain_db / 10) / float(np.mean(np.maximum(dist, 0.25) ** 2)))
    if sum(energies) <= 0:
        return None
    intended = intended_energy_map(grid, directions, energies, order)
    return map_correlation(energy_map(segment, grid), intended, grid)


def _energy_map_cc_per_second(y: np.ndarray, sample_rate: int, scene: Scene, stems) -> float | None:
    """Median of the energy-map correlation over 1 s windows (ViSAGe's 1 fps)."""
    seconds = y.shape[1] / sample_rate
    values = [
        _energy_map_cc(y, sample_rate, scene, stems, t, t + 1.0)
        for t in np.arange(0.0, seconds, 1.0)
        if seconds - t >= 0.5
    ]
    return _median(values)


def _median(values) -> float | None:
    vals = [v for v in values if v is not None]
    return float(np.median(vals)) if vals else None

"""``see2sound evaluate`` (where each source is heard, signal health) and ``see2sound compare``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import typer

from ..errors import See2SoundError
from ..formats import FORMAT_NAMES, FORMATS, Format, get_format
from ..log import get_logger

log = get_logger(__name__)

_BY_CHANNELS = {f.n_channels: f for f in FORMATS.values() if f.n_channels != 2}


def format_from_name(path: Path) -> Format | None:
    """The format our own file names carry: ``photo.binaural.wav``, ``photo.7.1.4.flac`` (else None)."""
    base = path.name[: -len(path.suffix)] if path.suffix else path.name
    for name in sorted(FORMAT_NAMES, key=len, reverse=True):  # 7.1.4 before 7.1
        if base.endswith(f".{name}") and len(base) > len(name) + 1:
            return get_format(name)
    return None


def format_from_scene(path: Path, scene) -> Format | None:
    """The format ``see2sound run`` recorded for this file in the scene's ``run.outputs`` (else None)."""
    run = getattr(scene, "run", None)
    outputs = run.get("outputs") if isinstance(run, dict) else None
    if not isinstance(outputs, dict) or path.resolve().parent != scene.base_dir:
        return None
    name = outputs.get(path.name)
    return get_format(name) if isinstance(name, str) and name in FORMAT_NAMES else None


def infer_format(n_channels: int, name: str | None, path: Path, scene=None) -> Format:
    """The layout of ``path``: ``--format`` when given; else what the scene recorded for the file, else
    the format in its name (``photo.binaural.wav``), else the one its channel count implies. Only two
    channels with neither record nor name are ambiguous (stereo or binaural)."""
    if name is not None:
        fmt = get_format(name)
        if fmt.n_channels != n_channels:
            raise See2SoundError(
                f"{path}: has {n_channels} channels, format {fmt.name} needs {fmt.n_channels}"
            )
        return fmt
    for fmt in (format_from_scene(path, scene) if scene is not None else None, format_from_name(path)):
        if fmt is not None and fmt.n_channels == n_channels:
            return fmt
    if n_channels == 2:
        raise See2SoundError(
            f"{path}: 2 channels can be stereo or binaural, and neither its name nor the scene says which",
            hint="pass --format stereo|binaural",
        )
    if n_channels not in _BY_CHANNELS:
        raise See2SoundError(f"{path}: {n_channels} channels match no format ({', '.join(FORMAT_NAMES)})")
    return _BY_CHANNELS[n_channels]


def _load_hrtf(spec: str, sample_rate: int):
    from ..pipeline.hrtf import load_hrtf

    return load_hrtf(spec, sample_rate)


def evaluate(
    audio: Path = typer.Argument(..., help="The render to evaluate (.wav or .flac)."),
    scene_path: Path = typer.Option(..., "--scene", help="The scene.json it was rendered from."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a table."),
    format_name: str = typer.Option(
        None,
        "--format",
        help=f"Layout of AUDIO ({', '.join(FORMAT_NAMES)}); default: what `run` recorded in the scene, "
        "else the file name (photo.binaural.wav), else the channel count.",
    ),
    hrtf: str = typer.Option(
        None,
        "--hrtf",
        help="Binaural: the HRTF used for rendering (analytic, "
        "auto or a .sofa file); default: the cues of Woodworth's spherical head.",
    ),
) -> None:
    """Measure each source's direction against the scene, and the signal's health.

    An evaluation, not a gate: the exit status is 0 whatever the numbers (1 only for bad input).
    """
    from ..evaluation.evaluate import evaluate_render
    from ..media.audio import read_audio
    from ..scene import load_scene

    scene = load_scene(scene_path)
    y, sr = read_audio(audio)
    fmt = infer_format(y.shape[0], format_name, audio, scene)
    stems = {}
    for src in scene.sources:
        path = scene.audio_path(src)
        if path is not None:
            stems[src.id] = read_audio(path, sample_rate=sr, mono=True)[0][0]
    loaded_hrtf = None
    if hrtf is not None:
        if not fmt.binaural:
            raise See2SoundError(f"--hrtf applies to binaural audio, {audio} is {fmt.name}")
        loaded_hrtf = _load_hrtf(hrtf, sr)
    report = evaluate_render(y, sr, fmt, scene, stems=stems or None, hrtf=loaded_hrtf)
    report["audio"] = str(audio)
    report["scene"] = str(scene_path)
    if report["isolation"] == "none":
        log.warning("several sources and not all stems available: directions cannot be told apart")
    if as_json:
        print(json.dumps(report, indent=2, allow_nan=False))
        return
    print(_table(report))


def _fmt(value, unit: str = "", digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value}{unit}"
    return f"{value:.{digits}f}{unit}"


def _table(report: dict) -> str:
    head = f"{report['audio']}: {report['format']}, {report['sample_rate']} Hz"
    lines = [f"{head}, {report['duration_s']:.2f} s"]
    lines.append(f"{'source':<16}{'intended az/el':>16}{'estimated az/el':>17}{'az err':>9}{'el err':>9}")
    for src in report["sources"]:
        intended = f"{_fmt(src.get('intended_azimuth_deg'))}/{_fmt(src.get('intended_elevation_deg'))}"
        estimated = f"{_fmt(src.get('estimated_azimuth_deg'))}/{_fmt(src.get('estimated_elevation_deg'))}"
        lines.append(
            f"{src['id']:<16}{intended:>16}{estimated:>17}{_fmt(src['azimuth_error_deg'], '°'):>9}"
            f"{_fmt(src['elevation_error_deg'], '°'):>9}"
        )
    lines.append(
        f"median azimuth error {_fmt(report['median_azimuth_error_deg'], '°')}, "
        f"elevation error {_fmt(report['median_elevation_error_deg'], '°')}"
    )
    if "energy_map_cc" in report:
        lines.append(f"energy-map correlation {_fmt(report['energy_map_cc'], '', 3)}")
    lines.append(
        f"loudness {_fmt(report['loudness_lufs'], ' LUFS')}, "
        f"true peak {_fmt(report['true_peak_dbtp'], ' dBTP')}, "
        f"clipped samples {report['clipped_samples']}, max DC {report['dc_offset_max']:.2e}"
    )
    lines.append(
        f"max inter-channel coherence {_fmt(report['max_interchannel_coherence'], '', 3)}, "
        f"dual mono {_fmt(report['dual_mono'])}, "
        f"LFE above 120 Hz {_fmt(report['lfe_above_120hz_db'], ' dB')}"
    )
    return "\n".join(lines)


def mono_mix(y: np.ndarray, n_channels: int) -> np.ndarray:
    """Mono signal for the similarity metrics: W for ambisonics, else the mean of the non-LFE channels."""
    fmt = _BY_CHANNELS.get(n_channels)
    if fmt is not None and fmt.is_ambisonic:
        return y[0]
    keep = [i for i in range(n_channels) if fmt is None or fmt.channels[i] != "LFE"]
    return y[keep].mean(axis=0)


def compare(
    audio_a: Path = typer.Argument(..., help="First audio file."),
    audio_b: Path = typer.Argument(..., help="Second audio file."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """The paper's similarity metrics (MFCC-DTW, ZCR, chroma, spectral contrast, rhythm), done right."""
    from ..evaluation.similarity import compare_signals
    from ..media.audio import read_audio

    a, sr_a = read_audio(audio_a)
    b, sr_b = read_audio(audio_b)
    scores = compare_signals(mono_mix(a, a.shape[0]), mono_mix(b, b.shape[0]), sr_a, sr_b)
    if as_json:
        print(json.dumps({"a": str(audio_a), "b": str(audio_b), **scores}, indent=2))
        return
    for key, value in scores.items():
        print(f"{key:<18}{value:.3f}")


def register(app: typer.Typer) -> None:
    app.command("evaluate")(evaluate)
    app.command("compare")(compare)

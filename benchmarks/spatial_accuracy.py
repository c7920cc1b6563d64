"""Spatial accuracy: where each source is heard, for our panning, the paper's method and pyroomacoustics.

Known-direction scenes (one source swept around the circle and over the sphere, three simultaneous sources, a
moving source; at 5 m) are rendered by see2sound's renderer (``--method panning``), by the paper's method
(``--method paper``: omni microphones at the loudspeaker positions) and by its pyroomacoustics equivalent (an
anechoic room with the same microphones), then scored by the same renderer-independent estimators
(``see2sound.evaluation``: Gerzon energy vector, FOA/HOA active intensity, binaural ITD/ILD against the
HRTF used).

    .venv/bin/python benchmarks/spatial_accuracy.py [--quick]

Goals (issue 7): median energy-vector error ≤ 2° for 5.1 and 7.1.4, ≤ 5° through binaural ITD/ILD,
≤ 2° for FOA.
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import numpy as np
from scipy.signal import butter, sosfilt

from see2sound.evaluation.binaural import hrtf_cues
from see2sound.evaluation.evaluate import evaluate_render
from see2sound.evaluation.layouts import speaker_vectors
from see2sound.formats import FORMATS
from see2sound.geometry import direction_to_vector
from see2sound.pipeline.hrtf import load_hrtf
from see2sound.pipeline.render import load_stems
from see2sound.scene import Scene, load_scene
from see2sound.spatial.render import RenderOptions, render_scene

SR = 48000
DISTANCE_M = 5.0
MIC_RADIUS_M = 2.0
GOALS = {"5.1": 2.0, "7.1.4": 2.0, "binaural": 5.0, "foa": 2.0, "hoa3": 2.0}


def noise(seconds: float, seed: int, band=None) -> np.ndarray:
    y = np.random.default_rng(seed).standard_normal(int(seconds * SR)) * 0.1
    if band is not None:
        y = sosfilt(butter(6, band, "bandpass", fs=SR, output="sos"), y)
    return y.astype(np.float32)


def scene_of(sources: list[dict], duration: float) -> Scene:
    return Scene.from_dict({"version": 1, "duration": duration, "sample_rate": SR, "sources": sources})


def fixed(sid: str, az: float, el: float) -> dict:
    return {"id": sid, "position": {"azimuth": az, "elevation": el, "distance": DISTANCE_M}}


def scenes(quick: bool):
    """(name, scene, signals) for every test scene."""
    step = 45 if quick else 15
    for az in range(-180, 180, step):
        yield "circle", scene_of([fixed("s", az, 0.0)], 0.5), {"s": noise(0.5, az % 360)}
    for el in (-30.0, 30.0, 60.0):
        for az in range(-180, 180, 45 if not quick else 90):
            yield "sphere", scene_of([fixed("s", az, el)], 0.5), {"s": noise(0.5, az % 360 + int(el) + 100)}
    trio = [fixed("a", 20.0, 0.0), fixed("b", -75.0, 10.0), fixed("c", 140.0, 30.0)]
    # broadband noises playing together: told apart by the least-squares fit on their stems
    yield "three at once", scene_of(trio, 1.0), {k: noise(1.0, 50 + i) for i, k in enumerate("abc")}
    moving = {
        "id": "m",
        "trajectory": [
            {"t": 0.0, "azimuth": 90.0, "distance": DISTANCE_M},
            {"t": 2.0, "azimuth": -90.0, "distance": DISTANCE_M},
        ],
    }
    yield "moving", scene_of([moving], 2.0), {"m": noise(2.0, 99)}
    example = Path(__file__).resolve().parents[1] / "examples" / "scene" / "scene.json"
    if example.exists():  # the bundled scene: birds (narrow-band chirps), waves, a passing car
        scene = load_scene(example)
        yield "example scene", scene, load_stems(scene, SR)


def render_pyroomacoustics(scene: Scene, signals: dict, fmt_name: str) -> np.ndarray | None:
    """The paper's set-up in pyroomacoustics: omni mics at the loudspeaker directions, anechoic."""
    import pyroomacoustics as pra

    if any(src.is_moving for src in scene.sources):
        return None  # pyroomacoustics has no moving sources
    pra.constants.set("rir_hpf_enable", False)
    fmt = FORMATS[fmt_name]
    speakers, index = speaker_vectors(fmt)
    room = pra.AnechoicRoom(dim=3, fs=SR)
    room.add_microphone_array((speakers * MIC_RADIUS_M).T)
    for src in scene.sources:
        p = src.position
        room.add_source(direction_to_vector(p.azimuth, p.elevation) * p.distance, signal=signals[src.id])
    room.simulate()
    n = int(round(scene.duration * SR))
    out = np.zeros((fmt.n_channels, n))
    sig = room.mic_array.signals[:, :n]
    out[index, : sig.shape[1]] = sig
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer directions")
    args = parser.parse_args()
    hrtfs = {"analytic": load_hrtf("analytic", SR)}
    measured = load_hrtf("auto", SR)  # a measured set when `see2sound models fetch hrtf` cached one
    if measured.name != "analytic":
        hrtfs[measured.name] = measured
    cues = {
        name: hrtf_cues(h.directions, h.hrirs, SR, 1024, h.min_phase, h.delays_samples)
        for name, h in hrtfs.items()
    }
    runs = [
        ("5.1", "panning"),
        ("5.1", "paper"),
        ("5.1", "pyroomacoustics"),
        ("7.1.4", "panning"),
        ("7.1.4", "paper"),
        ("7.1.4", "pyroomacoustics"),
        *[("binaural", f"panning, {name}") for name in hrtfs],
        ("foa", "panning"),
        ("hoa3", "panning"),
    ]
    results: dict[tuple[str, str, str], list[dict]] = {}
    agreement: list[float] = []
    t0 = time.perf_counter()
    for name, scene, signals in scenes(args.quick):
        estimates = {}
        for fmt_name, method in runs:
            fmt = FORMATS[fmt_name]
            hrtf_name = method.split(", ")[1] if fmt.binaural else None
            if method == "pyroomacoustics":
                y = render_pyroomacoustics(scene, signals, fmt_name)
                if y is None:
                    continue
            else:
                options = RenderOptions(
                    format=fmt_name, method=method.split(",")[0], sample_rate=SR, loudness_lufs=None
                )
                y = render_scene(scene, signals, options, hrtf=hrtfs.get(hrtf_name))
            report = evaluate_render(y, SR, fmt, scene, stems=signals, hrtf=cues.get(hrtf_name))
            results.setdefault((name, fmt_name, method), []).extend(report["sources"])
            estimates[(fmt_name, method)] = [s.get("estimated_azimuth_deg") for s in report["sources"]]
        for fmt_name in ("5.1", "7.1.4"):  # does our paper method agree with pyroomacoustics?
            a, b = estimates.get((fmt_name, "paper")), estimates.get((fmt_name, "pyroomacoustics"))
            if a and b:
                agreement += [
                    abs((x - y + 180) % 360 - 180)
                    for x, y in zip(a, b, strict=True)
                    if x is not None and y is not None
                ]
    elapsed = time.perf_counter() - t0

    print(
        f"# spatial accuracy, {platform.machine()} {platform.python_version()}, "
        f"{'quick' if args.quick else 'full'} run, {elapsed:.0f} s"
    )
    print(
        "median / 90th-percentile absolute error in degrees over sources "
        "(moving: median over time per source)"
    )
    header = (
        f"| {'scene':<13} | {'format':<8} | {'method':<17} | {'n':>3} | {'az median':>9} "
        f"| {'az p90':>7} | {'el median':>9} | {'goal':>5} | {'met':<3} |"
    )
    print(header)
    print("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    medians = {}
    for (name, fmt_name, method), sources in results.items():
        az = np.array([s["azimuth_error_deg"] for s in sources if s["azimuth_error_deg"] is not None])
        el = [s["elevation_error_deg"] for s in sources if s.get("elevation_error_deg") is not None]
        med = float(np.median(az)) if az.size else float("nan")
        medians[(name, fmt_name, method)] = med
        goal = GOALS[fmt_name] if method.startswith("panning") else None
        met = "-" if goal is None else ("yes" if med <= goal else "no")
        el_text = f"{np.median(el):9.2f}" if el else f"{'-':>9}"
        print(
            f"| {name:<13} | {fmt_name:<8} | {method:<17} | {az.size:>3} | {med:9.2f} | "
            f"{np.percentile(az, 90):7.2f} | {el_text} | {goal if goal else '-':>5} | {met:<3} |"
        )
    print()
    for name in dict.fromkeys(k[0] for k in results):
        for fmt_name in ("5.1", "7.1.4"):
            ours, paper = medians.get((name, fmt_name, "panning")), medians.get((name, fmt_name, "paper"))
            if ours is not None and paper is not None:
                print(f"{name:<13} {fmt_name:<6} paper − panning median error: {paper - ours:+.1f}°")
    if agreement:
        print(
            f"paper method vs pyroomacoustics: median |Δ estimated azimuth| {np.median(agreement):.2f}°, "
            f"max {np.max(agreement):.2f}° over {len(agreement)} estimates"
        )


if __name__ == "__main__":
    main()

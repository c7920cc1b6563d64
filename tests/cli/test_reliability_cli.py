"""Every failure a user can meet, through the command line: one line, the right exit status, no hang,
nothing of another run replaced, nothing finished lost, nothing half-made left behind."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PIL import Image

from ..pipeline.test_run import draw_scene

SR = 16000
SRC = str(Path(__file__).resolve().parents[2] / "src")
ENV = {**os.environ, "PYTHONPATH": SRC}
RUN = ("--format", "stereo", "--sources", "1", "--duration", "1", "--quiet")


def _picture(tmp_path: Path, name: str = "pic.png") -> Path:
    path = tmp_path / name
    draw_scene(96, 64, 30).save(path)
    return path


def _gif(tmp_path: Path, size: int = 32, name: str = "anim.gif") -> Path:
    rng = np.random.default_rng(0)
    frames = [Image.fromarray(rng.integers(0, 255, (size, size, 3), dtype=np.uint8)) for _ in range(3)]
    path = tmp_path / name
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=200, loop=0)
    return path


def _scene(folder: Path, sources=None, duration: float = 1.0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    sf.write(folder / "a.wav", (rng.standard_normal(SR) * 0.1).astype(np.float32), SR)
    sources = sources or [{"id": "a", "audio": "a.wav", "position": {"azimuth": 30.0}}]
    path = folder / "scene.json"
    path.write_text(json.dumps({"version": 1, "sample_rate": SR, "duration": duration, "sources": sources}))
    return path


def _one_error_line(code: int, err: str, *needles: str) -> None:
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and "--debug" not in err
    for needle in needles:
        assert needle in lines[0], lines[0]


def _leftovers(folder: Path) -> list[str]:
    """Unfinished files, locks and empty folders under ``folder``."""
    bad = [p for p in folder.rglob("*") if ".part" in p.name or p.name == ".see2sound.lock"]
    bad += [p for p in folder.rglob("*") if p.is_dir() and not any(p.iterdir())]
    return sorted(str(p) for p in bad)


# -- inputs that are not regular files, and bounds ---------------------------------------------------
@pytest.mark.parametrize("kind", ["fifo scene", "fifo config", "dev-zero scene"])
def test_fifo_and_dev_zero_inputs_end_at_once_with_one_line(tmp_path, kind):
    special = tmp_path / ("cfg.toml" if "config" in kind else "scene.json")
    if kind.startswith("fifo"):
        os.mkfifo(special)
    else:
        special.symlink_to("/dev/zero")
    if "config" in kind:
        args = ["run", str(_picture(tmp_path)), "-o", str(tmp_path / "out"), "--config", str(special)]
    else:
        args = ["render", str(special), "-o", str(tmp_path / "out.wav")]
    done = subprocess.run(
        [sys.executable, "-m", "see2sound", *args], env=ENV, capture_output=True, text=True, timeout=60
    )
    _one_error_line(done.returncode, done.stderr, str(special), "not a regular file")
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.wav").exists()


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("--duration", "1e9"), ("--duration", "1e+09", "limit of 21600 s")),
        (("--sources", str(2**70)), ("--sources", "must be 1 to 64")),
        (("--format", ""), ("--format", "no format given")),
    ],
)
def test_run_refuses_absurd_options(cli, tmp_path, args, needles):
    code, _, err = cli("run", _picture(tmp_path), "-o", tmp_path / "out", *args)
    _one_error_line(code, err, *needles)
    assert not (tmp_path / "out").exists()


def test_sonify_and_render_refuse_absurd_sizes(cli, tmp_path):
    scene = _scene(tmp_path / "s")
    code, _, err = cli("sonify", scene, "--duration", "1e9")
    _one_error_line(code, err, "--duration", "limit of 21600 s")
    code, _, err = cli("render", scene, "-o", tmp_path / "o.wav", "--method", "paper", "--mic-radius", "1e9")
    _one_error_line(code, err, "--mic-radius", "1e+09 m", "limit of 100 m")
    for bad, needles in [
        ({"duration": 36000}, ("duration", "36000 s", "limit of 21600 s")),
        ({"distance": 1e300}, ("distance", "1e+300 m", "limit of 10000 m")),
    ]:
        duration = bad.get("duration", 1.0)
        position = {"azimuth": 0.0, "distance": bad.get("distance", 1.0)}
        path = _scene(tmp_path / "b", [{"id": "a", "audio": "a.wav", "position": position}], duration)
        code, _, err = cli("render", path, "-o", tmp_path / "o.wav")
        _one_error_line(code, err, *needles)
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    code, _, err = cli("render", deep, "-o", tmp_path / "o.wav")
    _one_error_line(code, err, "nested too deeply")
    assert not (tmp_path / "o.wav").exists()


@pytest.mark.parametrize(
    ("change", "options", "why"),
    [
        ({"position": {"azimuth": 0, "distance": 5000.0}}, ["--propagation-delay"], "arrives after"),
        ({"active": [5.0, 6.0]}, [], "after the scene ends"),
        ({"gain_db": -95.0, "position": {"azimuth": 0, "distance": 1000.0}}, ["--loudness", "off"], "below"),
        ({"silent": True}, [], "stem is silent"),
    ],
)
def test_a_source_that_will_not_be_heard_is_named(cli, tmp_path, change, options, why):
    source = {"id": "quiet", "audio": "a.wav", "position": {"azimuth": 30.0}}
    source.update({k: v for k, v in change.items() if k != "silent"})
    scene = _scene(tmp_path / "s", [source], duration=1.0)
    if change.get("silent"):
        sf.write(tmp_path / "s" / "a.wav", np.zeros(SR, np.float32), SR)
    code, _, err = cli("render", scene, "-o", tmp_path / "o.wav", *options)
    assert code == 0, err
    assert "warning: source 'quiet' will not be heard" in err and why in err


# -- messages --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("run", "x.png", "--bogus"), "Error: No such option: --bogus"),
        (("run",), "Error: Missing argument 'INPUT'."),
        (("run", "x.png", "--sources", "many"), "Error: Invalid value for '--sources'"),
    ],
)
def test_usage_errors_show_the_usage_line_and_the_message(cli, args, message):
    code, out, err = cli(*args)
    assert code == 2 and out == ""
    assert err.startswith("Usage: see2sound run ") and message in err
    assert "NoSuchOption" not in err and "BadParameter" not in err and "--debug" not in err


@pytest.mark.parametrize(
    ("toml", "needles"),
    [
        ('sources = "many"', ("'sources'", "must be an integer", "'many'")),
        ("seed = 1.5", ("'seed'", "must be an integer", "1.5")),
        ('output = "elsewhere"', ("'output'", "not allowed in a config file", "-o")),
        ("duration = true", ("'duration'", "must be a number")),
    ],
)
def test_bad_config_values_name_the_key(cli, tmp_path, toml, needles):
    (tmp_path / "cfg.toml").write_text(toml + "\n")
    code, _, err = cli("run", _picture(tmp_path), "-o", tmp_path / "out", "--config", tmp_path / "cfg.toml")
    _one_error_line(code, err, "cfg.toml", *needles)
    assert not (tmp_path / "out").exists()


def test_a_full_disk_names_the_file_and_the_cause(cli, tmp_path, monkeypatch):
    import shutil

    def full(self, data):
        raise sf.LibsndfileError(2)  # libsndfile's "System error." when write() fails

    scene = _scene(tmp_path / "s")
    monkeypatch.setattr(sf.SoundFile, "write", full)
    monkeypatch.setattr(shutil, "disk_usage", lambda _p: shutil._ntuple_diskusage(10**9, 10**9, 0))
    out = tmp_path / "o.wav"
    code, _, err = cli("render", scene, "-o", out)
    assert err.strip() == f"error: {out}: no space left on device"
    assert code == 1 and _leftovers(tmp_path) == [] and not out.exists()


def test_an_output_folder_that_cannot_be_made_is_one_line(cli, tmp_path, monkeypatch):
    # (the tests run as root, whom a read-only mode does not stop: the file system's answer is simulated)
    real_mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if self.name == "out":
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))
        return real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    code, _, err = cli("run", _picture(tmp_path), "-o", tmp_path / "ro" / "out", *RUN)
    _one_error_line(code, err, "out", "cannot create output folder", "read-only file system")


def test_probe_fails_on_truncated_pictures_and_says_audio_has_none(cli, tmp_path):
    picture = _picture(tmp_path)
    Image.open(picture).save(tmp_path / "pic.jpg", quality=90)
    for name in ("pic.png", "pic.jpg"):
        data = (tmp_path / name).read_bytes()
        for fraction in (0.1, 0.5, 0.9):
            cut = tmp_path / f"cut{int(fraction * 100)}{Path(name).suffix}"
            cut.write_bytes(data[: int(len(data) * fraction)])
            code, out, err = cli("probe", cut)
            _one_error_line(code, err, cut.name)
    sf.write(tmp_path / "tone.wav", np.zeros(SR, np.float32), SR)
    code, out, err = cli("probe", tmp_path / "tone.wav")
    assert code == 0 and "pictures: none (an audio-only file" in out
    code, out, _ = cli("probe", tmp_path / "tone.wav", "--json")
    assert json.loads(out)["has_pictures"] is False


@pytest.mark.parametrize("size", [1, 2, 4])
def test_tiny_valid_pictures_are_analysed(cli, tmp_path, size):
    path = tmp_path / f"tiny{size}.png"
    Image.fromarray(np.full((size, size, 3), (200, 40, 40), np.uint8)).save(path)
    code, _, err = cli("run", path, "-o", tmp_path / "out", *RUN)
    assert code == 0, err
    assert sf.info(tmp_path / "out" / f"tiny{size}.stereo.wav").frames == 48000


def test_a_gif_of_4x4_frames_is_analysed(cli, tmp_path):
    code, _, err = cli("run", _gif(tmp_path, 4), "-o", tmp_path / "out", *RUN, "--no-video")
    assert code == 0, err


# -- outputs ---------------------------------------------------------------------------------------------
def test_run_outputs_follow_the_umask(cli, tmp_path):
    old = os.umask(0o022)
    try:
        code, _, err = cli("run", _picture(tmp_path), "-o", tmp_path / "out", *RUN)
    finally:
        os.umask(old)
    assert code == 0, err
    files = [p for p in (tmp_path / "out").rglob("*") if p.is_file()]
    assert len(files) >= 4
    assert {p.name: oct(p.stat().st_mode & 0o777) for p in files} == {p.name: "0o644" for p in files}


@pytest.mark.parametrize("existing", ["scene.json", "preview.png", "CREDITS.txt", "stems/s0.wav"])
def test_run_refuses_every_existing_output_before_any_work(cli, tmp_path, existing):
    out = tmp_path / "out"
    target = out / existing
    target.parent.mkdir(parents=True)
    target.write_bytes(b"another run's file")
    code, _, err = cli("run", _picture(tmp_path), "-o", out, *RUN)
    _one_error_line(code, err, existing, "already exists", "--overwrite")
    assert target.read_bytes() == b"another run's file"
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [existing]


def test_a_late_failure_keeps_the_finished_work_and_says_so(cli, tmp_path, monkeypatch):
    import see2sound.media as media
    from see2sound.errors import MediaError

    def broken_mux(*args, **kwargs):
        raise MediaError("mux failed")

    monkeypatch.setattr(media, "mux", broken_mux)
    out = tmp_path / "out"
    code, _, err = cli("run", _gif(tmp_path), "-o", out, *RUN, "--video")
    assert code == 1 and "error: mux failed" in err
    assert "kept the finished outputs" in err and "anim.stereo.wav" in err
    assert sf.info(out / "anim.stereo.wav").frames == 48000
    assert (out / "scene.json").exists() and not (out / "anim.mp4").exists()
    assert _leftovers(out) == []


def test_sonify_regenerate_does_not_replace_an_unrelated_stem(cli, tmp_path):
    scene = _scene(tmp_path / "s", [{"id": "a", "audio": "a.wav", "position": {"azimuth": 0.0}}])
    (tmp_path / "s" / "stems").mkdir()
    (tmp_path / "s" / "stems" / "a.wav").write_bytes(b"unrelated")
    code, _, err = cli("sonify", scene, "--regenerate", "--sound", "procedural")
    _one_error_line(code, err, "stems/a.wav", "already exists", "--overwrite")
    assert (tmp_path / "s" / "stems" / "a.wav").read_bytes() == b"unrelated"
    code, _, err = cli("sonify", scene, "--regenerate", "--sound", "procedural", "--overwrite")
    assert code == 0, err


# -- paths a scene may read ---------------------------------------------------------------------------
def test_render_reads_stems_only_inside_the_scene_folder_unless_allowed(cli, tmp_path):
    _scene(tmp_path / "elsewhere")
    folder = tmp_path / "s"
    for i, audio in enumerate(("../elsewhere/a.wav", str(tmp_path / "elsewhere" / "a.wav"))):
        scene = _scene(folder, [{"id": "a", "audio": audio, "position": {"azimuth": 0.0}}])
        out = tmp_path / f"o{i}.wav"
        code, _, err = cli("render", scene, "-o", out)
        _one_error_line(code, err, "'a'", "outside the scene's folder", "--allow-outside-paths")
        assert not out.exists()
        code, _, err = cli("render", scene, "-o", out, "--allow-outside-paths")
        assert code == 0, err
    (folder / "list.m3u8").write_text("#EXTM3U\n#EXTINF:1,\n../elsewhere/a.wav\n")
    scene = _scene(folder, [{"id": "a", "audio": "list.m3u8", "position": {"azimuth": 0.0}}])
    code, _, err = cli("render", scene, "-o", tmp_path / "p.wav")
    _one_error_line(code, err, "list.m3u8", "playlist")


def test_render_of_a_damaged_flac_stem_is_one_line(cli, tmp_path):
    folder = tmp_path / "s"
    scene = _scene(folder, [{"id": "a", "audio": "a.flac", "position": {"azimuth": 0.0}}], duration=2.0)
    rng = np.random.default_rng(0)
    sf.write(folder / "a.flac", (rng.standard_normal(2 * SR) * 0.1).astype(np.float32), SR, format="FLAC")
    data = bytearray((folder / "a.flac").read_bytes())
    for i in rng.integers(len(data) // 3, len(data), 400):
        data[i] ^= 0xFF
    (folder / "a.flac").write_bytes(bytes(data))
    code, _, err = cli("render", scene, "-o", tmp_path / "o.wav")
    _one_error_line(code, err, "a.flac")
    assert "LibsndfileError" not in err and not (tmp_path / "o.wav").exists()


def test_cache_clean_bounds_the_stem_cache(cli):
    from see2sound.cache import cache_root

    folder = cache_root() / "stems"
    folder.mkdir(parents=True)
    for i in range(5):
        (folder / f"k{i}.npy").write_bytes(b"\0" * 100_000)
        (folder / f"k{i}.json").write_text("{}")
        os.utime(folder / f"k{i}.npy", (1e9 + i, 1e9 + i))
        os.utime(folder / f"k{i}.json", (1e9 + i, 1e9 + i))
    code, out, err = cli("cache", "clean", "--max-mb", "0.25", "--max-days", "100000")
    assert code == 0, err
    assert out.startswith("removed 3 cached stem(s)")
    assert sorted(p.stem for p in folder.glob("*.npy")) == ["k3", "k4"]
    code, out, _ = cli("cache", "clean", "--all")
    assert code == 0 and list(folder.iterdir()) == []


# -- one run owns its folder; signals --------------------------------------------------------------------
STALL = r"""
import os, sys, time
from pathlib import Path

point, args = sys.argv[1], sys.argv[2:]


def stall(tag):
    print(f"STALL {tag}", file=sys.stderr, flush=True)
    go = os.environ.get("GO_FILE")
    while not (go and Path(go).exists()):
        time.sleep(0.02)


if point == "analysis":
    import see2sound.pipeline.analyze as module

    real = module.analyze

    def analyze(*a, **k):
        stall(point)
        return real(*a, **k)

    module.analyze = analyze
elif point == "stem":
    import soundfile

    real = soundfile.SoundFile.write

    def write(self, data):  # the first block of the first stem: its .part file is open
        if "stems" in str(self.name) and not getattr(write, "done", False):
            write.done = True
            stall(point)
        return real(self, data)

    soundfile.SoundFile.write = write
elif point == "write":
    import soundfile

    real = soundfile.SoundFile.write

    def write(self, data):  # the first block of the output: its .part file is open
        stall(point)
        return real(self, data)

    soundfile.SoundFile.write = write
elif point == "mux":
    import see2sound.media.muxer as module

    real = module._mux_in_time_order

    def mux(*a, **k):
        stall(point)
        return real(*a, **k)

    module._mux_in_time_order = mux
from see2sound.cli import main

sys.exit(main(args))
"""


def _stalled(tmp_path: Path, point: str, args: list, env: dict | None = None) -> subprocess.Popen:
    """The CLI in a subprocess, stopped at ``point``; ``proc.seen`` holds its stderr up to there."""
    script = tmp_path / "stall.py"
    script.write_text(STALL)
    proc = subprocess.Popen(
        [sys.executable, str(script), point, *map(str, args)],
        env={**ENV, **(env or {})},
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    proc.seen = ""
    for line in proc.stderr:
        if line.startswith(f"STALL {point}"):
            return proc
        proc.seen += line
    proc.wait(timeout=60)
    raise AssertionError(f"never reached {point}: exit {proc.returncode}")


@pytest.mark.parametrize(
    ("point", "sig", "kept"),
    [
        ("analysis", signal.SIGTERM, None),
        ("stem", signal.SIGTERM, ["scene.json"]),
        ("mux", signal.SIGINT, ["anim.stereo.wav", "scene.json", "stems/s0.wav"]),
        ("mux", signal.SIGTERM, ["anim.stereo.wav", "scene.json", "stems/s0.wav"]),
    ],
)
def test_signals_clean_up_keep_finished_work_and_exit_128_plus_signal(tmp_path, point, sig, kept):
    out = tmp_path / "out"
    quiet = [] if sig == signal.SIGINT else ["--quiet"]  # one case shows the progress display
    args = ["run", _gif(tmp_path), "-o", out, *RUN[:-1], *quiet, "--video"]
    proc = _stalled(tmp_path, point, args)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    err = proc.seen + err
    assert proc.returncode == 128 + sig
    assert err.strip().splitlines()[-1] == (
        "error: interrupted" if sig == signal.SIGINT else "error: terminated"
    )
    if quiet:
        assert "✓" not in err
    else:  # finished steps are ticked, the interrupted one is not
        assert "✓ rendering stereo" in err and "✗ writing anim.mp4" in err and "✓ writing" not in err
    if kept is None:
        assert not out.exists()
        return
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert set(kept) <= set(files) and "anim.mp4" not in files
    assert _leftovers(out) == []
    assert "kept the finished outputs" in err


def test_a_second_run_into_a_busy_folder_is_refused_and_the_first_finishes(cli, tmp_path):
    out = tmp_path / "out"
    picture = _picture(tmp_path)
    go = tmp_path / "go"
    first = _stalled(tmp_path, "analysis", ["run", picture, "-o", out, *RUN], {"GO_FILE": str(go)})
    try:
        code, _, err = cli("run", picture, "-o", out, *RUN, "--overwrite")
        _one_error_line(code, err, str(out), f"another see2sound run (PID {first.pid})")
    finally:
        go.touch()
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    assert sf.info(out / "pic.stereo.wav").frames == 48000
    assert _leftovers(out) == []


def test_the_lock_of_a_dead_run_is_taken_over(cli, tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    out = tmp_path / "out"
    out.mkdir()
    (out / ".see2sound.lock").write_text(f"{dead.pid}\n")
    code, _, err = cli("run", _picture(tmp_path), "-o", out, *RUN)
    assert code == 0, err
    assert not (out / ".see2sound.lock").exists()


def test_sigterm_while_render_writes_leaves_no_part_file(tmp_path):
    scene = _scene(tmp_path / "s")
    out = tmp_path / "o.wav"
    proc = _stalled(tmp_path, "write", ["render", scene, "-o", out])
    assert any(".part" in p.name for p in tmp_path.iterdir())
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143 and err.strip() == "error: terminated"
    assert not out.exists() and _leftovers(tmp_path) == []


def test_probe_refuses_an_mp3_whose_header_claims_56_million_seconds(cli, tmp_path):
    from ..test_reliability import bogus_mp3

    path = bogus_mp3(tmp_path / "a.mp3")
    code, out, err = cli("probe", path)
    _one_error_line(code, err, "a.mp3", "damaged header")
    assert out == ""

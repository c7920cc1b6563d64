"""Sound libraries: indexing (names, manifest, sidecars, CSV), matching, caching, fitting, bad input."""

from __future__ import annotations

import json
import logging

import numpy as np
import pytest
import soundfile as sf

from see2sound.errors import See2SoundError
from see2sound.sound import library as library_mod
from see2sound.sound.auto import AutoSound
from see2sound.sound.library import LibrarySound, best_entry, guess_kind, load_library
from see2sound.sound.types import SoundRequest

SR = 16000


def burst(seconds: float, sr: int = SR, seed: int = 0) -> np.ndarray:
    """A one-shot: 0.2 s tone burst followed by near-silence."""
    t = np.arange(int(seconds * sr)) / sr
    y = 0.5 * np.sin(2 * np.pi * 600 * t) * np.exp(-t / 0.05)
    return y + 1e-4 * np.random.default_rng(seed).standard_normal(t.size)


def texture(seconds: float, sr: int = SR, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    y = np.cumsum(rng.standard_normal(int(seconds * sr)))
    y -= np.convolve(y, np.ones(64) / 64, "same")
    return 0.2 * y / np.abs(y).max()


@pytest.fixture
def lib(tmp_path):
    root = tmp_path / "mylib"
    (root / "animals").mkdir(parents=True)
    (root / "nature").mkdir()
    (root / "misc").mkdir()
    (root / "m").mkdir()
    sf.write(root / "animals" / "dog_bark.wav", burst(0.6), SR)
    sf.write(root / "nature" / "wind_loop.flac", texture(1.5), SR)
    sf.write(root / "rec001.wav", burst(0.8, seed=1), 22050)
    (root / "rec001.json").write_text(
        json.dumps(
            {"tags": ["church bell"], "title": "Big bell", "author": "A. Ringer", "license": "CC0-1.0"}
        )
    )
    sf.write(root / "misc" / "thing.wav", burst(0.5, seed=2), SR)
    (root / "tags.csv").write_text("file,tags\nmisc/thing.wav,cat; meow\n")
    sf.write(root / "m" / "x1.wav", texture(1.0, seed=3), SR)
    (root / "manifest.json").write_text(
        json.dumps(
            [
                {
                    "file": "m/x1.wav",
                    "tags": ["horse", "hooves"],
                    "title": "Hooves",
                    "author": "B. Rider",
                    "license": "CC-BY-4.0",
                    "source": "field recording",
                }
            ]
        )
    )
    (root / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunkjunk")
    (root / "notes.txt").write_text("not audio")
    return root


def test_index_reads_names_and_all_metadata(lib, caplog):
    with caplog.at_level(logging.WARNING):
        index = load_library(lib)
    files = {e["file"]: e for e in index.entries}
    assert set(files) == {
        "animals/dog_bark.wav",
        "nature/wind_loop.flac",
        "rec001.wav",
        "misc/thing.wav",
        "m/x1.wav",
    }
    assert files["rec001.wav"]["tags"] == ["church bell"] and files["rec001.wav"]["author"] == "A. Ringer"
    assert files["misc/thing.wav"]["tags"] == ["cat", "meow"]
    assert files["m/x1.wav"]["license"] == "CC-BY-4.0"
    assert "dog" in files["animals/dog_bark.wav"]["words"]
    assert index.skipped == ["broken.wav"]
    assert any("broken.wav" in r.getMessage() and "skipped" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    "label, expected",
    [
        ("dog", "animals/dog_bark.wav"),
        ("barking dogs", "animals/dog_bark.wav"),
        ("puppy", "animals/dog_bark.wav"),
        ("kitten", "misc/thing.wav"),
        ("cat", "misc/thing.wav"),
        ("church bells", "rec001.wav"),
        ("horse", "m/x1.wav"),
        ("Wind", "nature/wind_loop.flac"),
        ("breeze", "nature/wind_loop.flac"),
    ],
)
def test_best_match(lib, label, expected):
    entry, _ = best_entry([load_library(lib)], label, None, seed=0)
    assert entry["file"] == expected


def test_no_match_is_none(lib):
    assert best_entry([load_library(lib)], "quasar", None, seed=0) is None


def test_index_is_cached_and_refreshed_when_files_change(lib, monkeypatch):
    load_library(lib)
    calls = []
    real_build = library_mod._build
    monkeypatch.setattr(library_mod, "_build", lambda *a: calls.append(1) or real_build(*a))
    load_library(lib)
    assert calls == []  # unchanged folder: read from the cache
    sf.write(lib / "animals" / "cow_moo.wav", burst(1.0, seed=4), SR)
    index = load_library(lib)
    assert calls == [1]
    assert best_entry([index], "cow", None, seed=0)[0]["file"] == "animals/cow_moo.wav"


def test_library_backend_fits_length_and_credits(lib):
    backend = LibrarySound([lib], starter=False)
    result = backend.generate(SoundRequest("horse", 3.0, 24000, seed=1))
    assert result.audio.shape == (72000,) and result.audio.dtype == np.float32
    assert np.abs(result.audio).max() < 1.0
    assert result.provenance["backend"] == "library"
    (credit,) = result.provenance["files"]
    assert credit["title"] == "Hooves" and credit["author"] == "B. Rider" and credit["license"] == "CC-BY-4.0"
    again = backend.generate(SoundRequest("horse", 3.0, 24000, seed=1))
    assert np.array_equal(result.audio, again.audio)


def test_one_shot_is_repeated_not_looped(lib):
    result = LibrarySound([lib], starter=False).generate(SoundRequest("dog", 30.0, SR, seed=2))
    assert result.provenance["kind"] == "one_shot"
    env = np.sqrt(np.mean(result.audio[: 30 * SR].reshape(-1, 160).astype(float) ** 2, axis=1))
    onsets = np.flatnonzero((env[1:] > 0.1 * env.max()) & (env[:-1] <= 0.1 * env.max()))
    assert len(onsets) >= 3  # several barks, in bouts
    gaps = np.diff(onsets)
    assert len(set(gaps.tolist())) == len(gaps)  # irregular gaps: not a loop


def test_texture_loop_has_no_seam(lib):
    y = LibrarySound([lib], starter=False).generate(SoundRequest("wind", 6.0, SR, seed=3)).audio.astype(float)
    size, hop = 1024, 512
    count = 1 + (y.size - size) // hop
    mag = np.abs(
        np.fft.rfft(np.stack([y[i * hop : i * hop + size] * np.hanning(size) for i in range(count)]), axis=1)
    )
    flux = np.sqrt(np.mean(np.maximum(np.diff(np.log(mag + 1e-6), axis=0), 0) ** 2, axis=1))
    assert flux[2:-2].max() < 3 * np.median(flux)


def test_guess_kind():
    assert guess_kind(burst(2.0), SR) == "one_shot"
    assert guess_kind(texture(2.0), SR) == "texture"


def test_unmatched_label_on_library_backend_is_an_error(lib):
    with pytest.raises(See2SoundError, match="quasar"):
        LibrarySound([lib], starter=False).generate(SoundRequest("quasar", 1.0, SR))


def test_empty_library_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.txt").write_text("nothing here")
    with pytest.raises(See2SoundError, match="no readable audio"):
        load_library(tmp_path / "empty")
    with pytest.raises(See2SoundError, match="does not exist"):
        load_library(tmp_path / "missing")
    (tmp_path / "file.wav").write_bytes(b"x")
    with pytest.raises(See2SoundError, match="must be a folder"):
        load_library(tmp_path / "file.wav")


def make_starter(folder):
    folder.mkdir(parents=True)
    sf.write(folder / "cow.flac", burst(1.0, seed=5), SR)
    sf.write(folder / "dog.flac", burst(0.5, seed=6), SR)
    entries = [
        {
            "file": "cow.flac",
            "title": "Cow",
            "author": "Jarred",
            "license": "CC0-1.0",
            "tags": ["cow", "moo"],
            "kind": "one_shot",
            "source": "test",
        },
        {
            "file": "dog.flac",
            "title": "Dog",
            "author": "Rex",
            "license": "CC0-1.0",
            "tags": ["dog"],
            "kind": "one_shot",
            "source": "test",
        },
    ]
    (folder / "manifest.json").write_text(json.dumps(entries))
    return folder


def test_auto_order_user_then_starter_then_synthesis(lib, tmp_path, monkeypatch):
    from see2sound.sound import starter

    monkeypatch.setattr(starter, "starter_library_dir", lambda: make_starter(tmp_path / "starter"))
    auto = AutoSound([lib])
    dog = auto.generate(SoundRequest("dog", 2.0, SR))
    assert dog.provenance["files"][0]["file"] == "animals/dog_bark.wav"  # the user's own first
    cow = auto.generate(SoundRequest("cows", 2.0, SR))
    assert cow.provenance["library"] == "starter" and cow.provenance["files"][0]["author"] == "Jarred"
    rain = auto.generate(SoundRequest("rain", 2.0, SR))
    assert rain.provenance["backend"] == "procedural" and rain.provenance["sound_class"] == "rain"


def test_auto_without_any_library_synthesises():
    result = AutoSound([]).generate(SoundRequest("dog", 1.0, SR))
    assert result.provenance["backend"] == "procedural" and result.provenance["sound_class"] == "dog_bark"


def test_starter_is_matched_on_curated_tags_only(tmp_path, monkeypatch):
    """A curated library is matched on its tags: 'car' is not a car crash, a truck is not its horn."""
    from see2sound.sound import starter

    folder = tmp_path / "starter"
    folder.mkdir()
    for name in ("17-car-crash.flac", "25-truck.flac", "26-truck.flac"):
        sf.write(folder / name, burst(0.5), SR)
    entries = [
        {
            "file": "17-car-crash.flac",
            "tags": ["crash", "car crash"],
            "kind": "one_shot",
            "license": "CC0-1.0",
        },
        {"file": "25-truck.flac", "tags": ["truck", "engine"], "kind": "texture", "license": "CC0-1.0"},
        {"file": "26-truck.flac", "tags": ["truck", "truck horn"], "kind": "one_shot", "license": "CC0-1.0"},
    ]
    (folder / "manifest.json").write_text(json.dumps(entries))
    monkeypatch.setattr(starter, "starter_library_dir", lambda: folder)
    auto = AutoSound([])
    assert auto.library.find(SoundRequest("car", 1.0, SR)) is None
    assert auto.generate(SoundRequest("car", 1.0, SR)).provenance["backend"] == "procedural"
    for seed in range(6):  # a truck (an engine texture) is never its horn, whatever the seed
        entry, _ = auto.library.find(SoundRequest("truck", 1.0, SR, seed=seed))
        assert entry["file"] == "25-truck.flac"


def test_stem_cache_key_follows_the_library(lib):
    """Editing a library invalidates its cached stems; an unchanged library hits the cache."""
    from see2sound.sound.stems import generate_cached, stem_key

    request = SoundRequest("dog", 1.0, SR, seed=1)
    first, hit = generate_cached(LibrarySound([lib], starter=False), request)
    assert not hit
    again, hit = generate_cached(LibrarySound([lib], starter=False), request)
    assert hit and np.array_equal(first.audio, again.audio)
    key = stem_key(LibrarySound([lib], starter=False), request)
    sf.write(lib / "animals" / "dog_bark.wav", 0.5 * burst(0.7, seed=9), SR)  # the user edits the file
    assert stem_key(LibrarySound([lib], starter=False), request) != key
    fresh, hit = generate_cached(LibrarySound([lib], starter=False), request)
    assert not hit and not np.array_equal(fresh.audio, first.audio)


def test_a_horn_from_a_library_sounds_once_or_twice_in_ten_seconds_and_barks_come_in_bouts(tmp_path):
    root = tmp_path / "horns"
    root.mkdir()
    sf.write(root / "car_horn.wav", burst(0.5), SR)
    sf.write(root / "dog_bark.wav", burst(0.8, seed=1), SR)
    backend = LibrarySound([root], starter=False)
    frame = 160

    def onsets(audio):
        env = np.sqrt(
            np.mean(audio[: audio.size // frame * frame].reshape(-1, frame).astype(float) ** 2, axis=1)
        )
        return np.flatnonzero((env[1:] > 0.1 * env.max()) & (env[:-1] <= 0.1 * env.max()))

    for seed in range(6):
        horn = backend.generate(SoundRequest("car horn", 10.0, SR, seed=seed))
        assert horn.provenance["files"][0]["file"] == "car_horn.wav"
        assert 1 <= len(onsets(horn.audio)) <= 2
    barks = onsets(backend.generate(SoundRequest("dog", 60.0, SR, seed=1)).audio) * frame / SR
    gaps = np.diff(barks)
    assert 12 <= barks.size <= 45 and np.any(gaps < 1.0) and np.any(gaps > 3.0)

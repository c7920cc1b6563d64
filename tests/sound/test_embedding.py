"""The optional embedding matcher: only when configured, only when words find nothing, never downloads."""

from __future__ import annotations

import logging

import numpy as np
import pytest
import soundfile as sf

from see2sound.sound import embedding
from see2sound.sound.library import LibrarySound, best_entry, load_library
from see2sound.sound.types import SoundRequest

SR = 16000


class FakeEmbedder:
    """Maps each text to a fixed direction by a keyword it contains (the test decides what 'means' what)."""

    folder = "fake"
    AXES = {"alph": 0, "bet": 1, "gam": 2}  # substrings: 'alphoid' means the same as 'alpha' here

    def __init__(self):
        self.calls = 0

    def encode(self, texts):
        self.calls += 1
        out = np.full((len(texts), 4), 0.05)
        for i, text in enumerate(texts):
            hits = [axis for word, axis in self.AXES.items() if word in text.lower()]
            out[i, hits or [3]] = 1.0  # axis 3: 'about something else'

        return out / np.linalg.norm(out, axis=1, keepdims=True)


@pytest.fixture
def lib(tmp_path):
    root = tmp_path / "lib"
    root.mkdir()
    t = np.arange(SR) / SR
    for name in ("alpha_take.wav", "beta_take.wav"):
        sf.write(root / name, 0.3 * np.sin(2 * np.pi * 300 * t), SR)
    return load_library(root)


def test_embedding_finds_meaning_when_words_do_not(lib):
    fake = FakeEmbedder()
    entry, _ = best_entry([lib], "alphoid", None, 0, embedder=fake)
    assert entry["file"] == "alpha_take.wav" and entry["similarity"] > 0.5
    assert best_entry([lib], "alphoid", None, 0) is None  # without the model: words only


def test_words_win_and_dissimilar_is_no_match(lib):
    fake = FakeEmbedder()
    entry, _ = best_entry([lib], "beta", None, 0, embedder=fake)
    assert entry["file"] == "beta_take.wav" and "similarity" not in entry  # a word match, model not asked
    assert fake.calls == 0
    assert best_entry([lib], "galaxy", None, 0, embedder=fake) is None  # nothing similar enough


def test_entry_vectors_are_cached(lib):
    fake, cache = FakeEmbedder(), {}
    best_entry([lib], "alphoid", None, 0, embedder=fake, embedding_cache=cache)
    best_entry([lib], "betoid", None, 0, embedder=fake, embedding_cache=cache)
    assert fake.calls == 3  # entries once, then one query each


def test_backend_records_how_it_matched(lib, monkeypatch):
    monkeypatch.setattr(embedding, "embedder_from_env", lambda: FakeEmbedder())
    result = LibrarySound([lib.root], starter=False).generate(SoundRequest("alphoid", 1.0, SR))
    assert result.provenance["matched_by"].startswith("embedding")


def test_not_configured_or_broken_is_words_only(tmp_path, monkeypatch, caplog):
    monkeypatch.delenv(embedding.ENV_VAR, raising=False)
    assert embedding.embedder_from_env() is None
    monkeypatch.setenv(embedding.ENV_VAR, str(tmp_path / "missing"))
    with caplog.at_level(logging.WARNING):
        assert embedding.embedder_from_env() is None
    assert "not a folder" in caplog.text


def test_tiny_local_model_loads_and_encodes(tmp_path, monkeypatch):
    """A tiny random BERT saved in the test loads offline through the real code path."""
    import transformers

    words = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "river", "engine", "bird", "water", "a"]
    (tmp_path / "vocab.txt").write_text("\n".join(words) + "\n")
    transformers.BertTokenizer(str(tmp_path / "vocab.txt")).save_pretrained(tmp_path / "model")
    config = transformers.BertConfig(
        vocab_size=len(words),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
    )
    transformers.BertModel(config).save_pretrained(tmp_path / "model")
    monkeypatch.setenv(embedding.ENV_VAR, str(tmp_path / "model"))
    model = embedding.embedder_from_env()
    vectors = model.encode(["river water", "engine", "river water"])
    assert vectors.shape == (3, 16)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.allclose(vectors[0], vectors[2])

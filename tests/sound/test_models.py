"""The text-to-audio backends (AudioLDM 2, Stable Audio Open) on tiny random pipelines built here.

As in diffusers' own tests (``get_dummy_components``), every component is built with tiny sizes, the
pipeline is saved to a temporary folder and loaded through our backend by path. This checks the
wiring: prompts, windows and crossfades, mono, rate, exact length, seeding, the registry's ``check``.
Nothing downloads (HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import torch  # noqa: E402  (the models extra is part of this project's test environment)

# tiny models on a shared 2-core machine: one thread avoids OpenMP contention (20x faster here)
torch.set_num_threads(1)

from see2sound.errors import BackendError, See2SoundError  # noqa: E402
from see2sound.sound.backends import SOUNDS  # noqa: E402
from see2sound.sound.models.audioldm2 import AudioLDM2Sound  # noqa: E402
from see2sound.sound.models.common import (  # noqa: E402
    crossfade_join,
    describe,
    negative_prompt,
    resample_to,
    window_starts,
)
from see2sound.sound.models.stable_audio import StableAudioSound  # noqa: E402
from see2sound.sound.types import SoundRequest  # noqa: E402


def t5_tokenizer(max_length: int):
    from transformers import T5Tokenizer

    words = "a the of sound dog barking rain wind water birds car engine field recording realistic".split()
    pieces = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("▁", -2.0)]
    pieces += [(c, -5.0) for c in "abcdefghijklmnopqrstuvwxyz,."] + [("▁" + w, -3.0) for w in words]
    return T5Tokenizer(vocab=pieces, extra_ids=0, model_max_length=max_length)


def build_audioldm2(folder) -> str:
    from diffusers import (
        AudioLDM2Pipeline,
        AudioLDM2ProjectionModel,
        AudioLDM2UNet2DConditionModel,
        AutoencoderKL,
        DDIMScheduler,
    )
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import (
        ClapConfig,
        ClapFeatureExtractor,
        ClapModel,
        GPT2Config,
        GPT2LMHeadModel,
        RobertaTokenizer,
        SpeechT5HifiGan,
        SpeechT5HifiGanConfig,
        T5Config,
        T5EncoderModel,
    )

    torch.manual_seed(0)
    specials = ["<s>", "<pad>", "</s>", "<unk>"]
    vocab = {t: i for i, t in enumerate(dict.fromkeys(specials + sorted(ByteLevel.alphabet()) + ["<mask>"]))}
    tokenizer = RobertaTokenizer(vocab=vocab, merges=[], model_max_length=32)
    tokenizer_2 = t5_tokenizer(32)
    text_encoder = ClapModel(
        ClapConfig(
            text_config=dict(
                vocab_size=len(vocab),
                hidden_size=16,
                intermediate_size=37,
                num_hidden_layers=2,
                num_attention_heads=2,
                max_position_embeddings=40,
                bos_token_id=0,
                pad_token_id=1,
                eos_token_id=2,
                projection_dim=16,
            ),
            audio_config=dict(
                spec_size=64,
                window_size=4,
                num_mel_bins=64,
                depths=[2, 2],
                hidden_size=192,
                patch_size=2,
                patch_stride=2,
                patch_embed_input_channels=4,
                projection_dim=16,
                num_attention_heads=[2, 2],
            ),
            projection_dim=16,
        )
    )
    feature_extractor = ClapFeatureExtractor(
        feature_size=64, sampling_rate=48000, hop_length=480, max_length_s=1, fft_window_size=1024
    )
    text_encoder_2 = T5EncoderModel(
        T5Config(vocab_size=len(tokenizer_2), d_model=32, d_ff=37, d_kv=8, num_heads=2, num_layers=2)
    )
    language_model = GPT2LMHeadModel(
        GPT2Config(
            n_embd=16, n_head=2, n_layer=2, vocab_size=100, n_positions=99, bos_token_id=0, eos_token_id=1
        )
    )
    language_model.config.max_new_tokens = 8
    projection_model = AudioLDM2ProjectionModel(
        text_encoder_dim=16, text_encoder_1_dim=32, langauge_model_dim=16
    )
    unet = AudioLDM2UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=([None, 16, 32], [None, 16, 32]),
        norm_num_groups=8,
        sample_size=16,
    )
    vae = AutoencoderKL(
        block_out_channels=[16, 32],
        in_channels=1,
        out_channels=1,
        latent_channels=4,
        norm_num_groups=8,
        layers_per_block=1,
        down_block_types=["DownEncoderBlock2D", "DownEncoderBlock2D"],
        up_block_types=["UpDecoderBlock2D", "UpDecoderBlock2D"],
    )
    vocoder = SpeechT5HifiGan(
        SpeechT5HifiGanConfig(
            model_in_dim=16,
            sampling_rate=16000,
            upsample_initial_channel=32,
            upsample_rates=[8, 5, 4],
            upsample_kernel_sizes=[16, 10, 8],
            resblock_kernel_sizes=[3],
            resblock_dilation_sizes=[[1, 3]],
            normalize_before=False,
        )
    )
    pipe = AudioLDM2Pipeline(
        vae=vae,
        text_encoder=text_encoder,
        text_encoder_2=text_encoder_2,
        projection_model=projection_model,
        language_model=language_model,
        tokenizer=tokenizer,
        tokenizer_2=tokenizer_2,
        feature_extractor=feature_extractor,
        unet=unet,
        scheduler=DDIMScheduler(),
        vocoder=vocoder,
    )
    pipe.save_pretrained(folder)
    return str(folder)


def build_stable_audio(folder, scheduler_class: str | None = None) -> str:
    from diffusers import (
        AutoencoderOobleck,
        EDMDPMSolverMultistepScheduler,
        StableAudioDiTModel,
        StableAudioPipeline,
        StableAudioProjectionModel,
    )
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    tokenizer = t5_tokenizer(16)
    pipe = StableAudioPipeline(
        vae=AutoencoderOobleck(
            encoder_hidden_size=8,
            downsampling_ratios=[2, 4, 4, 8, 8],
            channel_multiples=[1, 2, 2, 2, 2],
            decoder_channels=8,
            decoder_input_channels=4,
            audio_channels=2,
            sampling_rate=44100,
        ),
        text_encoder=T5EncoderModel(
            T5Config(vocab_size=len(tokenizer), d_model=32, d_ff=64, d_kv=8, num_heads=4, num_layers=2)
        ),
        projection_model=StableAudioProjectionModel(
            text_encoder_dim=32, conditioning_dim=32, min_value=0, max_value=512
        ),
        tokenizer=tokenizer,
        transformer=StableAudioDiTModel(
            sample_size=32,
            in_channels=4,
            out_channels=4,
            num_layers=2,
            attention_head_dim=8,
            num_attention_heads=2,
            num_key_value_attention_heads=1,
            cross_attention_dim=32,
            time_proj_dim=8,
            global_states_input_dim=64,
            cross_attention_input_dim=32,
        ),
        scheduler=EDMDPMSolverMultistepScheduler(
            solver_order=2, prediction_type="v_prediction", sigma_data=1.0, sigma_schedule="exponential"
        ),
    )
    pipe.save_pretrained(folder)
    if scheduler_class:  # as the released checkpoint names it (that class needs torchsde)
        for name in ("model_index.json", "scheduler/scheduler_config.json"):
            path = folder / name
            config = json.loads(path.read_text())
            if name == "model_index.json":
                config["scheduler"][1] = scheduler_class
            else:
                config["_class_name"] = scheduler_class
            path.write_text(json.dumps(config))
    return str(folder)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("tiny-sound")
    return {"audioldm2": build_audioldm2(root / "audioldm2"), "stable-audio": build_stable_audio(root / "sa")}


@pytest.fixture(scope="module")
def audioldm2(tiny) -> AudioLDM2Sound:
    return AudioLDM2Sound(model=tiny["audioldm2"], device="cpu", steps=2, window_s=1.0, overlap_s=0.25)


@pytest.fixture(scope="module")
def stable_audio(tiny) -> StableAudioSound:
    return StableAudioSound(model=tiny["stable-audio"], device="cpu", steps=2, overlap_s=0.25)


# ---------------------------------------------------------------- pure parts


def test_prompt_joins_label_and_user_words_and_avoids_speech_and_music():
    assert describe("rain") == "the sound of rain, realistic field recording"
    assert (
        describe("car engine", "an old truck idling")
        == "car engine, an old truck idling, realistic field recording"
    )
    assert "speech" in negative_prompt(describe("waterfall")) and "music" in negative_prompt(
        describe("waterfall")
    )
    assert "speech" not in negative_prompt(describe("crowd")) and "music" in negative_prompt(
        describe("crowd")
    )
    assert "music" not in negative_prompt(describe("piano"))


def test_windows_cover_the_duration_with_the_overlap():
    assert window_starts(10, 10, 2) == [0]
    starts = window_starts(1000, 300, 50)
    assert starts[0] == 0 and np.all(np.diff(starts) == 250) and starts[-1] + 300 >= 1000
    assert starts[-2] + 300 < 1000
    with pytest.raises(ValueError):
        window_starts(100, 10, 10)


def test_equal_power_crossfade_keeps_the_level_of_uncorrelated_windows():
    rng = np.random.default_rng(0)
    window, overlap, total = 48000, 12000, 48000 * 4
    starts = window_starts(total, window, overlap)
    clips = [rng.standard_normal(window) for _ in starts]
    joined = crossfade_join(clips, starts, overlap, total)
    frame = 2000
    rms = np.sqrt(np.mean(joined[: total // frame * frame].reshape(-1, frame) ** 2, axis=1))
    assert rms.min() > 0.85 and rms.max() < 1.15  # no dip or bump at the joins
    # a constant 1 through equal-power gains: cos² + sin² = 1 in power, exactly at every sample
    ones = crossfade_join([np.ones(window)] * 2, [0, window - overlap], overlap, 2 * window - overlap)
    ramp = ones[window - overlap : window]
    phase = (np.arange(overlap) + 0.5) / overlap * np.pi / 2
    np.testing.assert_allclose(ramp, np.sin(phase) + np.cos(phase))


def test_resampling_keeps_a_tone():
    rate_in, rate_out = 16000, 48000
    t = np.arange(rate_in) / rate_in
    y = resample_to(np.sin(2 * np.pi * 440 * t), rate_in, rate_out)
    assert len(y) == rate_out
    spectrum = np.abs(np.fft.rfft(y * np.hanning(len(y))))
    assert np.argmax(spectrum) == pytest.approx(440, abs=1)


# ---------------------------------------------------------------- AudioLDM 2


@pytest.mark.parametrize("rate", [48000, 22050])
def test_audioldm2_gives_mono_float32_of_the_exact_length(audioldm2, rate):
    result = audioldm2.generate(SoundRequest("dog barking", 0.7, rate, seed=3))
    assert result.audio.dtype == np.float32 and result.audio.shape == (round(0.7 * rate),)
    assert np.all(np.isfinite(result.audio)) and np.max(np.abs(result.audio)) <= 0.99 + 1e-6
    assert np.std(result.audio) > 0
    prov = result.provenance
    assert prov["backend"] == "audioldm2" and prov["params"]["windows"] == 1
    assert prov["params"]["model_rate"] == 16000
    assert "speech" in prov["negative_prompt"] and "dog barking" in prov["text"]


def test_audioldm2_is_seeded(audioldm2):
    a = audioldm2.generate(SoundRequest("rain", 0.5, 16000, seed=1)).audio
    b = audioldm2.generate(SoundRequest("rain", 0.5, 16000, seed=1)).audio
    c = audioldm2.generate(SoundRequest("rain", 0.5, 16000, seed=2)).audio
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_audioldm2_long_durations_go_through_windows(audioldm2):
    result = audioldm2.generate(SoundRequest("wind", 2.6, 16000, seed=0))
    assert result.audio.shape == (41600,)
    assert result.provenance["params"]["windows"] == 4  # 1 s windows, 0.25 s overlap: 0, .75, 1.5, 2.25
    # before the first join the long sound is the first window: a short request with the same seed
    short = audioldm2.generate(SoundRequest("wind", 0.5, 16000, seed=0)).audio
    np.testing.assert_allclose(result.audio[:8000], short, atol=1e-6)
    assert np.std(result.audio[-4000:]) > 0


def test_bad_duration_is_refused(audioldm2):
    with pytest.raises(See2SoundError, match="duration"):
        audioldm2.generate(SoundRequest("rain", 0.0, 16000))


# ---------------------------------------------------------------- Stable Audio


def test_stable_audio_gives_mono_of_the_exact_length_and_is_seeded(stable_audio):
    assert stable_audio.rate == 44100 and stable_audio.window_s == pytest.approx(32 * 2048 / 44100)
    a = stable_audio.generate(SoundRequest("birds", 0.4, 48000, seed=5))
    b = stable_audio.generate(SoundRequest("birds", 0.4, 48000, seed=5))
    c = stable_audio.generate(SoundRequest("birds", 0.4, 48000, seed=6))
    assert a.audio.dtype == np.float32 and a.audio.shape == (19200,)
    np.testing.assert_array_equal(a.audio, b.audio)
    assert not np.array_equal(a.audio, c.audio)
    assert a.provenance["backend"] == "stable-audio" and np.all(np.isfinite(a.audio))


def test_stable_audio_long_duration_through_windows(stable_audio):
    result = stable_audio.generate(SoundRequest("rain", 3.0, 8000, seed=0))
    assert result.audio.shape == (24000,) and result.provenance["params"]["windows"] == 3


def test_stable_audio_without_torchsde_uses_the_edm_scheduler(tmp_path):
    folder = build_stable_audio(tmp_path / "sa", scheduler_class="CosineDPMSolverMultistepScheduler")
    backend = StableAudioSound(model=folder, device="cpu", steps=2)
    assert type(backend.pipe.scheduler).__name__ == "EDMDPMSolverMultistepScheduler"
    assert backend.pipe.scheduler.config.prediction_type == "v_prediction"
    assert backend.generate(SoundRequest("rain", 0.3, 16000)).audio.shape == (4800,)


# ---------------------------------------------------------------- registry, check, end to end


def test_check_needs_local_weights_and_auto_prefers_a_usable_model(monkeypatch, tmp_path, tiny):
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.delenv("SEE2SOUND_AUDIOLDM2_MODEL", raising=False)
    monkeypatch.delenv("SEE2SOUND_STABLE_AUDIO_MODEL", raising=False)
    assert "cvssp/audioldm2" in SOUNDS.get("audioldm2").unavailable_reason()
    assert SOUNDS.auto().name == "procedural"
    with pytest.raises(BackendError, match="cannot run here"):
        SOUNDS.create("stable-audio")
    monkeypatch.setenv("SEE2SOUND_AUDIOLDM2_MODEL", tiny["audioldm2"])
    assert SOUNDS.auto().name == "audioldm2"
    monkeypatch.setenv("SEE2SOUND_STABLE_AUDIO_MODEL", tiny["stable-audio"])
    assert SOUNDS.auto().name == "stable-audio"


def test_sonify_command_with_a_model_backend(cli, tmp_path, monkeypatch, tiny):
    from see2sound.media.audio import read_audio
    from see2sound.scene import load_scene

    monkeypatch.setenv("SEE2SOUND_STABLE_AUDIO_MODEL", tiny["stable-audio"])
    monkeypatch.setenv("SEE2SOUND_DEVICE", "cpu")
    monkeypatch.setenv("SEE2SOUND_SOUND_STEPS", "2")
    scene = {
        "version": 1,
        "sample_rate": 16000,
        "duration": 2.0,
        "sources": [
            {
                "id": "s0",
                "label": "rain",
                "audio": None,
                "position": {"azimuth": 0, "elevation": 0, "distance": 2},
            },
            {
                "id": "s1",
                "label": "dog barking",
                "prompt": "a small dog",
                "audio": None,
                "position": {"azimuth": 30, "elevation": 0, "distance": 4},
            },
        ],
    }
    path = tmp_path / "scene.json"
    path.write_text(json.dumps(scene))
    code, out, err = cli("sonify", path, "--sound", "stable-audio", "--seed", "1")
    assert code == 0, err
    result = load_scene(path)
    for src in result.sources:
        audio, rate = read_audio(result.audio_path(src))
        assert rate == 16000 and np.asarray(audio).shape[-1] == 32000
    assert "stable-audio" in path.read_text()

"""Procedural synthesis: every class is a valid, seeded, seamless clip with the character of its class."""

from __future__ import annotations

import numpy as np
import pytest

from see2sound.errors import See2SoundError
from see2sound.sound.synth import CLASSES, synthesize

SR = 16000
ALL = sorted(CLASSES)
NOISY_TEXTURES = [
    "wind",
    "rain",
    "stream",
    "waterfall",
    "ocean_waves",
    "fire",
    "leaves",
    "crowd",
    "traffic",
    "applause",
    "room_tone",
    "ambience",
    "city",
    "aircraft",
    "grass_wind",
    "lapping",
]


def centroid_hz(y: np.ndarray, sr: int) -> float:
    power = np.abs(np.fft.rfft(y)) ** 2
    freqs = np.fft.rfftfreq(y.size, 1 / sr)
    return float((power * freqs).sum() / power.sum())


def frames(y: np.ndarray, size: int, hop: int) -> np.ndarray:
    count = 1 + (y.size - size) // hop
    idx = np.arange(size)[None, :] + hop * np.arange(count)[:, None]
    return y[idx] * np.hanning(size)[None, :]


def spectral_flux(y: np.ndarray, size: int = 512, hop: int = 256) -> np.ndarray:
    """Rise of the log magnitude spectrum from frame to frame (RMS over bins of the positive changes)."""
    mag = np.abs(np.fft.rfft(frames(y, size, hop), axis=1))
    diff = np.diff(np.log(mag + 1e-6), axis=0)
    return np.sqrt(np.mean(np.maximum(diff, 0) ** 2, axis=1))


def envelope(y: np.ndarray, sr: int, hop_s: float = 0.01) -> np.ndarray:
    hop = int(hop_s * sr)
    count = y.size // hop
    return np.sqrt(np.mean(y[: count * hop].reshape(count, hop) ** 2, axis=1))


@pytest.fixture(scope="module")
def clips() -> dict[str, np.ndarray]:
    return {name: synthesize(name, 3.0, SR, seed=3) for name in ALL}


@pytest.mark.parametrize("name", ALL)
def test_clip_is_valid(name, clips):
    y = clips[name]
    assert y.dtype == np.float32 and y.shape == (3 * SR,)
    assert np.all(np.isfinite(y))
    assert np.abs(y).max() < 1.0  # never clipped
    assert np.sqrt(np.mean(y.astype(float) ** 2)) > 10 ** (-45 / 20)  # not silent
    assert np.abs(y[:8]).max() < 0.05 and np.abs(y[-8:]).max() < 0.05  # faded edges: no click at start/end


@pytest.mark.parametrize("name", ALL)
def test_seeded(name, clips):
    again = synthesize(name, 3.0, SR, seed=3)
    assert np.array_equal(clips[name], again)
    other = synthesize(name, 3.0, SR, seed=4)
    assert not np.allclose(clips[name], other, atol=1e-3)


@pytest.mark.parametrize("duration", [0.01, 1.2345, 7.0])
def test_exact_length_any_duration(duration):
    for name in ("wind", "dog_bark", "bells"):
        assert synthesize(name, duration, 22050, seed=1).shape == (int(round(duration * 22050)),)


@pytest.mark.parametrize("name", NOISY_TEXTURES)
def test_textures_never_repeat(name):
    """Generated in one pass: no loop, so the waveform has no strong self-similarity at any long lag."""
    y = synthesize(name, 6.0, 8000, seed=2).astype(float)
    spec = np.fft.rfft(y, 2 * y.size)
    ac = np.fft.irfft(np.abs(spec) ** 2)[: y.size]
    ac /= ac[0]
    lags = slice(int(0.25 * 8000), int(4.0 * 8000))
    assert np.abs(ac[lags]).max() < 0.5


CONTINUOUS = [
    "wind",
    "rain",
    "stream",
    "waterfall",
    "ocean_waves",
    "fire",
    "leaves",
    "cicadas",
    "crowd",
    "applause",
    "engine_idle",
    "motorcycle",
    "traffic",
    "aircraft",
    "boat",
    "siren",
    "city",
    "machinery",
    "room_tone",
    "ambience",
    "grass_wind",
]


@pytest.mark.parametrize("name", CONTINUOUS)
def test_no_seams(name):
    """Continuous textures have no spectral-flux spike: no frame changes much more than the typical one."""
    y = synthesize(name, 8.0, SR, seed=5).astype(float)
    flux = spectral_flux(y[SR // 10 : -SR // 10], 2048, 1024)
    assert flux.max() < 3.0 * np.median(flux)


def test_flux_detects_a_seam():
    """The seam check can fail: a hard splice into a different sound is a spike."""
    a = synthesize("engine_idle", 4.0, SR, seed=5).astype(float)
    b = synthesize("crowd", 4.0, SR, seed=6).astype(float)
    spliced = np.concatenate([a[SR // 10 : -SR // 10], b[SR // 10 : -SR // 10]])
    flux = spectral_flux(spliced, 2048, 1024)
    assert flux.max() > 3.0 * np.median(flux)


def test_rain_is_impulsive_and_broadband():
    y = synthesize("rain", 3.0, 24000, seed=1).astype(float)
    kurtosis = np.mean(y**4) / np.mean(y**2) ** 2
    assert kurtosis > 6  # droplet impacts, not steady noise (Gaussian noise: 3)
    assert centroid_hz(y, 24000) > 2500
    power = np.abs(np.fft.rfft(y)) ** 2
    freqs = np.fft.rfftfreq(y.size, 1 / 24000)
    assert power[(freqs > 1000) & (freqs < 8000)].sum() > 0.6 * power.sum()


def test_wind_is_low_and_slowly_modulated():
    y = synthesize("wind", 12.0, SR, seed=1).astype(float)
    assert centroid_hz(y, SR) < 800
    env = envelope(y, SR, 0.02)
    mod = np.abs(np.fft.rfft(env - env.mean())) ** 2
    mod_f = np.fft.rfftfreq(env.size, 0.02)
    # gusts: the level moves over seconds (per-bin modulation power far above that at 2–20 Hz)
    assert mod[(mod_f > 0) & (mod_f < 1.0)].mean() > 8 * mod[(mod_f >= 2.0) & (mod_f < 20)].mean()


def test_birdsong_is_narrow_band_chirps_above_2khz():
    y = synthesize("birdsong", 4.0, 24000, seed=2).astype(float)
    spec = np.abs(np.fft.rfft(frames(y, 1024, 512), axis=1)) ** 2
    freqs = np.fft.rfftfreq(1024, 1 / 24000)
    energy = spec.sum(axis=1)
    active = energy > 0.1 * energy.max()
    assert active.sum() >= 5
    peak_f = freqs[np.argmax(spec[active], axis=1)]
    assert np.median(peak_f) > 2000
    # narrow band: in an active frame the strongest 2 % of bins hold most of the energy
    top = np.sort(spec[active], axis=1)[:, -int(0.02 * freqs.size) :].sum(axis=1)
    assert np.median(top / energy[active]) > 0.6
    # chirps: the dominant frequency moves within a syllable
    assert np.std(peak_f) > 100


def test_engine_is_harmonic_and_low():
    y = synthesize("engine_idle", 3.0, SR, seed=1).astype(float)
    assert centroid_hz(y, SR) < 500
    spec = np.fft.rfft(y, 2 * y.size)
    ac = np.fft.irfft(np.abs(spec) ** 2)[: y.size]
    ac /= ac[0]
    lo, hi = int(SR / 80), int(SR / 15)  # firing period of 15–80 Hz
    assert ac[lo:hi].max() > 0.5  # strongly periodic


def test_classes_are_told_apart_by_their_spectra(clips):
    c = {
        name: centroid_hz(clips[name].astype(float), SR)
        for name in ("wind", "rain", "birdsong", "engine_idle", "crickets", "thunder")
    }
    assert c["thunder"] < c["wind"] < c["rain"]
    assert c["engine_idle"] < 600 < 2000 < c["birdsong"]
    assert c["crickets"] > 3000


def test_clock_ticks_regularly():
    y = synthesize("clock", 6.0, SR, seed=1).astype(float)
    env = envelope(y, SR, 0.01)
    env = env - env.mean()
    ac = np.correlate(env, env, "full")[env.size - 1 :]
    lag = 20 + int(np.argmax(ac[20:150]))  # 0.2–1.5 s
    assert 0.2 <= lag * 0.01 <= 1.05


def test_parameters_change_the_sound():
    calm = synthesize("rain", 3.0, SR, seed=1, intensity=0.1)
    heavy = synthesize("rain", 3.0, SR, seed=1, intensity=0.9)
    assert not np.allclose(calm, heavy)
    big = synthesize("dog_bark", 3.0, SR, seed=1, size=1.0)
    small = synthesize("dog_bark", 3.0, SR, seed=1, size=0.0)
    assert centroid_hz(big.astype(float), SR) < centroid_hz(small.astype(float), SR)


def test_at_least_24_classes_in_six_families():
    assert len(CLASSES) >= 24
    assert len({c.family for c in CLASSES.values()}) >= 6


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"duration": 0}, "duration"),
        ({"duration": -1}, "duration"),
        ({"duration": float("nan")}, "duration"),
        ({"sample_rate": 4000}, "sample rate"),
        ({"intensity": 2.0}, "intensity"),
        ({"sound_class": "quasar"}, "unknown sound class"),
    ],
)
def test_bad_input(kwargs, message):
    args = {"sound_class": "wind", "duration": 1.0, "sample_rate": SR, **kwargs}
    with pytest.raises(See2SoundError, match=message):
        synthesize(args.pop("sound_class"), **args)


@pytest.mark.parametrize("name", ALL)
def test_extreme_rates_parameters_and_short_clips(name):
    """Recipes written for 48 kHz hold at 8 and 96 kHz, at the ends of every parameter, in 50 ms clips."""
    for sr, duration, value in ((8000, 0.05, 1.0), (96000, 0.05, 0.0), (8000, 1.0, 0.0)):
        y = synthesize(name, duration, sr, seed=2, intensity=value, size=1 - value, density=value)
        assert y.shape == (round(duration * sr),)
        assert np.all(np.isfinite(y)) and 0 < np.abs(y).max() < 1.0


# --- building blocks: the fast paths compute what the plain recursions compute ---------------------------


def _filter_cases(sr):
    from see2sound.sound.synth import dsp

    return {
        "lowpass 2": dsp.lowpass_stages(1000, sr, 2),
        "highpass 1": dsp.highpass_stages(3000, sr, 1),
        "bandpass 2 (4 poles)": dsp.bandpass_stages(250, 2000, sr, 2),
        "narrow low band": dsp.bandpass_stages(60, 300, sr, 1),
        "resonator Q 60": [dsp.resonator_coefficients(3200, 60, sr)],
        "pink": [(dsp.PINK_B, dsp.PINK_A)],
        "pink then band (7 poles)": [(dsp.PINK_B, dsp.PINK_A), *dsp.bandpass_stages(150, 1500, sr, 2)],
        "brown then low-pass": [
            (np.array([0.002]), np.array([1.0, -0.998])),
            *dsp.lowpass_stages(120, sr, 2),
        ],
    }


@pytest.mark.parametrize("sr", [8000, 48000, 96000])
@pytest.mark.parametrize("n", [1000, 100_003])
def test_blocked_filters_match_scipy(sr, n):
    """Block matrix products evaluate the same recursion: float32 output within float32 error of float64."""
    from scipy.signal import lfilter

    from see2sound.sound.synth.iir import filter_chain_blocked

    x = np.random.default_rng(n).standard_normal(n).astype(np.float32)
    for name, stages in _filter_cases(sr).items():
        ref = x.astype(float)
        for b, a in stages:
            ref = lfilter(b, a, ref)
        y = filter_chain_blocked(stages, x)
        assert y.dtype == np.float32 and y.shape == (n,)
        assert np.max(np.abs(y - ref)) < 5e-4 * np.std(ref), name


def test_blocked_sos_and_parallel_match_scipy():
    from scipy.signal import butter, lfilter, sosfilt

    from see2sound.sound.synth.dsp import resonator_coefficients
    from see2sound.sound.synth.iir import lfilter_parallel_blocked, sosfilt_blocked

    x = np.random.default_rng(1).standard_normal(70_001).astype(np.float32)
    sos = butter(4, [300, 3000], "bandpass", fs=48000, output="sos")
    ref = sosfilt(sos, x.astype(float))
    assert np.max(np.abs(sosfilt_blocked(sos, x) - ref)) < 2e-4 * np.std(ref)
    bank = [resonator_coefficients(f, q, 16000) for f, q in ((730, 6), (1090, 8), (2440, 10))]
    gains = (1.0, 0.6, 0.3)
    ref = sum(g * lfilter(b, a, x.astype(float)) for (b, a), g in zip(bank, gains, strict=True))
    assert np.max(np.abs(lfilter_parallel_blocked(bank, gains, x) - ref)) < 2e-4 * np.std(ref)


@pytest.mark.parametrize(
    "order, freqs, kind, sr",
    [
        (1, 300, "lowpass", 48000),
        (2, 1000, "lowpass", 48000),
        (4, 7200, "lowpass", 16000),
        (1, 3000, "highpass", 48000),
        (3, 500, "highpass", 8000),
        (1, (60, 300), "bandpass", 48000),
        (2, (250, 2000), "bandpass", 44100),
        (2, (3000, 3600), "bandpass", 8000),
    ],
)
def test_butter_sos_matches_scipy_butter(order, freqs, kind, sr):
    from scipy.signal import butter, sosfreqz

    from see2sound.sound.synth.iir import butter_sos

    _, want = sosfreqz(butter(order, freqs, kind, fs=sr, output="sos"), 2048, fs=sr)
    _, got = sosfreqz(butter_sos(order, freqs, kind, sr), 2048, fs=sr)
    assert np.max(np.abs(got - want)) < 1e-9


@pytest.mark.parametrize("n", [33, 1000, 200_017])
def test_impulses_through_filters_match_filtered_trains(n):
    """Sparse pings (some on the same sample, some in the last partial block) ring as the recursion says."""
    from scipy.signal import lfilter

    from see2sound.sound.synth.dsp import resonator_coefficients
    from see2sound.sound.synth.iir import impulses_through_filters

    rng = np.random.default_rng(n)
    count = max(4, n // 100)
    starts = rng.integers(0, n, count)
    starts[:2] = starts[2]
    starts[3] = n - 1
    gains, which = rng.random(count), rng.integers(0, 3, count)
    filters = [resonator_coefficients(f, q, 48000) for f, q in ((300, 18.8), (3000, 2.5), (12000, 1.2))]
    y = impulses_through_filters(n, starts, gains, which, filters)
    ref = np.zeros(n)
    for k, (b, a) in enumerate(filters):
        train = np.zeros(n)
        np.add.at(train, starts[which == k], gains[which == k])
        ref += lfilter(b, a, train)
    assert y.dtype == np.float32 and y.shape == (n,)
    assert np.max(np.abs(y - ref)) < 1e-5 * np.max(np.abs(ref))


def test_white_noise_is_white_with_unit_variance():
    from see2sound.sound.synth.dsp import white

    y = white(np.random.default_rng(0), 1 << 18).astype(float)
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1) < 0.01
    assert np.array_equal(white(np.random.default_rng(5), 1000), white(np.random.default_rng(5), 1000))
    power = np.abs(np.fft.rfft(y)[1:]) ** 2
    bands = power[: power.size // 8 * 8].reshape(8, -1).mean(axis=1)  # eight equal bands up to Nyquist
    assert bands.max() / bands.min() < 1.05  # flat spectrum


def test_oscillators_keep_their_phase_over_long_clips():
    """Phases of many thousands of cycles: the float32 paths drop whole cycles first and stay exact."""
    from see2sound.sound.synth.dsp import phase_from_freq, sine, table_osc, wavetable

    sr = 48000
    phase = phase_from_freq(np.full(30 * sr, 1234.5, dtype=np.float32), sr)
    t = np.arange(1, 30 * sr + 1) / sr
    assert np.max(np.abs(phase - 1234.5 * t)) < 1e-6
    want = np.sin(2 * np.pi * phase)
    assert np.max(np.abs(sine(phase) - want)) < 1e-5
    table = wavetable(np.array([1.0])).astype(np.float32)  # one period of a sine
    assert np.max(np.abs(table_osc(table, phase) - want)) < 1e-5


@pytest.mark.parametrize("sr", [44100, 48000, 96000])
def test_engines_made_at_a_lower_rate_have_no_images(sr):
    """Engines are made at a lower rate and interpolated up; their low-pass leaves nothing up high."""
    for name in ("engine_idle", "motorcycle"):
        y = synthesize(name, 2.0, sr, seed=1).astype(float)
        power = np.abs(np.fft.rfft(y)) ** 2
        freqs = np.fft.rfftfreq(y.size, 1 / sr)
        assert power[freqs > 10000].sum() < 1e-6 * power.sum()  # below -60 dB


# --- the classes of turn 2: each told apart from its neighbours by what makes it what it is ---------


def modulation_peak_hz(y: np.ndarray, sr: int, lo: float, hi: float) -> float:
    """Frequency (lo–hi Hz) of the strongest level fluctuation: the rhythm of syllables, waves, steps."""
    env = envelope(y, sr, 0.01)
    power = np.abs(np.fft.rfft(env - env.mean())) ** 2
    freqs = np.fft.rfftfreq(env.size, 0.01)
    band = (freqs > lo) & (freqs < hi)
    return float(freqs[band][np.argmax(power[band])])


def modulation_centroid_hz(y: np.ndarray, sr: int, lo: float, hi: float) -> float:
    """Power-weighted mean frequency (lo–hi Hz) of the level fluctuations: how quick the rhythm is."""
    env = envelope(y, sr, 0.01)
    power = np.abs(np.fft.rfft(env - env.mean())) ** 2
    freqs = np.fft.rfftfreq(env.size, 0.01)
    band = (freqs > lo) & (freqs < hi)
    return float((power[band] * freqs[band]).sum() / power[band].sum())


def frame_kurtosis(y: np.ndarray, size: int = 800) -> float:
    """Median kurtosis of short frames: about 3 or below for smooth noise, far above for clicks."""
    count = y.size // size
    fr = y[: count * size].reshape(count, size)
    fr = fr - fr.mean(axis=1, keepdims=True)
    return float(np.median(np.mean(fr**4, axis=1) / np.mean(fr**2, axis=1) ** 2))


def pitch_hz(frame: np.ndarray, sr: int, lo: float, hi: float) -> float:
    """Fundamental of a voiced frame from its autocorrelation peak between ``lo`` and ``hi`` Hz."""
    frame = frame - frame.mean()
    ac = np.fft.irfft(np.abs(np.fft.rfft(frame, 2 * frame.size)) ** 2)[: frame.size]
    a, b = int(sr / hi), int(sr / lo)
    return sr / (a + int(np.argmax(ac[a:b])))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_voices_talk_in_syllables_phrases_and_pauses(seed):
    y = synthesize("voices", 30.0, SR, seed=seed).astype(float)
    assert 3.0 <= modulation_peak_hz(y, SR, 2.0, 12.0) <= 6.5  # 4–5 syllables a second
    env = envelope(y, SR, 0.01)
    quiet = np.mean(env < np.percentile(env, 95) * 10 ** (-30 / 20))
    assert 0.1 < quiet < 0.6  # pauses between phrases, but mostly talk
    # voiced: the loudest frames have a speaking pitch (a man ~100–130 Hz, a woman ~175–230 Hz)
    loud = np.argsort(env)[-40:]
    pitches = [pitch_hz(y[i * 160 : i * 160 + 1024], SR, 70, 400) for i in loud if i * 160 + 1024 < y.size]
    assert 80 <= np.median(pitches) <= 320
    assert 300 < centroid_hz(y, SR) < 1500  # speech, not hiss


def test_one_voice_or_two():
    one = synthesize("voices", 20.0, SR, seed=4, density=0.0).astype(float)
    two = synthesize("voices", 20.0, SR, seed=4, density=1.0).astype(float)

    def pitches(y):
        env = envelope(y, SR, 0.01)
        loud = [i for i in np.flatnonzero(env > np.percentile(env, 60)) if i * 160 + 1024 < y.size]
        return np.array([pitch_hz(y[i * 160 : i * 160 + 1024], SR, 70, 400) for i in loud])

    p1, p2 = pitches(one), pitches(two)
    assert np.mean(p1 > 150) in (pytest.approx(0, abs=0.15), pytest.approx(1, abs=0.15))  # one speaker
    assert 0.1 < np.mean(p2 > 150) < 0.9  # a man and a woman take turns


def test_ball_impacts_ring_hollow_and_bounces_come_faster():
    y = synthesize("ball", 60.0, SR, seed=2).astype(float)
    onsets = onset_times(y, SR, min_gap_s=0.04)
    gaps = np.diff(onsets)
    shrinking = (gaps[1:] < 0.95 * gaps[:-1]) & (gaps[1:] > 0.45 * gaps[:-1]) & (gaps[:-1] < 1.5)
    runs = np.convolve(shrinking.astype(int), np.ones(3, dtype=int), "valid")
    assert runs.max() == 3  # a bounce sequence: three intervals in a row, each shorter by the restitution
    # the hollow ring: right after an impact the spectrum peaks at the cavity mode (~1.5 kHz for a football)
    hit = int(onsets[0] * SR)
    ring = y[hit + int(0.01 * SR) : hit + int(0.06 * SR)]
    power = np.abs(np.fft.rfft(ring * np.hanning(ring.size), 4096)) ** 2
    freqs = np.fft.rfftfreq(4096, 1 / SR)
    assert 1000 < freqs[np.argmax(power * (freqs > 500))] < 2200
    big = synthesize("ball", 10.0, SR, seed=2, size=1.0).astype(float)
    small = synthesize("ball", 10.0, SR, seed=2, size=0.0).astype(float)
    assert centroid_hz(big, SR) < centroid_hz(small, SR)  # a basketball rings lower than a tennis ball


def test_lapping_is_quicker_and_brighter_than_ocean_waves():
    for seed in (1, 2):
        lap = synthesize("lapping", 40.0, SR, seed=seed).astype(float)
        sea = synthesize("ocean_waves", 40.0, SR, seed=seed).astype(float)
        # a wavelet every 1–4 s against a swell every 5–12 s
        assert modulation_centroid_hz(lap, SR, 0.05, 3.0) > 2 * modulation_centroid_hz(sea, SR, 0.05, 3.0)
        assert centroid_hz(lap, SR) > 1.5 * centroid_hz(sea, SR)


def test_pigeons_coo_low_and_flap_their_wings():
    y = synthesize("pigeons", 60.0, SR, seed=1, density=1.0).astype(float)
    env = envelope(y, SR, 0.01)
    loud = [i for i in np.argsort(env)[-300:] if i * 160 + 1024 < y.size]
    spec = np.abs(np.fft.rfft(np.stack([y[i * 160 : i * 160 + 1024] for i in loud]), axis=1)) ** 2
    freqs = np.fft.rfftfreq(1024, 1 / SR)
    peaks = freqs[np.argmax(spec, axis=1)]
    tonal = (peaks > 250) & (peaks < 700)
    assert np.mean(tonal) > 0.5  # the coo: a nearly pure low tone
    bright = spec[:, freqs > 2000].sum(axis=1) / spec.sum(axis=1)
    assert np.any(bright > 0.3)  # wing claps: broadband bursts


def test_grass_is_higher_and_more_even_than_leaves():
    sr = 32000  # the hiss reaches 9 kHz
    for seed in (1, 2, 3):
        grass = synthesize("grass_wind", 20.0, sr, seed=seed).astype(float)
        leaves = synthesize("leaves", 20.0, sr, seed=seed).astype(float)
        assert centroid_hz(grass, sr) > 1.2 * centroid_hz(leaves, sr)
        assert frame_kurtosis(grass) < 3.2 < frame_kurtosis(leaves)  # a hiss, not clicks
        env = envelope(grass, SR, 0.05)
        assert 1.5 < np.percentile(env, 95) / np.percentile(env, 5) < 10  # gusts, gently


def test_insects_buzz_low_and_pass_by():
    y = synthesize("insects", 30.0, SR, seed=3).astype(float)
    assert centroid_hz(y, SR) < 1500 < 3000 < centroid_hz(synthesize("cicadas", 30.0, SR, seed=3), SR)
    env = envelope(y, SR, 0.05)
    assert np.percentile(env, 95) / np.percentile(env, 20) > 2.0  # passes rise and fade
    loud = [i for i in np.argsort(env)[-60:] if i * 800 + 2048 < y.size]
    pitches = np.array([pitch_hz(y[i * 800 : i * 800 + 2048], SR, 100, 320) for i in loud])
    assert 110 <= np.median(pitches) <= 300  # wing beats of bees and flies
    assert np.std(pitches) / np.mean(pitches) > 0.01  # Doppler and manoeuvres: the pitch moves


def onset_times(y: np.ndarray, sr: int, min_gap_s: float, hop_s: float = 0.005, drop_db: float = 20.0):
    """Event onsets (s): the level rises to within ``drop_db`` of the loudest moments after having
    fallen 6 dB further (hysteresis), at least ``min_gap_s`` after the previous onset."""
    env = 20 * np.log10(envelope(y, sr, hop_s) + 1e-9)
    top = np.percentile(env, 99.5)
    onsets, armed = [], True
    for i, level in enumerate(env):
        if armed and level > top - drop_db and (not onsets or (i - onsets[-1]) * hop_s >= min_gap_s):
            onsets.append(i)
            armed = False
        elif not armed and level < top - drop_db - 6:
            armed = True
    return np.array(onsets) * hop_s


# events a minute, counted as onsets at least ``gap`` s apart (one call, not its syllables): (gap, lo, hi)
EVENTS_PER_MINUTE = {
    "dog_bark": (0.1, 10, 45),  # bouts of barks with pauses of seconds
    "cat_meow": (0.6, 3, 15),
    "cow": (2.5, 1, 8),  # lowing now and then, not every few seconds
    "sheep": (0.6, 4, 20),
    "horse": (0.2, 160, 320),  # hooves: a four-beat walk, 0.85-1.1 s a stride
    "pigeons": (1.2, 10, 45),  # coos, in bouts
    "birdsong": (1.5, 10, 45),  # song phrases of a few birds
    "footsteps": (0.2, 80, 150),  # about two steps a second
    "voices": (0.1, 180, 340),  # syllables: 4-5 a second while talking, and pauses
    "ball": (0.04, 15, 90),  # kicks and bounces, with pauses
    "car_pass_by": (3.0, 2, 10),
    "clock": (0.2, 100, 140),
    "thunder": (8.0, 1, 8),
    "crickets": (0.15, 120, 400, 0.0),  # two crickets, each chirping 1.5-3 times a second
    "frogs": (0.3, 15, 90, 0.0),  # one frog, a croak every 0.7-3 s
}
# not counted this way: bells ring on (no pause between strikes), drips echo, typing is a stream of keys


@pytest.mark.parametrize("name", sorted(EVENTS_PER_MINUTE))
def test_events_per_minute_are_realistic(name):
    gap, lo, hi, *density = EVENTS_PER_MINUTE[name]
    kwargs = {"density": density[0]} if density else {}
    counts = [
        len(onset_times(synthesize(name, 60.0, SR, seed=s, **kwargs).astype(float), SR, gap))
        for s in (1, 2, 3)
    ]
    assert all(lo <= c <= hi for c in counts), counts

"""Vehicles: engine idle, motorcycle, car pass-by, traffic, train, aircraft, boat, siren.

An engine is a harmonic series of its firing frequency (rpm/60 · cylinders/2 for a four-stroke) read
from a wavetable, with slow rpm drift, cycle-to-cycle amplitude jitter and valve clatter locked to the
firing phase (Farnell 2010, ch. 48; Baldan et al., *Physically informed car engine sound synthesis*, 2015).
A passing car adds Doppler (f·c/(c+v_r)) and 1/r level; a jet adds the flanging of the ground reflection.
"""

from __future__ import annotations

import numpy as np

from .dsp import (
    bandpass,
    bandpass_stages,
    brown,
    control_grid,
    decay,
    envelope_from_curve,
    formant_weights,
    harmonic_amps,
    hz,
    jittered_times,
    lowpass,
    lowpass_stages,
    overlap_add,
    phase_from_freq,
    pink,
    place,
    resonator,
    sine,
    smooth_curve,
    table_osc,
    upsample_linear,
    variable_delay,
    wavetable,
    white,
)

SPEED_OF_SOUND = 343.0
HOP = 64  # pass envelopes are smooth: computed every 64 samples, then interpolated


def engine(
    rng: np.random.Generator,
    n: int,
    sr: int,
    rpm: float | np.ndarray,
    cylinders: int = 4,
    roughness: float = 0.3,
    brightness: float = 0.5,
) -> np.ndarray:
    """A running engine at ``rpm`` (scalar or per-sample curve): harmonic, jittered, low.

    Its sound ends in a low-pass at ``800 + 3000·brightness`` Hz, so it is made at a rate of at least six
    times that, brought up to ``sr`` by linear interpolation and low-passed there: the interpolation's
    images (around the lower rate) fall far above the cut-off, where that low-pass removes them.
    """
    cutoff = 800 + 3000 * brightness
    step = max(1, int(sr // (6 * cutoff)))
    if step == 1:
        return lowpass(_engine(rng, n, sr, rpm, cylinders, roughness, brightness), cutoff, sr, 2)
    m = n // step + 2
    if np.ndim(rpm):
        rpm = np.asarray(rpm)[np.minimum(np.arange(m) * step, n - 1)]
    y = _engine(rng, m, sr / step, rpm, cylinders, roughness, brightness)
    return lowpass(upsample_linear(y, step, n), cutoff, sr, 2)


def _engine(
    rng: np.random.Generator,
    n: int,
    sr: float,
    rpm: float | np.ndarray,
    cylinders: int,
    roughness: float,
    brightness: float,
) -> np.ndarray:
    rpm = np.broadcast_to(np.asarray(rpm, dtype=np.float32), (n,))
    jitter = 1 + 0.015 * smooth_curve(rng, n, sr, 0.7) + 0.006 * smooth_curve(rng, n, sr, 9.0)
    f_fire = rpm * np.float32(cylinders / 120.0) * jitter  # rpm/60 revolutions, a firing every 2/cylinders
    f_max = float(f_fire.max())
    amps = harmonic_amps(f_max, sr, -4.0, limit=80)
    freqs = np.arange(1, amps.size + 1) * float(np.median(f_fire[::HOP]))  # smooth: every 64th will do
    amps = amps * (
        0.3 + formant_weights(freqs, [(180.0, 150.0, 1.0), (450.0 + 500 * brightness, 300.0, 0.5)])
    )
    table = wavetable(amps, phases=rng.uniform(0, 2 * np.pi, amps.size)).astype(np.float32)
    table /= np.sqrt(np.mean(table**2)) + 1e-12
    phase = phase_from_freq(f_fire, sr)  # float64: exact over any duration
    frac64, cycle = np.modf(phase)  # position in the firing cycle, and the cycle's number
    frac = frac64.astype(np.float32)  # the rest runs in float32
    cycle = cycle.astype(np.int64)
    per_cycle = (1 + roughness * rng.standard_normal(int(cycle[-1]) + 2) * 0.5).astype(np.float32)
    amp = per_cycle[cycle] + np.diff(per_cycle)[cycle] * frac  # cycle-to-cycle jitter, interpolated
    tone = table_osc(table, frac) * amp
    # half-order (crank) component: cylinders never fire quite alike; its phase is the firing phase
    # times 2/cylinders, i.e. (cycle mod cylinders/2 + frac) / (cylinders/2)
    if cylinders % 2 == 0:
        turns = cylinders // 2
        half = frac if turns == 1 else ((cycle % turns).astype(np.float32) + frac) * np.float32(1 / turns)
    else:
        half = phase * (2.0 / cylinders)
        half = (half - np.floor(half)).astype(np.float32)
    sub = np.sin(half * np.float32(2 * np.pi))
    gate = np.float32(0.5) + np.float32(0.5) * np.cos(frac * np.float32(2 * np.pi))
    gate *= gate
    clatter = bandpass(white(rng, n), 1500, 6000, sr, 2) * (gate * gate * gate)
    y = tone + np.float32(0.3 * roughness) * sub + np.float32(0.15 * brightness) * clatter
    return y


def engine_idle(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """An idling car or truck engine: 600–1000 rpm, rough and low (bigger engines lower and rougher)."""
    rpm = (750 + 300 * intensity) * (1.2 - 0.4 * size) * (1 + 0.03 * smooth_curve(rng, n, sr, 0.2))
    cyl = 4 if size < 0.7 else 6
    return engine(rng, n, sr, rpm, cyl, roughness=0.2 + 0.4 * density, brightness=0.3 + 0.4 * intensity)


def motorcycle(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A motorcycle: a twin with an uneven beat, revving up and down every few seconds."""
    revs = np.clip(smooth_curve(rng, n, sr, 0.3) + 0.3 * intensity, 0, 1.2)
    rpm = 1100 + (2500 + 3000 * intensity) * revs**2
    y = engine(rng, n, sr, rpm, cylinders=2, roughness=0.6, brightness=0.6 + 0.3 * intensity)
    return y * (0.6 + 0.5 * revs)


def _pass(t: np.ndarray, t0: float, distance_m: float, speed_ms: float) -> tuple[np.ndarray, np.ndarray]:
    """Level (1/r, 1 at the closest point) and Doppler factor c/(c+v_r) of a pass at ``distance_m``."""
    x = speed_ms * (t - t0)
    r = np.sqrt(distance_m**2 + x**2)
    return distance_m / r, SPEED_OF_SOUND / (SPEED_OF_SOUND + speed_ms * x / r)


def car_pass_by(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """Cars passing one by one: engine and tyre roar rise, the pitch drops (Doppler) and fades away."""
    tyre_src = pink(rng, n)
    tyres = bandpass(tyre_src, 300, 2500, sr, 2)
    hiss = bandpass(tyre_src, 2500, 9000, sr, 1)
    out = 0.01 * brown(rng, n, sr, 20.0, lowpass_stages(300, sr, 1))
    gap = 9 - 6 * density
    t0 = rng.uniform(0.5, min(2.5, gap))
    while t0 < n / sr + 4:
        speed = rng.uniform(10, 20) * (0.7 + 0.6 * intensity)
        dist = rng.uniform(4, 10) * (0.5 + size)
        a, b = max(int((t0 - 4) * sr), 0), min(int((t0 + 4) * sr), n)
        if b > a:
            tc = (a + control_grid(b - a, HOP)) / sr
            level_c, doppler_c = _pass(tc, t0, dist, speed)
            level_c *= np.clip((4 - np.abs(tc - t0)) / 0.7, 0, 1)  # taper the far tails to zero, no step
            level = upsample_linear(level_c.astype(np.float32), HOP, b - a)
            rpm = rng.uniform(1600, 2800) * upsample_linear(doppler_c.astype(np.float32), HOP, b - a)
            eng = engine(rng, b - a, sr, rpm, 4, roughness=0.2, brightness=0.5)
            # closer = brighter (less air and ground absorption)
            out[a:b] += level**1.3 * (0.5 * eng + 1.3 * tyres[a:b] + 0.6 * level**1.5 * hiss[a:b])
        t0 += gap * rng.uniform(0.5, 1.5)
    return out


def traffic(
    n: int,
    sr: int,
    rng: np.random.Generator,
    intensity: float = 0.5,
    size: float = 0.5,
    density: float = 0.5,
    engines: int = 1,
) -> np.ndarray:
    """Road traffic: many cars passing at once (tyre roar swelling and ebbing, engines, a rare horn)."""
    rate = 0.4 + 2.0 * density
    tc = control_grid(n, HOP) / sr
    level_c = np.full(tc.size, 0.15)
    t0 = -6.0
    while t0 < n / sr + 6:
        t0 += rng.exponential(1 / rate)
        lv, _ = _pass(tc, t0, rng.uniform(5, 25) * (0.5 + size), rng.uniform(8, 18))
        level_c += rng.uniform(0.4, 1.0) * lv**1.5
    level = upsample_linear(level_c.astype(np.float32), HOP, n)
    src = pink(rng, n)
    tyres = bandpass(src, 250, 2000, sr, 2) * level + bandpass(src, 2000, 8000, sr, 1) * level**2 * 0.4
    out = tyres
    if engines:
        motors = sum(
            engine(
                rng, n, sr, rng.uniform(900, 2200) * (1 + 0.2 * smooth_curve(rng, n, sr, 0.1)), 4, 0.3, 0.3
            )
            for _ in range(engines)
        )
        out += 0.12 * motors * np.sqrt(level)
    out += brown(rng, n, sr, 15.0, lowpass_stages(120, sr, 2)) * (0.3 * (0.3 + 0.5 * size))
    # horns: rare, brief two-tone beeps
    if intensity > 0.3:
        horns = jittered_times(rng, n, sr, 25.0 / intensity, 0.6)
        for h in horns:
            length = int(rng.uniform(0.15, 0.6) * sr)
            f = rng.uniform(380, 480)
            ph = np.arange(length, dtype=np.float32) * np.float32(
                2 * np.pi * f / sr
            )  # < 1 s: float32 is exact
            tone = np.sign(np.sin(ph)) * 0.5 + np.sign(np.sin(ph * np.float32(1.26))) * 0.5
            tone = lowpass(tone, 3000, sr, 2) * decay(length, sr, 10.0, 0.01)
            tone[-int(0.01 * sr) :] *= np.linspace(1, 0, int(0.01 * sr))
            place(out, int(h), tone, rng.uniform(0.1, 0.3))
    return out


def train(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A train: clickety-clack of wheel sets over rail joints, rumble, diesel hum, a horn now and then."""
    speed = 12 + 18 * intensity  # m/s
    car_period = 20.0 / speed
    click_len = int(0.08 * sr)
    bank = np.zeros((12, click_len))
    for i in range(12):
        metal = resonator(white(rng, click_len), rng.uniform(300, 900), 4, sr) * decay(
            click_len, sr, 0.02, 0.001
        )
        ring = resonator(white(rng, click_len), rng.uniform(2000, 4000), 20, sr) * decay(
            click_len, sr, 0.03, 0.001
        )
        bank[i] = metal / (np.abs(metal).max() + 1e-12) + 0.2 * ring / (np.abs(ring).max() + 1e-12)
    cars = jittered_times(rng, n + int(car_period * sr), sr, car_period, 0.01)
    axle = 2.5 / speed  # two axles per bogie, bogies near each end of a car
    offsets = np.array([0.0, axle, car_period * 0.22, car_period * 0.22 + axle]) * sr
    starts = (cars[:, None] + offsets[None, :]).ravel().astype(np.int64) - int(car_period * sr)
    clacks = overlap_add(
        n, starts, bank, rng.integers(0, 12, starts.size), rng.uniform(0.5, 1.0, starts.size)
    )
    rumble = pink(rng, n, lowpass_stages(250 + 200 * intensity, sr, 2)) * envelope_from_curve(
        smooth_curve(rng, n, sr, 2.0), 3.0
    )
    hum = engine(rng, n, sr, 900 + 300 * intensity, 8, roughness=0.15, brightness=0.2) * size
    squeal = (
        resonator(white(rng, n), 3200, 60, sr) * np.clip(smooth_curve(rng, n, sr, 0.1) - 0.4, 0, None) * 0.5
    )
    out = 0.6 * clacks + 1.2 * rumble + 0.3 * hum + squeal
    horn_gap = 40 - 25 * density
    t_h = rng.uniform(1, min(horn_gap, 15))
    while t_h * sr < n:
        length = int(rng.uniform(0.8, 2.0) * sr)
        tt = np.arange(length, dtype=np.float32) / np.float32(sr)  # < 2 s: float32 phases are exact enough
        chord = sum(
            np.sin(np.float32(2 * np.pi * f) * tt) + 0.4 * np.sin(np.float32(4 * np.pi * f) * tt)
            for f in (277.0, 349.0, 415.0)
        )
        env = np.minimum(1, tt / 0.08) * np.minimum(1, (tt[-1] - tt) / 0.15)
        place(out, int(t_h * sr), chord * env, 0.3)
        t_h += horn_gap * rng.uniform(0.6, 1.4)
    return out


def aircraft(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A jet overhead: broadband roar swelling and fading, turbine whine, ground-reflection flanging."""
    dur = n / sr
    tc = control_grid(n, HOP) / sr
    level_c = np.full(tc.size, 0.2)
    t0 = rng.uniform(0.3, 0.7) * min(dur, 30)
    gap = 45 - 25 * density
    while t0 < dur + 20:
        lv, _ = _pass(tc, t0, rng.uniform(300, 900) * (1.5 - size), 90.0)
        level_c += lv**1.2
        t0 += gap * rng.uniform(0.7, 1.3)
    level = upsample_linear(level_c.astype(np.float32), HOP, n)
    roar = pink(rng, n, lowpass_stages(600 + 1200 * intensity, sr, 2)) + 0.5 * brown(
        rng, n, sr, 20, lowpass_stages(200, sr, 1)
    )
    # the ground reflection arrives a few ms later; its delay sweeps as the plane moves: a slow flanger
    delay_s = 0.002 + 0.006 * (0.5 + 0.5 * smooth_curve(rng, n, sr, 0.08))
    roar = roar + 0.7 * variable_delay(roar, delay_s * sr)
    whine = sum(
        sine(phase_from_freq(hz(f, sr) * (1 + 0.003 * smooth_curve(rng, n, sr, 0.3)), sr)) * g
        for f, g in ((rng.uniform(2500, 4000), 0.04), (rng.uniform(5000, 7000), 0.02))
    )
    return (roar + whine * level) * level


def boat(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """A motor boat: a slow diesel 'putt-putt' and water slapping the hull."""
    rpm = (500 + 700 * intensity) * (1.2 - 0.4 * size)
    putt = engine(rng, n, sr, rpm, 2, roughness=0.5, brightness=0.2)
    slap_env = np.clip(0.5 + smooth_curve(rng, n, sr, 1.2), 0, 1.5) ** 2
    slaps = pink(rng, n, bandpass_stages(150, 1500, sr, 2)) * slap_env
    # the wash never quite stops (a hard zero would make it switch on with a click of new spectrum)
    wash = bandpass(white(rng, n), 1000, 6000, sr, 1) * np.clip(0.5 + smooth_curve(rng, n, sr, 0.5), 0.05, 1)
    return putt + 0.6 * slaps * (0.5 + density) + 0.1 * wash


def siren(
    n: int, sr: int, rng: np.random.Generator, intensity: float = 0.5, size: float = 0.5, density: float = 0.5
) -> np.ndarray:
    """An emergency siren wailing between about 650 and 1500 Hz (a faster 'yelp' at high intensity)."""
    period = 4.5 - 3.9 * intensity
    # the pitch curve is smooth (a raised-cosine sweep): computed every 16 samples, then interpolated
    hop = 16
    u = (control_grid(n, hop) / (sr * period) + rng.random()) % 1.0
    sweep = np.where(u < 0.5, u * 2, 2 - 2 * u)
    f_c = 650 + 850 * (0.5 - 0.5 * np.cos(np.pi * sweep)) * (1.1 - 0.2 * size)
    f = upsample_linear(f_c.astype(np.float32), hop, n)
    table = wavetable(harmonic_amps(1500, sr, -9.0, limit=12)).astype(np.float32)
    return table_osc(table, phase_from_freq(f, sr)) + 0.01 * pink(rng, n)

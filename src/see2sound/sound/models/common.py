"""What the text-to-audio backends share: the prompt, windows with crossfades, mono, rate and length.

A diffusion model makes at most one window of audio (AudioLDM 2 is trained on 10 s, Stable Audio Open
on up to 47 s). Longer sounds are independent windows, each with its own seed derived from the
request's, joined by equal-power crossfades: two uncorrelated windows summed with ``cos``/``sin`` gains
keep the level constant through the join. Everything here is NumPy on arrays except
:class:`DiffusionSound`, which drives a pipeline.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import asdict, dataclass

import numpy as np

from ...errors import See2SoundError
from ...hub import ModelChoice, select_device
from ...log import get_logger
from ..types import SoundRequest, SoundResult

PACKAGES = ("torch", "transformers", "diffusers")

log = get_logger(__name__)


@dataclass(frozen=True)
class WeightsLicence:
    """The licence of a model's released weights, as ``see2sound backends`` and the credits show it."""

    model: str  # the model's name, e.g. "AudioLDM 2"
    license: str  # SPDX identifier where there is one
    url: str
    terms: str  # what it allows, in one line

    def to_dict(self) -> dict:
        return asdict(self)


def diffusion_model(env_var: str, default: str) -> ModelChoice:
    return ModelChoice(env_var, default, PACKAGES)


# the negative prompt steers away from what a soundscape should not contain, unless asked for
SPEECH_WORDS = frozenset(
    "speech talking talk voice voices speaking people person crowd chatter conversation children child "
    "baby applause laughter singing".split()
)
MUSIC_WORDS = frozenset(
    "music musical singing song piano guitar drums drum violin band choir orchestra melody instrument".split()
)
NEGATIVE_SPEECH = ("speech", "talking", "voices")
NEGATIVE_MUSIC = ("music", "singing")
NEGATIVE_ALWAYS = ("low quality", "distortion")


def describe(label: str, prompt: str | None = None) -> str:
    """The text prompt for a source: its label and the user's words.

    Examples
    --------
    >>> describe("dog barking")
    'the sound of dog barking, realistic field recording'
    >>> describe("dog", "a small dog barking in a park")
    'a small dog barking in a park, realistic field recording'
    """
    label = " ".join(str(label or "").split())
    prompt = " ".join(str(prompt or "").split())
    if prompt and label.lower() in prompt.lower():
        text = prompt
    elif prompt:
        text = f"{label}, {prompt}" if label else prompt
    else:
        text = f"the sound of {label or 'ambience'}"
    return f"{text}, realistic field recording"


def negative_prompt(text: str) -> str:
    """Speech and music are unwanted in a soundscape unless ``text`` asks for them.

    Examples
    --------
    >>> negative_prompt("the sound of rain")
    'speech, talking, voices, music, singing, low quality, distortion'
    >>> negative_prompt("people talking in a cafe")
    'music, singing, low quality, distortion'
    """
    words = set(re.findall(r"[a-z]+", text.lower()))
    terms: list[str] = []
    if not words & SPEECH_WORDS:
        terms += NEGATIVE_SPEECH
    if not words & MUSIC_WORDS:
        terms += NEGATIVE_MUSIC
    return ", ".join(terms + list(NEGATIVE_ALWAYS))


def window_starts(total: int, window: int, overlap: int) -> list[int]:
    """Start samples of the windows that cover ``total`` samples, consecutive ones overlapping by
    ``overlap``; one window when ``total <= window``.

    Examples
    --------
    >>> window_starts(25, 10, 2)
    [0, 8, 16]
    """
    if window <= 0 or not 0 <= overlap < window:
        raise ValueError(f"need 0 <= overlap < window, got overlap={overlap} window={window}")
    if total <= window:
        return [0]
    hop = window - overlap
    count = math.ceil((total - overlap) / hop)
    return [k * hop for k in range(count)]


def crossfade_join(clips: list[np.ndarray], starts: list[int], overlap: int, total: int) -> np.ndarray:
    """Overlap-add ``clips`` (1-D) at ``starts`` with equal-power crossfades of ``overlap`` samples.

    Each join fades the earlier clip out with ``cos`` and the later in with ``sin`` over the overlap, so
    uncorrelated clips keep their power through it. Returns ``total`` samples (float64).
    """
    out = np.zeros(total, dtype=np.float64)
    phase = (np.arange(overlap) + 0.5) / max(overlap, 1) * (np.pi / 2)
    fade_in, fade_out = np.sin(phase), np.cos(phase)
    for k, (clip, start) in enumerate(zip(clips, starts, strict=True)):
        clip = np.asarray(clip, dtype=np.float64).copy()
        if k > 0 and overlap:
            n = min(overlap, len(clip))
            clip[:n] *= fade_in[:n]
        if k < len(clips) - 1 and overlap:
            n = min(overlap, len(clip))
            clip[len(clip) - n :] *= fade_out[overlap - n :]
        end = min(total, start + len(clip))
        if end > start:
            out[start:end] += clip[: end - start]
    return out


def to_mono(audio: np.ndarray) -> np.ndarray:
    """``(samples,)``, ``(channels, samples)`` or ``(batch, channels, samples)`` -> mean over channels."""
    audio = np.asarray(audio, dtype=np.float64)
    while audio.ndim > 2:
        audio = audio[0]
    return audio.mean(axis=0) if audio.ndim == 2 else audio


def resample_to(audio: np.ndarray, rate_in: int, rate_out: int) -> np.ndarray:
    """Polyphase resampling (``scipy.signal.resample_poly``) from ``rate_in`` to ``rate_out`` Hz."""
    if int(rate_in) == int(rate_out):
        return np.asarray(audio, dtype=np.float64)
    from scipy.signal import resample_poly

    g = math.gcd(int(rate_in), int(rate_out))
    return resample_poly(np.asarray(audio, dtype=np.float64), int(rate_out) // g, int(rate_in) // g)


def fit_length(audio: np.ndarray, n: int) -> np.ndarray:
    """Exactly ``n`` samples: trimmed, or padded with zeros at the end."""
    audio = np.asarray(audio, dtype=np.float64)
    if len(audio) >= n:
        return audio[:n]
    return np.concatenate([audio, np.zeros(n - len(audio))])


def window_seed(seed: int, index: int) -> int:
    """The seed of window ``index``: independent streams from one request seed."""
    return int(np.random.SeedSequence([int(seed) & 0xFFFFFFFF, int(index)]).generate_state(1)[0])


class DiffusionSound:
    """A text-to-audio pipeline behind the sound stage's interface (subclasses load and call it).

    Subclasses set ``name``, ``rate`` (the model's own sample rate), ``max_window_s`` and
    ``length_keyword`` (the pipeline's argument for the clip length) and implement
    ``_load(ref, device, dtype)``.

    Parameters
    ----------
    model : str, optional
        Hugging Face id or local folder (default: the backend's environment variable, else its id).
    device : str, optional
        ``cuda``, ``mps`` or ``cpu`` (default ``$SEE2SOUND_DEVICE``, else the best available; half
        precision on a GPU).
    steps : int, optional
        Diffusion steps (default ``$SEE2SOUND_SOUND_STEPS``, else the backend's default).
    guidance_scale : float, optional
        Classifier-free guidance towards the text and away from the negative prompt.
    window_s : float, optional
        Longest piece generated at once (default and upper bound: the model's window).
    overlap_s : float, optional
        Crossfade between windows (default ``min(1 s, window / 4)``).
    """

    name = "diffusion"
    choice: ModelChoice
    weights_licence: WeightsLicence
    default_steps = 100
    default_guidance = 3.5
    min_window_s = 1.0

    def __init__(
        self,
        model=None,
        device: str | None = None,
        steps: int | None = None,
        guidance_scale: float | None = None,
        window_s: float | None = None,
        overlap_s: float | None = None,
        **_: object,
    ):
        self.model_ref = self.choice.ref(model)
        self.device, self.dtype = select_device(device)
        steps = steps or os.environ.get("SEE2SOUND_SOUND_STEPS", "").strip() or self.default_steps
        self.steps = int(steps)
        self.guidance_scale = float(self.default_guidance if guidance_scale is None else guidance_scale)
        self.pipe = self._load(self.model_ref, self.device, self.dtype)
        lic = self.weights_licence
        log.warning(f"{self.name}: {lic.model} weights are under {lic.license}: {lic.terms}")
        self.pipe.set_progress_bar_config(disable=True)
        limit = self.max_window_s
        self.window_s = min(float(window_s or limit), limit)
        self.overlap_s = min(1.0, self.window_s / 4) if overlap_s is None else float(overlap_s)
        if self.steps < 1 or not 0 <= self.overlap_s < self.window_s / 2:
            raise See2SoundError(
                f"{self.name}: need steps >= 1 and 0 <= overlap < window/2 seconds "
                f"(steps={self.steps}, overlap={self.overlap_s}, window={self.window_s:.2f})"
            )

    # subclasses -------------------------------------------------------------------
    rate: int
    max_window_s: float
    length_keyword: str  # the pipeline's argument for the length in seconds

    def _load(self, ref: str, device, dtype):  # pragma: no cover - abstract
        raise NotImplementedError

    def _window(self, text: str, negative: str, length_s: float, generator) -> np.ndarray:
        """One window of audio from the pipeline, ``(channels, samples)`` or ``(samples,)``."""
        out = self.pipe(
            prompt=text,
            negative_prompt=negative,
            num_inference_steps=self.steps,
            guidance_scale=self.guidance_scale,
            num_waveforms_per_prompt=1,
            generator=generator,
            output_type="np",
            **{self.length_keyword: length_s},
        )
        return np.asarray(out.audios, dtype=np.float64)

    # the sound stage's interface ----------------------------------------------------
    def cache_key(self, request: SoundRequest) -> dict:
        return {
            "model": self.model_ref,
            "steps": self.steps,
            "guidance": self.guidance_scale,
            "window_s": round(self.window_s, 4),
            "overlap_s": self.overlap_s,
            "text": describe(request.label, request.prompt),
        }

    def generate(self, request: SoundRequest) -> SoundResult:
        import torch

        duration = float(request.duration)
        if not math.isfinite(duration) or duration <= 0:
            raise See2SoundError(f"duration: must be greater than 0 seconds, got {request.duration}")
        n_out = int(round(duration * request.sample_rate))
        text = describe(request.label, request.prompt)
        negative = negative_prompt(text)
        window = int(round(self.window_s * self.rate))
        overlap = int(round(self.overlap_s * self.rate))
        # a little more than needed at the model's rate, so resampling never runs short
        total = int(math.ceil(duration * self.rate)) + 1
        starts = window_starts(total, window, overlap)
        clips = []
        for k, start in enumerate(starts):
            length = min(window, total - start) if len(starts) == 1 else window
            length_s = max(length / self.rate, self.min_window_s)
            generator = torch.Generator("cpu").manual_seed(window_seed(request.seed, k))
            clip = to_mono(self._window(text, negative, min(length_s, self.window_s), generator))
            clips.append(fit_length(np.nan_to_num(clip), length))
        audio = crossfade_join(clips, starts, overlap, total)
        audio = fit_length(resample_to(audio, self.rate, request.sample_rate), n_out)
        peak = float(np.max(np.abs(audio))) if n_out else 0.0
        if peak > 0.99:  # never hand on a clipping stem
            audio *= 0.99 / peak
        provenance = {
            "backend": self.name,
            "model": self.model_ref,
            "text": text,
            "negative_prompt": negative,
            "params": {
                "steps": self.steps,
                "guidance_scale": self.guidance_scale,
                "windows": len(starts),
                "window_s": round(self.window_s, 4),
                "overlap_s": self.overlap_s,
                "model_rate": self.rate,
            },
            "seed": int(request.seed),
            "weights_license": self.weights_licence.to_dict(),  # credited in CREDITS.txt
        }
        return SoundResult(audio.astype(np.float32), provenance)

"""``stable-audio``: Stable Audio Open text-to-audio (Evans et al. 2024) through ``StableAudioPipeline``.

44.1 kHz stereo, down-mixed to mono; one window is at most the model's length (47.5 s for the released
checkpoint), longer sounds are windows joined by crossfades. The checkpoint's scheduler
(``CosineDPMSolverMultistepScheduler``) needs ``torchsde``; without it the same sampler family is used
deterministically (``EDMDPMSolverMultistepScheduler``, v-prediction, exponential sigmas).
"""

from __future__ import annotations

import importlib.util

import numpy as np

from ...hub import load_error
from ...log import get_logger
from ..backends import SOUNDS
from .common import DiffusionSound, WeightsLicence, diffusion_model

log = get_logger(__name__)

STABLE_AUDIO = diffusion_model("SEE2SOUND_STABLE_AUDIO_MODEL", "stabilityai/stable-audio-open-1.0")
LICENCE = WeightsLicence(
    "Stable Audio Open",
    "Stability AI Community License",
    "https://stability.ai/community-license-agreement",
    "free for research and non-commercial use; commercial use only for individuals and organisations "
    "under US$1M annual revenue (register with Stability AI), an Enterprise licence above that",
)


def _scheduler_class(ref: str) -> str | None:
    """The scheduler class named in the saved pipeline, without instantiating it."""
    from diffusers import StableAudioPipeline

    try:
        return StableAudioPipeline.load_config(ref).get("scheduler", [None, None])[1]
    except (OSError, ValueError, TypeError):
        return None


class StableAudioSound(DiffusionSound):
    """Stable Audio Open on a Hugging Face id or local folder (``$SEE2SOUND_STABLE_AUDIO_MODEL``).

    Keywords: ``model``, ``device``, ``steps`` (default 100), ``guidance_scale`` (7), ``window_s``
    (the model's maximum), ``overlap_s`` (1 s).
    """

    name = "stable-audio"
    choice = STABLE_AUDIO
    weights_licence = LICENCE
    default_steps = 100
    default_guidance = 7.0
    length_keyword = "audio_end_in_s"
    max_window_s = 47.0

    def _load(self, ref: str, device, dtype):
        from diffusers import EDMDPMSolverMultistepScheduler, StableAudioPipeline

        replace = _scheduler_class(ref) == "CosineDPMSolverMultistepScheduler" and (
            importlib.util.find_spec("torchsde") is None
        )
        try:
            if replace:
                log.info("torchsde is not installed: using EDMDPMSolverMultistepScheduler for Stable Audio")
                # the saved class cannot be instantiated: load without it, then register the substitute
                pipe = StableAudioPipeline.from_pretrained(ref, torch_dtype=dtype, scheduler=None)
                pipe.register_modules(
                    scheduler=EDMDPMSolverMultistepScheduler.from_pretrained(
                        ref,
                        subfolder="scheduler",
                        prediction_type="v_prediction",
                        sigma_schedule="exponential",
                    )
                )
            else:
                pipe = StableAudioPipeline.from_pretrained(ref, torch_dtype=dtype)
        except (OSError, ValueError, KeyError, RuntimeError, ImportError, TypeError) as exc:
            raise load_error(ref, exc) from None
        self.rate = int(pipe.vae.config.sampling_rate)
        hop = int(np.prod(pipe.vae.config.downsampling_ratios))
        self.max_window_s = min(self.max_window_s, pipe.transformer.config.sample_size * hop / self.rate)
        return pipe.to(device)


def _create(model=None, device=None, steps=None, guidance_scale=None, window_s=None, overlap_s=None, **_):
    return StableAudioSound(model, device, steps, guidance_scale, window_s, overlap_s)


SOUNDS.register(
    "stable-audio",
    description="Stable Audio Open text-to-audio diffusion (extra see2sound[models]; weights in HF cache)",
    priority=30,
    check=STABLE_AUDIO.unavailable_reason,
)(_create)

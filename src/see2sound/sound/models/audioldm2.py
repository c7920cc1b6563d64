"""``audioldm2``: AudioLDM 2 text-to-audio (Liu et al. 2024) through diffusers' ``AudioLDM2Pipeline``.

16 kHz mono, trained on 10 s clips: longer sounds are windows joined by crossfades
(:class:`~see2sound.sound.models.common.DiffusionSound`). The published checkpoints name ``GPT2Model``
as their language model, which cannot generate; it is loaded as ``GPT2LMHeadModel`` (same weights,
tied head), as diffusers' own fix does.
"""

from __future__ import annotations

from ...hub import load_error
from ..backends import SOUNDS
from .common import DiffusionSound, WeightsLicence, diffusion_model

AUDIOLDM2 = diffusion_model("SEE2SOUND_AUDIOLDM2_MODEL", "cvssp/audioldm2")
LICENCE = WeightsLicence(
    "AudioLDM 2",
    "CC-BY-NC-SA-4.0",
    "https://creativecommons.org/licenses/by-nc-sa/4.0/",
    "non-commercial use only (no commercial video or product with these sounds)",
)


class AudioLDM2Sound(DiffusionSound):
    """AudioLDM 2 on a Hugging Face id or local folder (``$SEE2SOUND_AUDIOLDM2_MODEL``).

    Keywords: ``model``, ``device``, ``steps`` (default 100), ``guidance_scale`` (3.5), ``window_s``
    (10), ``overlap_s`` (1 s).
    """

    name = "audioldm2"
    choice = AUDIOLDM2
    weights_licence = LICENCE
    default_steps = 100
    default_guidance = 3.5
    length_keyword = "audio_length_in_s"
    max_window_s = 10.0

    def _load(self, ref: str, device, dtype):
        from diffusers import AudioLDM2Pipeline
        from transformers import GPT2LMHeadModel

        try:
            language_model = GPT2LMHeadModel.from_pretrained(ref, subfolder="language_model", dtype=dtype)
            pipe = AudioLDM2Pipeline.from_pretrained(ref, language_model=language_model, torch_dtype=dtype)
        except (OSError, ValueError, KeyError, RuntimeError, ImportError, TypeError) as exc:
            raise load_error(ref, exc) from None
        self.rate = int(pipe.vocoder.config.sampling_rate)
        return pipe.to(device)


def _create(model=None, device=None, steps=None, guidance_scale=None, window_s=None, overlap_s=None, **_):
    return AudioLDM2Sound(model, device, steps, guidance_scale, window_s, overlap_s)


SOUNDS.register(
    "audioldm2",
    description="AudioLDM 2 text-to-audio diffusion (extra see2sound[models]; weights in HF cache)",
    priority=20,
    check=AUDIOLDM2.unavailable_reason,
)(_create)

"""Bottom-up saliency: what stands out of a picture, before knowing what anything is.

Two complementary cues: the spectral residual of the log-amplitude spectrum (Hou & Zhang 2007), which
finds small odd things, and region contrast with a boundary-connectivity background prior (Cheng et al.
2011; Zhu et al. 2014), which finds whole objects and ignores areas that spread over the picture's edges.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage


def spectral_residual_saliency(gray: np.ndarray, size: int = 64, sigma: float = 2.5) -> np.ndarray:
    """Spectral-residual saliency of a grey picture ``(H, W)`` in [0, 1], same shape as the input.

    The picture is analysed at ``size`` pixels along its longer side, as in Hou & Zhang (2007).
    """
    gray = np.asarray(gray, dtype=float)
    h, w = gray.shape
    scale = size / max(h, w)
    small = ndimage.zoom(gray, (max(8, round(h * scale)) / h, max(8, round(w * scale)) / w), order=1)
    spectrum = np.fft.fft2(small)
    log_amplitude = np.log(np.abs(spectrum) + 1e-9)
    residual = log_amplitude - ndimage.uniform_filter(log_amplitude, size=3, mode="wrap")
    saliency = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    saliency = ndimage.gaussian_filter(saliency, sigma)
    saliency = ndimage.zoom(saliency, (h / saliency.shape[0], w / saliency.shape[1]), order=1)
    return _unit(saliency)


def region_contrast_saliency(
    mean_lab: np.ndarray,
    area: np.ndarray,
    centroid_yx: np.ndarray,
    border_fraction: np.ndarray,
    spatial_sigma: float = 0.4,
) -> np.ndarray:
    """Per-segment saliency in [0, 1] from colour contrast and a background prior.

    Parameters
    ----------
    mean_lab : ndarray, shape (n, 3)
        Mean CIELAB colour of each segment.
    area : ndarray, shape (n,)
        Segment areas (any unit).
    centroid_yx : ndarray, shape (n, 2)
        Segment centroids, normalised by the picture's longer side.
    border_fraction : ndarray, shape (n,)
        Boundary connectivity: pixels of the segment on the picture border over sqrt(area).
    spatial_sigma : float
        Spatial fall-off of the contrast, as a fraction of the picture size.
    """
    colour_distance = np.linalg.norm(mean_lab[:, None, :] - mean_lab[None, :, :], axis=-1)
    spatial = np.exp(
        -np.sum((centroid_yx[:, None, :] - centroid_yx[None, :, :]) ** 2, axis=-1) / (2 * spatial_sigma**2)
    )
    weights = area[None, :] * spatial
    np.fill_diagonal(weights, 0.0)
    contrast = (weights * colour_distance).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
    background = 1.0 - np.exp(-(border_fraction**2) / (2 * 1.0**2))
    return _unit(contrast) * (1.0 - background)


def _unit(x: np.ndarray) -> np.ndarray:
    lo, hi = float(np.min(x)), float(np.max(x))
    if hi - lo < 1e-12:
        return np.zeros_like(x, dtype=float)
    return (x - lo) / (hi - lo)

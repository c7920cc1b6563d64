"""Reading SOFA files (AES69) of the ``SimpleFreeFieldHRIR`` convention with h5py.

SOFA files are netCDF-4, i.e. HDF5. Source positions are converted to unit vectors in the listener
frame of DESIGN §2 (x forward, y left, z up), which is also SOFA's listener frame; a ``ListenerView``
other than +x is honoured by rotating the directions about the vertical axis. Receiver 0 is the left
ear unless ``ReceiverPosition`` says otherwise (the left ear has positive y). ``Data.Delay`` (in
samples) is added to the impulse responses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..errors import MediaError


@dataclass
class SofaHRIR:
    """The content of a SimpleFreeFieldHRIR file that rendering needs."""

    sample_rate: int
    directions: np.ndarray  # (k, 3) unit vectors, listener frame
    distances_m: np.ndarray  # (k,)
    hrirs: np.ndarray  # (k, 2, taps), ear 0 = left
    attributes: dict = field(default_factory=dict)  # global attributes (Title, License, AuthorContact, …)


def _text(value) -> str:
    if isinstance(value, bytes | np.bytes_):
        return value.decode("utf-8", "replace").strip()
    if isinstance(value, np.ndarray) and value.dtype.kind in "SO":
        return " ".join(_text(v) for v in value.ravel())
    try:
        return str(value).strip()
    except Exception:  # h5py Empty attributes
        return ""


def _dataset_text_attr(ds, name: str) -> str:
    return _text(ds.attrs[name]).lower() if name in ds.attrs else ""


def _to_cartesian(positions: np.ndarray, kind: str, units: str, path: Path, what: str) -> np.ndarray:
    if kind == "spherical" or (not kind and "degree" in units):
        az = np.radians(positions[:, 0])
        el = np.radians(positions[:, 1])
        r = positions[:, 2] if positions.shape[1] > 2 else np.ones(len(positions))
        return np.stack([r * np.cos(el) * np.cos(az), r * np.cos(el) * np.sin(az), r * np.sin(el)], axis=1)
    if kind in ("cartesian", ""):
        return positions.astype(float)
    raise MediaError(f"{path}: {what} has unsupported coordinate type {kind!r}")


def read_sofa(path: str | os.PathLike) -> SofaHRIR:
    """Read a SimpleFreeFieldHRIR SOFA file.

    Raises
    ------
    MediaError
        One line naming the file and the problem: missing file, not HDF5, another SOFA convention,
        missing or malformed datasets.
    """
    path = Path(path)
    if not path.exists():
        raise MediaError(f"{path}: no such SOFA file")
    if path.is_dir():
        raise MediaError(f"{path}: is a folder, expected a SOFA file")
    import h5py

    try:
        fh = h5py.File(path, "r")
    except OSError:
        raise MediaError(f"{path}: not a SOFA file (not HDF5/netCDF-4)") from None
    with fh:
        attrs = {k: _text(v) for k, v in fh.attrs.items()}
        convention = attrs.get("SOFAConventions", "")
        if attrs.get("Conventions", "") != "SOFA" or not convention:
            raise MediaError(f"{path}: HDF5 file without SOFA attributes (not a SOFA file)")
        if convention != "SimpleFreeFieldHRIR":
            raise MediaError(
                f"{path}: SOFA convention {convention!r} is not supported; need SimpleFreeFieldHRIR"
            )
        for name in ("Data.IR", "Data.SamplingRate", "SourcePosition"):
            if name not in fh:
                raise MediaError(f"{path}: SOFA file has no {name} dataset")
        try:
            ir = np.asarray(fh["Data.IR"][()], dtype=float)
            sr = np.asarray(fh["Data.SamplingRate"][()], dtype=float).ravel()
            src_ds = fh["SourcePosition"]
            src = np.asarray(src_ds[()], dtype=float)
            delay = np.asarray(fh["Data.Delay"][()], dtype=float) if "Data.Delay" in fh else None
            receivers = (
                np.asarray(fh["ReceiverPosition"][()], dtype=float) if "ReceiverPosition" in fh else None
            )
            view_ds = fh["ListenerView"] if "ListenerView" in fh else None
            view = np.asarray(view_ds[()], dtype=float).reshape(-1, 3) if view_ds is not None else None
            view_kind = _dataset_text_attr(view_ds, "Type") if view_ds is not None else ""
            view_units = _dataset_text_attr(view_ds, "Units") if view_ds is not None else ""
        except (TypeError, ValueError, OSError, KeyError) as exc:
            raise MediaError(f"{path}: malformed SOFA dataset ({' '.join(str(exc).split())})") from None
        src_kind = _dataset_text_attr(src_ds, "Type")
        src_units = _dataset_text_attr(src_ds, "Units")

    if ir.ndim != 3 or ir.shape[1] != 2 or ir.shape[0] < 1 or ir.shape[2] < 1:
        raise MediaError(f"{path}: Data.IR must have shape (measurements, 2 ears, taps), got {ir.shape}")
    if sr.size < 1 or not np.isfinite(sr[0]) or not 1000 <= sr[0] <= 768000:
        raise MediaError(f"{path}: Data.SamplingRate is missing or out of range")
    if src.ndim == 1 and src.size == 3:
        src = np.broadcast_to(src, (ir.shape[0], 3))
    if src.ndim != 2 or src.shape != (ir.shape[0], 3):
        raise MediaError(f"{path}: SourcePosition must have shape ({ir.shape[0]}, 3), got {src.shape}")
    if not (np.all(np.isfinite(ir)) and np.all(np.isfinite(src))):
        raise MediaError(f"{path}: Data.IR or SourcePosition contains NaN or infinite values")
    xyz = _to_cartesian(src, src_kind, src_units, path, "SourcePosition")
    distances = np.linalg.norm(xyz, axis=1)
    if np.any(distances <= 0):
        raise MediaError(f"{path}: SourcePosition has a source at the listener's position")
    directions = xyz / distances[:, None]
    if view is not None and view.size >= 3 and np.all(np.isfinite(view)):
        v = _to_cartesian(view[:1], view_kind, view_units, path, "ListenerView")[0]
        yaw = np.arctan2(v[1], v[0])
        if abs(yaw) > 1e-9:  # express directions relative to where the listener looks
            c, s = np.cos(-yaw), np.sin(-yaw)
            directions = directions @ np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]).T
    if receivers is not None and receivers.size >= 6:
        rec = receivers.reshape(receivers.shape[0], -1)[:, :3] if receivers.ndim >= 2 else None
        if rec is not None and rec.shape[0] == 2 and rec[1, 1] > rec[0, 1]:
            ir = ir[:, ::-1]  # receiver 1 is the left ear
    if delay is not None and delay.size and np.any(delay != 0):
        ir = _apply_delays(
            ir,
            np.broadcast_to(delay.reshape(-1, delay.shape[-1] if delay.ndim else 1), (ir.shape[0], 2)),
            path,
        )
    return SofaHRIR(
        sample_rate=int(round(sr[0])),
        directions=directions,
        distances_m=distances,
        hrirs=np.ascontiguousarray(ir),
        attributes=attrs,
    )


def _apply_delays(ir: np.ndarray, delay: np.ndarray, path: Path) -> np.ndarray:
    """Prepend ``Data.Delay`` (whole samples) to each impulse response."""
    if np.any(delay < 0) or np.any(delay > 10 * ir.shape[2] + 10000):
        raise MediaError(f"{path}: Data.Delay has implausible values")
    shift = np.rint(delay).astype(int)
    out = np.zeros(ir.shape[:2] + (ir.shape[2] + int(shift.max()),))
    for m in range(ir.shape[0]):
        for e in range(2):
            out[m, e, shift[m, e] : shift[m, e] + ir.shape[2]] = ir[m, e]
    return out

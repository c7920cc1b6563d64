"""Reading SOFA (SimpleFreeFieldHRIR) files: coordinates, ears, delays, and every bad file."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from see2sound.errors import MediaError, See2SoundError
from see2sound.geometry import direction_to_vector
from see2sound.media.sofa import read_sofa
from see2sound.pipeline.hrtf import load_hrtf


def write_sofa(
    path,
    *,
    convention="SimpleFreeFieldHRIR",
    positions=None,
    ir=None,
    sample_rate=48000.0,
    delay=None,
    receivers=None,
    view=None,
    cartesian=False,
    drop=(),
):
    """A small SOFA file written with h5py (the way netCDF-4 stores it, minus dimension scales)."""
    if positions is None:
        positions = np.array([[0.0, 0.0, 1.5], [90.0, 0.0, 1.5], [-90.0, 0.0, 1.5], [180.0, 45.0, 1.5]])
    if ir is None:
        ir = np.zeros((len(positions), 2, 32))
        ir[:, 0, 3] = 1.0
        ir[:, 1, 5] = 0.5
    with h5py.File(path, "w") as fh:
        fh.attrs["Conventions"] = np.bytes_("SOFA")
        fh.attrs["SOFAConventions"] = np.bytes_(convention)
        fh.attrs["Title"] = np.bytes_("test set")
        fh.attrs["License"] = np.bytes_("CC0")
        data = {
            "Data.IR": ir,
            "Data.SamplingRate": np.array([sample_rate]),
            "SourcePosition": positions,
        }
        if delay is not None:
            data["Data.Delay"] = delay
        if receivers is not None:
            data["ReceiverPosition"] = receivers
        if view is not None:
            data["ListenerView"] = view
        for name, value in data.items():
            if name in drop:
                continue
            ds = fh.create_dataset(name, data=value)
            if name == "SourcePosition":
                ds.attrs["Type"] = np.bytes_("cartesian" if cartesian else "spherical")
                ds.attrs["Units"] = np.bytes_("metre" if cartesian else "degree, degree, metre")
            if name == "ListenerView":
                ds.attrs["Type"] = np.bytes_("cartesian")
    return path


def test_spherical_positions_become_listener_frame_unit_vectors(tmp_path):
    sofa = read_sofa(write_sofa(tmp_path / "a.sofa"))
    expected = direction_to_vector(np.array([0.0, 90.0, -90.0, 180.0]), np.array([0.0, 0.0, 0.0, 45.0]))
    np.testing.assert_allclose(sofa.directions, expected, atol=1e-12)
    np.testing.assert_allclose(sofa.distances_m, 1.5)
    assert sofa.sample_rate == 48000 and sofa.hrirs.shape == (4, 2, 32)
    assert sofa.attributes["Title"] == "test set"


def test_cartesian_positions(tmp_path):
    pos = np.array([[2.0, 0, 0], [0, 2.0, 0], [0, 0, 2.0], [-2.0, 0, 0]])
    sofa = read_sofa(write_sofa(tmp_path / "c.sofa", positions=pos, cartesian=True))
    np.testing.assert_allclose(sofa.directions, pos / 2.0)
    np.testing.assert_allclose(sofa.distances_m, 2.0)


def test_receiver_order_follows_receiver_positions(tmp_path):
    swapped = np.array([[[0.0], [-0.09], [0.0]], [[0.0], [0.09], [0.0]]])  # receiver 0 is the right ear
    sofa = read_sofa(write_sofa(tmp_path / "r.sofa", receivers=swapped))
    assert sofa.hrirs[0, 0, 5] == 0.5 and sofa.hrirs[0, 1, 3] == 1.0


def test_data_delay_is_added_in_samples(tmp_path):
    sofa = read_sofa(write_sofa(tmp_path / "d.sofa", delay=np.array([[10.0, 20.0]])))
    assert sofa.hrirs[0, 0, 13] == 1.0 and sofa.hrirs[0, 1, 25] == 0.5


def test_listener_view_rotates_directions(tmp_path):
    view = np.array([[0.0, 1.0, 0.0]])  # the listener looks along +y: a source on +y is in front
    sofa = read_sofa(write_sofa(tmp_path / "v.sofa", view=view))
    np.testing.assert_allclose(sofa.directions[1], [1.0, 0.0, 0.0], atol=1e-12)


def test_real_ku100_file_reads_with_left_ear_first(real_cache):
    sofa = read_sofa(real_cache / "hrtf" / "ku100.sofa")
    assert sofa.hrirs.shape == (2702, 2, 128) and sofa.sample_rate == 48000
    np.testing.assert_allclose(np.linalg.norm(sofa.directions, axis=1), 1.0)
    left = np.argmin(np.linalg.norm(sofa.directions - [0.0, 1.0, 0.0], axis=1))
    energy = np.sum(sofa.hrirs[left] ** 2, axis=1)
    assert energy[0] > 4 * energy[1]


def test_real_kemar_file_reads(real_cache):
    sofa = read_sofa(real_cache / "hrtf" / "kemar.sofa")
    assert sofa.hrirs.shape == (710, 2, 512) and sofa.sample_rate == 44100
    assert np.degrees(np.arcsin(sofa.directions[:, 2])).min() == pytest.approx(-40.0)


def test_load_hrtf_from_a_sofa_path_resamples(tmp_path, real_cache):
    hrtf = load_hrtf(str(real_cache / "hrtf" / "kemar.sofa"), 32000)
    assert hrtf.sample_rate == 32000 and hrtf.name == "kemar"


def _text_file(tmp_path):
    path = tmp_path / "text.sofa"
    path.write_text("this is not HDF5\n")
    return path


def _plain_hdf5(tmp_path):
    path = tmp_path / "plain.sofa"
    with h5py.File(path, "w") as fh:
        fh.create_dataset("x", data=np.zeros(3))
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p / "missing.sofa", "no such SOFA file"),
        (lambda p: p, "is a folder"),
        (_text_file, "not HDF5"),
        (_plain_hdf5, "without SOFA attributes"),
        (lambda p: write_sofa(p / "g.sofa", convention="GeneralFIR"), "'GeneralFIR' is not supported"),
        (lambda p: write_sofa(p / "m.sofa", drop=("Data.IR",)), "no Data.IR"),
        (lambda p: write_sofa(p / "s.sofa", drop=("SourcePosition",)), "no SourcePosition"),
        (lambda p: write_sofa(p / "r.sofa", drop=("Data.SamplingRate",)), "no Data.SamplingRate"),
        (lambda p: write_sofa(p / "e.sofa", ir=np.zeros((4, 3, 16))), "Data.IR must have shape"),
        (
            lambda p: write_sofa(p / "n.sofa", positions=np.zeros((2, 3)) + 1, ir=np.ones((4, 2, 8))),
            "SourcePosition must have shape",
        ),
        (lambda p: write_sofa(p / "f.sofa", sample_rate=0.0), "SamplingRate"),
        (lambda p: write_sofa(p / "z.sofa", ir=np.full((4, 2, 8), np.nan)), "NaN"),
    ],
)
def test_bad_sofa_files_give_one_line_errors(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(MediaError, match=message) as info:
        read_sofa(path)
    assert "\n" not in str(info.value) and str(path.name) in str(info.value)


def test_bad_sofa_through_load_hrtf_is_one_line(tmp_path):
    path = write_sofa(tmp_path / "g.sofa", convention="SimpleHeadphoneIR")
    with pytest.raises(See2SoundError, match="need SimpleFreeFieldHRIR"):
        load_hrtf(str(path), 48000)

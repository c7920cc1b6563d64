"""The TF.js -> ONNX converter, op by op, against NumPy references of TensorFlow's semantics.

Each test builds a tiny TF.js graph model (JSON + weight shard, exactly the layout TF.js writes), converts
it, runs the ONNX file on onnxruntime and compares with an independent NumPy computation.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from see2sound.errors import See2SoundError
from see2sound.vision.nanodet.convert import convert_tfjs_graph

RNG = np.random.default_rng(0)


# ------------------------------------------------------------------------------------------------------
# Building TF.js graph models


def attr_s(text: str) -> dict:
    return {"s": base64.b64encode(text.encode()).decode()}


def attr_ints(values) -> dict:
    return {"list": {"i": [str(int(v)) for v in values]}}


def node(name: str, op: str, inputs: list[str], **attrs) -> dict:
    return {"name": name, "op": op, "input": inputs, "attr": attrs}


def write_tfjs_model(
    folder: Path,
    nodes: list[dict],
    consts: dict[str, np.ndarray],
    input_shape: tuple[int, ...],
    outputs: list[str],
    float16: tuple[str, ...] = (),
    quantize_uint8: tuple[str, ...] = (),
) -> Path:
    """Write ``model.json`` + one weight shard the way TF.js does; returns the JSON's path.

    Integer constants are stored as int32 (int64 ones declare DT_INT64 in the graph, as TF.js does).
    Names in ``float16`` are quantised to float16, in ``quantize_uint8`` to uint8 with scale and minimum.
    """
    folder.mkdir(parents=True, exist_ok=True)
    graph = [
        {
            "name": "x",
            "op": "Placeholder",
            "attr": {
                "dtype": {"type": "DT_FLOAT"},
                "shape": {"shape": {"dim": [{"size": str(d)} for d in input_shape]}},
            },
        }
    ]
    specs, blobs = [], []
    for name, value in consts.items():
        value = np.asarray(value)
        if value.dtype.kind in "iu":
            tf_dtype = "DT_INT64" if value.dtype == np.int64 else "DT_INT32"
            spec = {"name": name, "shape": list(value.shape), "dtype": "int32"}
            blob = value.astype(np.int32).tobytes()
        elif name in float16:
            tf_dtype = "DT_FLOAT"
            spec = {
                "name": name,
                "shape": list(value.shape),
                "dtype": "float32",
                "quantization": {"dtype": "float16", "original_dtype": "float32"},
            }
            blob = value.astype(np.float16).tobytes()
        elif name in quantize_uint8:
            tf_dtype = "DT_FLOAT"
            lo, hi = float(value.min()), float(value.max())
            scale = (hi - lo) / 255 or 1.0
            spec = {
                "name": name,
                "shape": list(value.shape),
                "dtype": "float32",
                "quantization": {"dtype": "uint8", "scale": scale, "min": lo, "original_dtype": "float32"},
            }
            blob = np.round((value - lo) / scale).astype(np.uint8).tobytes()
        else:
            tf_dtype = "DT_FLOAT"
            spec = {"name": name, "shape": list(value.shape), "dtype": "float32"}
            blob = value.astype(np.float32).tobytes()
        graph.append(
            {
                "name": name,
                "op": "Const",
                "attr": {
                    "dtype": {"type": tf_dtype},
                    "value": {
                        "tensor": {
                            "dtype": tf_dtype,
                            "tensorShape": {"dim": [{"size": str(d)} for d in value.shape]},
                        }
                    },
                },
            }
        )
        specs.append(spec)
        blobs.append(blob)
    model = {
        "format": "graph-model",
        "generatedBy": "test",
        "modelTopology": {"node": graph + nodes, "library": {}, "versions": {}},
        "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": specs}],
        "signature": {"outputs": {f"{o}:0": {"name": f"{o}:0", "dtype": "DT_FLOAT"} for o in outputs}},
    }
    (folder / "group1-shard1of1.bin").write_bytes(b"".join(blobs))
    path = folder / "model.json"
    path.write_text(json.dumps(model))
    return path


def run_onnx(onnx_bytes: bytes, x: np.ndarray) -> list[np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(onnx_bytes, providers=["CPUExecutionProvider"])
    names = sorted(o.name for o in session.get_outputs())
    return session.run(names, {session.get_inputs()[0].name: x.astype(np.float32)})


def convert_and_run(tmp_path, nodes, consts, x, outputs=("y",), **kwargs) -> list[np.ndarray]:
    path = write_tfjs_model(tmp_path / "m", nodes, consts, x.shape, list(outputs), **kwargs)
    return run_onnx(convert_tfjs_graph(path), x)


# ------------------------------------------------------------------------------------------------------
# NumPy references of TensorFlow's NHWC ops


def same_pads(size: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    out = -(-size // stride)
    total = max((out - 1) * stride + (kernel - 1) * dilation + 1 - size, 0)
    return total // 2, total - total // 2  # TF puts the odd pixel at the end


def pad_nhwc(x, padding, kh, kw, stride, dilation=1, value=0.0):
    if padding == "VALID":
        return x
    ph = same_pads(x.shape[1], kh, stride[0], dilation)
    pw = same_pads(x.shape[2], kw, stride[1], dilation)
    return np.pad(x, [(0, 0), ph, pw, (0, 0)], constant_values=value)


def conv2d_ref(x, w, stride=(1, 1), padding="VALID", dilation=1):
    kh, kw = w.shape[:2]
    xp = pad_nhwc(x, padding, kh, kw, stride, dilation)
    oh = (xp.shape[1] - (kh - 1) * dilation - 1) // stride[0] + 1
    ow = (xp.shape[2] - (kw - 1) * dilation - 1) // stride[1] + 1
    out = np.zeros((x.shape[0], oh, ow, w.shape[3]))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i * dilation :: stride[0], j * dilation :: stride[1], :][:, :oh, :ow, :]
            out += patch @ w[i, j]
    return out


def depthwise_ref(x, w, stride=(1, 1), padding="VALID"):
    kh, kw, c, m = w.shape
    xp = pad_nhwc(x, padding, kh, kw, stride)
    oh = (xp.shape[1] - kh) // stride[0] + 1
    ow = (xp.shape[2] - kw) // stride[1] + 1
    out = np.zeros((x.shape[0], oh, ow, c, m))
    for i in range(kh):
        for j in range(kw):
            patch = xp[:, i :: stride[0], j :: stride[1], :][:, :oh, :ow, :]
            out += patch[..., None] * w[i, j]
    return out.reshape(x.shape[0], oh, ow, c * m)


def pool_ref(x, k, stride, padding, kind):
    xp = pad_nhwc(x, padding, k, k, (stride, stride), value=np.nan)
    oh = (xp.shape[1] - k) // stride + 1
    ow = (xp.shape[2] - k) // stride + 1
    windows = np.stack([xp[:, i::stride, j::stride, :][:, :oh, :ow, :] for i in range(k) for j in range(k)])
    return np.nanmax(windows, axis=0) if kind == "max" else np.nanmean(windows, axis=0)


def resize_bilinear_ref(x, out_h, out_w, align_corners=False, half_pixel=False):
    """TensorFlow's ResizeBilinear (image_resizer_state.h / resize_bilinear_op.cc), written out."""

    def weights(in_size, out_size):
        if align_corners and out_size > 1:
            scale = (in_size - 1) / (out_size - 1)
        else:
            scale = in_size / out_size
        pos = np.arange(out_size, dtype=np.float64)
        src = (pos + 0.5) * scale - 0.5 if half_pixel else pos * scale
        lower = np.floor(src)
        frac = src - lower
        lo = np.clip(lower, 0, in_size - 1).astype(int)
        hi = np.clip(lower + 1, 0, in_size - 1).astype(int)
        return lo, hi, frac

    y0, y1, fy = weights(x.shape[1], out_h)
    x0, x1, fx = weights(x.shape[2], out_w)
    top = x[:, y0][:, :, x0] * (1 - fx)[None, None, :, None] + x[:, y0][:, :, x1] * fx[None, None, :, None]
    bottom = x[:, y1][:, :, x0] * (1 - fx)[None, None, :, None] + x[:, y1][:, :, x1] * fx[None, None, :, None]
    return top * (1 - fy)[None, :, None, None] + bottom * fy[None, :, None, None]


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


# ------------------------------------------------------------------------------------------------------
# Convolutions


@pytest.mark.parametrize(
    ("stride", "padding", "dilation"),
    [
        ((1, 1), "VALID", 1),
        ((2, 2), "VALID", 1),
        ((1, 1), "SAME", 1),
        ((2, 2), "SAME", 1),
        ((1, 1), "VALID", 2),
    ],
)
def test_conv2d_matches_reference(tmp_path, stride, padding, dilation):
    x = RNG.normal(size=(1, 9, 8, 3))
    w = RNG.normal(size=(3, 3, 3, 5))
    nodes = [
        node(
            "y",
            "Conv2D",
            ["x", "w"],
            strides=attr_ints([1, *stride, 1]),
            padding=attr_s(padding),
            data_format=attr_s("NHWC"),
            dilations=attr_ints([1, dilation, dilation, 1]),
        )
    ]
    (y,) = convert_and_run(tmp_path, nodes, {"w": w}, x)
    np.testing.assert_allclose(y, conv2d_ref(x, w, stride, padding, dilation), rtol=1e-4, atol=1e-4)


def test_conv2d_explicit_padding(tmp_path):
    x = RNG.normal(size=(1, 6, 7, 2))
    w = RNG.normal(size=(3, 3, 2, 4))
    nodes = [
        node(
            "y",
            "Conv2D",
            ["x", "w"],
            strides=attr_ints([1, 1, 1, 1]),
            padding=attr_s("EXPLICIT"),
            explicit_paddings=attr_ints([0, 0, 1, 2, 2, 0, 0, 0]),
            data_format=attr_s("NHWC"),
        )
    ]
    (y,) = convert_and_run(tmp_path, nodes, {"w": w}, x)
    expected = conv2d_ref(np.pad(x, [(0, 0), (1, 2), (2, 0), (0, 0)]), w)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-4)


def test_depthwise_conv_matches_reference(tmp_path):
    x = RNG.normal(size=(1, 8, 8, 3))
    w = RNG.normal(size=(3, 3, 3, 2))
    nodes = [
        node(
            "y",
            "DepthwiseConv2dNative",
            ["x", "w"],
            strides=attr_ints([1, 2, 2, 1]),
            padding=attr_s("SAME"),
            data_format=attr_s("NHWC"),
        )
    ]
    (y,) = convert_and_run(tmp_path, nodes, {"w": w}, x)
    np.testing.assert_allclose(y, depthwise_ref(x, w, (2, 2), "SAME"), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    ("fused", "activation"),
    [
        (["BiasAdd"], lambda v: v),
        (["BiasAdd", "Relu"], lambda v: np.maximum(v, 0)),
        (["BiasAdd", "Relu6"], lambda v: np.clip(v, 0, 6)),
        (["BiasAdd", "LeakyRelu"], lambda v: np.where(v > 0, v, 0.1 * v)),
    ],
)
def test_fused_conv2d(tmp_path, fused, activation):
    x = RNG.normal(size=(1, 6, 6, 4)) * 3
    w = RNG.normal(size=(1, 1, 4, 6))
    b = RNG.normal(size=6)
    nodes = [
        node(
            "y",
            "_FusedConv2D",
            ["x", "w", "b"],
            strides=attr_ints([1, 1, 1, 1]),
            padding=attr_s("VALID"),
            data_format=attr_s("NHWC"),
            fused_ops={"list": {"s": [attr_s(f)["s"] for f in fused]}},
            num_args={"i": "1"},
            leakyrelu_alpha={"f": 0.1},
        )
    ]
    (y,) = convert_and_run(tmp_path, nodes, {"w": w, "b": b}, x)
    np.testing.assert_allclose(y, activation(conv2d_ref(x, w) + b), rtol=1e-4, atol=1e-4)


def test_conv_bias_leaky_relu_chain_as_nanodet_writes_it(tmp_path):
    """NCHW graph from onnx-tf: Pad -> NCHW->NHWC -> Conv2D -> Add bias -> NHWC->NCHW -> LeakyRelu."""
    x = RNG.normal(size=(1, 3, 8, 8))
    w = RNG.normal(size=(3, 3, 3, 4))
    b = RNG.normal(size=4)
    consts = {
        "pads": np.array([[0, 0], [0, 0], [1, 1], [1, 1]]),
        "p1": np.array([0, 2, 3, 1]),
        "p2": np.array([0, 3, 1, 2]),
        "w": w,
        "b": b,
    }
    nodes = [
        node("pad", "Pad", ["x", "pads"]),
        node("t1", "Transpose", ["pad", "p1"]),
        node(
            "conv",
            "Conv2D",
            ["t1", "w"],
            strides=attr_ints([1, 2, 2, 1]),
            padding=attr_s("VALID"),
            data_format=attr_s("NHWC"),
        ),
        node("add", "Add", ["conv", "b"]),
        node("t2", "Transpose", ["add", "p2"]),
        node("y", "LeakyRelu", ["t2"], alpha={"f": 0.1}),
    ]
    path = write_tfjs_model(tmp_path / "m", nodes, consts, x.shape, ["y"], float16=("w", "b"))
    w16, b16 = w.astype(np.float16).astype(np.float64), b.astype(np.float16).astype(np.float64)
    nhwc = conv2d_ref(np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)]).transpose(0, 2, 3, 1), w16, (2, 2)) + b16
    pre = nhwc.transpose(0, 3, 1, 2)
    expected = np.where(pre > 0, pre, 0.1 * pre)
    simplified = convert_tfjs_graph(path)
    literal = convert_tfjs_graph(path, simplify=False)
    (a,) = run_onnx(simplified, x)
    (b_,) = run_onnx(literal, x)
    np.testing.assert_allclose(a, expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(b_, expected, rtol=1e-4, atol=1e-4)
    import onnx

    ops = [n.op_type for n in onnx.load_from_string(simplified).graph.node]
    assert "Transpose" not in ops and "Pad" not in ops and "Add" not in ops  # cancelled and fused


# ------------------------------------------------------------------------------------------------------
# Pooling, padding, resizing


@pytest.mark.parametrize(("op", "kind"), [("MaxPool", "max"), ("AvgPool", "mean")])
@pytest.mark.parametrize("padding", ["VALID", "SAME"])
def test_pooling_matches_reference(tmp_path, op, kind, padding):
    x = RNG.normal(size=(1, 7, 8, 3))
    nodes = [
        node(
            "y",
            op,
            ["x"],
            ksize=attr_ints([1, 3, 3, 1]),
            strides=attr_ints([1, 2, 2, 1]),
            padding=attr_s(padding),
            data_format=attr_s("NHWC"),
        )
    ]
    (y,) = convert_and_run(tmp_path, nodes, {}, x)
    np.testing.assert_allclose(y, pool_ref(x, 3, 2, padding, kind), rtol=1e-5, atol=1e-5)


def test_pad_and_padv2_with_minus_infinity_before_maxpool(tmp_path):
    x = RNG.normal(size=(1, 2, 5, 5))  # NCHW, as NanoDet pads before its stem max-pool
    consts = {
        "pads": np.array([[0, 0], [1, 0], [1, 1], [2, 1]]),
        "v": np.array(-7.5, np.float32),
        "pads2": np.array([[0, 0], [0, 0], [1, 1], [1, 1]]),
        "inf": np.array(-np.inf, np.float32),
        "p1": np.array([0, 2, 3, 1]),
        "p2": np.array([0, 3, 1, 2]),
    }
    nodes = [
        node("y", "Pad", ["x", "pads"]),
        node("y_1", "PadV2", ["x", "pads", "v"]),
        node("padinf", "PadV2", ["x", "pads2", "inf"]),
        node("t1", "Transpose", ["padinf", "p1"]),
        node(
            "pool",
            "MaxPool",
            ["t1"],
            ksize=attr_ints([1, 3, 3, 1]),
            strides=attr_ints([1, 2, 2, 1]),
            padding=attr_s("VALID"),
            data_format=attr_s("NHWC"),
        ),
        node("y_2", "Transpose", ["pool", "p2"]),
    ]
    y, y1, y2 = convert_and_run(tmp_path, nodes, consts, x, outputs=("y", "y_1", "y_2"))
    width = [(0, 0), (1, 0), (1, 1), (2, 1)]
    np.testing.assert_array_equal(y, np.pad(x, width).astype(np.float32))
    np.testing.assert_array_equal(y1, np.pad(x, width, constant_values=-7.5).astype(np.float32))
    padded = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)], constant_values=-np.inf).transpose(0, 2, 3, 1)
    np.testing.assert_allclose(y2, pool_ref(padded, 3, 2, "VALID", "max").transpose(0, 3, 1, 2), rtol=1e-6)


@pytest.mark.parametrize(("align_corners", "half_pixel"), [(False, True), (True, False), (False, False)])
@pytest.mark.parametrize("size", [(10, 12), (3, 4)])
def test_resize_bilinear_matches_tensorflow_semantics(tmp_path, align_corners, half_pixel, size):
    x = RNG.normal(size=(1, 5, 6, 2))
    nodes = [
        node(
            "y",
            "ResizeBilinear",
            ["x", "size"],
            align_corners={"b": align_corners},
            half_pixel_centers={"b": half_pixel},
        )
    ]
    (y,) = convert_and_run(tmp_path, nodes, {"size": np.array(size)}, x)
    np.testing.assert_allclose(
        y, resize_bilinear_ref(x, *size, align_corners, half_pixel), rtol=1e-5, atol=1e-5
    )


# ------------------------------------------------------------------------------------------------------
# Element-wise, shape and routing ops


@pytest.mark.parametrize(
    ("op", "reference"),
    [
        ("Add", np.add),
        ("AddV2", np.add),
        ("Sub", np.subtract),
        ("Mul", np.multiply),
        ("RealDiv", np.divide),
        ("Maximum", np.maximum),
        ("Minimum", np.minimum),
    ],
)
def test_binary_ops_broadcast_like_numpy(tmp_path, op, reference):
    x = RNG.normal(size=(1, 4, 3, 2))
    c = RNG.uniform(0.5, 2.0, size=(3, 2))
    (y,) = convert_and_run(tmp_path, [node("y", op, ["x", "c"])], {"c": c}, x)
    np.testing.assert_allclose(y, reference(x, c), rtol=1e-5, atol=1e-6)


def test_bias_add_nhwc_and_nchw(tmp_path):
    x = RNG.normal(size=(1, 3, 4, 3))
    b = RNG.normal(size=3)
    nodes = [
        node("y", "BiasAdd", ["x", "b"], data_format=attr_s("NHWC")),
        node("y_1", "BiasAdd", ["x", "b"], data_format=attr_s("NCHW")),
    ]
    y, y1 = convert_and_run(tmp_path, nodes, {"b": b}, x, outputs=("y", "y_1"))
    np.testing.assert_allclose(y, x + b, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(y1, x + b[:, None, None], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize(
    ("op", "attrs", "reference"),
    [
        ("Relu", {}, lambda v: np.maximum(v, 0)),
        ("Relu6", {}, lambda v: np.clip(v, 0, 6)),
        ("LeakyRelu", {"alpha": {"f": 0.1}}, lambda v: np.where(v > 0, v, 0.1 * v)),
        ("Sigmoid", {}, sigmoid),
        ("Tanh", {}, np.tanh),
        ("Identity", {}, lambda v: v),
    ],
)
def test_unary_ops(tmp_path, op, attrs, reference):
    x = RNG.normal(size=(1, 2, 3, 4)) * 5
    (y,) = convert_and_run(tmp_path, [node("y", op, ["x"], **attrs)], {}, x)
    np.testing.assert_allclose(y, reference(x), rtol=1e-5, atol=1e-6)


def test_reshape_transpose_concat(tmp_path):
    x = RNG.normal(size=(1, 4, 2, 3))
    consts = {
        "shape": np.array([1, 4, -1]),
        "perm": np.array([0, 2, 1]),
        "axis": np.array(1),
        "c": RNG.normal(size=(1, 1, 2, 3)),
    }
    nodes = [
        node("r", "Reshape", ["x", "shape"]),
        node("y", "Transpose", ["r", "perm"]),
        node("y_1", "ConcatV2", ["x", "c", "x", "axis"], N={"i": "3"}),
    ]
    y, y1 = convert_and_run(tmp_path, nodes, consts, x, outputs=("y", "y_1"))
    np.testing.assert_allclose(y, x.reshape(1, 4, -1).transpose(0, 2, 1), rtol=1e-6)
    np.testing.assert_allclose(y1, np.concatenate([x, consts["c"], x], axis=1), rtol=1e-6)


def test_split_v_and_split(tmp_path):
    x = RNG.normal(size=(1, 7, 2, 2))
    consts = {"sizes": np.array([5, 2]), "dim": np.array(1), "dim3": np.array(3)}
    nodes = [
        node("s", "SplitV", ["x", "sizes", "dim"], num_split={"i": "2"}),
        node("y", "Sigmoid", ["s"]),
        node("y_1", "Identity", ["s:1"]),
        node("h", "Split", ["dim3", "x"], num_split={"i": "2"}),
        node("y_2", "Identity", ["h:1"]),
    ]
    y, y1, y2 = convert_and_run(tmp_path, nodes, consts, x, outputs=("y", "y_1", "y_2"))
    np.testing.assert_allclose(y, sigmoid(x[:, :5]), rtol=1e-5)
    np.testing.assert_allclose(y1, x[:, 5:], rtol=1e-6)
    np.testing.assert_allclose(y2, x[..., 1:], rtol=1e-6)


def test_shape_subgraph_is_folded(tmp_path):
    """NanoDet's reshape targets: AddV2(const, SparseToDense(empty indices)) on int64, plus Cast."""
    x = RNG.normal(size=(1, 6, 2, 2))
    consts = {
        "where": np.zeros((0, 1), np.int64),
        "dense_shape": np.array([3], np.int64),
        "values": np.zeros((0,), np.int64),
        "zero": np.array(0, np.int64),
        "base": np.array([1, 6, -1], np.int64),
        "sp_idx": np.array([[2]], np.int64),
        "sp_val": np.array([0], np.int64),
        "two": np.array([2, 2], np.int32),
    }
    nodes = [
        node("std", "SparseToDense", ["where", "dense_shape", "values", "zero"]),
        node("shape", "AddV2", ["base", "std"]),
        node("y", "Reshape", ["x", "shape"]),
        node("std2", "SparseToDense", ["sp_idx", "dense_shape", "sp_val", "zero"]),  # [0, 0, 0]
        node("cast", "Cast", ["two"], DstT={"type": "DT_FLOAT"}),
        node("y_1", "Mul", ["x", "cast"]),
    ]
    path = write_tfjs_model(tmp_path / "m", nodes, consts, x.shape, ["y", "y_1"])
    onnx_bytes = convert_tfjs_graph(path)
    import onnx

    ops = [n.op_type for n in onnx.load_from_string(onnx_bytes).graph.node]
    assert "SparseToDense" not in ops and ops.count("Reshape") == 1
    y, y1 = run_onnx(onnx_bytes, x)
    np.testing.assert_allclose(y, x.reshape(1, 6, -1), rtol=1e-6)
    np.testing.assert_allclose(y1, x * 2, rtol=1e-6)


# ------------------------------------------------------------------------------------------------------
# Weights, determinism and bad input


def test_float16_weights_are_exact_and_stored_as_float16(tmp_path):
    x = RNG.normal(size=(1, 4, 4, 3))
    w = RNG.normal(size=(1, 1, 3, 64))
    nodes = [node("y", "Conv2D", ["x", "w"], strides=attr_ints([1, 1, 1, 1]), padding=attr_s("VALID"))]
    path = write_tfjs_model(tmp_path / "m", nodes, {"w": w}, x.shape, ["y"], float16=("w",))
    half, full = convert_tfjs_graph(path), convert_tfjs_graph(path, float16_weights=False)
    import onnx

    def weight_types(onnx_bytes):
        return {t.data_type for t in onnx.load_from_string(onnx_bytes).graph.initializer}

    assert weight_types(half) == {onnx.TensorProto.FLOAT16} and weight_types(full) == {onnx.TensorProto.FLOAT}
    assert len(full) - len(half) > w.size  # 2 bytes saved per weight, less a Cast node
    w16 = w.astype(np.float16).astype(np.float64)
    for onnx_bytes in (half, full):
        (y,) = run_onnx(onnx_bytes, x)
        np.testing.assert_allclose(y, conv2d_ref(x, w16), rtol=1e-5, atol=1e-5)


def test_uint8_quantised_weights_are_dequantised(tmp_path):
    x = RNG.normal(size=(1, 2, 2, 3))
    c = RNG.normal(size=3)
    path = write_tfjs_model(
        tmp_path / "m", [node("y", "Add", ["x", "c"])], {"c": c}, x.shape, ["y"], quantize_uint8=("c",)
    )
    (y,) = run_onnx(convert_tfjs_graph(path), x)
    step = (c.max() - c.min()) / 255
    np.testing.assert_allclose(y, x + c, atol=step / 2 + 1e-6)


def test_conversion_is_byte_identical_across_runs(tmp_path):
    x = RNG.normal(size=(1, 3, 8, 8))
    consts = {
        "p1": np.array([0, 2, 3, 1]),
        "p2": np.array([0, 3, 1, 2]),
        "w": RNG.normal(size=(3, 3, 3, 4)),
        "b": RNG.normal(size=4),
    }
    nodes = [
        node("t1", "Transpose", ["x", "p1"]),
        node("conv", "Conv2D", ["t1", "w"], strides=attr_ints([1, 1, 1, 1]), padding=attr_s("SAME")),
        node("add", "Add", ["conv", "b"]),
        node("y", "Transpose", ["add", "p2"]),
    ]
    path = write_tfjs_model(tmp_path / "m", nodes, consts, x.shape, ["y"], float16=("w", "b"))
    digests = {hashlib.sha256(convert_tfjs_graph(path)).hexdigest() for _ in range(3)}
    assert len(digests) == 1


def test_unknown_op_is_one_line_error_naming_node_and_op(tmp_path):
    x = RNG.normal(size=(1, 4))
    path = write_tfjs_model(
        tmp_path / "m", [node("y", "TopKV2", ["x", "k"])], {"k": np.array(2)}, x.shape, ["y"]
    )
    with pytest.raises(See2SoundError) as info:
        convert_tfjs_graph(path)
    message = str(info.value)
    assert "'y'" in message and "TopKV2" in message and "\n" not in message


def test_truncated_weight_shard_is_refused(tmp_path):
    x = RNG.normal(size=(1, 4, 4, 3))
    path = write_tfjs_model(
        tmp_path / "m", [node("y", "Add", ["x", "c"])], {"c": RNG.normal(size=3)}, x.shape, ["y"]
    )
    shard = path.parent / "group1-shard1of1.bin"
    shard.write_bytes(shard.read_bytes()[:-4])
    with pytest.raises(See2SoundError, match="truncated"):
        convert_tfjs_graph(path)


def test_missing_shard_and_bad_json_are_refused(tmp_path):
    x = RNG.normal(size=(1, 4))
    path = write_tfjs_model(
        tmp_path / "m", [node("y", "Add", ["x", "c"])], {"c": RNG.normal(size=4)}, x.shape, ["y"]
    )
    (path.parent / "group1-shard1of1.bin").unlink()
    with pytest.raises(See2SoundError, match="shard"):
        convert_tfjs_graph(path)
    path.write_text("{not json")
    with pytest.raises(See2SoundError, match="not a readable"):
        convert_tfjs_graph(path)
    path.write_text(json.dumps({"format": "layers-model"}))
    with pytest.raises(See2SoundError, match="not a TF.js graph model"):
        convert_tfjs_graph(path)


def test_non_constant_filter_is_refused(tmp_path):
    x = RNG.normal(size=(1, 3, 3, 1))
    nodes = [node("y", "Conv2D", ["x", "x"], strides=attr_ints([1, 1, 1, 1]), padding=attr_s("VALID"))]
    path = write_tfjs_model(tmp_path / "m", nodes, {}, x.shape, ["y"])
    with pytest.raises(See2SoundError, match="filter must be a constant"):
        convert_tfjs_graph(path)


def test_fpn_pattern_with_shared_nhwc_tensor(tmp_path):
    """As in NanoDet's neck: one NHWC tensor feeds both a transpose to NCHW and a ResizeBilinear."""
    x = RNG.normal(size=(1, 2, 4, 4))  # NCHW
    consts = {
        "p1": np.array([0, 2, 3, 1]),
        "p2": np.array([0, 3, 1, 2]),
        "w": RNG.normal(size=(1, 1, 2, 3)),
        "b": RNG.normal(size=3),
        "size": np.array([8, 8]),
        "skip": RNG.normal(size=(1, 3, 8, 8)),
    }
    nodes = [
        node("t_in", "Transpose", ["x", "p1"]),
        node("conv", "Conv2D", ["t_in", "w"], strides=attr_ints([1, 1, 1, 1]), padding=attr_s("VALID")),
        node("add", "Add", ["conv", "b"]),
        node("y", "Transpose", ["add", "p2"]),
        node(
            "up",
            "ResizeBilinear",
            ["add", "size"],
            half_pixel_centers={"b": True},
            align_corners={"b": False},
        ),
        node("up_nchw", "Transpose", ["up", "p2"]),
        node("y_1", "Add", ["skip", "up_nchw"]),
    ]
    path = write_tfjs_model(tmp_path / "m", nodes, consts, x.shape, ["y", "y_1"])
    nhwc = conv2d_ref(x.transpose(0, 2, 3, 1), consts["w"]) + consts["b"]
    expected = [
        nhwc.transpose(0, 3, 1, 2),
        consts["skip"] + resize_bilinear_ref(nhwc, 8, 8, half_pixel=True).transpose(0, 3, 1, 2),
    ]
    for simplify in (True, False):
        outputs = run_onnx(convert_tfjs_graph(path, simplify=simplify), x)
        for got, want in zip(outputs, expected, strict=True):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)

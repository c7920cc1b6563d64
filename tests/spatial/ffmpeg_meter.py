"""FFmpeg as an independent reference: its ``ebur128`` filter and channel-layout reader, through PyAV."""

from __future__ import annotations

from pathlib import Path

import av
from av.filter import Graph


def _drain(graph: Graph, metadata: dict) -> dict:
    while True:
        try:
            frame = graph.pull()
        except (av.BlockingIOError, av.EOFError):
            return metadata
        metadata = dict(frame.metadata) or metadata


def ffmpeg_ebur128(path: str | Path) -> dict[str, float]:
    """Integrated loudness ``I`` (LUFS) and ``true_peak`` (linear), as FFmpeg's ``ebur128`` measures them."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        graph = Graph()
        source = graph.add_abuffer(template=stream)
        meter = graph.add("ebur128", "metadata=1:peak=true")
        sink = graph.add("abuffersink")
        source.link_to(meter)
        meter.link_to(sink)
        graph.configure()
        metadata: dict = {}
        for frame in container.decode(stream):
            graph.push(frame)
            metadata = _drain(graph, metadata)
        graph.push(None)
        metadata = _drain(graph, metadata)
    return {"I": float(metadata["lavfi.r128.I"]), "true_peak": float(metadata["lavfi.r128.true_peak"])}


def ffmpeg_layout(path: str | Path) -> tuple[str, int]:
    """FFmpeg's name for the file's channel layout and its channel count."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        layout = stream.codec_context.layout
        return layout.name, len(layout.channels)

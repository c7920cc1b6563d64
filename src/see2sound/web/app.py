"""The Gradio page of ``see2sound serve``: upload → sources placed, heard and shown; edit → render again.

The page keeps one :class:`~see2sound.web.jobs.Job` per browser session (a temporary folder removed when
the session ends, and with the whole workspace when the server stops). Every handler turns a
:class:`~see2sound.errors.See2SoundError` into one readable message in the page (``gr.Error``), never a
traceback; an unforeseen failure is logged on the server and shown as one line.
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

import gradio as gr

from ..errors import See2SoundError
from ..log import get_logger
from . import jobs
from .jobs import CHANNEL_FORMATS, TABLE_HEADERS, Job, Limits, Options, Workspace

log = get_logger(__name__)

MAX_STEMS = 8
EXAMPLES_DIR = Path(__file__).resolve().parents[3] / "examples"  # a source checkout's bundled examples
ROOMS = ["auto", "none", "indoor", "outdoor"]
INTRO = """# see2sound
Drop in a picture, GIF or video: see2sound finds what would sound in it, makes a sound for each, and places
them around you. Listen on **headphones** (binaural), move a source in the table and render again, download
everything."""


def _guarded(func):
    """Errors as one line in the page: the project's message, without this server's folder names."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return func(*args, **kwargs)
        except gr.Error:
            raise
        except See2SoundError as exc:
            job = next((a for a in args if isinstance(a, Job)), None)
            raise gr.Error(job.public(str(exc)) if job else str(exc), print_exception=False) from None
        except Exception as exc:  # unforeseen: the server's log has the traceback, the page one line
            log.exception("web request failed")
            text = " ".join(str(exc).split()) or type(exc).__name__
            raise gr.Error(
                f"unexpected failure: {type(exc).__name__}: {text}", print_exception=False
            ) from None
        finally:
            log.info("%s: %.2f s", func.__name__, time.perf_counter() - started)

    return wrapper


def _examples() -> list[list[str]]:
    names = ("cat.png", "rocket.jpg", "car.gif", "car.mp4")
    return [[str(EXAMPLES_DIR / n)] for n in names if (EXAMPLES_DIR / n).is_file()]


def _shown(job: Job, scene, status: str):
    """The values of the outputs that change with every render."""
    map_png = jobs.draw_map(scene, job.folder / f"map-{os.urandom(4).hex()}.png")
    for old in job.folder.glob("map-*.png"):
        if old != map_png:
            old.unlink(missing_ok=True)
    # the stems are downloadable from their players and in the zip; the zip is made on demand, since
    # handing its copy of every file to the page each time made a re-render ≈ 0.3 s slower
    files = [str(p) for p in jobs.outputs(job) if p.parent == job.out_dir]
    video = gr.Video(value=str(job.video), visible=True) if job.video else gr.Video(value=None, visible=False)
    return [
        str(map_png),
        str(job.audio("binaural")),
        video,
        files,
        jobs.table_rows(scene),
        status,
    ]


def build(workspace: Workspace, limits: Limits) -> gr.Blocks:
    """The page, working in ``workspace`` and refusing uploads past ``limits``."""

    def remove(job: Job | None) -> None:
        if job is not None:
            job.remove()

    @_guarded
    def make(
        upload,
        prompt,
        n_sources,
        formats,
        seed,
        room,
        hrtf,
        seconds,
        sound,
        detector,
        job,
        progress=gr.Progress(),
    ):
        if not upload:
            raise gr.Error("upload a picture, GIF or video first", print_exception=False)
        remove(job)
        job = workspace.new_job()
        try:
            progress(0.02, desc="checking the upload")
            jobs.accept_upload(job, upload, Path(upload).name, limits)
            fractions = iter([0.1, 0.4, 0.6, 0.7, 0.8, 0.85, 0.9, 0.93, 0.96, 0.98])

            def step(text: str) -> None:
                progress(next(fractions, 0.99), desc=text)

            options = Options(
                prompt=prompt,
                sources=int(n_sources),
                formats=list(formats or []),
                seed=int(seed or 0),
                room=room,
                hrtf=hrtf,
                duration=float(seconds),
                sound=sound,
                detector=detector,
            )
            jobs.run_job(job, options, step=step)
            progress(0.99, desc="drawing the map")
            scene = jobs.load_job_scene(job)
        except BaseException:
            job.remove()
            raise
        players = []
        stems = jobs.stems(job, scene)
        for i in range(MAX_STEMS):
            if i < len(stems):
                players.append(gr.Audio(value=str(stems[i][1]), label=stems[i][0], visible=True))
            else:
                players.append(gr.Audio(value=None, visible=False))
        preview = job.out_dir / "preview.png"
        status = f"{len(scene.sources)} source(s), {scene.duration:g} s: {', '.join(job.formats)}"
        return [
            job,
            str(preview) if preview.exists() else None,
            *_shown(job, scene, status),
            jobs.credits(job),
            *players,
        ]

    @_guarded
    def render_again(rows, job, progress=gr.Progress()):
        if job is None:
            raise gr.Error("nothing made yet: upload a picture or video first", print_exception=False)
        progress(0.1, desc="rendering again")
        scene = jobs.rerender(job, rows)
        return _shown(job, scene, f"rendered again ({job.renders}): {', '.join(job.formats)}")

    @_guarded
    def load_scene_file(upload, job, progress=gr.Progress()):
        if job is None:
            raise gr.Error("nothing made yet: upload a picture or video first", print_exception=False)
        progress(0.1, desc="reading the scene")
        jobs.merge_scene_upload(job, upload)
        progress(0.3, desc="rendering again")
        scene = jobs.rerender(job)
        return _shown(job, scene, f"scene loaded and rendered again ({job.renders})")

    @_guarded
    def zip_everything(job):
        if job is None:
            raise gr.Error("nothing made yet: upload a picture or video first", print_exception=False)
        return str(jobs.zip_all(job))

    offered = jobs.usable_backends()
    with gr.Blocks(title="see2sound", delete_cache=(900, 3600)) as demo:
        job_state = gr.State(None, time_to_live=6 * 3600, delete_callback=remove)
        gr.Markdown(INTRO)
        with gr.Row():
            with gr.Column(scale=1):
                upload = gr.File(
                    label=f"Picture, GIF or video (up to {limits.max_upload_mb:g} MB, "
                    f"{limits.max_video_s:g} s)",
                    type="filepath",
                    elem_id="upload",
                )
                if _examples():
                    gr.Examples(_examples(), inputs=[upload], label="Examples")
                prompt = gr.Textbox(
                    label="Prompt (optional)", placeholder="e.g. a dog barking by a busy road"
                )
                with gr.Row():
                    n_sources = gr.Slider(1, 8, value=4, step=1, label="Sources")
                    seconds = gr.Slider(
                        2, 30, value=10, step=1, label="Seconds (pictures)", elem_id="seconds"
                    )
                formats = gr.CheckboxGroup(
                    list(CHANNEL_FORMATS), value=["5.1"], label="Formats (binaural is always made)"
                )
                with gr.Row():
                    seed = gr.Number(value=0, precision=0, label="Seed")
                    room = gr.Dropdown(ROOMS, value="auto", label="Room", allow_custom_value=True)
                    hrtf = gr.Dropdown(offered["hrtf"], value="auto", label="HRTF")
                with gr.Row():
                    sound = gr.Dropdown(offered["sound"], value="auto", label="Sounds (usable here)")
                    detector = gr.Dropdown(offered["detector"], value="auto", label="Detector (usable here)")
                go = gr.Button("Make the soundtrack", variant="primary", elem_id="go")
            with gr.Column(scale=2):
                status = gr.Markdown(elem_id="status")
                binaural = gr.Audio(label="Binaural (headphones)", interactive=False, elem_id="binaural")
                preview = gr.Image(label="What was found", interactive=False, elem_id="preview")
                map_image = gr.Image(label="Where (top view, front up)", interactive=False, elem_id="map")
                video = gr.Video(
                    label="Video with its new soundtrack", visible=False, interactive=False, elem_id="video"
                )
        gr.Markdown(
            "## Move the sources\nEdit azimuth (°, + is left), elevation, distance (m), gain (dB), on/off."
        )
        table = gr.Dataframe(
            headers=TABLE_HEADERS,
            datatype=["str", "str", "number", "number", "number", "number", "bool"],
            type="array",
            interactive=True,
            static_columns=[0],
            elem_id="sources",
        )
        with gr.Row():
            again = gr.Button("Render again", variant="primary", elem_id="again")
            scene_upload = gr.UploadButton("Load scene.json", file_types=[".json"], elem_id="scene-upload")
        downloads = gr.File(label="Downloads", file_count="multiple", elem_id="files")
        with gr.Row():
            zip_button = gr.Button("Zip everything (with the stems)", elem_id="zip")
            zip_file = gr.File(label="Everything as one zip", elem_id="zip-file")
        with gr.Accordion("Sources one by one", open=False):
            players = [gr.Audio(visible=False, interactive=False) for _ in range(MAX_STEMS)]
        with gr.Accordion("Credits", open=False):
            credits = gr.Textbox(label="CREDITS.txt", lines=8, interactive=False)

        shown = [map_image, binaural, video, downloads, table, status]
        go.click(
            make,
            inputs=[
                upload,
                prompt,
                n_sources,
                formats,
                seed,
                room,
                hrtf,
                seconds,
                sound,
                detector,
                job_state,
            ],
            outputs=[job_state, preview, *shown, credits, *players],
        )
        again.click(render_again, inputs=[table, job_state], outputs=shown)
        scene_upload.upload(load_scene_file, inputs=[scene_upload, job_state], outputs=shown)
        zip_button.click(zip_everything, inputs=[job_state], outputs=[zip_file])
    return demo


def serve(
    host: str = "127.0.0.1",
    port: int = 7860,
    limits: Limits | None = None,
    block: bool = True,
    concurrency: int = 1,
):
    """Start the page on ``host:port``; returns the Blocks (running in the background if not ``block``)."""
    limits = limits or Limits()
    workspace = Workspace()
    os.environ["GRADIO_TEMP_DIR"] = str(workspace.root / "gradio")  # uploads and served copies, removed too
    import atexit
    import signal
    import sys

    atexit.register(workspace.close)
    if block:  # a plain `kill` ends the server like Ctrl-C does, so the workspace is removed
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    demo = build(workspace, limits)
    demo.workspace = workspace
    demo.queue(default_concurrency_limit=concurrency, max_size=32)
    demo.launch(
        server_name=host,
        server_port=port,
        max_file_size=limits.max_upload_bytes,
        show_error=True,
        prevent_thread_lock=not block,
        quiet=False,
        footer_links=[],
    )
    return demo

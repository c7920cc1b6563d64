"""``see2sound batch INPUTS... -o OUTDIR``: ``run`` over files, folders, manifests, resumable, local or Ray.

Takes every option of ``see2sound run`` (the same definitions, reused from :mod:`see2sound.cli.run`); they
apply to every item unless a manifest row overrides them.
"""

from __future__ import annotations

import inspect
import os
import time
from pathlib import Path

import typer

from ..config import load_config
from ..errors import See2SoundError
from ..log import get_logger
from .run import DEFAULTS, parse_loudness, run_command, split_formats

# the options of `run` that batch takes as they are (the input, output folder and --overwrite are batch's own)
_RUN_PARAMETERS = [
    p
    for p in inspect.signature(run_command, eval_str=True).parameters.values()
    if p.name not in ("input_path", "output", "overwrite")
]


def run_options(settings: dict) -> dict:
    """The keyword arguments of :func:`see2sound.pipeline.run.run` from ``run``'s merged option settings."""
    from ..pipeline.run import run

    if settings["keep_original_audio"] and settings["mix_original_audio"]:
        raise See2SoundError("choose one of --keep-original-audio and --mix-original-audio")
    formats = settings["format"]
    options = {
        "formats": split_formats(formats if isinstance(formats, list) else [formats]),
        "loudness_lufs": parse_loudness(settings["loudness"]),
        "sound_library": [str(Path(p).expanduser().resolve()) for p in settings["sound_library"]],
        "original_audio": "keep"
        if settings["keep_original_audio"]
        else "mix"
        if settings["mix_original_audio"]
        else "replace",
        "allow_share_alike": bool(settings["allow_share_alike"]),
    }
    accepted = inspect.signature(run).parameters
    for name, value in settings.items():  # every other option is run's parameter of the same name
        if name in accepted and name not in options and name not in ("output_dir", "overwrite", "step"):
            options[name] = value
    return options


def batch_command(
    inputs: list[Path] = typer.Argument(
        None, metavar="INPUTS...", help="Pictures, GIFs, videos and folders (searched recursively)."
    ),
    output: Path = typer.Option(..., "-o", "--output", help="Output folder: one sub-folder per item."),
    manifest: Path = typer.Option(
        None,
        "--manifest",
        help="CSV or JSON-lines file, one row per item: path, and optional name, prompt, sources, "
        "formats, seed.",
    ),
    workers: int = typer.Option(
        None, "--workers", "-j", help="Worker processes or Ray actors (default: the cores)."
    ),
    ray: bool = typer.Option(
        False, "--ray", help="Run on Ray: a local one, or the cluster of --ray-address or RAY_ADDRESS."
    ),
    ray_address: str = typer.Option(
        None,
        "--ray-address",
        metavar="ADDRESS",
        help="Run on the Ray cluster at ADDRESS (auto, ray://head:10001); implies --ray.",
    ),
    retry_failed: bool = typer.Option(
        False, "--retry-failed", help="Only take the items that failed before."
    ),
    evaluate: bool = typer.Option(
        True, "--evaluate/--no-evaluate", help="Measure loudness, true peak and direction error per output."
    ),
    **run_settings,
) -> int:
    """Run INPUTS (and/or a --manifest) into OUTDIR, resumably: finished items are skipped when run again."""
    from ..pipeline.batch import BatchInterrupted, collect_items, run_batch

    if workers is not None and workers < 1:
        raise See2SoundError(f"--workers: need at least 1, got {workers}")
    if not inputs and manifest is None:
        raise See2SoundError("give pictures, videos or folders, or a --manifest")
    config, quiet = run_settings.pop("config"), run_settings.pop("quiet")
    given = {k: v for k, v in run_settings.items() if k in DEFAULTS and v not in (None, [])}
    settings = {**DEFAULTS, **load_config(config, set(DEFAULTS)), **given}
    if "original_audio_db" in given and not settings["mix_original_audio"]:
        get_logger(__name__).warning("--original-audio-db is only used with --mix-original-audio; ignored")
    options = run_options(settings)
    items = collect_items(inputs or [], options, manifest, output)
    progress = _BatchProgress(quiet)
    try:
        report = run_batch(
            items,
            output,
            workers=workers,
            ray=ray or ray_address is not None,
            ray_address=ray_address,
            retry_failed=retry_failed,
            evaluate=evaluate,
            on_start=progress.start,
            on_item=progress.advance,
        )
    except BatchInterrupted as exc:
        progress.stop()
        typer.echo(f"error: {exc}", err=True)
        return 128 + exc.signum
    progress.stop()
    if not quiet:
        typer.echo(
            f"{report.done} done now ({report.failed} failed), {report.skipped} skipped, "
            f"in {report.wall_s:.1f} s; summary in {Path(output) / 'summary.csv'}",
            err=True,
        )
    failed = [r for r in report.records if r.get("status") != "ok"]
    for record in failed:
        typer.echo(f"failed: {record['name']}: {record.get('error', 'not finished')}", err=True)
    return 1 if failed or len(report.records) < len(items) else 0


batch_command.__signature__ = inspect.Signature(
    [
        p
        for p in inspect.signature(batch_command, eval_str=True).parameters.values()
        if p.kind != p.VAR_KEYWORD
    ]
    + _RUN_PARAMETERS
)
batch_command.__annotations__ = {
    p.name: p.annotation for p in batch_command.__signature__.parameters.values()
}


class _BatchProgress:
    """A rich progress bar: items done of all, failures, items per minute and time left."""

    def __init__(self, quiet: bool):
        self.quiet = quiet
        self.bar = None
        self.failed = 0
        self.done = 0
        self.t0 = time.perf_counter()

    def start(self, todo: int, skipped: int) -> None:
        if self.quiet or todo == 0:
            return
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.bar = Progress(
            TextColumn("batch"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(
                "{task.fields[failed]} failed, {task.fields[rate]}/min, {task.fields[skipped]} skipped"
            ),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            disable=os.environ.get("TERM") == "dumb",
        )
        self.task = self.bar.add_task("batch", total=todo, failed=0, rate="-", skipped=skipped)
        self.t0 = time.perf_counter()
        self.bar.start()

    def advance(self, record: dict) -> None:
        self.done += 1
        self.failed += record.get("status") != "ok"
        if self.bar is not None:
            rate = 60 * self.done / max(time.perf_counter() - self.t0, 1e-9)
            self.bar.update(self.task, advance=1, failed=self.failed, rate=f"{rate:.1f}")

    def stop(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def register(app: typer.Typer) -> None:
    app.command("batch")(batch_command)

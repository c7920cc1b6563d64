"""Credits for a render: every recording used (title, author, licence, source), every text-to-audio
model whose weights made a sound (with their licence's terms: AudioLDM 2 is non-commercial) and the HRTF.

CC-BY requires naming the work, its author, the licence (with a link) and saying whether it was changed;
:func:`credits_text` writes exactly that, once per recording, for ``CREDITS.txt`` in every output folder
and for ``see2sound credits SCENE.json``. :func:`scene_credit_entries` collects the entries from a
scene: the sound stage records each recording it used on its source (provenance ``files``) and the model
that generated a sound (provenance ``backend``, ``model``, ``weights_license``), the spatial stage may
record the HRTF it used.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

LICENSE_URLS = {
    "CC0-1.0": "https://creativecommons.org/publicdomain/zero/1.0/",
    "CC-BY-3.0": "https://creativecommons.org/licenses/by/3.0/",
    "CC-BY-4.0": "https://creativecommons.org/licenses/by/4.0/",
    "CC-BY-SA-3.0": "https://creativecommons.org/licenses/by-sa/3.0/",
    "CC-BY-SA-4.0": "https://creativecommons.org/licenses/by-sa/4.0/",
    "CC-BY-NC-SA-4.0": "https://creativecommons.org/licenses/by-nc-sa/4.0/",
}

# Where the sound stage may record a source's provenance (the first present wins).
PROVENANCE_KEYS = ("sound", "provenance", "sound_provenance")

CHANGES = (
    "trimmed, resampled to the scene's rate, extended to the scene's length (repeated or looped with "
    "crossfades, slight level and pitch variation) and placed in space"
)


def _source_entries(source: Mapping[str, Any]) -> list[dict]:
    for key in PROVENANCE_KEYS:
        prov = source.get(key)
        if isinstance(prov, Mapping) and isinstance(prov.get("files"), list):
            return [dict(f) for f in prov["files"] if isinstance(f, Mapping)]
    files = source.get("files")
    return [dict(f) for f in files if isinstance(f, Mapping)] if isinstance(files, list) else []


def _model_entries(source: Mapping[str, Any]) -> list[dict]:
    """The text-to-audio model that made a source's sound, with its weights' licence (else nothing)."""
    for key in PROVENANCE_KEYS:
        prov = source.get(key)
        if not isinstance(prov, Mapping):
            continue
        lic = prov.get("weights_license")
        if not isinstance(lic, Mapping):  # scenes sonified before the licence was recorded
            from .models import WEIGHTS_LICENCES

            known = WEIGHTS_LICENCES.get(str(prov.get("backend")))
            lic = known.to_dict() if known is not None else None
        if lic is None:
            return []
        return [
            {
                "category": "model",
                "title": str(lic.get("model") or prov.get("backend")),
                "source": str(prov.get("model") or ""),
                "license": str(lic.get("license") or ""),
                "url": str(lic.get("url") or ""),
                "terms": str(lic.get("terms") or ""),
            }
        ]
    return []


def _hrtf_entries(scene: Mapping[str, Any]) -> list[dict]:
    found = []
    candidates = [scene.get("hrtf")]
    for key in ("render", "spatial", "renders", "outputs"):
        value = scene.get(key)
        items = value if isinstance(value, list) else [value]
        candidates += [v.get("hrtf") for v in items if isinstance(v, Mapping)]
    for value in candidates:
        if isinstance(value, str) and value:
            found.append({"category": "hrtf", "title": value})
        elif isinstance(value, Mapping) and value:
            entry = {k: v for k, v in value.items() if isinstance(v, (str, int, float))}
            entry.setdefault("title", str(value.get("name", "HRTF")))
            entry["category"] = "hrtf"
            found.append(entry)
    return found


def scene_credit_entries(scene: Mapping[str, Any]) -> list[dict]:
    """The credit entries of a scene (a parsed ``scene.json`` or ``Scene.to_dict()``).

    Each recording entry gets ``used_by``: the ids and labels of the sources that use it.
    """
    entries: list[dict] = []
    for source in scene.get("sources", []) or []:
        if not isinstance(source, Mapping):
            continue
        who = f"{source.get('id', '?')}" + (f" ({source['label']})" if source.get("label") else "")
        for entry in _source_entries(source) + _model_entries(source):
            entry["used_by"] = [who]
            entries.append(entry)
    return entries + _hrtf_entries(scene)


def _key(entry: Mapping[str, Any]) -> tuple:
    return (
        entry.get("category", "recording"),
        entry.get("path") or (f"{entry['package']}:{entry.get('file', '')}" if entry.get("package") else ""),
        entry.get("title", ""),
        entry.get("author", ""),
        entry.get("source", ""),
    )


def merge_entries(entries: Iterable[Mapping[str, Any]]) -> list[dict]:
    """One entry per recording (same path or portable name, or same title/author/source), with ``used_by``
    merged."""
    merged: dict[tuple, dict] = {}
    for entry in entries:
        key = _key(entry)
        if key in merged:
            for who in entry.get("used_by", []):
                if who not in merged[key].setdefault("used_by", []):
                    merged[key]["used_by"].append(who)
        else:
            merged[key] = dict(entry, used_by=list(entry.get("used_by", [])))
    return list(merged.values())


def credits_text(entries: Iterable[Mapping[str, Any]], title: str = "see2sound render") -> str:
    """The text of ``CREDITS.txt`` for the given credit entries.

    Parameters
    ----------
    entries : iterable of dict
        Recordings as recorded by the sound stage (``title``, ``author``, ``license``, ``source``,
        optional ``url``, ``attribution``, ``path``, ``used_by``), text-to-audio models
        (``category: "model"`` with ``title``, ``source`` (the model id), ``license``, ``url``,
        ``terms``) and optionally HRTF entries (``category: "hrtf"`` with ``title``/``name``,
        ``credit``, ``license``, ``source``).
    title : str
        What the credits are for (the output or scene name).

    Returns
    -------
    str
        Plain text ending in a newline. Recordings without any third-party credit (the procedural
        synthesis) need none; when there are no entries the text says so.

    Examples
    --------
    >>> print(credits_text([{"title": "Cow", "author": "Jarred Gib", "license": "CC0-1.0",
    ...                      "source": "OpenSFX"}]).splitlines()[4])
    "Cow" by Jarred Gib
    """
    merged = merge_entries(entries)
    recordings = [e for e in merged if e.get("category", "recording") == "recording"]
    models = [e for e in merged if e.get("category") == "model"]
    others = [e for e in merged if e.get("category", "recording") not in ("recording", "model")]
    lines = [f"Credits for {title}", ""]
    if recordings:
        lines += ["Recordings", ""]
        for e in recordings:
            lines.append(f'"{e.get("title") or "untitled"}" by {e.get("author") or "unknown author"}')
            lic = e.get("license") or "licence unknown"
            url = LICENSE_URLS.get(lic)
            lines.append(f"  Licence: {lic}" + (f" ({url})" if url else ""))
            if e.get("source"):
                lines.append(f"  Source: {e['source']}" + (f", {e['url']}" if e.get("url") else ""))
            elif e.get("url"):
                lines.append(f"  Source: {e['url']}")
            if e.get("attribution"):
                lines.append(f"  Credit: {e['attribution']}")
            if e.get("used_by"):
                lines.append(f"  Used for: {', '.join(e['used_by'])}")
            lines.append(f"  Changes: {CHANGES}.")
            lines.append("")
    if models:
        lines += ["Text-to-audio models (their weights' licence binds the sounds they made)", ""]
        for e in models:
            lines.append(f"{e['title']}" + (f" ({e['source']})" if e.get("source") else ""))
            lines.append(f"  Licence: {e['license']}" + (f" ({e['url']})" if e.get("url") else ""))
            if e.get("terms"):
                lines.append(f"  Terms: {e['terms']}")
            if e.get("used_by"):
                lines.append(f"  Used for: {', '.join(e['used_by'])}")
            lines.append("")
    if others:
        lines += ["HRTF", ""]
        for e in others:
            lines.append(str(e.get("title") or e.get("name") or "HRTF"))
            for key, label in (
                ("credit", "Credit"),
                ("author", "By"),
                ("license", "Licence"),
                ("source", "Source"),
            ):
                if e.get(key):
                    lines.append(f"  {label}: {e[key]}")
            lines.append("")
    if not recordings and not models and not others:
        lines += ["No third-party recordings or data were used (all sounds synthesised by see2sound).", ""]
    return "\n".join(lines).rstrip("\n") + "\n"

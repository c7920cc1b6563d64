"""How far a detection is believed: per-class minimum scores, the picture's kind and context checks.

A wrong "dog" barking beside a listener is far worse than a missed "cup", so the minimum score depends on
the class (people and animals need more; silent household things less). It rises for pictures a COCO
detector was not trained on (artwork, close-ups, aerial views), for a box that covers most of the
frame (frame-filling boxes on paintings, micrographs and textures are the detector's commonest
mistake), and when another class scored almost as well on the same box (a cat also seen as a dog).
Some classes need their context: a kite only against the sky, a traffic light or a parking meter only
with a road or a street, a boat only near water; large animals, umbrellas, skis and surfboards are
doubtful indoors (their minimum score rises), farm and wild animals in a street or an aerial view.

The thresholds were set on NanoDet-g's scores on scikit-image's sample photographs and Debian's darknet
test pictures (docs/vision.md lists them): the wrong detections there score 0.36-0.56, most right
animals and people 0.6-0.9.
"""

from __future__ import annotations

from dataclasses import dataclass, field

PEOPLE = ("person",)
PETS = ("cat", "dog", "bird")
FARM = ("horse", "sheep", "cow")
WILD = ("elephant", "bear", "zebra", "giraffe")
VEHICLES = ("bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck", "boat")
STREET = ("traffic light", "fire hydrant", "stop sign", "parking meter")
SKY_THINGS = ("kite",)
OUTDOOR_THINGS = ("umbrella", "airplane", "train", "skis", "snowboard", "surfboard") + FARM + WILD

# minimum score per class (others: DEFAULT_MIN_SCORE)
MIN_SCORE: dict[str, float] = {
    **dict.fromkeys(PEOPLE, 0.55),
    **dict.fromkeys(PETS, 0.55),
    **dict.fromkeys(FARM, 0.6),
    **dict.fromkeys(WILD, 0.65),
    **dict.fromkeys(VEHICLES, 0.45),
    **dict.fromkeys(STREET, 0.5),
    "kite": 0.5,
    "umbrella": 0.5,
}
DEFAULT_MIN_SCORE = 0.5
# extra score needed by the kind of picture
KIND_MARGIN = {"artwork": 0.3, "closeup": 0.12, "aerial": 0.1}
LARGE_BOX = 0.6  # share of the frame above which a box is suspect
LARGE_BOX_MARGIN = 0.1
RIVAL_GAP = 0.1  # another class within this score on the same box makes the best one doubtful
RIVAL_MARGIN = 0.1
DOUBT_MARGIN = 0.15  # an animal out of its context, an outdoor thing indoors


@dataclass
class Verdict:
    """Whether a detection is believed, the score it needed and why."""

    trusted: bool
    threshold: float
    reasons: list[str] = field(default_factory=list)


def judge(
    label: str,
    score: float,
    box_fraction: float,
    picture=None,
    *,
    sky_near: bool = False,
    road: bool = False,
    water_near: bool = False,
    rival: tuple[str, float] | None = None,
) -> Verdict:
    """The :class:`Verdict` on one detection.

    Parameters
    ----------
    label, score : str, float
        COCO label and detector score.
    box_fraction : float
        Share of the frame the box covers.
    picture : PictureKind, optional
        The picture's kind (``None``: a generic outdoor photograph).
    sky_near, road, water_near : bool
        Sky around (or above) the box; a road or a street in the picture; water in or under the box.
    rival : (label, score), optional
        The best other class on (nearly) the same box.
    """
    threshold = MIN_SCORE.get(label, DEFAULT_MIN_SCORE)
    reasons = [f"{label} needs {threshold:.2f}"]
    kind = getattr(picture, "kind", None)
    if kind in KIND_MARGIN:
        threshold += KIND_MARGIN[kind]
        reasons.append(f"{kind} picture +{KIND_MARGIN[kind]:.2f}")
    if box_fraction > LARGE_BOX and kind != "closeup":  # a close-up's subject fills the frame anyway
        threshold += LARGE_BOX_MARGIN
        reasons.append(f"box covers {box_fraction:.0%} of the frame +{LARGE_BOX_MARGIN:.2f}")
    if rival is not None and rival[1] >= score - RIVAL_GAP:
        threshold += RIVAL_MARGIN
        reasons.append(f"also seen as {rival[0]} ({rival[1]:.2f}) +{RIVAL_MARGIN:.2f}")
    outdoor = True if picture is None else bool(picture.outdoor)
    urban = picture is None or kind == "urban"
    water = water_near or (picture is not None and kind == "waterside")
    context_missing = None
    if label in SKY_THINGS and not sky_near:
        context_missing = "no sky around it"
    elif label in STREET and not (road or urban):
        context_missing = "no road or street"
    elif label == "boat" and not water:
        context_missing = "no water near it"
    if context_missing:
        reasons.append(context_missing)
        return Verdict(False, round(threshold, 3), reasons)
    if label in OUTDOOR_THINGS and not outdoor:
        threshold += DOUBT_MARGIN
        reasons.append(f"{label} in an indoor picture +{DOUBT_MARGIN:.2f}")
    elif label in FARM + WILD and kind in ("urban", "aerial"):
        threshold += DOUBT_MARGIN
        reasons.append(f"{label} in an {kind} picture +{DOUBT_MARGIN:.2f}")
    threshold = min(threshold, 0.95)
    trusted = score >= threshold
    reasons.append(f"score {score:.2f} {'>=' if trusted else '<'} {threshold:.2f}")
    return Verdict(trusted, round(threshold, 3), reasons)

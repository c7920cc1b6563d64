"""What a detected COCO object sounds like: the sound class handed to the sound stage."""

from __future__ import annotations

COCO_SOUNDS: dict[str, str] = {
    "person": "footsteps and voices",
    "bicycle": "bicycle bell and wheels",
    "car": "car engine",
    "motorcycle": "motorcycle engine",
    "airplane": "airplane",
    "bus": "bus engine",
    "train": "train",
    "truck": "truck engine",
    "boat": "boat motor",
    "traffic light": "traffic",
    "fire hydrant": "water",
    "bird": "birdsong",
    "cat": "cat meowing",
    "dog": "dog barking",
    "horse": "horse neighing",
    "sheep": "sheep bleating",
    "cow": "cow mooing",
    "elephant": "elephant trumpeting",
    "bear": "bear growling",
    "zebra": "horse neighing",
    "giraffe": "animal ambience",
    "kite": "wind",
    "umbrella": "rain",
    "surfboard": "ocean waves",
    "sports ball": "ball bouncing",
    "skateboard": "skateboard rolling",
    "tennis racket": "tennis",
    "wine glass": "glasses clinking",
    "cup": "cup clinking",
    "clock": "clock ticking",
    "tv": "television",
    "laptop": "typing",
    "keyboard": "typing",
    "cell phone": "phone ringing",
    "microwave": "microwave hum",
    "oven": "kitchen ambience",
    "sink": "water running",
    "toilet": "toilet flush",
    "refrigerator": "refrigerator hum",
    "hair drier": "hair dryer",
    "scissors": "scissors cutting",
    "potted plant": "leaves rustling",
}


def coco_sound(label: str) -> str:
    """The sound class of a COCO object (its own name when nothing better is known)."""
    return COCO_SOUNDS.get(label, label)

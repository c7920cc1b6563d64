"""Stage 1, vision: find the regions that should sound and place each in 3D."""

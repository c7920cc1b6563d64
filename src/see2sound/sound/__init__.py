"""Stage 2, sound: a mono signal for every source."""

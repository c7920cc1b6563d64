"""Measure where each sound is and whether the output is sound, independently of the renderer."""

"""Media in and out: images, animations, videos and audio files (stage-independent I/O)."""

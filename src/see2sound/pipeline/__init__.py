"""The pipeline: the only place that knows every stage (vision → sound → spatial, media at the edges)."""

"""article-stream: raw news articles in, enriched and story-linked articles out."""

__version__ = "0.1.0"

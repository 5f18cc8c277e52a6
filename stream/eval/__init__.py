"""Offline evaluation on labelled corpora (Reuters-21578, BBC News, story-labelled sets)."""

"""Benchmarks: speed is measured here, never in timed unit tests.

A top-level package of the source checkout, outside the runtime package ``stream`` (which never imports
it) and outside the wheel. Run with ``make bench``, ``article-stream bench`` or ``python -m benchmarks``;
the stage benchmarks with ``python -m benchmarks.<stage>``.
"""

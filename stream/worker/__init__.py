"""The Faust worker: ``app`` (the factory, ``create_app``), ``agents`` (one per stage), ``web`` (HTTP endpoints).

Importing any of these builds nothing and reads no environment: ``create_app(settings)`` does the wiring."""

"""Training of the models the product ships as data files (needs the ``train`` extra)."""

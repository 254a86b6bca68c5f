"""Application layer: the factory that builds models from settings, and the use cases every interface runs.

Use cases: `translate` (articles, presplit files), `polish`, `quality` (QE wiring), `evaluate`
(suites through the product) and `align_files`. The CLI, batch and the service call these; none of
them builds a model or reads a file kind on its own.
"""

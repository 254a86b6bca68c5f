"""Batch translation of article files: resumable, exactly once, locally or on a Ray cluster."""

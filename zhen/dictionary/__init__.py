"""Bilingual dictionary data zhen ships with (CC-CEDICT), read once and indexed for its engines."""

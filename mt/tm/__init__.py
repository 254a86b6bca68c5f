"""The user's translation memory at work: matches (exact and fuzzy), examples for the model, drafts
repaired from a near match, and renderings learned from translators' edits."""

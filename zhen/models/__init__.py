"""Model presets and offline provisioning (`zhen models list|pull`)."""

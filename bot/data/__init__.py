"""Records the bot answers from, and how they are loaded and validated from YAML."""

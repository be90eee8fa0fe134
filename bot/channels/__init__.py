"""Where residents talk to the bot: each channel turns a structured reply into its own text and buttons."""

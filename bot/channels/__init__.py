"""Messaging channels that reach residents besides Telegram (WeChat Official Accounts first)."""

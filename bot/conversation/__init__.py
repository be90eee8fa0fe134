"""The channel-neutral conversation service: every channel sends messages and actions here."""

from bot.conversation.service import Conversation, Incoming, Message, Pressed

__all__ = ["Conversation", "Incoming", "Message", "Pressed"]

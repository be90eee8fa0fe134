"""Keep the bot token out of every log line: whoever holds it controls the bot.

httpx logs each request URL at INFO, and the URL is ``…/bot<TOKEN>/<method>``; PTB logs the
same URL at DEBUG when it builds the bot; exceptions may quote URLs too. So the HTTP loggers
are held at WARNING and PTB's at INFO, anything the adapter logs about an error goes through
:func:`redact`, and :class:`TokenFilter` is a last line of defence on the process's handlers.
"""

from __future__ import annotations

import logging

REDACTED = "<TOKEN>"
QUIET_LOGGERS = {"httpx": logging.WARNING, "httpcore": logging.WARNING, "telegram": logging.INFO}


def redact(text: str, token: str) -> str:
    """The text with the token, and its secret half on its own, replaced."""
    if not token:
        return text
    text = text.replace(token, REDACTED)
    secret = token.partition(":")[2]
    return text.replace(secret, REDACTED) if len(secret) >= 8 else text


def quiet_loggers() -> None:
    """Raise the loggers that print the token-bearing URL above the level they print it at."""
    for name, level in QUIET_LOGGERS.items():
        logger = logging.getLogger(name)
        if logger.getEffectiveLevel() < level:
            logger.setLevel(level)


class TokenFilter(logging.Filter):
    """Rewrites records that mention the token, message and traceback alike."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.token)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.token)
        return True


def protect_handlers(token: str, logger: logging.Logger | None = None) -> None:
    """Put a TokenFilter on every handler of ``logger`` (the root logger by default), once."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, TokenFilter) and f.token == token for f in handler.filters):
            handler.addFilter(TokenFilter(token))

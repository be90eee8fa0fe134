#!/usr/bin/env python3
"""Start the resident Q&A bot: console by default, Telegram when TELEGRAM_BOT_TOKEN is set.

python run_bot.py                 # console chat (or Telegram with a token)
python run_bot.py ask "哪里可以写春联?"
python run_bot.py --help          # every command
"""

import sys

if __name__ == "__main__":
    import gc

    # Off until the bot has started (bot.cli.started): start-up makes objects that live, not garbage.
    # Only here: uvicorn's workers import this file again under another name and collect as usual.
    gc.disable()

    from bot.cli import main

    sys.exit(main())

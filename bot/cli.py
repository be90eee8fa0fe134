"""Command line: one entry point for residents' console, admins' tools and the Telegram bot."""

from __future__ import annotations

import argparse
import gc
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.engine import DEFAULT_INTENTS, DEFAULT_KNOWLEDGE, ROOT

if TYPE_CHECKING:  # imported where used, so `check` and `ask` start fast
    from bot.conversation import Conversation
    from bot.engine import Engine
    from bot.state.base import StateStore

log = logging.getLogger("bot")


def started() -> None:
    """Collect garbage from now on, without the objects of start-up.

    run_bot.py turns the cyclic garbage collector off while the bot starts: imports and the engine make
    ~370,000 objects that live as long as the process, and collections that walk them again and again
    cost ~50 ms of `ask` and ~120 ms of Telegram's start. They are then frozen out of every later
    collection (gc.freeze), so the running bot never pauses ~0.1 s to walk them. The price: start-up's
    own garbage (~2,000 objects) is frozen with them instead of freed. A no-op where collection was
    never turned off (tests calling main() in-process)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _engine(args: argparse.Namespace, log_unanswered: bool = True) -> Engine:
    from bot.admin.unanswered import UnansweredLog
    from bot.data.knowledge import KnowledgeError
    from bot.engine import Engine

    unanswered = UnansweredLog(Path(args.unanswered_log)) if log_unanswered else None
    try:
        engine = Engine.load(Path(args.knowledge), Path(args.intents), unanswered)
    except KnowledgeError as exc:
        print("The knowledge or intents have problems; fix them and try again:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(1) from None
    started()
    return engine


def _conversation(engine: Engine, store: StateStore | None = None) -> Conversation:
    """The conversation service over the engine; one-shot commands keep state in memory only."""
    from bot.conversation import Conversation
    from bot.state.memory import MemoryStore

    return Conversation(engine, store if store is not None else MemoryStore())


def cmd_console(args: argparse.Namespace) -> int:
    from bot.admin.reload import Watcher, watch_interval
    from bot.channels.console import chat
    from bot.settings import ConfigError

    try:
        interval = watch_interval()
    except ConfigError as exc:
        print(f"settings: {exc}", file=sys.stderr)
        return 2
    engine = _engine(args)
    watcher = Watcher(engine, interval) if interval > 0 else None
    if watcher is not None:
        watcher.start_background()
    try:
        return chat(_conversation(engine))
    finally:
        if watcher is not None:
            watcher.stop()


def cmd_ask(args: argparse.Namespace) -> int:
    from bot.channels.console import ask_once, batch

    conversation = _conversation(_engine(args))
    if args.json:
        from bot.channels.console import stdin_lines

        return batch(conversation, [args.question] if args.question else stdin_lines())
    if not args.question:
        print("ask needs a question, or --json to read questions from standard input", file=sys.stderr)
        return 2
    return ask_once(conversation, args.question)


def cmd_check(args: argparse.Namespace) -> int:
    from bot.data.schema import check_intents, check_knowledge

    _, problems = check_knowledge(Path(args.knowledge))
    _, intent_problems = check_intents(Path(args.intents))
    for problem in [*problems, *intent_problems]:
        print(problem)
    return 1 if problems or intent_problems else 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from bot.admin.ingest import ingest_file, write_drafts

    status = 0
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            print(f"{path}: no such file", file=sys.stderr)
            status = 1
            continue
        result = ingest_file(path, district=args.district)
        written = write_drafts(result, Path(args.knowledge), seed=path.name, force=args.force)
        events = sum(1 for _ in result.events)
        print(
            f"{path}: {len(result.sources)} sources, "
            f"{sum(len(s.get('sections', [])) for s in result.sources)} sections, "
            f"{sum(len(sec['passages']) for s in result.sources for sec in s.get('sections', []))} passages, "
            f"{events} events"
        )
        for target in written:
            print(f"  wrote {target}")
        for problem in result.problems:
            print(f"  to review: {problem}")
    print("Review the drafts (titles, district, dates), then run: python run_bot.py check")
    return status


def cmd_unanswered(args: argparse.Namespace) -> int:
    from bot.admin.unanswered import UnansweredLog, format_summary

    records = UnansweredLog(Path(args.unanswered_log)).records()
    engine = _engine(args, log_unanswered=False) if records else None
    nearest = engine.nearest_record if engine is not None else None
    print(format_summary(records, nearest=nearest))
    return 0


def cmd_telegram(args: argparse.Namespace) -> int:
    from bot.channels.telegram import run_telegram

    return run_telegram(_engine(args), args)


def cmd_serve(args: argparse.Namespace) -> int:
    """The web chat under uvicorn; several workers each build engine and store from the environment."""
    from bot.channels.web.app import build_app, configure_logging, open_state, served_channels
    from bot.channels.web.config import WebConfigError, web_settings_from_environment
    from bot.channels.web.server import serve

    try:
        settings = web_settings_from_environment()
    except WebConfigError as exc:
        print(f"serve: {exc}", file=sys.stderr)
        return 2
    configure_logging()
    options = {"host": args.host, "port": args.port, "access_log": False, "log_level": "warning"}
    if args.workers > 1:
        # Workers are fresh processes: the data options reach them through the environment.
        os.environ.update(
            BOT_KNOWLEDGE=str(args.knowledge),
            BOT_INTENTS=str(args.intents),
            BOT_UNANSWERED_LOG=str(args.unanswered_log),
        )
        try:  # refuse a bad BOT_STATE_URL here, once, rather than in every worker
            open_state(settings).close()
        except Exception as exc:
            print(f"serve: the state store cannot be opened: {exc}", file=sys.stderr)
            return 2
        started()  # the supervisor loads no engine
        serve(None, args.workers, **options)
    else:
        try:
            app = build_app(_engine(args), settings, served_channels())
        except ValueError as exc:
            print(f"serve: {exc}", file=sys.stderr)
            return 2
        serve(app, 1, **options)
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from benchmarks.bench import run_bench

    return run_bench(args)


def _data_options(parser: argparse.ArgumentParser) -> None:
    """--knowledge/--intents also after the command (`check --knowledge DIR`), as admins type them."""
    parser.add_argument("--knowledge", default=argparse.SUPPRESS, help="knowledge folder")
    parser.add_argument("--intents", default=argparse.SUPPRESS, help="intents folder")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="run_bot.py", description=__doc__)
    parser.add_argument(
        "--knowledge",
        default=os.environ.get("BOT_KNOWLEDGE", str(DEFAULT_KNOWLEDGE)),
        help="knowledge folder (default: knowledge/)",
    )
    parser.add_argument(
        "--intents",
        default=os.environ.get("BOT_INTENTS", str(DEFAULT_INTENTS)),
        help="intents folder (default: intents/)",
    )
    parser.add_argument(
        "--unanswered-log",
        default=os.environ.get("BOT_UNANSWERED_LOG", str(ROOT / "var" / "unanswered.jsonl")),
    )
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("console", help="chat in the terminal").set_defaults(func=cmd_console, serves=True)
    ask = sub.add_parser("ask", help="answer one question, or JSON lines from stdin with --json")
    ask.add_argument("question", nargs="?")
    ask.add_argument("--json", action="store_true", help="the batch contract of ../shared/eval/README.md")
    ask.set_defaults(func=cmd_ask, serves=True)
    check = sub.add_parser("check", help="validate knowledge/ and intents/")
    check.set_defaults(func=cmd_check)
    ingest = sub.add_parser("ingest", help="draft knowledge from a new article's raw text")
    ingest.add_argument("files", nargs="+")
    ingest.add_argument("--district", help="the district, when the text does not say")
    ingest.add_argument("--force", action="store_true", help="overwrite existing drafts")
    ingest.set_defaults(func=cmd_ingest)
    sub.add_parser("unanswered", help="what residents asked that the bot could not answer").set_defaults(
        func=cmd_unanswered
    )
    telegram = sub.add_parser("telegram", help="run the Telegram bot (long polling)")
    telegram.add_argument("--env-file", default=".env", help="settings file (default: .env)")
    telegram.set_defaults(func=cmd_telegram, serves=True)
    serve = sub.add_parser("serve", help="web chat page and its JSON API (uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: loopback)")
    serve.add_argument("--port", type=int, default=8080)
    serve.add_argument(
        "--workers", type=int, default=1, help="processes; >1 needs a shared BOT_STATE_URL store"
    )
    serve.set_defaults(func=cmd_serve, serves=True)
    bench = sub.add_parser("bench", help="measure start-up, latency and retrieval at scale")
    bench.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    bench.add_argument("--out", default=str(ROOT / "bench-results" / "bench.json"))
    bench.set_defaults(func=cmd_bench)
    for command in sub.choices.values():
        _data_options(command)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "httpcore", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if args.command is None:
        from bot.settings import ConfigError, load_settings

        args.env_file = ".env"
        try:
            settings = load_settings(args.env_file, require_token=False)
        except ConfigError as exc:
            print(f"settings: {exc}", file=sys.stderr)
            return 2
        if settings.token.get_secret_value():
            return cmd_telegram(args)
        return cmd_console(args)
    if not getattr(args, "serves", False):
        started()  # only the commands that answer residents start with collection off (see started)
    try:
        return args.func(args)
    except BrokenPipeError:  # the reader went away (`ask ... | head -1`): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0

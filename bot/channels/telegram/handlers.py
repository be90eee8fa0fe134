"""What the bot does with each update: commands, questions, button presses and errors.

:class:`TelegramBot` binds the handlers to one engine and its settings. Nothing here is
persisted except what lives in ``user_data`` (the resident's DialogueState) and
``chat_data`` (the memos behind inline buttons); the engine, the flood gate and the
counters stay in memory, so bot_data is not persisted at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import traceback
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardMarkup,
    MaybeInaccessibleMessage,
    Message,
    MessageEntity,
    ReplyKeyboardMarkup,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatAction, ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from bot import wording as texts
from bot.admin.reload import Watcher
from bot.conversation.flood import FloodGate, Verdict
from bot.engine import Engine
from bot.engine.dates import format_day
from bot.engine.dialogue import DialogueState, EventQuery
from bot.engine.reply import Reply
from bot.settings import Settings

from .callbacks import days_keyboard, decode, keyboard, memo_for, recall, remember
from .logs import redact
from .render import render_about, render_greeting, render_plain, render_problems, render_reply

log = logging.getLogger(__name__)

DIALOGUE = "dialogue"  # user_data key of the resident's DialogueState
Context = ContextTypes.DEFAULT_TYPE


@dataclass
class Stats:
    """Counters for /stats, since this process started."""

    started: float = field(default_factory=time.monotonic)
    messages: int = 0
    kinds: Counter[str] = field(default_factory=Counter)
    slowed: int = 0
    errors: int = 0


def dialogue(user_data: dict[str, Any] | None) -> DialogueState:
    """The resident's conversation, created on first use; kept in user_data so it is persisted."""
    state = user_data.get(DIALOGUE) if user_data is not None else None
    if not isinstance(state, DialogueState):
        state = DialogueState()
        if user_data is not None:
            user_data[DIALOGUE] = state
    return state


def addressed_text(message: Message, bot_id: int, username: str | None) -> str | None:
    """The question in a message meant for the bot, minus the @mention; None when it is not for us.

    Private chats are always for us; in groups only a mention of the bot or a reply to one
    of its messages is, so the bot stays silent in the residents' own conversation.
    """
    text = message.text or ""
    if message.chat.type == ChatType.PRIVATE:
        return text
    mention = f"@{username}".lower() if username else None
    mentioned = mention is not None and any(
        entity.type == MessageEntity.MENTION and message.parse_entity(entity).lower() == mention
        for entity in message.entities
    )
    original = message.reply_to_message
    replied = original is not None and original.from_user is not None and original.from_user.id == bot_id
    if not (mentioned or replied):
        return None
    if username:
        text = re.sub(re.escape(f"@{username}"), " ", text, flags=re.IGNORECASE)
    return text.strip()


@dataclass(frozen=True)
class Target:
    """Where a reply goes: the chat, the message it answers (quoted in groups), the forum topic."""

    chat_id: int
    reply_to: int | None = None
    thread_id: int | None = None

    @classmethod
    def of(cls, message: Message) -> Target:
        group = message.chat.type != ChatType.PRIVATE
        thread = message.message_thread_id if message.is_topic_message else None
        return cls(message.chat_id, message.message_id if group else None, thread)

    @classmethod
    def under(cls, message: MaybeInaccessibleMessage) -> Target:
        """Beside a message the bot sent (a button was pressed under it): same chat and topic, no quote."""
        if isinstance(message, Message) and message.is_topic_message:
            return cls(message.chat.id, thread_id=message.message_thread_id)
        return cls(message.chat.id)


class TelegramBot:
    """The handlers of one running bot, sharing its engine, settings, flood gate and watcher."""

    def __init__(self, engine: Engine, settings: Settings, watcher: Watcher | None = None) -> None:
        self.engine = engine
        self.settings = settings
        self.watcher = watcher or Watcher(engine, settings.watch_interval)
        limit = settings.rate_limit
        self.flood = FloodGate(limit.messages, limit.seconds) if limit else None
        self.stats = Stats()

    def register(self, application: Application) -> None:
        """Add every handler, most specific first, and the error handler."""
        add = application.add_handler
        add(CommandHandler("start", self.start))
        add(CommandHandler("help", self.help))
        add(CommandHandler("events", self.events))
        add(CommandHandler("about", self.about))
        add(CommandHandler("reload", self.reload))
        add(CommandHandler("stats", self.show_stats))
        add(MessageHandler(filters.COMMAND, self.unknown_command))
        add(MessageHandler(filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE, self.question))
        add(
            MessageHandler(
                filters.ChatType.PRIVATE & ~filters.TEXT & filters.UpdateType.MESSAGE, self.not_text
            )
        )
        add(CallbackQueryHandler(self.button))
        application.add_error_handler(self.on_error)

    # -- life cycle -------------------------------------------------------------------------------

    async def post_init(self, application: Application) -> None:
        """Publish the command menu (admins also see theirs) and start watching the knowledge."""
        public = [BotCommand(name, about) for name, about in texts.PUBLIC_COMMANDS]
        admin = public + [BotCommand(name, about) for name, about in texts.ADMIN_COMMANDS]
        try:
            await application.bot.set_my_commands(public)
        except TelegramError as exc:
            log.warning(
                "could not set the command menu: %s", redact(str(exc), self.settings.token.get_secret_value())
            )
        for admin_id in sorted(self.settings.admin_ids):
            try:
                await application.bot.set_my_commands(admin, scope=BotCommandScopeChat(admin_id))
            except TelegramError as exc:  # usually: the admin has not opened a chat with the bot yet
                log.info("no admin command menu for %s: %s", admin_id, exc)
        self.watcher.start_task()
        log.info("Telegram bot @%s is starting to poll for updates", application.bot.username)

    async def post_shutdown(self, application: Application) -> None:
        """Stop the watcher task (persistence was flushed by Application.stop/shutdown)."""
        await self.watcher.stop_task()

    # -- commands ---------------------------------------------------------------------------------

    async def start(self, update: Update, context: Context) -> None:
        """Greet with example questions and a keyboard of common ones."""
        message = update.effective_message
        if message is None or not await self._admit(update, context):
            return
        private = message.chat.type == ChatType.PRIVATE
        markup = (
            ReplyKeyboardMarkup(
                [list(row) for row in texts.KEYBOARD_ROWS],
                resize_keyboard=True,
                input_field_placeholder="请输入问题",
            )
            if private
            else None
        )
        await self._send(context, Target.of(message), [render_greeting(texts.EXAMPLE_QUESTIONS)], markup)

    async def help(self, update: Update, context: Context) -> None:
        """Explain how to ask."""
        await self._fixed(update, context, texts.HELP)

    async def _fixed(self, update: Update, context: Context, text: str) -> None:
        """Reply with one of the fixed texts, if the sender is let through."""
        message = update.effective_message
        if message is None or not await self._admit(update, context):
            return
        await self._send(context, Target.of(message), render_plain(text))

    async def events(self, update: Update, context: Context) -> None:
        """Offer the days that have events as buttons, or answer /events 2月5日 directly."""
        message = update.effective_message
        if message is None or not await self._admit(update, context):
            return
        words = " ".join(context.args or []).strip()
        if words:
            await self._answer(
                context, Target.of(message), words if "活动" in words else f"{words}有什么活动?", update
            )
            return
        knowledge = self.engine.brain.knowledge
        days = sorted({e.start for e in knowledge.events})
        if not days:
            await self._send(context, Target.of(message), render_plain(texts.NO_EVENTS))
            return
        first, last = knowledge.period
        title = texts.EVENTS_TITLE.format(
            first=format_day(first), last=format_day(last), count=len(knowledge.events)
        )
        await self._send(context, Target.of(message), render_plain(title), days_keyboard(days))

    async def about(self, update: Update, context: Context) -> None:
        """List the sources the bot answers from, with their dates."""
        message = update.effective_message
        if message is None or not await self._admit(update, context):
            return
        await self._send(context, Target.of(message), render_about(self.engine.brain.knowledge))

    async def _admin_message(self, update: Update, context: Context) -> Message | None:
        """The message of an admin command, or None (a non-admin is told the command is unknown)."""
        if not self._is_admin(update):
            await self.unknown_command(update, context)
            return None
        message = update.effective_message
        if message is None or not await self._admit(update, context):
            return None
        return message

    async def reload(self, update: Update, context: Context) -> None:
        """Admins: reload the knowledge now; reply 已更新 or the problems that kept the old one."""
        message = await self._admin_message(update, context)
        if message is None:
            return
        problems = await asyncio.to_thread(self.watcher.reload_now)
        if problems:
            chunks = render_problems(problems)
        else:
            k = self.engine.brain.knowledge
            chunks = render_plain(
                f"{texts.RELOADED}:{len(k.sources)}篇资料,{len(k.passages)}段,{len(k.events)}场活动。"
            )
        await self._send(context, Target.of(message), chunks)

    async def show_stats(self, update: Update, context: Context) -> None:
        """Admins: counters since start."""
        message = await self._admin_message(update, context)
        if message is None:
            return
        s, k = self.stats, self.engine.brain.knowledge
        minutes = int((time.monotonic() - s.started) // 60)
        kinds = "、".join(f"{kind} {n}" for kind, n in s.kinds.most_common()) or "无"
        lines = [
            f"运行:{minutes // 60}小时{minutes % 60}分",
            f"收到消息:{s.messages}(回答类型:{kinds})",
            f"有对话记录的用户:{len(context.application.user_data)}",
            f"「请慢一点」提醒:{s.slowed}次;出错:{s.errors}次",
            f"资料:{len(k.sources)}篇,{len(k.passages)}段,{len(k.events)}场活动",
            f"重新读取:{self.watcher.reloads}次"
            + (f",上次有{len(self.watcher.last_problems)}个问题" if self.watcher.last_problems else ""),
        ]
        await self._send(context, Target.of(message), render_plain("\n".join(lines)))

    async def unknown_command(self, update: Update, context: Context) -> None:
        """Say the command is unknown; in groups only when the command names this bot."""
        message = update.effective_message
        if message is None or not message.text:
            return
        if message.chat.type != ChatType.PRIVATE:
            command = message.text.split(maxsplit=1)[0].lower()
            if not command.endswith(f"@{context.bot.username}".lower()):
                return
        if await self._admit(update, context):
            await self._send(context, Target.of(message), render_plain(texts.UNKNOWN_COMMAND))

    # -- messages and buttons ---------------------------------------------------------------------

    async def question(self, update: Update, context: Context) -> None:
        """Answer a resident's question (in groups only when it is addressed to the bot)."""
        message = update.effective_message
        if message is None:
            return
        text = addressed_text(message, context.bot.id, context.bot.username)
        if text is None or not await self._admit(update, context):
            return
        await self._answer(context, Target.of(message), text, update)

    async def not_text(self, update: Update, context: Context) -> None:
        """Ask for text when a resident sends a sticker, photo or voice message."""
        await self._fixed(update, context, texts.NOT_TEXT)

    async def button(self, update: Update, context: Context) -> None:
        """Page a list in place, show a cited passage in full, or list one day's events."""
        query = update.callback_query
        if query is None:
            return
        verdict = self._flood(update)
        if verdict != "pass":
            await query.answer(texts.SLOW_DOWN if verdict == "warn" else None)
            return
        self.stats.messages += 1
        action = decode(query.data)
        message = query.message
        if action is None or message is None:
            await query.answer(texts.EXPIRED)
            return
        target = Target.under(message)
        if action.kind == "day" and action.day is not None:
            await query.answer()
            await self._answer(context, target, self._day_question(action.day), update)
            return
        memo = recall(context.chat_data, action.key)
        if action.kind == "page":
            if memo is None or memo.query is None:
                await query.answer(texts.EXPIRED)
                return
            await query.answer()
            await self._turn_page(context, target, message.message_id, memo.query, action.page, action.key)
            return
        if memo is None or memo.passage is None:
            await query.answer(texts.EXPIRED)
            return
        original = self.engine.original(memo.passage)
        if original is None:
            await query.answer(texts.NO_ORIGINAL)
            return
        await query.answer()
        await self._send(context, target, self._render(original))

    async def on_error(self, update: object, context: Context) -> None:
        """Log the failed update's id and the error, token redacted; keep running.

        Without an update, fetching updates failed (run_polling passes those errors here too):
        PTB polls again after a pause, so one line says so, without a traceback.
        """
        self.stats.errors += 1
        error = context.error
        if update is None and isinstance(error, TelegramError):
            detail = redact(f"{type(error).__name__}: {error}", self.settings.token.get_secret_value())
            log.warning("getUpdates failed, polling again after a pause: %s", detail)
            return
        update_id = update.update_id if isinstance(update, Update) else None
        detail = "".join(traceback.format_exception(error)) if error is not None else "unknown error"
        log.error("update %s failed: %s", update_id, redact(detail, self.settings.token.get_secret_value()))
        if not isinstance(update, Update) or isinstance(error, TelegramError):
            return  # a Bot API failure: telling the resident would most likely fail the same way
        if update.callback_query is not None:
            try:
                await update.callback_query.answer(texts.SORRY)
                return
            except BadRequest:
                pass  # answered before the work failed (Telegram takes one answer): say it in the chat
            except TelegramError:
                return
        with contextlib.suppress(TelegramError):
            if update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE:
                await context.bot.send_message(update.effective_chat.id, texts.SORRY)

    # -- helpers ----------------------------------------------------------------------------------

    def _is_admin(self, update: Update) -> bool:
        user = update.effective_user
        return self.settings.is_admin(user.id if user else None)

    def _flood(self, update: Update) -> Verdict:
        user = update.effective_user
        if user is None or user.is_bot:
            return "drop"
        verdict = self.flood.check(user.id) if self.flood else "pass"
        if verdict == "warn":
            self.stats.slowed += 1
        return verdict

    async def _admit(self, update: Update, context: Context) -> bool:
        """Flood control for a message: answer, or slow the user down once, or ignore."""
        verdict = self._flood(update)
        message = update.effective_message
        if verdict == "warn" and message is not None:
            await self._send(context, Target.of(message), render_plain(texts.SLOW_DOWN))
        if verdict == "pass":
            self.stats.messages += 1
        return verdict == "pass"

    @staticmethod
    def _day_question(day: date) -> str:
        return f"{format_day(day)}有什么活动?"

    def _ask(self, text: str, state: DialogueState, user_id: int | None) -> Reply:
        """Run in a worker thread: the engine is CPU-bound and thread-safe."""
        reply = self.engine.answer(text, state)
        self.engine.log_unanswered(f"telegram:{user_id}", text, reply)
        return reply

    def _render(self, reply: Reply) -> list[str]:
        return render_reply(reply, self.engine.brain.knowledge.event_by_number)

    async def _answer(self, context: Context, target: Target, text: str, update: Update) -> None:
        """Show typing, ask the engine with the resident's context, send the reply with its buttons."""
        await self._typing(context, target)
        user = update.effective_user
        state = dialogue(context.user_data)
        reply = await asyncio.to_thread(self._ask, text, state, user.id if user else None)
        self.stats.kinds[reply.kind] += 1
        memo = memo_for(reply, state.query)
        key = (
            remember(context.chat_data, memo) if memo is not None and context.chat_data is not None else None
        )
        await self._send(context, target, self._render(reply), keyboard(reply, key))

    async def _turn_page(
        self, context: Context, target: Target, message_id: int, query: EventQuery, page: int, key: str
    ) -> None:
        """Replace the list in place (editMessageText) with another page of the same search."""
        state = dialogue(context.user_data)
        reply = await asyncio.to_thread(self.engine.show_events, state, query, page)
        chunks, markup = self._render(reply), keyboard(reply, key)
        try:
            await context.bot.edit_message_text(
                chunks[0],
                chat_id=target.chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
        except BadRequest as exc:
            if "not modified" in str(exc).lower():  # a double press on the same page is fine
                return
            # too old to edit, or deleted: the resident still gets the page they asked for
            log.info("could not edit message %s (%s); sending the page anew", message_id, exc)
            await self._send(context, target, chunks, markup)

    async def _typing(self, context: Context, target: Target) -> None:
        """Best effort: a failed typing indicator must not cost the resident the answer."""
        try:
            await context.bot.send_chat_action(
                target.chat_id, ChatAction.TYPING, message_thread_id=target.thread_id
            )
        except TelegramError as exc:
            log.debug("typing indicator failed: %s", exc)

    async def _send(
        self,
        context: Context,
        target: Target,
        chunks: list[str],
        markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None,
    ) -> None:
        """Send HTML messages in order; the buttons go under the last one."""
        for number, chunk in enumerate(chunks):
            last = number == len(chunks) - 1
            quote = (
                ReplyParameters(target.reply_to, allow_sending_without_reply=True)
                if target.reply_to is not None and number == 0
                else None
            )
            await context.bot.send_message(
                target.chat_id,
                chunk,
                parse_mode=ParseMode.HTML,
                reply_markup=markup if last else None,
                reply_parameters=quote,
                message_thread_id=target.thread_id,
            )

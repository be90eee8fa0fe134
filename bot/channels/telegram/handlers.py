"""What the bot does with each update: commands, questions, button presses and errors.

:class:`TelegramBot` turns each update into a :class:`~bot.conversation.Message` (keyed by its
update id, so a replayed update is answered once) or a :class:`~bot.conversation.Pressed`
action, asks the channel-neutral conversation service, and renders the structured reply. The
service owns everything per resident — dialogue state and button memos in the state store,
flood control, admins, counters — so nothing lives in PTB's user_data or chat_data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
import traceback
from dataclasses import dataclass

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    CallbackQuery,
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
from bot.conversation import Conversation, Incoming, Pressed
from bot.conversation import Message as Said
from bot.engine.reply import Reply
from bot.settings import Settings

from . import catalogue
from .callbacks import Buttons, days_keyboard, decode, keyboard
from .journal import UpdateJournal
from .limits import TYPING_AFTER_SECONDS
from .logs import redact
from .render import render_greeting, render_plain, render_problems, render_reply

log = logging.getLogger(__name__)

CHANNEL = "telegram"
Context = ContextTypes.DEFAULT_TYPE


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
    """The handlers of one running bot, sharing its conversation service, settings and watcher."""

    def __init__(
        self,
        conversation: Conversation,
        settings: Settings,
        watcher: Watcher | None = None,
        journal: UpdateJournal | None = None,
        *,
        typing_after: float = TYPING_AFTER_SECONDS,
    ) -> None:
        self.conversation = conversation
        self.engine = conversation.engine
        self.settings = settings
        self.watcher = watcher or Watcher(self.engine, settings.watch_interval)
        self.buttons = Buttons(conversation.store, conversation.ttl)
        self.journal = journal or UpdateJournal(conversation.store, CHANNEL)
        self.typing_after = typing_after  # seconds an answer may take before "typing…" is shown

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
        """Publish the command menu, queue what a killed process left unanswered, watch the knowledge."""
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
        unanswered = await asyncio.to_thread(self.journal.unanswered)
        for raw in unanswered:  # before polling starts: older messages first, each resident in order
            await application.update_queue.put(Update.de_json(raw, application.bot))
        if unanswered:
            log.info("answering %d updates left unanswered by the previous run", len(unanswered))
        self.watcher.start_task()
        log.info("Telegram bot @%s is starting to poll for updates", application.bot.username)

    async def post_shutdown(self, application: Application) -> None:
        """Stop the watcher task (every fetched update was handled by Application.stop)."""
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
                input_field_placeholder=texts.TELEGRAM_INPUT_PLACEHOLDER,
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
        if message is None:
            return
        words = " ".join(context.args or []).strip()
        if words:
            question = words if "活动" in words else texts.EVENTS_ON.format(words=words)
            await self._answer(update, context, Target.of(message), Said(question, id=str(update.update_id)))
            return
        if not await self._admit(update, context):
            return
        knowledge = self.engine.brain.knowledge
        days = catalogue.event_days(knowledge)
        if not days:
            await self._send(context, Target.of(message), render_plain(texts.NO_EVENTS))
            return
        title = catalogue.events_title(knowledge)
        await self._send(context, Target.of(message), render_plain(title), days_keyboard(days))

    async def about(self, update: Update, context: Context) -> None:
        """List the sources the bot answers from, with their dates."""
        message = update.effective_message
        if message is None or not await self._admit(update, context):
            return
        await self._send(context, Target.of(message), catalogue.render_about(self.engine.brain.knowledge))

    async def _admin_message(self, update: Update, context: Context) -> Target | None:
        """Where an admin command's answer goes, or None (a non-admin is told the command is unknown).

        Asked in a group, the answer goes to the admin's private chat: counters and knowledge
        problems are for admins, not for the residents of the group."""
        user = update.effective_user
        if user is None or not self.conversation.is_admin(CHANNEL, str(user.id)):
            await self.unknown_command(update, context)
            return None
        message = update.effective_message
        if message is None or not await self._admit(update, context):
            return None
        return Target.of(message) if message.chat.type == ChatType.PRIVATE else Target(user.id)

    async def reload(self, update: Update, context: Context) -> None:
        """Admins: reload the knowledge now; reply 已更新 or the problems that kept the old one."""
        target = await self._admin_message(update, context)
        if target is None:
            return
        problems = await asyncio.to_thread(self.watcher.reload_now)
        if problems:
            chunks = render_problems(problems)
        else:
            k = self.engine.brain.knowledge
            chunks = render_plain(
                f"{texts.RELOADED}:{len(k.sources)}篇资料,{len(k.passages)}段,{len(k.events)}场活动。"
            )
        await self._send(context, target, chunks)

    async def show_stats(self, update: Update, context: Context) -> None:
        """Admins: the conversation service's counters since start."""
        target = await self._admin_message(update, context)
        if target is None:
            return
        s, k = self.conversation.stats, self.engine.brain.knowledge
        minutes = int((time.monotonic() - s.started) // 60)
        kinds = "、".join(f"{kind} {n}" for kind, n in s.kinds.most_common()) or "无"
        lines = [
            f"运行:{minutes // 60}小时{minutes % 60}分",
            f"收到消息:{s.messages}(回答类型:{kinds})",
            f"「请慢一点」提醒:{s.slowed}次;出错:{s.errors}次",
            f"资料:{len(k.sources)}篇,{len(k.passages)}段,{len(k.events)}场活动",
            f"重新读取:{self.watcher.reloads}次"
            + (f",上次有{len(self.watcher.last_problems)}个问题" if self.watcher.last_problems else ""),
        ]
        await self._send(context, target, render_plain("\n".join(lines)))

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
        if text is None:
            return
        await self._answer(update, context, Target.of(message), Said(text, id=str(update.update_id)))

    async def not_text(self, update: Update, context: Context) -> None:
        """Ask for text when a resident sends a sticker, photo or voice message."""
        await self._fixed(update, context, texts.NOT_TEXT)

    async def button(self, update: Update, context: Context) -> None:
        """Page a list in place, show a cited passage in full, pick a suggestion, or list one day."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None or user.is_bot:
            return
        press, message = decode(query.data), query.message
        action = self.buttons.action(press) if press is not None else None
        if press is None or action is None or message is None:
            await query.answer(texts.EXPIRED)
            return
        reply = await self._ask(user.id, Pressed(action, press.ref))
        if reply.intent == "slow_down" or reply.silent:
            await query.answer(texts.SLOW_DOWN if reply.intent == "slow_down" else None)
            return
        if action.kind == "original" and reply.kind != "passages":
            await query.answer(texts.NO_ORIGINAL)
            return
        await query.answer()
        target = Target.under(message)
        if press.code == "pg" and reply.kind == "events":
            await self._edit(context, target, message.message_id, reply)
        else:
            await self._send(context, target, render_reply(reply), keyboard(reply))

    async def on_error(self, update: object, context: Context) -> None:
        """Log the failed update's id and the error, token redacted; keep running.

        Without an update, fetching updates failed (run_polling passes those errors here too):
        PTB polls again after a pause, so one line says so, without a traceback.
        """
        self.conversation.stats.errors += 1
        error = context.error
        if update is None and isinstance(error, TelegramError):
            detail = redact(f"{type(error).__name__}: {error}", self.settings.token.get_secret_value())
            log.warning("getUpdates failed, polling again after a pause: %s", detail)
            return
        update_id = update.update_id if isinstance(update, Update) else None
        detail = "".join(traceback.format_exception(error)) if error is not None else "unknown error"
        log.error("update %s failed: %s", update_id, redact(detail, self.settings.token.get_secret_value()))
        if not isinstance(update, Update) or isinstance(error, TelegramError):
            return  # a Bot API failure (already retried): telling the resident would fail the same way
        if update.callback_query is not None and await self._apologise(update.callback_query):
            return
        with contextlib.suppress(TelegramError):
            if update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE:
                await context.bot.send_message(update.effective_chat.id, texts.SORRY)

    @staticmethod
    async def _apologise(query: CallbackQuery) -> bool:
        """Say sorry on the button itself; False when it was answered already (say it in the chat)."""
        try:
            await query.answer(texts.SORRY)
        except BadRequest:
            return False  # Telegram takes one answer per press
        except TelegramError:
            pass
        return True

    # -- helpers ----------------------------------------------------------------------------------

    async def _admit(self, update: Update, context: Context) -> bool:
        """Flood control for a command, by the service's gate: answer, slow down once, or ignore."""
        user, message = update.effective_user, update.effective_message
        if user is None or user.is_bot:
            return False
        gate = self.conversation.flood
        verdict = gate.check(f"{CHANNEL}:{user.id}") if gate is not None else "pass"
        if verdict == "warn":
            self.conversation.stats.slowed += 1
            if message is not None:
                await self._send(context, Target.of(message), render_plain(texts.SLOW_DOWN))
        if verdict == "pass":
            self.conversation.stats.messages += 1
        return verdict == "pass"

    async def _ask(self, user_id: int, incoming: Incoming) -> Reply:
        reply = await self.conversation.handle_async(CHANNEL, str(user_id), incoming)
        if reply.ref and reply.actions:
            self.buttons.keep(reply)  # one small write: cheaper here than a hop to a worker thread
        return reply

    async def _answer(self, update: Update, context: Context, target: Target, said: Said) -> None:
        """Ask the conversation service and send the reply with its buttons; "typing…" if it is slow.

        The indicator is a timer, not a call per question: most answers are ready long before
        ``typing_after``, and a typing call then would only cost a Bot API round trip."""
        user = update.effective_user
        if user is None or user.is_bot:
            return
        typing: asyncio.Task[None] | None = None

        def show_typing() -> None:
            nonlocal typing
            typing = asyncio.create_task(self._typing(context, target))

        timer = asyncio.get_running_loop().call_later(self.typing_after, show_typing)
        try:
            reply = await self._ask(user.id, said)
        finally:
            timer.cancel()
            if typing is not None:
                await typing  # never after the answer: Telegram would show "typing…" under it
        if not reply.silent:
            await self._send(context, target, render_reply(reply), keyboard(reply))

    async def _edit(self, context: Context, target: Target, message_id: int, reply: Reply) -> None:
        """Replace the list in place (editMessageText) with another page of the same search."""
        chunks, markup = render_reply(reply), keyboard(reply)
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

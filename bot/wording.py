"""The fixed wording residents see in every channel, in one place so the bot speaks with one voice.

Every constant is plain text; each channel's renderer escapes it like any other text.
"""

from __future__ import annotations

EXAMPLE_QUESTIONS = ("哪里可以写春联?", "元宵节有什么活动?", "怎么在手机上信访?", "哪里可以猜灯谜?")
KEYBOARD_ROWS = (EXAMPLE_QUESTIONS[:2], EXAMPLE_QUESTIONS[2:])

GREETING = (
    "您好!我是郑州市区居民问答助手。\n"
    "我根据各区报纸的报道回答问题,每个回答都注明出处。"
    "我知道上街区2020年春节期间的活动安排,以及各区报道中的便民服务和工作情况。"
)
EXAMPLES_TITLE = "可以这样问:"
GREETING_FOOTER = "/events 按日期看活动 · /about 我知道的资料 · /help 帮助"

HELP = (
    "直接用文字提问就行,例如:\n"
    "• 哪里可以写春联?\n"
    "• 2月5日有什么活动?然后问「那2月8日呢?」\n"
    "• 怎么在手机上信访?\n\n"
    "活动多时按「下一页」翻页,按「原文」看被引用的整段报道。\n"
    "在群里请 @我 或回复我的消息。\n\n"
    "/events 按日期看活动(也可以 /events 2月5日)\n"
    "/about 我知道的资料和日期\n"
    "/help 这条帮助"
)

PUBLIC_COMMANDS = (
    ("start", "开始:介绍和常见问题"),
    ("help", "怎么提问"),
    ("events", "按日期看活动,例如 /events 2月5日"),
    ("about", "我知道的资料和日期"),
)
ADMIN_COMMANDS = (
    ("reload", "重新读取知识库(管理员)"),
    ("stats", "运行统计(管理员)"),
)

EVENTS_TITLE = "活动安排:{first}至{last},共{count}场(均已举办)。\n选一天看当天的活动,或发送 /events 2月5日:"
NO_EVENTS = "资料里没有活动安排。"
ABOUT_TITLE = "我知道的资料(共{count}篇):"
ABOUT_EVENTS = "活动安排:{first}至{last},共{count}场。"

UNKNOWN_COMMAND = "我不认识这个命令。发送 /help 看看我能做什么。"
NOT_TEXT = "请用文字提问,例如「哪里可以写春联?」。"
SLOW_DOWN = "请慢一点,稍等几秒再问。"
EXPIRED = "这个按钮已过期,请重新提问。"
NO_ORIGINAL = "这段原文已不在资料中,请重新提问。"
SORRY = "抱歉,出了点问题,请稍后再试。"
CONSOLE_BANNER = "郑州市区居民问答助手(2020年春节活动与各区报道)。输入问题,「退出」结束。"
CONSOLE_QUIT = ("退出", "exit", "quit", "q")
PICK_HINT = "回复序号(例如「1」)选择,或者换个说法再问。"
MORE_HINT = "回复「下一页」看更多"
RELOADED = "已更新"
RELOAD_REFUSED = "资料有问题,没有更新,仍在使用原来的资料:"

PREVIOUS = "上一页"
NEXT = "下一页"
ORIGINAL = "原文"

WECHAT_PICK = "回复 {numbers} 选择。"
WECHAT_ORIGINAL = "回复「原文」看整段报道。"

# The web chat page (bot/channels/web): its labels, and the errors its API gives residents.
WEB_TITLE = "郑州市区居民问答助手"
WEB_INTRO = (
    "您好!我根据各区报纸的报道回答问题,每个回答都注明出处。"
    "我知道上街区2020年春节期间的活动安排(都已举办),以及各区报道中的便民服务和工作情况。"
)
WEB_HINT = "活动多时按「下一页」翻页,按「原文」看被引用的整段报道。点下面的问题也可以直接问。"
WEB_INPUT_LABEL = "请输入您的问题"
WEB_INPUT_PLACEHOLDER = "例如:哪里可以写春联?"
WEB_SEND = "发送"
WEB_BIGGER = "字体放大"
WEB_SMALLER = "字体缩小"
WEB_NEW_CHAT = "重新开始"
WEB_LOG_LABEL = "对话记录"
WEB_YOU = "您"
WEB_BOT = "助手"
WEB_WAITING = "正在查找,请稍候……"
WEB_OFFLINE = "网络连接不上,请稍后再试。"
WEB_EMPTY = "请先输入问题,再按「发送」。"
WEB_TOO_LONG = "问题太长了,请说得简短一些。"
WEB_BAD_REQUEST = "请求看不懂,请刷新页面后重新提问。"
WEB_ACTIONS_LABEL = "可以接着做"

# Console prompts (bot/channels/console.py).
CONSOLE_PROMPT = "您> "
CONSOLE_BOT = "助手> "

# Telegram-only labels (bot/channels/telegram): the input hint, an event's fields, /about and /events.
TELEGRAM_INPUT_PLACEHOLDER = "请输入问题"
TELEGRAM_PLACE = "地点:{place}"
TELEGRAM_CONTENT = "内容:{content}"
TELEGRAM_ORGANISER = "主办:{organiser}"
ABOUT_OTHER_DISTRICT = "其他"
ABOUT_TABLE = "(活动安排表)"
EVENTS_ON = "{words}有什么活动?"  # /events 2月5日 asked as a question

# Dates as residents read them (bot/engine/dates.py), and why a date does not exist.
DAY = "{year}年{month}月{day}日"
MONTH_DAY = "{month}月{day}日"
DAY_RANGE = "{first}至{last}"
NO_SUCH_MONTH = "没有{month}月"
FEBRUARY_DAYS = "{year}年2月只有{days}天"
MONTH_DAYS = "{month}月只有{days}天"
LUNAR_MONTH_DAYS = "{year}年{month}只有{days}天"  # month: 正月, 腊月…
INVALID_DATE = "「{text}」不是有效日期:{reason}"
INVALID_DATE_ASK = "请换一个日期再问,例如「2月5日」或「正月十五」。"

# What an event list is of (the engine's label of a search), and its heading and pages.
LABEL_RELATED = "「{words}」相关"
LABEL_EVENTS_OF = "{label}的活动"
LABEL_EVENTS = "活动"
PERIOD_SUFFIX = "期间"
RANGE_PERIOD = "{label}" + PERIOD_SUFFIX + "({days})"
RANGE_FESTIVAL_DAY = "{days}({label}当天)"
RANGE_FESTIVAL_DAY_AND_RELATED = "{days}({label}当天)及与{label}有关"
EVENTS_HEADING = "{label}:共{count}场({years}年,均已举办)"
NO_EVENTS_FOUND = "没有找到{label}。"
NO_EVENTS_KNOWN = "我知道的活动是{first}至{last}举办的{count}场,可以换个日期、活动或社区再问。"
PAGE_OF = "第{page}/{pages}页"
PAGE_OF_MORE = PAGE_OF + "。" + MORE_HINT
LAST_PAGE = "已经是最后一页。"
FIRST_PAGE = "已经是第一页。"
NOTHING_TO_PAGE = "还没有可以翻页的列表。先问一个活动问题,例如「哪里可以猜灯谜?」。"
NOT_IN_REPORTS = "报道里没有「{words}」的信息;下面是报道里有的活动安排。"
RELATIVE_NOTE = "我没有「{word}」的活动信息,下面是{first}至{last}已经举办过的活动。"
OUT_OF_PERIOD = (
    "我没有「{word}」的活动信息。我知道的活动是{districts}{first}至{last}举办的,都已经结束了。"
    "可以问那段时间的某一天,例如「{last}有什么活动?」。"
)

# One event, one service, and where an answer comes from (bot/engine/compose.py, reply.py).
EVENT_NUMBER = "序号"  # the table's column; a citation's locator is 序号 and the number
EVENT_ORGANISER = ";主办:{organiser}"
EVENT_LINE = "{when},{place}:{content}(主办:{organiser})"
SERVICE_HOW = "途径:{how}。"
SERVICE_BODY = "{offers}。{how}原文:“{quote}”"
SOURCE_EVENTS = "来源:《{title}》" + EVENT_NUMBER + " {numbers}"
SOURCE = "来源:《{title}》{when}{locator}"
SOURCE_WHEN = "({when})"

# Replies that are not from the knowledge: empty messages, small talk without a reply, not knowing.
EMPTY_MESSAGE = "请用文字提问,例如「哪里可以写春联?」或「怎么在手机上信访?」。"
CHITCHAT_DEFAULT = "您好!"  # an intents/ small-talk entry without replies
DONT_KNOW = "抱歉,这个问题我不知道。"  # intents/ has no fallback reply
NOT_GIVEN = "抱歉,资料里没有写{attribute}。{where}里写的是:{shown}"
EVENT_TABLE = "活动表"  # the {where} of NOT_GIVEN for events

# Suggestions, buttons and typed actions that no longer fit the resident's conversation.
SUGGEST_TITLE = "您是想问下面哪一个?"
NO_SUCH_CHOICE = "没有这个选项。请回复上面列出的序号,或者直接提问。"
CHOICE_GONE = "这个选项的资料已经更新,请重新提问。"
BAD_DAY = "这个日期看不懂。可以直接问,例如「2月5日有什么活动?」。"
ORIGINAL_GONE = "这段原文现在找不到了,资料可能已经更新。请重新提问。"

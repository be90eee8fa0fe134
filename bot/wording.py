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
NOT_IN_REPORTS = "报道里没有「{words}」的信息;下面是报道里有的活动安排。"

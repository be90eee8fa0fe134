"""The answering pipeline (understand → candidates → score → decide) on a small knowledge of its own.

The fixture is written here, in tmp_path, so these tests say what each stage does whatever the
shipped articles say; only the intents (behaviour configuration) are the shipped ones.
"""

from __future__ import annotations

import pathlib
import shutil
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from bot import wording
from bot.engine.bigram import BigramIndex, bigrams, fuse
from bot.engine.candidates import Candidate, _topic, collect
from bot.engine.decide import ranked
from bot.engine.dialogue import DialogueState
from bot.engine.engine import ROOT, Engine
from bot.engine.thresholds import CLAUSE_TOPIC_SHARE

SOURCE = """\
id: t-1
title: 幸福社区便民服务
district: 上街区
kind: article
sections:
- heading: 日间照料
  passages:
  - id: t-1.1.1
    text: 幸福社区日间照料中心为老人提供午餐和休息服务。中心每周一至周五开放。
  - id: t-1.1.2
    text: 社区心理工作室由两名心理咨询师坐诊,为居民提供心理疏导。
- heading: 党建
  passages:
  - id: t-1.2.1
    text: 幸福社区党支部共有党员120名。每月组织一次主题党日活动,找差距、补短板。
  - id: t-1.2.2
    text: 社区开展防范诈骗宣传,提醒居民遇到可疑情况拨打110报警电话。
"""

CLUB = """\
id: t-3
title: 工业路社区舞狮队
district: 上街区
kind: article
sections:
- heading: 舞狮队
  passages:
  - id: t-3.1.1
    text: 工业路社区舞狮队由二十名退休职工组成,每周三晚上在社区广场训练。
  - id: t-3.1.2
    text: 元宵节队员们还到敬老院陪孤寡老人猜灯谜。
- heading: 队伍的由来
  passages:
  - id: t-3.2.1
    text: 舞狮队成立于二〇一五年,最初只有五名队员,大家利用业余时间自己琢磨动作,\
      从最基本的马步和步法练起,常常一练就是好几个小时。\
      没过多久社区请来了区文化馆的老师上门指导,队员们慢慢学会了采青、过桥等整套表演,\
      队伍也从五个人壮大到了二十个人。每逢春节和元宵节,\
      舞狮队都会走进各个小区和广场为居民表演,锣鼓一响,\
      男女老少都围过来看热闹,成了社区里的一道风景。如今队员们还带起了徒弟,\
      社区里的十几个孩子放了学就来广场跟着学,老队员们说要把这门老手艺一代一代地传下去。
"""

TABLE = """\
id: t-2
title: 春节活动安排
district: 上街区
kind: table
sections:
- heading: ''
  passages:
  - id: t-2.1.1
    text: 春节活动安排表。
"""

ROWS = [
    (1, "2020-01-15", "幸福社区", "写春联", "幸福社区"),
    (2, "2020-01-20", "光明社区", "义写春联", "上街区书法家协会"),
    (3, "2020-02-08", "文化馆", "猜灯谜", "文化馆"),
    (4, "2020-02-08", "光明社区广场", "盘鼓表演", "光明社区"),
    (5, "2020-01-15", "光明社区", "猜灯谜", "光明社区"),
    (6, "2020-01-10", "和平社区", "写春联", "和平社区"),
    (7, "2020-01-11", "和平社区", "写春联", "和平社区"),
    (8, "2020-01-12", "和平社区", "写春联", "和平社区"),
    (9, "2020-01-13", "和平社区", "写春联", "和平社区"),
    (10, "2020-01-18", "幸福社区", "慰问空巢老人", "幸福社区"),
    (11, "2020-01-19", "和平社区", "慰问特殊群体", "和平社区"),
    (12, "2020-02-01", "工业路社区", "舞狮表演", "工业路社区"),
]

SERVICES = """\
services:
  - id: day-care
    name: 日间照料中心
    offers: 为老人提供午餐和休息服务
    provider: 幸福社区
    how: 幸福社区日间照料中心
    district: 上街区
    source: t-1
    passage: t-1.1.1
    quote: 幸福社区日间照料中心为老人提供午餐和休息服务
    keywords: [老人, 日间照料]
    asks: [老人白天一个人在家没人管]
"""

COLLOQUIAL = """\
dialect: {啥: 什么, 嘞: 的, 俺: 我, 哪儿: 哪里, 这儿: 这里, 地儿: 地方, 咱: 我们, 闺女: 女儿}
particles: {嘞: 呢}
fillers: [我想打听一下, 打听一下, 啊]
endings: [不, 没有]
same_day: [当天]
people: [老人, 居民]
narrow: [其中]
that_one: [那场, 那个]
same_place: [那个社区, 他们]
besides: [还]
go_on: [后来, 接下来]
row_asks: [哪, 谁, 几场, 地址]
askers: [我, 你, 您, 奶奶, 我妈, 女儿]
asking: [问, 问问, 说, 说说, 打听, 知道, 查]
linking: [让, 给, 想, 个, 事儿, 帮, 一下]
degree: [老是, 有点, 很]
day_parts: [晚上, 上午]
attributes:
  电话:
    asks: [电话是多少, 电话多少, 电话号码]
    value: '\\d{7,}'
  日期:
    asks: [几号开始, 哪天开始]
    value: '\\d{1,2}月\\d{1,2}日'
"""

NEEDS = """\
needs:
  心理疏导: [心情不好, 闷闷不乐, 照看不过来, 说说心里话]
  老人 日间照料: [俺爹, 没人照看]
  主题党日: [主题党日]
  老人: [奶奶]
  特殊群体 救助: [残疾人]
"""


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return _small(tmp_path_factory.mktemp("small"))


@pytest.fixture(scope="module")
def with_club(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The small knowledge and one more article, on a 舞狮队 (the table has a 舞狮表演 row)."""
    return _small(tmp_path_factory.mktemp("club"), CLUB)


def _small(root: Path, *more: str) -> Engine:
    knowledge = root / "knowledge"
    (knowledge / "sources").mkdir(parents=True)
    (knowledge / "events").mkdir()
    (knowledge / "lexicon").mkdir()
    (knowledge / "sources" / "t-1.yaml").write_text(SOURCE, encoding="utf-8")
    (knowledge / "sources" / "t-2.yaml").write_text(TABLE, encoding="utf-8")
    for text in more:
        (knowledge / "sources" / f"{text.split()[1]}.yaml").write_text(text, encoding="utf-8")
    rows = "events:\n" + "".join(
        f"- {{number: {n}, start: '{d}', end: '{d}', place: {p}, content: {c}, organiser: {o}, "
        "source: t-2}\n"
        for n, d, p, c, o in ROWS
    )
    (knowledge / "events" / "t-2.yaml").write_text(rows, encoding="utf-8")
    (knowledge / "services.yaml").write_text(SERVICES, encoding="utf-8")
    lexicon = knowledge / "lexicon"
    (lexicon / "synonyms.yaml").write_text(
        "synonyms:\n  春联: [对联, 写春联, 对子, couplets]\n  灯谜: [猜灯谜]\n  心理: [心理咨询, 心理疏导]\n"
        "  诈骗: [scam]\n  演出: [表演]\n",
        encoding="utf-8",
    )
    for name in ("stopwords.yaml", "festivals.yaml"):
        shutil.copy(ROOT / "knowledge" / "lexicon" / name, lexicon / name)
    (lexicon / "colloquial.yaml").write_text(COLLOQUIAL, encoding="utf-8")
    (lexicon / "glossary.yaml").write_text(
        "glossary:\n  day care: 日间照料\n  renovate: 改造\n", encoding="utf-8"
    )
    (lexicon / "needs.yaml").write_text(NEEDS, encoding="utf-8")
    (lexicon / "elsewhere.yaml").write_text(
        "topics: [公积金, 报警, 公交]\nplaces: [北京]\n", encoding="utf-8"
    )
    return Engine.load(knowledge, ROOT / "intents")


def ask(engine: Engine, *messages: str) -> list:
    state = DialogueState()
    return [engine.answer(m, state) for m in messages]


COUPLETS = [1, 2, 6, 7, 8, 9]


# -- understand -----------------------------------------------------------------------------------


def test_fillers_dialect_and_yes_no_tails_are_stripped(small: Engine) -> None:
    understood = small.brain.understander.understand("我想打听一下,咱这儿有没有写对子嘞地儿啊")
    assert "打听" not in understood.text and "嘞" not in understood.text and "啊" not in understood.text
    (reply,) = ask(small, "我想打听一下,咱这儿有没有写对子嘞地儿啊")
    assert reply.kind == "events" and sorted(reply.events) == COUPLETS


def test_a_word_that_only_sounds_like_a_knowledge_word_is_repaired(small: Engine) -> None:
    understood = small.brain.understander.understand("心里咨询在哪做")
    assert ("心里咨询", "心理咨询") in understood.repairs
    (reply,) = ask(small, "哪儿有写春连的")
    assert reply.kind == "events" and sorted(reply.events) == COUPLETS


def test_a_typo_that_misled_jieba_is_repaired_inside_the_longer_word(small: Engine) -> None:
    understood = small.brain.understander.understand("心里咨询室在哪")
    assert understood.repairs == (("心里咨询", "心理咨询"),)  # the rest, 「室在」, is no window
    assert understood.text.startswith("心理咨询室")


def test_a_word_that_sounds_like_a_day_is_repaired_to_it(small: Engine) -> None:
    """No text of the knowledge writes 「正月」 or 「当天」, yet the date they say decides the table's
    answer: 「正约十五」, 「元宵节党天」 typed by sound are those days."""
    understand = small.brain.understander.understand
    assert ("正约", "正月") in understand("正约十五有啥活动").repairs
    assert ("党天", "当天") in understand("元宵节党天有啥活动").repairs
    (reply,) = ask(small, "正约十五有啥活动")
    assert reply.kind == "events" and sorted(reply.events) == [3, 4]


def test_a_repair_must_make_sense_beside_the_questions_other_words(small: Engine) -> None:
    """炸骗 sounds like 诈骗; beside 防范 (said with 诈骗) it is that word, beside 日间照料 (never said
    with 诈骗) it is no typo of it."""
    understander = small.brain.understander
    assert understander.understand("防范炸骗宣传在哪").repairs == (("炸骗", "诈骗"),)
    assert understander.understand("日间照料中心炸骗").repairs == ()


def test_a_repair_fits_beside_a_word_the_text_writes_another_way(small: Engine) -> None:
    """The question's words are folded onto their concepts (演出), the texts are not (「盘鼓表演」): a text
    writing the concept's variant still holds it, so 「盘估」 beside 演出 is 盘鼓."""
    understood = small.brain.understander.understand("盘估演出在哪")
    assert understood.repairs == (("盘估", "盘鼓"),)
    (reply,) = ask(small, "盘估演出在哪")
    assert reply.kind == "events" and list(reply.events) == [4]


def test_two_names_of_one_festival_are_one_word_to_repair_to(small: Engine) -> None:
    """元宵节 and 元霄节 sound alike and are two names of one festival: 「元小节」 is no ambiguity."""
    assert ("元小节", "元宵节") in small.brain.understander.understand("元小节有啥活动").repairs
    (reply,) = ask(small, "元小节有啥活动")
    assert reply.kind == "events" and sorted(reply.events) == [3, 4]


def test_a_typo_of_a_word_residents_say_is_repaired_to_what_the_lexicon_reads_it_as(small: Engine) -> None:
    """Need phrases and question words are no text of the knowledge, yet residents mistype them too."""
    understand = small.brain.understander.understand
    needed = understand("惨疾人有啥帮扶")
    assert needed.repairs == (("惨疾人", "残疾人"),) and needed.inferred == ("特殊群体 救助",)
    assert "特殊群体" in needed.text
    asked = understand("1月15日都有什嚜活动")
    assert asked.repairs == (("什嚜", "什么"),)
    (reply,) = ask(small, "1月15日都有什嚜活动")
    assert reply.kind == "events" and sorted(reply.events) == [1, 5]


def test_everyday_words_side_by_side_are_no_typo_of_a_question_word(small: Engine) -> None:
    """「不像」 sounds like the stop word 不想, but 不 and 像 are each everyday words jieba cut alone."""
    assert small.brain.understander.understand("听着不像人").repairs == ()


def test_a_typo_jieba_glued_a_character_onto_is_repaired(small: Engine) -> None:
    """「社区发春连」 is cut 发春|连: the typo starts one character into a word nobody uses."""
    assert small.brain.understander.understand("社区发春连吗").repairs == (("春连", "春联"),)


def test_a_slip_in_a_dates_numeral_reads_as_the_date(small: Engine) -> None:
    understand = small.brain.understander.understand
    assert understand("正月是五有啥活动").repairs == (("是", "十"),)
    (reply,) = ask(small, "正月是五有啥活动")
    assert reply.kind == "events" and sorted(reply.events) == [3, 4]
    assert understand("以月十五号有啥活动").repairs == (("以", "一"),)
    assert understand("一月是不是有活动").repairs == ()  # 是 would end the date, not as its unit
    assert understand("就是一月十五号有啥活动").repairs == ()  # a date already, no 十一月


def test_a_single_character_that_makes_no_word_is_the_question_character_of_its_sound(small: Engine) -> None:
    assert "在哪" in small.brain.understander.understand("写对联的再哪").text
    assert "再来" in small.brain.understander.understand("明年还再来写春联").text  # 再来 is a word


def test_a_verb_before_an_aspect_particle_is_no_slip_of_a_question_character(small: Engine) -> None:
    """「喝着」: 喝 sounds like the stop word 和, but 着 after it makes it a verb."""
    assert "喝着" in small.brain.understander.understand("这水喝着不放心").text


def test_an_untranslated_english_word_weighs_little_but_an_acronym_does_not(small: Engine) -> None:
    from bot.engine.thresholds import ENGLISH_WEIGHT

    search = small.brain.search
    assert search.weight("service") == ENGLISH_WEIGHT
    assert search.weight("GDP") > ENGLISH_WEIGHT


def test_a_short_english_word_weighs_as_an_acronym_only_when_written_in_capitals(small: Engine) -> None:
    """「old」, 「fix」 are words of the resident's wording; 「GDP」 written so names a thing the
    knowledge may lack, and keeps its full weight."""
    from bot.engine.thresholds import ENGLISH_WEIGHT

    brain = small.brain
    assert brain.tokenizer.tokens("the old GDP") == ["old", "GDP"]
    assert brain.search.weight("old") == ENGLISH_WEIGHT
    assert brain.search.weight("gdp") == ENGLISH_WEIGHT
    assert brain.search.weight("GDP") > ENGLISH_WEIGHT
    assert brain.tokenizer.tokens("the old GDP", for_index=True) == ["old", "gdp"]


def test_common_words_are_not_repaired(small: Engine) -> None:
    assert small.brain.understander.understand("我想知道心理工作室").repairs == ()


def test_english_key_terms_through_the_glossary(small: Engine) -> None:
    assert "日间照料" in small.brain.understander.understand("Is there day care?").text


def test_english_around_before_and_after_a_festival_say_what_the_chinese_words_after_it_say(
    small: Engine,
) -> None:
    """「before the Lantern Festival」 is 元宵节前 (the days before it), 「around」 is 前后 (its week)."""
    (before,) = ask(small, "What is on before the Lantern Festival?")
    assert before.kind == "events" and 12 in before.events and 3 not in before.events
    (around,) = ask(small, "What is on around the Lantern Festival?")
    assert around.kind == "events" and sorted(around.events) == [3, 4]
    assert around.title.startswith("2020年2月5日至2月11日")


def test_english_endings_are_folded_before_the_glossary(small: Engine) -> None:
    understand = small.brain.understander.understand
    assert "改造" in understand("Who is renovating old homes?").text  # -ing, the e it dropped
    assert "改造" in understand("Renovated yet?").text  # -ed
    assert "helped" not in understand("Who helped with renovates?").text  # a stop word's -ed
    assert "homes" in understand("Who is renovating old homes?").text  # unknown words stay


def test_the_synonyms_english_words_fold_their_endings_too(small: Engine) -> None:
    """「scam」 is a synonym of 诈骗, not a glossary term: 「scamming」 reads as 诈骗 and is answered."""
    assert "诈骗" in small.brain.understander.understand("Someone is scamming me").text
    (reply,) = ask(small, "Someone is scamming me, what can I do?")
    assert reply.kind == "passages" and "110" in reply.text


def test_english_days_are_written_as_the_articles_write_them(small: Engine) -> None:
    """A passage says 10月11日: 「October 11」 must find it by those words; an English day's year stays."""
    understand = small.brain.understander.understand
    assert "10月11日" in understand("Who came on October 11?").text
    assert "2020年2月8日" in understand("What was on Feb 8, 2020?").text
    assert "1月15日" in understand("Anything on the 15th of January").text
    assert "may" in understand("may I ask about day care").text.lower()  # no day: the word stays


def test_place_names_spelled_in_pinyin_are_the_knowledge_words(small: Engine) -> None:
    assert "光明" in small.brain.understander.understand("Lantern riddles in Guangming community?").text
    assert "和平" in small.brain.understander.understand("Any couplets at He Ping?").text
    assert "there" in small.brain.understander.understand("Is there day care?").plain  # English stays
    (reply,) = ask(small, "Heping 写春联在哪")
    assert reply.kind == "events" and sorted(reply.events) == [6, 7, 8, 9]


def test_a_table_place_name_jieba_cuts_is_still_read_from_its_pinyin(small: Engine) -> None:
    """「工业路」 is no word (jieba cuts 工业 路), but the table's 工业路社区 names a place 工业路."""
    assert "工业路" in small.brain.understander.understand("Events at Gongyelu?").text
    (reply,) = ask(small, "Gongyelu 有啥活动")
    assert reply.kind == "events" and reply.events == (12,)


def test_everyday_words_of_a_need_become_the_words_the_knowledge_uses(small: Engine) -> None:
    understood = small.brain.understander.understand("最近心情不好,闷闷不乐,找谁聊聊")
    assert "心理疏导" in understood.text and "心情不好" not in understood.text
    (reply,) = ask(small, "俺爹白天在家没人照看咋办")
    assert reply.kind == "passages" and "日间照料中心" in reply.text


def test_a_part_of_the_day_is_no_filter_the_table_lacks(small: Engine) -> None:
    """「2月8日晚上有啥活动」: the rows are days, so 晚上 asks that day's rows, not something none says."""
    (reply,) = ask(small, "2月8日晚上有啥活动")
    assert reply.kind == "events" and set(reply.events) == {3, 4}


def test_a_word_of_degree_inside_a_need_phrase_leaves_it_that_phrase(small: Engine) -> None:
    """「心情老是不好」 is 心情不好 said with how often: the need is read, and the service answers."""
    understood = small.brain.understander.understand("最近心情老是不好,找谁聊聊")
    assert "心理疏导" in understood.text and "老是" not in understood.text
    assert "心理疏导" in small.brain.understander.understand("心情有点不好").text
    assert "心理疏导" not in small.brain.understander.understand("心情好不好").text


def test_a_need_word_that_only_says_who_asks_filters_no_event_row(small: Engine) -> None:
    """「奶奶」 is read as 老人: beside 盘鼓, which no 老人 row has, it says who asks; beside 慰问 a row
    has both and it narrows.  A need found by a row (残疾人 → 特殊群体 救助) is answered, and its other
    words do not count as what the table lacks."""
    assert small.brain.understander.understand("俺奶奶爱看盘鼓表演 在哪").inferred == ("老人",)
    (reply,) = ask(small, "俺奶奶爱看盘鼓表演 在哪")
    assert reply.kind == "events" and reply.events == (4,)
    (reply,) = ask(small, "俺奶奶过年有人来慰问不")
    assert reply.kind == "events" and reply.events == (10,)
    (reply,) = ask(small, "家里有残疾人 过年社区来慰问不")
    assert reply.kind == "events" and reply.events == (11,)


def test_who_asks_does_not_narrow_a_place_no_row_of_theirs_is_at(small: Engine) -> None:
    """「光明社区有活动没有 俺奶奶想去」: the place is what is asked; 奶奶 (老人) says who goes, as beside
    an activity, when no row of that place has it."""
    (reply,) = ask(small, "光明社区有活动没有 俺奶奶想去凑个热闹")
    assert reply.kind == "events" and set(reply.events) == {2, 4, 5}
    (reply,) = ask(small, "幸福社区有活动没有 俺奶奶想去")  # row 10 has both: 老人 narrows
    assert reply.kind == "events" and reply.events == (10,)


def test_a_clause_asking_an_amount_stays_with_the_question(small: Engine) -> None:
    understood = small.brain.understander.understand("俺想知道幸福社区党支部嘞情况,有多少人")
    assert "多少" in understood.text
    assert "多少" not in small.brain.understander.understand("幸福社区党支部,俺娘可爱去").text


def test_a_need_word_the_knowledge_writes_is_left_as_it_is(small: Engine) -> None:
    assert "主题党日" in small.brain.understander.understand("主题党日多久一次").text


def test_glued_characters_are_noise_but_real_words_and_numbers_are_not(small: Engine) -> None:
    from bot.engine.thresholds import NOISE_WEIGHT

    search = small.brain.search
    assert search.weight("大得") == NOISE_WEIGHT  # neither the knowledge nor jieba knows it
    assert search.weight("天气") >= 1.0 and search.weight("2024") >= 1.0


def test_a_compound_word_is_found_by_its_parts(small: Engine) -> None:
    search = small.brain.search
    assert search.coverage(["街道社区"], set(), "街道办事处和社区") == 1.0
    assert search.coverage(["街道社区"], set(), "街道办事处") == 0.0


# -- candidates: bigram fusion ----------------------------------------------------------------------


def test_reciprocal_rank_fusion_rewards_agreement() -> None:
    assert fuse([[1, 2, 3], [3, 1]]) == [1, 3, 2]


def test_bigram_retrieval_does_not_depend_on_word_cuts() -> None:
    assert bigrams("写春联 ok") == ["写春", "春联", "ok"]
    index = BigramIndex(["社区心理工作室由两名心理咨询师坐诊", "党支部共有党员120名", "写春联", "猜灯谜"])
    assert index.ranking("理工作", 2)[0] == 0


# -- decide: three bands ----------------------------------------------------------------------------


def test_sure_answers_close_suggests_and_picking_by_number_answers(small: Engine) -> None:
    state = DialogueState()
    sure = small.answer("社区心理工作室有几名心理咨询师", state)
    assert sure.kind == "passages" and "两名" in sure.text
    close = small.answer("坐诊的咨询师姓什么叫什么名字", state)
    assert close.kind == "suggestions" and close.offers and state.choices
    beyond = small.answer(str(len(close.offers) + 1), state)
    assert beyond.text == wording.NO_SUCH_CHOICE and state.choices
    picked = small.answer("1", state)
    assert picked.kind == "passages" and picked.citations


def test_the_clause_that_asks_answers_a_run_on_question(small: Engine) -> None:
    (reply,) = ask(small, "俺家老人过年以后天天闷在屋里不出门也不吭声,心理咨询师在哪坐诊")
    assert reply.kind == "passages" and "心理咨询师" in reply.text
    (reply,) = ask(small, "俺家老人过年以后天天闷在屋里不出门也不吭声,地铁几号线到火车站")
    assert reply.kind == "fallback"


def test_the_asking_clause_beats_the_story_clause_that_names_a_need(small: Engine) -> None:
    """「俺爹没人照看」 names a need the day care answers in full, yet it only tells why the resident asks:
    the clause that asks (「心理咨询师在哪坐诊」) is the question when something answers it.  When the
    asking clause names nothing (「谁管」), the story's need is still what is answered."""
    story = "过年以后天天蹲在桥洞底下不吭声 俺爹没人照看"
    understood = small.brain.understander.understand(f"{story} 心理咨询师在哪坐诊")
    assert understood.asking[-1] and not any(understood.asking[:-1])
    (reply,) = ask(small, f"{story} 心理咨询师在哪坐诊")
    assert reply.kind == "passages" and "心理咨询师" in reply.text
    (reply,) = ask(small, f"{story} 谁管管")
    assert reply.kind == "passages" and "日间照料" in reply.text


def test_a_word_the_rows_found_say_counts_though_the_table_index_lacks_it(small: Engine) -> None:
    """「鼓」 is no word of the table's index (盘鼓, 表演), but the row found for the day says it."""
    (reply,) = ask(small, "元宵节那天哪有敲鼓的")
    assert reply.kind == "events" and 4 in reply.events


def test_a_clause_naming_a_topic_the_knowledge_lacks_stays(small: Engine) -> None:
    """「公积金咋提出来」 is no story around 「老人要带啥」: it is what is asked, and it stays."""
    understood = small.brain.understander.understand("公积金咋提出来,老人要带啥")
    assert "公积金" in understood.text
    (reply,) = ask(small, "公积金咋提出来,老人要带啥")
    assert reply.kind == "fallback"


def test_an_out_of_scope_word_in_the_middle_of_a_story_is_no_veto(small: Engine) -> None:
    """「一下雨就出不了门」 says why, not what is asked: another clause names the knowledge's
    心理咨询师, so the question is answered.  Said in the first or the last clause, or in a question of
    one or two clauses, 下雨 still makes it out of scope."""
    (reply,) = ask(small, "俺家老人心情不好,一下雨就出不了门,心理咨询师在哪坐诊")
    assert reply.kind == "passages" and "心理咨询师" in reply.text
    for question in (
        "心理咨询师在哪坐诊,明天下雨不",
        "明天下雨不,老人心情不好,心理咨询师在哪坐诊",
        "下雨天心理咨询师坐诊吗",
    ):
        (reply,) = ask(small, question)
        assert reply.kind == "fallback" and reply.intent == "out_of_scope", question


def test_unrelated_questions_fall_back(small: Engine) -> None:
    for question in ("地铁几号线到火车站", "明天天气怎么样", "身份证丢了怎么补办"):
        (reply,) = ask(small, question)
        assert reply.kind == "fallback" and not reply.citations, question


def test_a_need_finds_its_service_by_the_ways_residents_ask(small: Engine) -> None:
    (reply,) = ask(small, "老人白天一个人在家没人管咋办")
    assert reply.kind == "passages" and "日间照料中心" in reply.text


# -- score: the asked attribute ---------------------------------------------------------------------


def test_an_attribute_the_knowledge_lacks_is_said_plainly(small: Engine) -> None:
    (reply,) = ask(small, "日间照料中心电话是多少")
    assert reply.kind == "fallback" and "没有写电话" in reply.text and not reply.citations
    assert "110" not in reply.text


def test_an_event_row_carries_its_day(small: Engine) -> None:
    """「几号开始」 asks a day: every row of the table has one, though not in its words, so the rows
    answer; an article that gives none is told plainly not to."""
    (reply,) = ask(small, "盘鼓表演几号开始")
    assert reply.kind == "events" and reply.events == (4,)
    (reply,) = ask(small, "日间照料中心哪天开始")
    assert reply.kind == "fallback" and "没有写日期" in reply.text


def test_a_count_question_gets_the_sentence_with_the_number(small: Engine) -> None:
    (reply,) = ask(small, "幸福社区党支部有多少党员")
    assert reply.kind == "passages" and "120" in reply.text


# -- follow-ups -------------------------------------------------------------------------------------


def test_a_question_in_the_last_passages_words_asks_that_passage(small: Engine) -> None:
    """「为居民提供什么」 right after the passage on the 心理工作室: its words are all that passage's, so it
    is asked of it, though the passage on scams says 居民 too; a word it lacks (诈骗) asks anew, and so
    does a count (多少) that its window does not hold."""
    first = "社区心理工作室有几个咨询师"
    _, own = ask(small, first, "为居民提供什么")
    assert own.kind == "passages" and "心理疏导" in own.text
    _, other = ask(small, first, "居民遇到诈骗打什么电话")
    assert "110" in other.text
    _, count = ask(small, first, "居民有多少")
    assert "心理疏导" not in count.text


def test_narrowing_to_a_festival_day_is_that_day_only(small: Engine) -> None:
    """「其中元宵节当天的」: 当天 says the day itself, as in a question of its own, not the festival's
    events."""
    _, narrowed = ask(small, "哪里猜灯谜", "其中元宵节当天的")
    assert list(narrowed.events) == [3]
    assert "有关" not in narrowed.title


def test_a_bare_day_first_is_a_day_of_the_period(small: Engine) -> None:
    """「15号哪有写春联」 with no month said or shown before: 1月15日, the table's only 15th."""
    reply = ask(small, "15号哪有写春联")[0]
    assert reply.kind == "events" and list(reply.events) == [1]


def test_narrowing_keeps_the_activity(small: Engine) -> None:
    _, narrowed = ask(small, "哪里写春联", "其中1月15日的呢")
    assert narrowed.kind == "events" and list(narrowed.events) == [1]


def test_that_day_is_the_day_of_the_event_just_shown(small: Engine) -> None:
    first, same_day = ask(small, "盘鼓表演在哪", "当天还有别的活动吗")
    assert list(first.events) == [4]
    assert same_day.kind == "events" and sorted(same_day.events) == [3, 4]


def test_where_after_a_single_event_is_about_that_event(small: Engine) -> None:
    _, where = ask(small, "盘鼓表演是哪天", "地址在哪")
    assert where.kind == "events" and list(where.events) == [4] and "光明社区广场" in where.text


def test_where_or_who_after_a_single_event_with_a_verb_is_about_that_event(small: Engine) -> None:
    """「在哪演」 (jieba glues 哪演), 「谁去写的」: the verb beside the question word says nothing new."""
    _, where = ask(small, "舞狮表演是哪天", "在哪演")
    assert where.kind == "events" and list(where.events) == [12] and "工业路社区" in where.text
    _, who = ask(small, "1月20日写春联", "谁去写的")
    assert who.kind == "events" and list(who.events) == [2] and "书法家协会" in who.text
    _, many = ask(small, "哪里写春联", "谁去写的")
    assert many.kind != "events"  # several events shown: which one is not said


def test_a_day_moved_from_the_day_just_shown(small: Engine) -> None:
    """「那第二天呢」 moves the single day just shown and keeps the activity; a bare day keeps the month,
    in English as an ordinal too, and a spoken 「一月二十」 is a day."""
    _, next_day = ask(small, "1月14日写春联", "那第二天呢")
    assert next_day.kind == "events" and list(next_day.events) == [1]
    _, day_before = ask(small, "1月21日写春联", "那前一天呢")
    assert day_before.kind == "events" and list(day_before.events) == [2]
    _, eighth = ask(small, "2月1日有什么活动", "and on the 8th?")
    assert eighth.kind == "events" and sorted(eighth.events) == [3, 4]
    _, spoken = ask(small, "哪里写春联", "那一月二十呢")
    assert spoken.kind == "events" and list(spoken.events) == [2]


def test_a_question_word_naming_nothing_after_a_list_asks_of_every_row_shown(small: Engine) -> None:
    """「谁办的」, 「在哪裡」 after a list of several rows: each row says its organiser and place, so the
    rows shown answer; the same words first thing name nothing to search for."""
    first, who = ask(small, "1月15日有什么活动", "谁办的")
    assert who.kind == "events" and sorted(who.events) == sorted(first.events) == [1, 5]
    _, where = ask(small, "1月15日有什么活动", "在哪裡")
    assert where.kind == "events" and sorted(where.events) == [1, 5]
    assert ask(small, "谁办的")[0].kind != "events"
    assert ask(small, "1月15日有什么活动", "怎么样")[1].kind != "events"
    assert list(ask(small, "1月15日有什么活动", "一共几场")[1].events) == [1, 5]
    assert list(ask(small, "1月15日有什么活动", "地址是什么")[1].events) == [1, 5]  # a word row_asks holds


def test_a_row_of_the_list_by_the_number_it_is_shown_with(small: Engine) -> None:
    """「第二个在哪」 after a list is the row shown second, asked about alone; 「第二个那个社区还搞过啥」 is
    that row's community's other rows; a number past the list, or 「第二天」, picks no row."""
    first, second = ask(small, "1月15日有什么活动", "第二个在哪")
    assert list(first.events) == [1, 5] and second.kind == "events" and list(second.events) == [5]
    _, others = ask(small, "1月15日有什么活动", "第二个那个社区还搞过啥")
    assert others.kind == "events" and sorted(others.events) == [2, 4]
    _, past = ask(small, "1月15日有什么活动", "第五个在哪")
    assert list(past.events) != [5]


def test_a_bare_day_narrows_in_the_month_of_the_rows_shown(small: Engine) -> None:
    """「其中15号的呢」 after a search that named no day: the month of the rows shown (all January); rows
    of January and February make 「8号」 each 8th the period holds."""
    _, narrowed = ask(small, "哪里写春联", "其中15号的呢")
    assert narrowed.kind == "events" and list(narrowed.events) == [1]
    _, both = ask(small, "光明社区有什么活动", "其中8号的呢")
    assert both.kind == "events" and list(both.events) == [4]


def test_a_day_moved_twice(small: Engine) -> None:
    """「那再往前一天嘞」 moves the day just moved again: 再, 往 beside the shift say nothing."""
    _, before, again = ask(small, "1月14日写春联", "那前一天呢", "那再往前一天嘞")
    assert list(before.events) == [9] and again.kind == "events" and list(again.events) == [8]


def test_a_clause_saying_why_beside_an_attribute_asked_of_the_rows(small: Engine) -> None:
    """「他们电话多少,俺想请他们给居民写」 after one row: the second clause says why the number is wanted;
    the row gives none, which is said plainly."""
    _, phone = ask(small, "1月20日写春联", "他们电话多少,俺想请他们给居民写")
    assert phone.kind == "fallback" and "电话" in phone.text and "光明社区" in phone.text


def test_what_happened_next_is_the_passage_after_the_one_quoted(with_club: Engine) -> None:
    """「后来呢」 after an article's answer: the article's next passage; after its last one, nothing."""
    first, then = ask(with_club, "退休职工每周几训练", "后来呢")
    assert "每周三" in first.text
    assert then.kind == "passages" and "敬老院" in then.text
    _, end = ask(with_club, "如今队员们带徒弟吗", "后来呢")
    assert end.kind == "fallback"
    _, on = ask(with_club, "退休职工每周几训练", "接下来呢")  # 接下来 is days to come only first thing
    assert on.kind == "passages" and "敬老院" in on.text


def test_more_after_an_article_is_what_it_says_after_the_window_quoted(with_club: Engine) -> None:
    """「还有呢」 after an article's answer pages the article: the passage's sentences after the window
    shown, then the next passage; after the article's last sentence there is nothing to page."""
    first, more, then = ask(with_club, "舞狮队最初有几名队员", "还有呢", "还有呢")
    assert "五名队员" in first.text and "元宵节" not in first.text
    assert more.kind == "passages" and "一代一代" in more.text and "五名队员" not in more.text
    assert then.kind == "fallback"
    _, next_passage = ask(with_club, "退休职工每周几训练", "还有呢")
    assert next_passage.kind == "passages" and "敬老院" in next_passage.text


def test_where_the_thing_the_passage_quoted_names_is(with_club: Engine) -> None:
    """「队员们在哪个社区」 right after the passage on the 舞狮队's visit, whose words are all its own: where,
    as 「在哪个社区搞的」 asks it, quoted from the article's passage that names the place."""
    _, where = ask(with_club, "队员们去敬老院干啥", "队员们在哪个社区")
    assert where.kind == "passages" and "社区广场" in where.text


def test_what_about_an_activity_the_passage_quoted_names_asks_that_passage(with_club: Engine) -> None:
    """「那孤寡老人猜灯谜呢」 right after the passage on the 舞狮队's visit: a what-about with no question
    word of its own asks the last question of what it names, and the passage names all of it, the
    activity 猜灯谜 too, so that passage is asked first, before the table's riddle rows; 「那猜灯谜呢」
    names only the activity (the table's), and a question word of its own asks anew."""
    brain = with_club.brain

    def first(text: str) -> object:
        state = DialogueState(passage="t-3.1.2")
        reading = brain.read(text)
        tokens = brain.tokenizer.tokens(text)
        plain = brain.understander.understand(text).plain
        return with_club._in_last_passage_words(brain, text, reading, tokens, state, plain)

    own = first("那孤寡老人猜灯谜呢")
    assert own is not None and "敬老院" in own.text  # type: ignore[attr-defined]
    assert first("那猜灯谜呢") is None
    assert first("那孤寡老人猜灯谜是哪天") is None


def test_more_pages_on(small: Engine) -> None:
    first, more = ask(small, "哪里写春联", "还有别的吗")
    assert first.pages == 2 and more.page == 1


def test_next_page_still_works_after_a_fallback_in_between(small: Engine) -> None:
    first, fallback, page = ask(small, "哪里写春联", "明天天气怎么样", "下一页")
    assert first.pages == 2 and fallback.kind == "fallback"
    assert page.kind == "events" and page.page == 1


def test_festival_day_only_when_the_resident_says_that_day(small: Engine) -> None:
    (reply,) = ask(small, "元宵节当天猜灯谜在哪")
    assert list(reply.events) == [3] and "元宵节当天" in reply.text


def test_check_validates_the_new_lexicon_files(tmp_path: Path) -> None:
    from bot.data.schema import check_knowledge
    from tests.fixtures.trees import Tree

    tree = Tree.copy(tmp_path)
    tree.write("knowledge/lexicon/colloquial.yaml", "attributes:\n  电话: {asks: [电话], value: '('}\n")
    tree.write("knowledge/lexicon/glossary.yaml", "glossary: [a, b]\n")
    tree.write("knowledge/lexicon/needs.yaml", "needs:\n  老人: [老头, 爹]\n")
    _, problems = check_knowledge(tree.knowledge)
    where = sorted(f"{pathlib.Path(p.path).name}:{p.line}" for p in problems)
    assert where == ["colloquial.yaml:2", "glossary.yaml:1", "needs.yaml:2"], problems
    assert any("regular expression" in p.message for p in problems)


def test_a_new_date_question_after_a_list_is_not_a_follow_up(small: Engine) -> None:
    _, fresh = ask(small, "哪里写春联", "2月8日有什么活动")
    assert sorted(fresh.events) == [3, 4]


def test_a_dialect_particle_ending_a_clause_is_read_as_ne(small: Engine) -> None:
    """「嘞」 inside a clause is 的 (「写对子嘞地儿」), at its end 呢: 「那光明社区嘞」 is a follow-up."""
    assert small.brain.understander.understand("那光明社区嘞").plain == "那光明社区呢"
    assert small.brain.understander.understand("写对子嘞地儿,有吗嘞?").plain == "写对子的地方,有吗呢?"
    _, narrowed = ask(small, "1月15日有什么活动", "那光明社区嘞")
    assert list(narrowed.events) == [5]


def test_a_follow_up_day_without_its_month_keeps_the_last_month(small: Engine) -> None:
    """「那二十号呢」 after a January list is 1月20日; 「那」 is not glued to what follows it."""
    first, then = ask(small, "1月15日哪里写春联", "那二十号呢")
    assert list(first.events) == [1] and list(then.events) == [2]
    _, place = ask(small, "1月15日有什么活动", "那光明社区呢")
    assert list(place.events) == [5]


def test_that_one_by_its_day_picks_from_the_last_list(small: Engine) -> None:
    _, one = ask(small, "哪里写春联", "1月15日那场在哪")
    assert list(one.events) == [1]


def test_that_one_by_its_activity_picks_from_the_last_list(small: Engine) -> None:
    """「猜灯谜那个在哪」 after a day's list is its row of that list, not every riddle row; a name the list
    shown does not hold asks anew."""
    _, one = ask(small, "1月15日有什么活动", "猜灯谜那个在哪")
    assert list(one.events) == [5]
    _, other = ask(small, "1月15日有什么活动", "盘鼓表演那个在哪")
    assert list(other.events) == [4]


def test_that_community_is_the_community_of_the_event_shown(small: Engine) -> None:
    """「那个社区还搞过啥」 after one row: its community's other rows (光明社区 organised row 4 and 5, and is
    the place of row 2), the row shown left out; 「…他们…」 with an activity filters them by it."""
    first, others = ask(small, "盘鼓表演在哪", "那个社区还搞过啥")
    assert list(first.events) == [4]
    assert others.kind == "events" and sorted(others.events) == [2, 5]
    _, riddles = ask(small, "盘鼓表演在哪", "他们猜灯谜是哪天")
    assert list(riddles.events) == [5]


# -- topics elsewhere, everyday words, the on-topic margin ------------------------------------------


def test_a_topic_the_knowledge_does_not_cover_falls_back(small: Engine) -> None:
    """「幸福社区」 is in the knowledge, but no answer there speaks of 公积金 or 北京."""
    for question in ("幸福社区公积金怎么提", "幸福社区坐车去北京", "帮我查一下公积金"):
        reply = ask(small, question)[0]
        assert reply.kind == "fallback", question
        assert not reply.citations


def test_a_topic_elsewhere_is_answered_by_a_text_that_speaks_of_it(small: Engine) -> None:
    reply = ask(small, "遇到诈骗怎么报警")[0]
    assert reply.kind == "passages"
    assert "110" in reply.text


def test_an_activity_found_is_answered_and_the_topic_elsewhere_named(small: Engine) -> None:
    """「坐公交去哪写春联」: the table answers where, and the reply says the reports say nothing of 公交;
    another city is no such topic: the table is not of 北京 at all."""
    plain = ask(small, "哪里写春联")[0]
    reply = ask(small, "坐公交去哪里写春联")[0]
    assert reply.kind == "events" and reply.events == plain.events
    assert "报道里没有「公交」" in reply.title
    assert ask(small, "北京哪里写春联")[0].kind == "fallback"


def test_everyday_words_weigh_less_than_topics(small: Engine) -> None:
    """「提醒」 and 「诈骗」 are in the same one sentence of the knowledge; only 诈骗 says what is asked."""
    search = small.brain.search
    assert search.weight("提醒") < search.weight("诈骗") * 0.8


def test_a_message_ending_like_a_greeting_but_naming_a_topic_is_a_question(small: Engine) -> None:
    reply = ask(small, "俺爹白天没人照看,有没有人")[0]
    assert reply.kind != "chitchat"
    assert ask(small, "你好,有没有人")[0].kind == "chitchat"


def test_thanks_or_a_greeting_beside_a_question_is_no_small_talk(small: Engine) -> None:
    """Small talk only when nothing else is asked: a day (「2月8日」) or a question word beside a word
    (「找谁来修」) is a question, though it names no word of the knowledge; 「请问您是谁」 asks the bot
    about itself and 「没什么了」 asks nothing."""
    reply = ask(small, "2月8日有什么活动,谢谢啊")[0]
    assert reply.kind == "events" and sorted(reply.events) == [3, 4]
    assert ask(small, "你好,正月十五有啥")[0].kind == "events"
    assert ask(small, "暖气片不热,找谁来修,麻烦了")[0].kind == "fallback"
    assert ask(small, "给我个电话号码,谢谢")[0].kind == "fallback"
    for small_talk in ("好的,谢谢", "谢谢,没什么了", "您好,请问您是谁"):
        assert ask(small, small_talk)[0].kind == "chitchat", small_talk


def test_small_talk_about_the_bot_is_small_talk_though_it_asks(small: Engine) -> None:
    """Only thanks and greetings (`courtesy`) are said around a question: a question word beside
    「机器人」 or 「怎么提问」 asks about the bot itself, as 「请问您是谁」 does after its polite head."""
    for about_the_bot in ("你是真人还是机器人啊我咋听着不像人哩", "第一次用这个,该怎么提问?", "请问您是谁"):
        assert ask(small, about_the_bot)[0].kind == "chitchat", about_the_bot


def test_an_attribute_alone_after_an_article_asks_it_of_that_passage(small: Engine) -> None:
    """「电话多少」 after the passage on the counselling room asks that room's phone number: the reports
    do not give it, and the reply says so of that passage, not of another that mentions 电话."""
    state = DialogueState()
    assert "两名" in small.answer("社区心理工作室有几名心理咨询师", state).text
    reply = small.answer("电话多少", state)
    assert reply.kind == "fallback" and "心理" in reply.text and "110" not in reply.text


def test_a_clause_that_only_says_who_asks_carries_no_topic(small: Engine) -> None:
    """「俺奶奶让我问问」 says who asks: 奶奶 is no need for 老人 there, and the day's rows answer; so
    does a tail addressing the bot (「你给说说」) and a clause calling it (「闺女」).  A verb of asking
    that no one asked is said with (「哪里能问问」) stays, and 奶奶 of a story is still 老人."""
    understand = small.brain.understander.understand
    understood = understand("俺奶奶让我问问 2月8日有啥活动")
    assert understood.inferred == () and "问" not in understood.text
    for question in (
        "俺奶奶让我问问 2月8日有啥活动",
        "2月8日有哪些活动 你给说说",
        "闺女 你给俺说说 2月8日有啥活动",
        "2月8日有啥活动 知道不",
    ):
        reply = ask(small, question)[0]
        assert reply.kind == "events" and sorted(reply.events) == [3, 4], question
    assert "问问" in understand("心理疏导哪里能问问").text
    # jieba glues a pronoun to the verb (「帮 我查 一下」): two who-asks words in one are still them
    assert "查" not in understand("帮我查一下 2月8日有啥活动").text
    assert understand("俺奶奶过年有人来慰问不").inferred == ("老人",)


def test_a_candidate_holding_the_topic_answers_a_little_below_sure() -> None:
    from bot.engine.score import is_sure
    from bot.engine.thresholds import ON_TOPIC_MARGIN, SERVICE_SURE, SURE

    assert is_sure("passage", SURE - ON_TOPIC_MARGIN, on_topic=True)
    assert not is_sure("passage", SURE - ON_TOPIC_MARGIN, on_topic=False)
    assert is_sure("service", SERVICE_SURE - ON_TOPIC_MARGIN, on_topic=True)
    assert not is_sure("service", SURE, on_topic=False)


def test_a_clause_naming_only_a_festival_or_period_stays_with_the_question(small: Engine) -> None:
    """「过年哪儿有」 names no word of the knowledge, but says when: the table's answer depends on it."""
    assert "过年" in small.brain.understander.understand("想看盘鼓表演,过年哪儿有").text
    assert "俺娘可爱看" not in small.brain.understander.understand("想看盘鼓表演,俺娘可爱看").text


def test_a_clause_naming_only_a_date_in_chinese_numerals_stays_with_the_question(small: Engine) -> None:
    """「一月十四号」 says when, as 「1月14号」 does: the clause is not the story around the question."""
    understand = small.brain.understander.understand
    assert "一月十四号" in understand("一月十四号,有没有写春联的,在哪").text
    assert "正月十五" in understand("正月十五,有没有写春联的,在哪").text


def test_an_event_list_nobody_asked_for_loses_a_tie(small: Engine) -> None:
    """「老人午餐」 names a row's word (慰问空巢老人) but asks for no event, day or place: the table's
    list is flagged unasked and an article answering as well is preferred; 「…有什么活动」 asks."""
    brain = small.brain

    def events_candidate(question: str) -> Candidate:
        text = brain.understander.understand(question).text
        reading = brain.read(text)
        found = collect(brain, reading, brain.tokenizer.tokens(text), text, "")
        return next(c for c in found if c.kind == "events")

    unasked = events_candidate("老人午餐")
    assert unasked.unasked
    assert not events_candidate("老人有什么活动").unasked
    assert not events_candidate("写春联").unasked  # an activity of the lexicon is asked as such
    tie = ranked([unasked, replace(unasked, kind="passage", unasked=False, label="文章")])
    assert tie[0].kind == "passage"


def test_overlapping_need_phrases_are_one_stretch(small: Engine) -> None:
    """「没人照看」 and 「照看不过来」 overlap in 「没人照看不过来」: both needs are read, and no piece of
    either (「不过来」) is left behind as a word of its own."""
    understood = small.brain.understander.understand("俺一个人没人照看不过来")
    assert "日间照料" in understood.text and "心理疏导" in understood.text
    assert "不过来" not in understood.text and "照看" not in understood.text
    assert "老人 日间照料 心理疏导" in understood.inferred


def test_a_single_character_is_no_activity_to_filter_rows_by(small: Engine) -> None:
    """「猜灯谜,写点字」: 写 is a character of a row (写春联), not an activity the resident asks for;
    the rows are filtered by 灯谜 alone."""
    brain = small.brain
    single = sorted(t for t in brain.search.event_vocabulary if len(t) == 1)
    assert single  # the table's rows hold single characters too
    query = brain.read(f"猜灯谜,{single[0]}").query
    assert query.activity == ("灯谜",)


def test_a_table_word_with_one_character_more_is_that_word(small: Engine) -> None:
    """「舞狮队」 is no word of the table, but 舞狮 with 队 behind: the rows of 舞狮 answer."""
    brain = small.brain
    assert "舞狮队" in brain.tokenizer.tokens("哪有舞狮队") and "舞狮" in brain.search.event_vocabulary
    assert brain.read("哪有舞狮队").query.activity == ("舞狮",)


def test_english_put_into_chinese_side_by_side_is_one_phrase(small: Engine) -> None:
    """「Guangming day care」 is 光明日间照料, as the articles write it; an English word the synonyms
    fold (couplets) is written as their Chinese in the text too, for the character retrieval; a
    resident's own space between Chinese words still ends a clause."""
    understand = small.brain.understander.understand
    assert "光明日间照料" in understand("Guangming day care?").text
    assert "春联" in understand("Where are couplets written?").text
    assert "couplets" not in understand("Where are couplets written?").text
    assert understand("写春联 在哪 ok").plain.startswith("写春联,在哪")


def test_the_people_a_question_is_for_filter_no_row_beside_an_activity(small: Engine) -> None:
    """「家里老人想看盘鼓表演」: 老人 (colloquial.yaml `people`) says who asks; the 盘鼓 rows answer, not
    also the row 「慰问空巢老人」; said alone, 老人 still finds its row."""
    reply = small.answer("家里老人想看盘鼓表演,在哪", DialogueState())
    assert list(reply.events) == [4]
    assert list(small.answer("有没有慰问老人的活动", DialogueState()).events) == [10]


def test_a_bare_question_is_asked_of_the_passage_just_quoted(small: Engine) -> None:
    """「他们每月组织几次」 after the passage on the party branch: answered from that passage (its
    「每月组织一次主题党日活动」); after the day-care passage, which says nothing of it, not at all."""
    brain = small.brain
    after_branch = DialogueState(passage="t-1.2.1")
    reply = small._about_last_passage(brain, "他们每月组织几次", after_branch)
    assert reply is not None and "每月组织一次" in reply.text
    assert reply.citations and reply.citations[0].source == "t-1"
    after_care = DialogueState(passage="t-1.1.1")
    assert small._about_last_passage(brain, "他们每月组织几次", after_care) is None
    assert small._about_last_passage(brain, "他们每月组织几次", DialogueState()) is None


def test_where_after_a_service_whose_article_names_no_place_is_its_way_in(small: Engine) -> None:
    """「在哪弄」 after the day-care service, whose article says 「在…社区」 nowhere: the service's 途径
    (``how``) is where it is used, so the service answers again rather than 「I don't know」."""
    state = DialogueState(passage="t-1.1.1")
    reply = small._where_of_last_passage(small.brain, "在哪弄", state)
    assert reply is not None and reply.intent == "service_lookup" and "幸福社区日间照料中心" in reply.text
    assert small._where_of_last_passage(small.brain, "在哪弄", DialogueState(passage="t-1.2.2")) is None


def test_an_attribute_alone_after_a_list_is_asked_of_its_rows(small: Engine) -> None:
    """「电话多少」 after a list of two rows asks it of them: the table gives no phone numbers, and the
    reply says so of the rows shown, not of an article that happens to say 电话 (110)."""
    _, reply = ask(small, "2月8日有什么活动", "电话多少")
    assert reply.kind == "fallback" and wording.EVENT_TABLE in reply.text and "110" not in reply.text
    state = DialogueState()
    small.answer("社区怎么防范诈骗", state)
    assert state.passage == "t-1.2.2"
    small.answer("2月8日有什么活动", state)
    assert state.passage is None  # the list is what was shown last, not the article before it


def test_a_follow_up_naming_a_word_of_the_rows_places_moves_the_place(small: Engine) -> None:
    """「那光明那边呢」 after 和平社区's couplets: 光明 is in no row's content, only in places (光明社区), so
    it names another place, put in the last one's stead; the activity is kept."""
    _, reply = ask(small, "和平社区写春联的活动", "那光明那边呢")
    assert reply.kind == "events" and sorted(reply.events) == [2]


def test_a_question_naming_nothing_the_passage_lacks_is_asked_of_it(small: Engine) -> None:
    """「一共招了多少党员」 after the party-branch passage: 招 says little and 党员 is the passage's own, so
    the question is about that passage and its number answers, though 招 keeps it under SURE; a word
    the passage lacks (低保) makes it a question of its own, and a window without the asked number
    answers nothing."""
    brain = small.brain
    after_branch = DialogueState(passage="t-1.2.1")
    reply = small._about_last_passage(brain, "一共招了多少党员", after_branch)
    assert reply is not None and "党员120名" in reply.text
    assert small._about_last_passage(brain, "一共招了多少低保户", after_branch) is None
    after_scam = DialogueState(passage="t-1.2.2")
    assert small._about_last_passage(brain, "一共招了多少居民", after_scam) is None
    # 「后来」 has answer cues of its own (intents): what it asks, no topic the passage must hold
    assert "后来" in brain.router.asked_words("他们后来怎么样了")


def test_a_sentence_is_found_by_the_knowledge_word_a_question_word_adds_a_character_to(small: Engine) -> None:
    """「党员们」 is no word of the knowledge but 党员 and one character: the sentence that says 党员
    is the best one, not the first of its section."""
    search = small.brain.search
    assert search.stem("党员们") == "党员"
    hit = search.passages(["党员们", "每月"])
    assert hit is not None and hit.passage.id == "t-1.2.1" and "党员120名" in hit.text


def test_a_word_every_article_uses_is_no_subject_to_be_on(small: Engine) -> None:
    """「服务」 weighs under CLAUSE_TOPIC_SHARE of the rarest word: a question whose weightiest word it
    is has no subject, and no candidate is on it (ON_TOPIC_MARGIN does not apply)."""
    brain = small.brain
    assert brain.search.weight("服务") < CLAUSE_TOPIC_SHARE * brain.search.rarest
    assert _topic(brain, brain.read("服务"), ["服务"]) is None
    assert _topic(brain, brain.read("日间照料服务"), ["日间照料", "服务"]) == "日间照料"


def test_a_question_the_headline_answers_gets_the_articles_lead(small: Engine) -> None:
    """「幸福社区的便民服务有啥」 asks what 「幸福社区便民服务」 is about as a whole: its lead answers, grown
    to a summary; 「幸福社区党支部有多少党员」 asks one section and gets it."""
    search, tokens = small.brain.search, small.brain.tokenizer.tokens
    hit = search.passages(tokens("幸福社区便民服务有哪些"))
    assert hit is not None and hit.passage.id == "t-1.1.1" and (hit.first, hit.last) == (0, 1)
    hit = search.passages(tokens("幸福社区党支部有多少党员"))
    assert hit is not None and hit.passage.id == "t-1.2.1"


def test_a_clause_with_a_question_word_stays_with_the_question(small: Engine) -> None:
    """「有什么活动」 names only everyday words, but it is what the resident asks, not the story."""
    assert "活动" in small.brain.understander.understand("2月5号,有什么活动没有,我带孩子去转转").text


def test_a_question_naming_only_what_it_asks_is_asked_of_the_passage_just_quoted(small: Engine) -> None:
    """「哪天」 after a passage: its sentence that says when (每周…) answers; one that says no day does
    not, and a unit said without a number (「党日」) is no day."""
    _, when = ask(small, "日间照料中心为老人提供什么服务", "哪天")
    assert when.kind == "passages" and "每周一至周五" in when.text
    _, none = ask(small, "社区怎么防范诈骗", "哪天")
    assert none.kind == "fallback"


def test_what_the_review_found_stays_fixed(small: Engine) -> None:
    """A festive wish beside thanks is small talk (a day asks only with a word of events); an
    attribute naming a day is asked afresh, not of the passage just quoted; a need that begins with a
    verb of asking (「说说心里话」) is no who-asks head; a lone number long after suggestions is no pick;
    「the day before the Lantern Festival」 is the day before it."""
    for wish in ("谢谢,春节快乐", "谢谢,过年好"):
        assert ask(small, wish)[0].kind == "chitchat", wish
    state = DialogueState()
    small.answer("社区心理工作室有几名心理咨询师", state)
    assert "心理" not in small.answer("2月8日的电话多少", state).text
    understand = small.brain.understander.understand
    assert understand("我想说说心里话").inferred == ("心理疏导",)
    english = understand("what is on the day before the Lantern Festival").text
    assert [(r.start, r.end) for r in small.brain.read(english).query.ranges] == [
        (date(2020, 2, 7), date(2020, 2, 7))
    ]
    state = DialogueState()
    assert small.answer("坐诊的咨询师姓什么叫什么名字", state).kind == "suggestions"
    small.answer("2月8日有什么活动", state)
    assert small.answer("5", state).text != wording.NO_SUCH_CHOICE


def test_need_words_named_in_an_asking_clause_still_ask(small: Engine) -> None:
    """「社区有人管闷闷不乐不」 asks as a whole: the need phrase stands apart as a clause of its own
    (心理疏导), yet it keeps the yes/no tail of the clause it was said in, and so beats the need the
    story names (「俺爹没人照看」: the day care)."""
    question = "过年以后俺爹没人照看,社区有人管闷闷不乐不"
    understood = small.brain.understander.understand(question)
    pieces = understood.text.split(",")
    assert "心理疏导" in pieces and understood.asking[pieces.index("心理疏导")]
    assert not understood.asking[0]
    (reply,) = ask(small, question)
    assert reply.kind == "passages" and "心理" in reply.text

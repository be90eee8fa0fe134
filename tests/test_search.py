from bot.engine.search import MAX_WINDOW_CHARS


def test_events_filter_by_activity_date_and_place(engine) -> None:  # type: ignore[no-untyped-def]
    search = engine.brain.search
    couplets = {e.number for e in search.events(["春联"])}
    assert {6, 22, 30, 61} <= couplets and 33 not in couplets and 12 not in couplets
    from datetime import date

    on_feb5 = {e.number for e in search.events(["灯谜"], [(date(2020, 2, 5), date(2020, 2, 5))])}
    assert on_feb5 == {23, 39, 40, 41, 42, 54}
    zhongxin = {e.number for e in search.events(["灯谜"], places=["中心路街道"])}
    assert zhongxin == set(range(39, 47))


def test_events_are_listed_by_date(engine) -> None:  # type: ignore[no-untyped-def]
    events = engine.brain.search.events(["春联"])
    assert [e.start for e in events] == sorted(e.start for e in events)


def test_places_found_longest_first(engine) -> None:  # type: ignore[no-untyped-def]
    places = engine.brain.search.places_in("上街区书法家协会在哪些地方写春联")
    assert places == ["上街区书法家协会"]
    assert engine.brain.search.places_in("矿山工人村社区有什么活动") == ["矿山工人村社区"]


def test_passage_window_is_short_and_on_topic(engine) -> None:  # type: ignore[no-untyped-def]
    brain = engine.brain
    hit = brain.search.passages(brain.tokenizer.tokens("小板凳恳谈会是什么"))
    assert hit is not None and "拉家常" in hit.text
    assert len(hit.text) <= MAX_WINDOW_CHARS
    assert hit.coverage > 0.9


def test_context_finds_sentences_that_do_not_name_the_place(engine) -> None:  # type: ignore[no-untyped-def]
    brain = engine.brain
    hit = brain.search.passages(brain.tokenizer.tokens("冯春社区为老人提供什么服务"))
    assert hit is not None and "日间照料中心" in hit.text


def test_unknown_words_lower_coverage(engine) -> None:  # type: ignore[no-untyped-def]
    brain = engine.brain
    hit = brain.search.passages(brain.tokenizer.tokens("今天郑州天气怎么样"))
    assert hit is None or hit.coverage < 0.5

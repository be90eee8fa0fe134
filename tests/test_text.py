from bot.engine import Engine
from bot.engine.text import normalise, split_sentences


def test_normalise_folds_traditional_full_width_and_controls() -> None:
    assert normalise("哪裡可以寫春聯?") == "哪里可以写春联?"
    assert normalise("ＡＢＣ１２３") == "ABC123"
    assert normalise("写\u0000春\u202e联\u200b") == "写 春 联"
    assert normalise("  多个   空格 ") == "多个 空格"


def test_normalise_bounds_giant_messages() -> None:
    assert len(normalise("春" * 100_000, limit=2000)) == 2000


def test_split_sentences_keeps_closing_quotes() -> None:
    text = "“小板凳恳谈会”做实民生文章。由社区党支部牵头,让大家“拉家常。”随后散会!"
    assert split_sentences(text) == [
        "“小板凳恳谈会”做实民生文章。",
        "由社区党支部牵头,让大家“拉家常。”",
        "随后散会!",
    ]


def test_tokens_fold_synonyms_onto_one_word(fixture_engine: Engine) -> None:
    """The fixture's synonyms.yaml: 春联: [对联, …, couplets], 灯谜: [猜灯谜, 谜语, …]."""
    tokens = fixture_engine.brain.tokenizer.tokens
    assert "春联" in tokens("哪里可以写对联")
    assert "灯谜" in tokens("猜谜语")
    assert tokens("Where can I get couplets?") == ["春联"]


def test_user_dictionary_keeps_local_terms_whole(fixture_engine: Engine) -> None:
    """The fixture's userdict.txt lists 爱心食堂, 掌上办 and the street names."""
    tokens = fixture_engine.brain.tokenizer.tokens("爱心食堂和掌上办在幸福路街道")
    assert {"爱心食堂", "掌上办", "幸福路街道"} <= set(tokens)


def test_stopwords_are_dropped_unless_asked(fixture_engine: Engine) -> None:
    tokenizer = fixture_engine.brain.tokenizer
    assert "哪里" not in tokenizer.tokens("哪里可以写春联")
    assert "哪里" in tokenizer.tokens("哪里可以写春联", keep_stopwords=True)


def test_zero_width_characters_inside_a_word_are_deleted_not_spaces() -> None:
    assert normalise("写\u200b春\u200c联\u200d\u2060\ufeff") == "写春联"
    assert normalise("写\u0007春\u202e联") == "写 春 联"  # other control characters still split

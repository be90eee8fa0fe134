"""``run_bot.py ingest``: raw newspaper text → knowledge drafts, with nothing dropped.

The seeds in ../shared/seeds are the pages as delivered (page breaks in mid-sentence, two
table records per line, bylines glued to paragraphs). The drafts must keep every word, turn
the event table into 61 dated events, and pass ``check`` once written.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from bot.admin.ingest import IngestResult, ingest_file, ingest_text, source_prefix, write_drafts
from bot.cli import main
from bot.engine import Engine
from bot.engine.dialogue import DialogueState
from tests.fixtures.trees import Tree

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
SEED_FILES = sorted(SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
needs_seeds = pytest.mark.skipif(not SEED_FILES, reason=f"no seeds in {SEEDS}")

_TABLE_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日(?:-(?:(\d{1,2})月)?(\d{1,2})日)?")


def seed(number: str) -> Path:
    found = [p for p in SEED_FILES if p.name.startswith(number)]
    if not found:
        pytest.skip(f"seed {number} missing")
    return found[0]


def texts(result: IngestResult) -> list[str]:
    """Every piece of text the drafts keep: titles, subtitles, headings, passages, bylines, notes."""
    out: list[str] = []
    for source in result.sources:
        out += [
            source["title"],
            source.get("subtitle", ""),
            source.get("byline", ""),
            *source.get("notes", []),
        ]
        for section in source.get("sections", []):
            out.append(section["heading"])
            out += [p["text"] for p in section["passages"]]
    return out


def squeeze(text: str) -> str:
    """Compare characters only: no whitespace, no markdown heading marks."""
    return re.sub(r"[\s#]+", "", text)


def undecorated(text: str) -> str:
    """The dashes that open a subtitle and the brackets around a byline only mark what the line is;
    the drafts keep that as structure (`subtitle:`, `byline:`) rather than as characters."""
    return re.sub(r"^[((]|[))]$", "", text.lstrip("—"))


# -- the seeds ---------------------------------------------------------------------------------


@needs_seeds
@pytest.mark.parametrize("path", SEED_FILES, ids=[p.name[:3] for p in SEED_FILES])
def test_nothing_is_dropped(path: Path) -> None:
    result = ingest_file(path)
    blob = squeeze("".join(texts(result)))
    bylines = [squeeze(s.get("byline", "")) for s in result.sources]
    missing = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or "\t" in line:
            continue
        text = squeeze(line)
        if text in blob or undecorated(text) in blob:
            continue
        # A byline glued to the end of the paragraph moves to `byline:`; the rest stays a passage.
        if any(
            b and (m := re.fullmatch(rf"(.+?)[((]?{re.escape(b)}[))]?", text)) and m[1] in blob
            for b in bylines
        ):
            continue
        missing.append(f"line {number}: {line[:40]}")
    assert missing == []


@needs_seeds
@pytest.mark.parametrize("path", SEED_FILES, ids=[p.name[:3] for p in SEED_FILES])
def test_every_article_has_text_and_a_district(path: Path) -> None:
    result = ingest_file(path)
    assert result.sources
    for source in result.sources:
        assert source["district"] in {"上街区", "惠济区", "二七区", "管城回族区", "中原区"}
        assert source.get("sections") or source["kind"] == "table"
        assert source["id"].startswith(path.name[:3] + "-")


@needs_seeds
def test_seed_000_event_table_is_61_events() -> None:
    result = ingest_file(seed("000"))
    assert [e["number"] for e in result.events] == list(range(1, 62))
    by_number = {e["number"]: e for e in result.events}
    assert (by_number[37]["start"], by_number[37]["end"]) == (
        "2020-01-16",
        "2020-01-21",
    )  # 2020年1月16日-21日
    assert (by_number[3]["start"], by_number[3]["end"]) == ("2019-12-31", "2019-12-31")
    assert (by_number[5]["start"], by_number[5]["end"]) == ("2020-01-08", "2020-01-10")
    assert {e["source"] for e in result.events} == {"000-7"}
    assert not [p for p in result.problems if "序号" in p or "date" in p]


@needs_seeds
def test_seed_000_two_events_per_line_are_split_cell_by_cell() -> None:
    path = seed("000")
    by_number = {e["number"]: e for e in ingest_file(path).events}
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines() if "\t" in line]
    header, rows = rows[0], rows[1:]
    width = header[1:].index(header[0]) + 1
    checked = 0
    for row in rows:
        for start in range(0, len(row), width):
            cells = [c.strip() for c in row[start : start + width]]
            if not any(cells):
                continue
            number, when, place, content, organiser = cells
            event = by_number[int(number)]
            parsed = _TABLE_DATE.fullmatch(when)
            assert parsed, when
            y, m, d, m2, d2 = parsed.groups()
            first = date(int(y), int(m), int(d))
            last = date(int(y), int(m2 or m), int(d2)) if d2 else first
            assert (event["start"], event["end"]) == (first.isoformat(), last.isoformat())
            assert (event["place"], event["content"], event["organiser"]) == (place, content, organiser)
            checked += 1
    assert checked == 61


@needs_seeds
def test_page_breaks_are_rejoined() -> None:
    passages = [
        t for s in ingest_file(seed("000")).sources for sec in s.get("sections", []) for t in sec["passages"]
    ]
    joined = [p["text"] for p in passages if "探索推出了一批扎实的" in p["text"]]
    assert len(joined) == 1
    assert "探索推出了一批扎实的有效的新机制新做法。" in joined[0]
    assert not any(p["text"].startswith("有效的新机制") for p in passages)


@needs_seeds
def test_headlines_subtitles_and_bylines_are_placed() -> None:
    first = ingest_file(seed("000")).sources[0]
    assert first["title"] == "凝神强基 聚力务实 创新出彩"
    assert first["subtitle"] == "上街区2019年基层党建工作综述"
    assert first["byline"] == "通讯员 韩维毅"
    assert first["notes"] == ["(上接一版)"]


@needs_seeds
def test_all_seeds_ingested_into_an_empty_knowledge_pass_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = Tree.copy(tmp_path)
    for folder in ("sources", "events"):
        for path in (tree.knowledge / folder).glob("*.yaml"):
            path.unlink()
    tree.path("knowledge/services.yaml").unlink()
    assert main(["--knowledge", str(tree.knowledge), "ingest", *map(str, SEED_FILES)]) == 0
    capsys.readouterr()
    assert main([*tree.args(), "check"]) == 0
    assert capsys.readouterr().out == ""


# -- a new article, end to end -----------------------------------------------------------------

ARTICLE = """\

金水区规范共享单车停放

——文化路街道新增停放点120个

本报讯 今年以来,金水区文化路街道在辖区主次干道新增共享单车停放点120个,施划停放线3000米,

每周组织志愿者清理乱停放车辆。

居民发现车辆乱停乱放,可以拨打街道城管科电话反映,工作人员会在2小时内处理。

(记者 王明 通讯员 李华)
"""


def test_a_new_article_is_ingested_checked_and_answerable(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tree = Tree.copy(tmp_path / "tree")
    raw = tmp_path / "005_jinshui.txt"
    raw.write_text(ARTICLE, encoding="utf-8")

    assert main([*tree.args(), "ingest", str(raw)]) == 0
    out = capsys.readouterr().out
    assert f"wrote {tree.knowledge / 'sources' / '005-1.yaml'}" in out
    assert "to review" not in out

    assert main([*tree.args(), "check"]) == 0
    assert capsys.readouterr().out == ""

    draft = (tree.knowledge / "sources" / "005-1.yaml").read_text(encoding="utf-8")
    assert "title: 金水区规范共享单车停放" in draft and "district: 金水区" in draft
    assert "施划停放线3000米,每周组织志愿者" in draft  # the page break is repaired

    engine = Engine.load(tree.knowledge, tree.intents)
    reply = engine.answer("金水区新增了多少个共享单车停放点?", DialogueState())
    assert reply.kind == "passages"
    assert "120个" in reply.text
    assert "金水区规范共享单车停放" in reply.text  # cited


def test_drafts_never_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = Tree.copy(tmp_path / "tree")
    raw = tmp_path / "005_jinshui.txt"
    raw.write_text(ARTICLE, encoding="utf-8")
    target = tree.knowledge / "sources" / "005-1.yaml"
    assert main([*tree.args(), "ingest", str(raw)]) == 0
    target.write_text(target.read_text(encoding="utf-8").replace("金水区规范", "金水区(已审)规范"), "utf-8")
    capsys.readouterr()
    assert main([*tree.args(), "ingest", str(raw)]) == 0
    assert "exists; kept it" in capsys.readouterr().out
    assert "已审" in target.read_text(encoding="utf-8")
    assert main([*tree.args(), "ingest", "--force", str(raw)]) == 0
    assert "已审" not in target.read_text(encoding="utf-8")
    assert not list(tree.knowledge.rglob("*.tmp"))


@needs_seeds
def test_event_numbers_already_used_are_reported(tmp_path: Path) -> None:
    tree = Tree.copy(tmp_path / "tree")
    copy = tmp_path / "009_again.txt"
    copy.write_bytes(seed("000").read_bytes())
    result = ingest_file(copy)
    write_drafts(result, tree.knowledge)
    assert any("event numbers 1, 2, 3" in p and "renumber" in p for p in result.problems)


# -- awkward input -------------------------------------------------------------------------------


def test_file_names_make_valid_ids(tmp_path: Path) -> None:
    assert source_prefix(Path("003_7a776bc8032241ce.txt")) == "003"
    assert source_prefix(Path("jinshui-2021.txt")) == "jinshui-2021"
    for name in ("新文章.txt", "my article.txt", "...txt"):
        prefix = source_prefix(Path(name))
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", prefix), prefix
    assert source_prefix(Path("新文章.txt")) != source_prefix(Path("旧文章.txt"))


def test_a_chinese_file_name_still_passes_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = Tree.copy(tmp_path / "tree")
    raw = tmp_path / "金水区新闻.txt"
    raw.write_text(ARTICLE, encoding="utf-8")
    assert main([*tree.args(), "ingest", str(raw)]) == 0
    capsys.readouterr()
    assert main([*tree.args(), "check"]) == 0
    assert capsys.readouterr().out == ""


def test_gb18030_text_is_read_and_flagged(tmp_path: Path) -> None:
    raw = tmp_path / "006_gbk.txt"
    raw.write_bytes(ARTICLE.encode("gb18030"))
    result = ingest_file(raw)
    assert result.sources[0]["title"] == "金水区规范共享单车停放"
    assert any("GB18030" in p for p in result.problems)


def test_empty_text_is_reported() -> None:
    result = ingest_text("\n\n  \n", "007")
    assert (result.sources, result.events) == ([], [])
    assert result.problems == ["line 1: no text found; is this the right file?"]


def test_page_note_before_any_article_is_reported_not_lost() -> None:
    result = ingest_text("(上接一版)\n\n标题在这里\n\n正文第一段。\n", "008")
    assert any("(上接一版)" in p for p in result.problems)


def test_table_problems_are_reported_not_crashed_on() -> None:
    raw = (
        "序号\t活动时间\t活动地点\t活动内容\t主办单位\n"
        "1\t2020年1月15日\t广场\t写春联\t文化馆\n"
        "二\t2020年1月16日\t社区\t猜灯谜\t社区\n"
        "3\t1月17日\t社区\t秧歌\t社区\n"
    )
    result = ingest_text(raw, "010")
    assert [e["number"] for e in result.events] == [1]
    assert any("a table without a headline" in p for p in result.problems)
    assert any("'二' is not an event number" in p for p in result.problems)
    assert any("line 4" in p and "cannot read the date" in p for p in result.problems)

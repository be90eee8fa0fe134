"""Turn a newspaper page's raw text into knowledge drafts an admin reviews.

The seeds come as delivered: sentences cut by page breaks (a blank line in mid-sentence),
headlines as short lines, bylines, and tab-separated tables holding two records per line.
Ingest repairs what it can, keeps every word of the articles, and reports what it could
not place rather than guessing.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from bot.engine.dates import parse_table_date

_TERMINAL = "。!?;!?;…"
_CLOSERS = "”’」』)"
_BYLINE_LINE = re.compile(r"^[((]?\s*(记者|通讯员|本报记者)[^。!?]{0,60}?[))]?$")
_TRAILING_BYLINE = re.compile(r"(?<=[。!?”])\s*[((]?\s*((?:记者|通讯员)[^。!?“”]{1,60}?)[))]?\s*$")
_NEWS_LEAD = "本报讯"
_PAGE_NOTE = re.compile(r"^[((](上接|下转|转)[^))]{1,10}[))]$")
_NAMES_LINE = re.compile(r"^[\u4e00-\u9fff]{2,4}(?: [\u4e00-\u9fff]{2,4}){1,5}$")
_MD_HEADING = re.compile(r"^(#{1,6})\s*(.+?)\s*$")
_TABLE_FIELDS = {
    "序号": "number",
    "活动时间": "date",
    "时间": "date",
    "活动地点": "place",
    "地点": "place",
    "活动内容及项目": "content",
    "活动内容": "content",
    "内容": "content",
    "主办单位": "organiser",
}


@dataclass
class Block:
    """One paragraph of the raw text, with the line it started on."""

    text: str
    line: int
    level: int = 0  # markdown heading level, 0 when not a markdown heading
    kind: str = "text"  # text, heading, byline, note, table


@dataclass
class DraftArticle:
    title: list[str] = field(default_factory=list)
    line: int = 0
    level: int = 0
    bylines: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sections: list[dict] = field(default_factory=list)
    table: list[Block] = field(default_factory=list)


@dataclass
class IngestResult:
    sources: list[dict]
    events: list[dict]
    problems: list[str]


def ends_sentence(text: str) -> bool:
    text = text.rstrip()
    while text and text[-1] in _CLOSERS:
        text = text[:-1]
    return bool(text) and text[-1] in _TERMINAL


def looks_like_heading(text: str) -> bool:
    """Headlines are short, have no full stop, and two-part ones are split by a space.

    A news lead (本报讯) or a line that stops at a comma is a paragraph cut by a page break,
    however short: it must be rejoined, not promoted to a headline."""
    if "。" in text or ends_sentence(text) or text.endswith(("“", ",", "、", ",")):
        return False
    if text.startswith(_NEWS_LEAD):
        return False
    if " " in text:
        return len(text) <= 64
    return len(text) <= 26 and "," not in text


def _blocks(raw: str) -> list[Block]:
    blocks: list[Block] = []
    current: list[str] = []
    start = 0
    lines = raw.replace("\r\n", "\n").replace("\u3000", " ").split("\n")
    for number, line in enumerate([*lines, ""], start=1):
        stripped = line.strip()
        if "\t" in line and stripped:
            blocks.append(Block(line.rstrip("\n"), number, kind="table"))
            continue
        if not stripped:
            if current:
                blocks.extend(_classify(current, start))
                current = []
            continue
        if not current:
            start = number
        current.append(stripped)
    return blocks


def _classify(lines: list[str], start: int) -> list[Block]:
    out: list[Block] = []
    for offset, line in enumerate(lines):
        number = start + offset
        md = _MD_HEADING.match(line)
        if md:
            out.append(Block(md.group(2), number, len(md.group(1)), "heading"))
        elif _PAGE_NOTE.match(line):
            out.append(Block(line, number, kind="note"))
        elif _BYLINE_LINE.match(line) or (line.endswith("文/图") and len(line) < 40):
            out.append(Block(re.sub(r"^[((]|[))]$", "", line), number, kind="byline"))
        elif offset and out and out[-1].kind == "text" and not ends_sentence(out[-1].text):
            out[-1].text += line  # a hard line break inside a paragraph
        else:
            out.append(Block(line, number))
    return out


def _repair(blocks: list[Block]) -> list[Block]:
    """Rejoin sentences cut by page breaks and mark plain-text headlines."""
    out: list[Block] = []
    for block in blocks:
        if block.kind == "text":
            trailing = _TRAILING_BYLINE.search(block.text)
            if trailing and len(trailing.group(1)) < len(block.text):
                body = block.text[: trailing.start()].rstrip()
                out.extend(_repair([Block(body, block.line)]))
                out.append(Block(trailing.group(1).strip(), block.line, kind="byline"))
                continue
        previous = out[-1] if out else None
        if (
            block.kind == "text"
            and previous is not None
            and previous.kind == "text"
            and not ends_sentence(previous.text)
            and not looks_like_heading(previous.text)
            and not block.text.startswith("本报讯")
        ):
            previous.text += block.text
            continue
        out.append(block)
    for block in out:
        if block.kind == "text" and looks_like_heading(block.text):
            block.kind = "heading"
    # A last line of bare names closes the article as its byline.
    if out and out[-1].kind == "heading" and _NAMES_LINE.match(out[-1].text):
        out[-1].kind = "byline"
    return out


def _articles(blocks: list[Block]) -> tuple[list[DraftArticle], list[str]]:
    articles: list[DraftArticle] = []
    problems: list[str] = []
    article: DraftArticle | None = None
    closed = True
    last_kind = ""
    for index, block in enumerate(blocks):
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        next_text = following.text if following is not None and following.kind == "text" else ""
        if block.kind == "table":
            if article is None or article.sections or (article.table == [] and closed):
                article = DraftArticle(line=block.line)
                articles.append(article)
                problems.append(f"line {block.line}: a table without a headline; give it a title")
            article.table.append(block)
            closed = True
        elif block.kind == "heading":
            new_article = (
                article is None
                or closed
                or (block.level and (not article.title or (article.level and block.level <= article.level)))
                or bool(article.table)
                or (next_text.startswith(_NEWS_LEAD) and last_kind != "heading")
            )
            if new_article and last_kind != "heading":
                article = DraftArticle(title=[block.text], line=block.line, level=block.level)
                articles.append(article)
                closed = False
            elif (
                last_kind == "heading"
                and article is not None
                and not article.sections
                and not (block.level and article.level and block.level > article.level)
            ):
                article.title.append(block.text)
            elif (
                last_kind == "heading"
                and article is not None
                and article.sections
                and not article.sections[-1]["passages"]
            ):
                article.sections[-1]["heading"] += " · " + block.text
            else:
                assert article is not None
                article.sections.append({"heading": block.text, "line": block.line, "passages": []})
        elif block.kind == "byline":
            if article is None:
                problems.append(f"line {block.line}: byline before any article: {block.text}")
                continue
            article.bylines.append(block.text)
            passages = sum(len(s["passages"]) for s in article.sections)
            # A byline right under the lead paragraph is the feature's credit, not its end.
            closed = not (passages == 1 and len(article.sections) == 1 and not article.sections[0]["heading"])
        elif block.kind == "note":
            if article is None:
                problems.append(f"line {block.line}: page note before any article: {block.text}")
                continue
            article.notes.append(block.text)
        else:
            if article is None or closed:
                article = DraftArticle(line=block.line)
                articles.append(article)
                problems.append(f"line {block.line}: an article without a headline; give it a title")
                closed = False
            if not article.sections:
                article.sections.append({"heading": "", "line": block.line, "passages": []})
            article.sections[-1]["passages"].append({"text": block.text, "line": block.line})
        last_kind = block.kind
    return articles, problems


def _table_events(
    article: DraftArticle, source_id: str, district: str | None
) -> tuple[list[dict], list[str]]:
    rows = [b.text.split("\t") for b in article.table]
    problems: list[str] = []
    header = [c.strip() for c in rows[0]]
    width = header[1:].index(header[0]) + 1 if header[0] in header[1:] else len(header)
    fields = [_TABLE_FIELDS.get(name) for name in header[:width]]
    for name, mapped in zip(header[:width], fields, strict=True):
        if mapped is None:
            problems.append(f"line {article.table[0].line}: table column {name!r} has no event field")
    events: list[dict] = []
    for block, cells in zip(article.table[1:], rows[1:], strict=True):
        for start in range(0, len(cells), width):
            chunk = [c.strip() for c in cells[start : start + width]]
            if not any(chunk):
                continue
            record = {f: v for f, v in zip(fields, chunk, strict=False) if f}
            try:
                first, last = parse_table_date(record.pop("date", ""))
            except ValueError as exc:
                problems.append(f"line {block.line}: {exc}")
                continue
            number = record.get("number", "")
            if number and not number.isdigit():
                problems.append(f"line {block.line}: {number!r} is not an event number; fix the 序号 column")
                continue
            event = {
                "number": int(number) if number else len(events) + 1,
                "start": first.isoformat(),
                "end": last.isoformat(),
                "place": record.get("place", ""),
                "content": record.get("content", ""),
                "organiser": record.get("organiser", ""),
                "district": district or "",
                "source": source_id,
                "line": block.line,
            }
            events.append(event)
    events.sort(key=lambda e: e["number"])
    return events, problems


_DISTRICTS = ("上街区", "惠济区", "二七区", "管城回族区", "中原区", "金水区", "郑东新区", "高新区")


def guess_district(text: str) -> str | None:
    """The district an article is about: the one it names most often."""
    counts = {d: text.count(d) + text.count(d.replace("回族", "")) for d in _DISTRICTS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else None


def ingest_text(raw: str, prefix: str, district: str | None = None) -> IngestResult:
    """Draft sources (with sections and passages) and events from one raw page."""
    blocks = _repair(_blocks(raw))
    articles, problems = _articles(blocks)
    if not blocks:
        problems.append("line 1: no text found; is this the right file?")
    page_district = district or guess_district(raw)
    sources: list[dict] = []
    events: list[dict] = []
    for number, article in enumerate(articles, start=1):
        source_id = f"{prefix}-{number}"
        body = "".join(p["text"] for s in article.sections for p in s["passages"])
        title = article.title[0] if article.title else ""
        subtitle = " ".join(t.lstrip("—") for t in article.title[1:])
        source: dict = {
            "id": source_id,
            "title": title or "(无标题)",
            "district": district or guess_district(title + body) or page_district or "",
            "kind": "table" if article.table else "article",
            "line": article.line,
        }
        if subtitle:
            source["subtitle"] = subtitle
        if article.bylines:
            source["byline"] = " ".join(article.bylines)
        if article.notes:
            source["notes"] = article.notes
        if article.table:
            table_events, table_problems = _table_events(article, source_id, source["district"])
            events.extend(table_events)
            problems.extend(table_problems)
        sections = []
        for s_index, section in enumerate(article.sections, start=1):
            passages = [
                {"id": f"{source_id}.{s_index}.{p_index}", "text": p["text"]}
                for p_index, p in enumerate(section["passages"], start=1)
            ]
            if passages:
                sections.append({"heading": section["heading"], "passages": passages})
            else:
                problems.append(
                    f"line {section['line']}: heading {section['heading']!r} has no text under it"
                )
        if sections:
            source["sections"] = sections
        if not sections and not article.table:
            problems.append(f"line {article.line}: {title!r} has no text; merge it with its neighbour")
        sources.append(source)
    return IngestResult(sources, events, problems)


def source_prefix(path: Path) -> str:
    """The id prefix of a file's drafts: ``003_7a77.txt`` → ``003``; ids allow only ASCII letters,
    digits, '-', '_' and '.', so other names (「新文章.txt」) get a stable short hash."""
    head = path.stem.split("_", 1)[0]
    clean = re.sub(r"[^A-Za-z0-9_.-]+", "-", head).strip("-._")
    if clean and clean == head:
        return clean
    digest = hashlib.sha1(path.stem.encode("utf-8")).hexdigest()[:6]
    return f"{clean}-{digest}" if clean else f"new-{digest}"


def read_raw(path: Path) -> tuple[str, list[str]]:
    """The page's text: UTF-8 (with or without BOM), else GB18030 as Chinese pages often are."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
    try:
        return data.decode("gb18030"), [f"line {line}: not UTF-8; read the file as GB18030, check the text"]
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), [
            f"line {line}: not UTF-8 text; unreadable bytes were replaced by \ufffd, save it as UTF-8"
        ]


def ingest_file(path: Path, district: str | None = None) -> IngestResult:
    raw, problems = read_raw(path)
    result = ingest_text(raw, source_prefix(path), district)
    result.problems[:0] = problems
    return result


def write_drafts(result: IngestResult, knowledge: Path, seed: str = "", force: bool = False) -> list[Path]:
    """Write one ``sources/<id>.yaml`` per article and ``events/<id>.yaml`` per table.

    Existing files are kept unless ``force``: a reviewed file is never overwritten by a draft."""
    from bot.data.yamlio import dump_yaml

    written: list[Path] = []
    (knowledge / "sources").mkdir(parents=True, exist_ok=True)
    (knowledge / "events").mkdir(parents=True, exist_ok=True)
    by_source: dict[str, list[dict]] = {}
    for event in result.events:
        by_source.setdefault(event["source"], []).append({k: v for k, v in event.items() if k != "line"})
    for source in result.sources:
        record = {k: v for k, v in source.items() if k != "line"}
        if seed:
            record["seed"] = seed
        targets = [(knowledge / "sources" / f"{source['id']}.yaml", record)]
        if source["id"] in by_source:
            targets.append(
                (knowledge / "events" / f"{source['id']}.yaml", {"events": by_source[source["id"]]})
            )
        for path, data in targets:
            if path.exists() and not force:
                result.problems.append(f"{path} exists; kept it (use --force to overwrite)")
                continue
            # Whole files only: a running bot that polls the folder never reads half a draft.
            partial = path.with_name(f".{path.name}.tmp")
            partial.write_text(dump_yaml(data), encoding="utf-8")
            os.replace(partial, path)
            written.append(path)
    result.problems.extend(_number_clashes(result, knowledge, written))
    return written


def _number_clashes(result: IngestResult, knowledge: Path, written: list[Path]) -> list[str]:
    """Event numbers of the new table that other event files already use (check would refuse them)."""
    from bot.data.yamlio import YamlError, load_yaml

    new = {e["number"] for e in result.events}
    used: set[int] = set()
    for path in sorted((knowledge / "events").glob("*.yaml")):
        if path in written or not new:
            continue
        try:
            data = load_yaml(path, root=knowledge)
        except YamlError:
            continue
        rows = data.get("events") if isinstance(data, dict) else None
        if isinstance(rows, list):
            used.update(r["number"] for r in rows if isinstance(r, dict) and isinstance(r.get("number"), int))
    clash = sorted(new & used)
    if not clash:
        return []
    shown = ", ".join(map(str, clash[:10])) + (" ..." if len(clash) > 10 else "")
    return [f"event numbers {shown} are already used in {knowledge / 'events'}; renumber the new rows"]

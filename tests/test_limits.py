"""Long articles cost linear memory, and a file beyond what one article may cost is refused.

A single-section article of 2,000 paragraphs (what ingest makes of a long text) used to keep,
per passage, a set and a copy of the whole section, and index the section once per passage:
gigabytes. The bound below is a memory bound (tracemalloc peak), never a timing.
"""

from __future__ import annotations

import random
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from bot.data.knowledge import Knowledge, Passage, Source
from bot.data.limits import MAX_PASSAGE_CHARS, MAX_PASSAGES_PER_SECTION
from bot.data.schema import check_knowledge
from bot.data.yamlio import dump_yaml
from bot.engine import Engine
from bot.engine.index import BM25Index
from bot.engine.index_arrays import ArrayIndex
from bot.engine.search import KnowledgeSearch
from tests.fixtures.trees import Tree

PARAGRAPHS = 2_000
# The old code peaked above 2 GB on this article; sharing the section data keeps it near 150 MB.
PEAK_BYTES = 600_000_000
QUESTION = "哪里可以写春联?"


def _long_article(engine: Engine, paragraphs: int) -> Knowledge:
    """One source, one section, ``paragraphs`` one-sentence passages cut from the shipped articles."""
    shipped = engine.brain.knowledge
    sentences = sorted({s for p in shipped.passages for s in p.sentences if 15 <= len(s) <= 60})
    passages = [
        Passage(id=f"long-{i}", source="long", section="正文", text=text, order=i, sentences=(text,))
        for i, text in enumerate(sentences[i % len(sentences)] for i in range(paragraphs))
    ]
    sources = {"long": Source(id="long", title="一篇很长的文章", district="中原区", kind="article")}
    return Knowledge(sources, passages, [], [], shipped.lexicon, [], [], Path("."))


def test_a_long_single_section_article_builds_in_bounded_memory(engine: Engine) -> None:
    knowledge = _long_article(engine, PARAGRAPHS)
    tracemalloc.start()
    try:
        search = KnowledgeSearch(knowledge, engine.brain.tokenizer)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < PEAK_BYTES, f"peak {peak / 1e6:.0f} MB"
    assert search._context_sets[0] is search._context_sets[-1]  # one set per section, shared
    hit = search.passages(engine.brain.tokenizer.tokens(knowledge.passages[7].text))
    assert hit is not None and hit.passage.text == knowledge.passages[7].text


@pytest.mark.parametrize("backend", ["python", "numpy"])
def test_an_index_over_shared_documents_scores_exactly_as_over_copies(backend: str) -> None:
    rng = random.Random(3)
    words = [f"w{i}" for i in range(300)]
    sections = [[rng.choice(words) for _ in range(rng.randint(0, 400))] for _ in range(12)]
    shared = [sections[rng.randrange(12)] for _ in range(200)]
    a, b = BM25Index(shared, backend=backend), BM25Index([list(doc) for doc in shared], backend=backend)
    if backend == "python":
        for name in ("vocab", "doc_freqs", "idfs", "postings", "knorm"):
            assert getattr(a._impl, name) == getattr(b._impl, name), name
    else:
        x_arrays, y_arrays = a._impl, b._impl
        assert isinstance(x_arrays, ArrayIndex) and isinstance(y_arrays, ArrayIndex)
        for name in ("_df", "_idf", "_post_docs", "_post_w", "_doc_len"):
            x, y = getattr(x_arrays, name), getattr(y_arrays, name)
            assert x.dtype == y.dtype and np.array_equal(x, y), name
        assert (x_arrays._vocab, x_arrays._offsets) == (y_arrays._vocab, y_arrays._offsets)
    assert (a.avgdl, a.average_idf) == (b.avgdl, b.average_idf)
    query = words[:5]
    assert a.top_k(query, 20) == b.top_k(query, 20)


def test_a_file_beyond_the_limits_is_refused_by_check_and_reload(tmp_path: Path) -> None:
    tree = Tree.copy(tmp_path)
    engine = Engine.load(tree.knowledge, tree.intents)
    before = engine.answer(QUESTION).events
    passages = [{"id": f"long-{i}", "text": f"第{i}段。"} for i in range(MAX_PASSAGES_PER_SECTION + 1)]
    passages[3]["text"] = "长" * (MAX_PASSAGE_CHARS + 1)
    article = {
        "id": "long",
        "title": "一篇很长的文章",
        "district": "中原区",
        "kind": "article",
        "sections": [{"passages": passages}],
    }
    path = tree.write("knowledge/sources/zz-long.yaml", dump_yaml(article))
    lines = path.read_text(encoding="utf-8").splitlines()
    section_line = next(n for n, line in enumerate(lines, 1) if line.startswith("- passages:"))
    text_line = next(n for n, line in enumerate(lines, 1) if "长长长" in line)

    _, problems = check_knowledge(tree.knowledge)
    assert [(p.path, p.line) for p in problems] == [(str(path), section_line), (str(path), text_line)]
    assert f"{MAX_PASSAGES_PER_SECTION + 1} passages in one section" in problems[0].message
    assert f"more than {MAX_PASSAGE_CHARS}" in problems[1].message and "长长" not in problems[1].message
    assert engine.reload() == problems
    assert engine.answer(QUESTION).events == before  # the old knowledge keeps answering

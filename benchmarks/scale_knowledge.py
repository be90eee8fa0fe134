"""Scaled copies of the knowledge base (10x, 100x the articles) for the growth benchmark.

Each copy of an article gets its own source and passage ids and a copy number in every sentence, so no
two texts are equal: the per-text token cache cannot make a copy free, as it would for duplicates.
Events, services, intents and the lexicon are the shipped ones, so every copy validates like the original.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from bot.data.yamlio import dump_yaml, load_yaml
from bot.engine import DEFAULT_INTENTS, DEFAULT_KNOWLEDGE

_SENTENCE_END = re.compile(r"([。!?;!?;])")


def _copy_text(text: str, copy: int) -> str:
    """The copy number before every sentence end: each sentence of each copy is a new text."""
    return _SENTENCE_END.sub(lambda m: f"(第{copy}版){m.group(1)}", text, count=0)


def scaled_tree(factor: int, where: Path, knowledge: Path = DEFAULT_KNOWLEDGE) -> tuple[Path, Path]:
    """Write knowledge/ with ``factor`` times the articles (and intents/) under ``where``; return both."""
    target = where / f"knowledge-x{factor}"
    intents = where / "intents"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(knowledge, target)
    if not intents.exists():
        shutil.copytree(DEFAULT_INTENTS, intents)
    for path in sorted((knowledge / "sources").glob("*.yaml")):
        data = load_yaml(path)
        if data.get("kind") != "article":
            continue
        for copy in range(2, factor + 1):
            source_id = f"{data['id']}-x{copy}"
            clone = {**data, "id": source_id, "title": f"{data['title']}(第{copy}版)"}
            clone["sections"] = [
                {
                    **section,
                    "passages": [
                        {
                            "id": f"{source_id}{p['id'][len(data['id']) :]}",
                            "text": _copy_text(p["text"], copy),
                        }
                        for p in section["passages"]
                    ],
                }
                for section in data.get("sections", [])
            ]
            (target / "sources" / f"{source_id}.yaml").write_text(dump_yaml(clone), encoding="utf-8")
    return target, intents

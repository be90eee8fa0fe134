"""What one article file may cost, checked by ``check`` and by every reload before it is indexed.

Bytes alone do not bound the cost: each passage is searched with its whole section as context,
so the context index holds passages × the section's distinct words. A 4.9 MB file (under the
byte limit) of one 2,000-paragraph section took gigabytes. The limits below are far above any
district-newspaper article (the shipped ones have at most 15 paragraphs, 9 to a section, none
over 800 characters) and keep the worst file to a few hundred MB while indexing.
"""

from __future__ import annotations

from typing import Any

from bot.data.yamlio import LineDict, LineList, Problem, line_of

# A long feature runs to ~200 paragraphs; more in one file is a book or a dump, not an article.
MAX_PASSAGES_PER_FILE = 2_000
# The context index costs passages × the section's distinct words: this caps the first factor.
MAX_PASSAGES_PER_SECTION = 400
# ... and this the second (a long newspaper article is ~10,000 characters in all).
MAX_SECTION_CHARS = 60_000
# A newspaper paragraph is a few hundred characters; a longer "paragraph" is lost line breaks.
MAX_PASSAGE_CHARS = 3_000


def check_source_limits(data: Any, name: str) -> list[Problem]:
    """Problems (file:line) for an article file beyond the limits above; nothing of its text is quoted."""
    problems: list[Problem] = []
    sections = data.get("sections") if isinstance(data, LineDict) else None
    if not isinstance(sections, LineList):
        return problems
    total = 0
    for s_index, section in enumerate(sections):
        passages = section.get("passages") if isinstance(section, LineDict) else None
        if not isinstance(passages, LineList):
            continue
        total += len(passages)
        where = f"sections[{s_index}]"
        if len(passages) > MAX_PASSAGES_PER_SECTION:
            problems.append(
                Problem(
                    name,
                    line_of(data, ["sections", s_index]),
                    f"{where}: {len(passages)} passages in one section, more than "
                    f"{MAX_PASSAGES_PER_SECTION}; split it into sections (each with its `heading:`) "
                    "or into several files",
                )
            )
        section_chars = 0
        for p_index, passage in enumerate(passages):
            text = passage.get("text") if isinstance(passage, LineDict) else None
            if not isinstance(text, str):
                continue
            section_chars += len(text)
            if len(text) > MAX_PASSAGE_CHARS:
                problems.append(
                    Problem(
                        name,
                        line_of(data, ["sections", s_index, "passages", p_index, "text"]),
                        f"{where}.passages[{p_index}].text: {len(text)} characters, more than "
                        f"{MAX_PASSAGE_CHARS}; split it into paragraphs",
                    )
                )
        if section_chars > MAX_SECTION_CHARS:
            problems.append(
                Problem(
                    name,
                    line_of(data, ["sections", s_index]),
                    f"{where}: {section_chars} characters in one section, more than {MAX_SECTION_CHARS}; "
                    "split it into sections or into several files",
                )
            )
    if total > MAX_PASSAGES_PER_FILE:
        problems.append(
            Problem(
                name,
                line_of(data, ["sections"]),
                f"{total} passages in one file, more than {MAX_PASSAGES_PER_FILE}; split the article into "
                "several files",
            )
        )
    return problems

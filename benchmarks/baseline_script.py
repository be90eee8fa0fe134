"""The generic baseline of issue 12: a plain jieba + rank-bm25 script over the seed articles.

What any developer would write first: import both, cut every sentence of /work/shared/seeds with jieba's
default dictionary (jieba's own loading, cache and all), build ``BM25Okapi`` and answer one question.
Run as a fresh process by the benchmark, the seeds folder as argument; it prints the seconds to the
first answer as JSON.
"""

import json
import re
import sys
import time
from pathlib import Path

start = time.perf_counter()

import jieba  # noqa: E402
from rank_bm25 import BM25Okapi  # noqa: E402

SEEDS = Path(sys.argv[1])
jieba.setLogLevel(60)
text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.iterdir()) if p.is_file())
sentences = [s.strip() for s in re.split(r"[。！？!?\n]+", text) if s.strip()]
model = BM25Okapi([jieba.lcut(s) for s in sentences])
scores = model.get_scores(jieba.lcut("哪里可以写春联?"))
best = sentences[int(scores.argmax())]
print(json.dumps({"first_answer_s": time.perf_counter() - start, "sentences": len(sentences), "best": best}))

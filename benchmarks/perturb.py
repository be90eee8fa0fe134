#!/usr/bin/env python3
"""Perturbed copies of question sets: does an answer survive the way residents really type it?

    .venv/bin/python benchmarks/perturb.py tests/eval/tidy.yaml tests/eval/phone_tune8.yaml --out /tmp/pert
    python3 ../shared/eval/run_eval.py /tmp/pert/wrap.yaml --cmd ".venv/bin/python run_bot.py ask --json"

Each single-turn case (events, passages or fallback; English ones left out) is copied four ways, its
gold unchanged:

    wrap     a who-asks or polite head and tail around it (「我妈让我问问 … 谢谢啊」)
    nopunct  its punctuation turned into spaces, as voice input types it
    trad     in traditional characters (OpenCC)
    typo     one character of a word swapped for the commonest character of the same toneless
             pinyin in jieba's dictionary, as a pinyin input method's first choice would

and `orig.yaml` holds the cases as they are, so a drop is read against the same cases.  The phrases
are in benchmarks/perturb.yaml; `--phrases` takes another file, `--seed` another draw, so a second,
unseen copy can check a round tuned on the first.  `--every 2` keeps only the 1st, 3rd, … case of
each set (the halves tuned on).
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path
from typing import Any

import jieba
import yaml
from opencc import OpenCC
from pypinyin import lazy_pinyin

HERE = Path(__file__).resolve().parent
_HAN = re.compile(r"[\u4e00-\u9fff]+")
_END = re.compile(r"[?？!！。,，、]+$")
_PUNCT = re.compile(r"[?？!！。,，、:：]+")
_ENGLISH = re.compile(r"[A-Za-z]{3}")


def homophones() -> dict[str, list[str]]:
    """Single characters of jieba's dictionary by toneless pinyin, commonest first."""
    by_sound: dict[str, list[tuple[int, str]]] = {}
    for line in jieba.get_dict_file().read().decode("utf-8").splitlines():
        word, freq, *_ = line.split()
        if len(word) == 1 and _HAN.fullmatch(word):
            by_sound.setdefault(lazy_pinyin(word)[0], []).append((int(freq), word))
    return {sound: [w for _, w in sorted(chars, reverse=True)] for sound, chars in by_sound.items()}


class Perturber:
    def __init__(self, phrases: dict[str, list[str]], seed: int) -> None:
        self.heads, self.tails = phrases["heads"], phrases["tails"]
        self.rng = random.Random(seed)
        self.sounds = homophones()
        self.s2t = OpenCC("s2t")

    def wrap(self, q: str) -> str:
        return self.rng.choice(self.heads) + _END.sub("", q.strip()) + self.rng.choice(self.tails)

    def nopunct(self, q: str) -> str:
        return _PUNCT.sub(" ", q).strip()

    def trad(self, q: str) -> str:
        return str(self.s2t.convert(q))

    def typo(self, q: str) -> str:
        words = [w for w in jieba.lcut(q) if len(w) >= 2 and _HAN.fullmatch(w)]
        self.rng.shuffle(words)
        for word in words:
            i = self.rng.randrange(len(word))
            others = [c for c in self.sounds.get(lazy_pinyin(word[i])[0], []) if c != word[i]]
            if others:
                return q.replace(word, word[:i] + others[0] + word[i + 1 :], 1)
        return q


KINDS = ("wrap", "nopunct", "trad", "typo")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--phrases", type=Path, default=HERE / "perturb.yaml")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--every", type=int, default=1, help="keep every n-th case, from the first")
    args = parser.parse_args()
    perturber = Perturber(yaml.safe_load(args.phrases.read_text("utf-8")), args.seed)
    originals: list[dict[str, Any]] = []
    copies: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    for path in args.sets:
        cases = yaml.safe_load(path.read_text("utf-8"))["cases"][:: args.every]
        for case in cases:
            if "turns" in case or case.get("kind") not in ("events", "passages", "fallback"):
                continue
            if _ENGLISH.search(case["q"]):
                continue
            originals.append(case)
            for kind in KINDS:
                q = getattr(perturber, kind)(case["q"])
                if q != case["q"]:
                    copies[kind].append({**case, "q": q, "id": f"{case['id']}~{kind}"})
    args.out.mkdir(parents=True, exist_ok=True)
    for name, cases in (("orig", originals), *copies.items()):
        text = yaml.safe_dump({"cases": cases}, allow_unicode=True, sort_keys=False)
        (args.out / f"{name}.yaml").write_text(text, "utf-8")
        print(f"{name}: {len(cases)} cases")


if __name__ == "__main__":
    main()

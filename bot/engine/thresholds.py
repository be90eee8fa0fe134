"""Every number the answering pipeline decides with, in one place, each with why it has its value.

Confidences are shares of a question's weight (0..1) that a candidate's text accounts for; see
bot.engine.score.  The values were set on dev.yaml, tests/eval/residents.yaml and the tune half of
the colloquial set, never on the test half.
"""

from __future__ import annotations

# -- decide: three bands -------------------------------------------------------------------------
# At or above SURE the best candidate is the answer: nearly half of what the resident asked is in
# the candidate's own words.  Was 0.5 (the previous engine's MIN_COVERAGE); residents wrap a question
# in their own story (「铁路边上的违建」: 边上 is no word of the articles), and 0.45 answers such
# in-scope questions of the tune sets while every fallback case of every set still falls back; at
# 0.42 an out-of-scope question of residents.yaml is answered from stray words.
SURE = 0.45
# From CLOSE to SURE something is near but not enough to answer: the resident is offered the top
# candidates.  Below 0.3 the shared words are one common word (找, 工作, 会), not a topic.
CLOSE = 0.3
# A candidate that holds the question's weightiest word (Candidate.on_topic: 「小板凳恳谈会」, 「诈骗」)
# answers this much below SURE / SERVICE_SURE: the subject is certainly its own, what it lacks is the
# resident's wording.  Questions that must fall back rarely hold their weightiest word (that word is
# what the knowledge lacks: 公积金, 2021, 京广路街道); 0.1 answered the in-scope 0.4–0.5 questions of
# the tune sets and no fallback case of any set.
ON_TOPIC_MARGIN = 0.1
# How many suggestions at most (2–3 fit on a phone screen with their labels).
MAX_OFFERS = 3
# A service record answers when it is this sure; services are few and short, so one matching
# word covers more of it than of a passage, and it needs a higher bar than a passage: SURE + 0.1
# (one common word of a question).  Was 0.6 with SURE 0.5; lowered with SURE, it answers the
# need-style questions of the tune sets that a service's `asks:` cover half of, and no fallback case.
SERVICE_SURE = 0.55
# A service with this much more evidence than the best passage wins over it; a service record
# is a curated summary, so it is preferred on a near tie (0.1 = one common word of a question).
SERVICE_PREFERENCE = 0.1

# 「元宵前后」, 「腊八左右」: the festival's day and this many days either side (its week), rows that do
# not name the festival included; 「期间」 stays the festival itself.  A week is what 前后 of one day
# means in everyday talk: more would reach the next festival (腊八 to 小年 is 15 days).
AROUND_DAYS = 3

# -- understand ----------------------------------------------------------------------------------
# Pinyin repair considers question words of 2 to 4 characters: a single character sounds like
# dozens of others (在/再/载), and knowledge words longer than 4 characters are names, not typos.
REPAIR_MIN_CHARS = 2
REPAIR_MAX_CHARS = 4
# ...and only words rare in everyday Chinese (bot.engine.text.Tokenizer.rarity, 0 common .. 1 unseen):
# 「知道」 (0.41), 「事实」 (0.53) and 「心里」 (0.48) are real words; 「新访」, 「春连」, 「低报」 (1.0)
# are not.  Was 0.6; real words between 0.6 and 0.75 were made into knowledge words of their sound
# (「兼职」 0.64 → 剪纸, 「几回」 0.72 → 机会), while the typos of the tune sets are all at 0.9 or more
# (「灯迷」 0.96, 「肯谈」 0.92).
# 「心里咨询」 is still repaired as a whole (1.0).
REPAIR_MIN_RARITY = 0.75
# A typo of a word residents say but no text of the knowledge writes (a need phrase 「老头」, a dialect
# word, a word that shapes a question 「安排」) must be no word at all, unseen by jieba's dictionary:
# those words are everyday ones, and so are the words of their sound (「水管」, 0.75, sounds like 谁管).
SAID_REPAIR_MIN_RARITY = 1.0
# The rarity of a word jieba's dictionary has never seen (the top of the scale): characters jieba glued
# together (「找个」, 「我接」), no word, so no topic a question could be about or out of scope for.
UNSEEN_RARITY = 1.0
# A character and an amount (「干点」, 「帮帮」) weighs as glued characters only when everyday Chinese
# does not use it as a word: the typo repair's bar for "no real word" (「景点」 0.6 keeps its weight).
GLUED_AMOUNT_MIN_RARITY = REPAIR_MIN_RARITY
# ...and show it (bot.engine.understand.Understander._said_slip): a word of jieba's cut it touches is
# unseen, or one of its characters is this rare as a word alone.  「不像」 (不 0.29, 像 0.42), 「的紧」
# (紧 0.52), 「着个」 are everyday characters side by side, no slip of 不想, 得劲, 这个; 「什嚜」 holds
# 什 (0.60) and 嚜 (0.65), which nobody writes alone.
SAID_CHAR_RARITY = 0.6
# A word of an English question is read as pinyin (「Tonghang」 → 通航) only from this many letters:
# shorter English words are pinyin of something too often (「he」, 「men」, 「ban」), while the knowledge's
# two-character names spell at least 5 (「huiji」, 「kangle」, 「zhuzhai」).
PINYIN_MIN_LETTERS = 5

# -- evidence (bot.engine.search) -----------------------------------------------------------------
# A question word that neither the knowledge nor jieba's dictionary holds is characters jieba glued
# together (「找个」, 「大得」), not a topic: it weighs as one character does, not as a rare word, so it
# cannot push an answerable question under SURE.  Not less: 「南湖区有什么活动」 cuts 「区有」, and that
# character of a foreign district must still count against the answer.  Real words the knowledge
# lacks (天气, 房价) keep their full weight and still make a question out of scope.
NOISE_WEIGHT = 1.0
# Everyday words keep only part of their weight (KnowledgeSearch._everyday): a word at or below
# EVERYDAY_RARITY on bot.engine.text.Tokenizer.rarity (到底 0.51 is above, 他们 0.36, 又 0.33 below)
# keeps EVERYDAY_FLOOR of it, a word at or above TOPIC_RARITY (费劲 0.73, 充电桩 0.78, 公积金 0.65)
# all of it, linearly between.  An article that lacks 「到底」 or 「天天」 is not the less an answer;
# one that lacks 「公积金」 is.  Not lower a floor: 「老人」 (0.53) and 「孩子」 (0.45) are topics too.
# An English word neither the glossary nor the stop words know weighs as much as a word jieba glued
# (NOISE_WEIGHT would be the same value): jieba's dictionary has almost no English, so by rarity it
# would weigh the most of any word and decline 「any psychological counseling service in …」 for
# 「service」.  Out-of-scope English still falls back: its topic (weather, passport) is then the
# only weight, and the knowledge has nothing of it.
ENGLISH_WEIGHT = 1.0
# ...from this many letters: shorter ones are mostly acronyms and names of things (GDP, bus, ATM),
# topics the knowledge lacks, which must keep their full weight.
ENGLISH_WORD_LETTERS = 4
# A word of everyday Chinese the knowledge lacks (「这种」, 「以后」, 「一直」) weighs NOISE_WEIGHT times the
# same share: as little as a glued word times what an everyday word of the knowledge keeps.  It was a
# flat NOISE_WEIGHT, so a resident's 「以后再碰上这种事」 weighed more than the knowledge's own 又 or 让.
# Only below LACKED_EVERYDAY of the share (rarity under 0.5: 这种 0.41, 一直 0.45, 根本 0.49): a word
# rarer than that (天气 0.56, 房价 0.64) may be the very topic the knowledge lacks and keeps at least
# NOISE_WEIGHT, so that a question about it still falls back on a small knowledge too.
LACKED_EVERYDAY = 0.5
EVERYDAY_RARITY = 0.35
TOPIC_RARITY = 0.65
EVERYDAY_FLOOR = 0.2
# A question word the knowledge lacks that is one of its words with one character more (咨询室 =
# 咨询 + 室, 养老院 = 养老 + 院) weighs as that word plus one glued character (NOISE_WEIGHT), and a
# candidate holding the word is credited with all but that character: a resident's 「心理咨询室」 is
# the article's 心理咨询, not a topic the knowledge never mentions.  The word must keep at least this
# many characters: one character (「证」 of 身份证) would match almost anything.
STEM_MIN_CHARS = 2
# A compound question word (「街道社区」) is found when it splits into parts of at least this many
# characters that the candidate's text holds; single characters would match almost anything.
COMPOUND_PART = 2
# A place the question glued a word onto (「商业街社区门口」) is cut back to where the question's word
# ends, never below this many characters: the event table's shortest places (文化馆, 朱寨村) have three.
PLACE_MIN_CHARS = 3

# -- candidates ----------------------------------------------------------------------------------
# Reciprocal rank fusion of word and character-bigram retrieval: 60 is the constant of Cormack
# et al. (2009); it keeps one list's first place from drowning the other list's agreement.
RRF_K = 60
# A clause of a run-on question asked on its own (bot.engine.candidates._clause_candidates) keeps this
# share of its coverage: the clause that asks is most of the question, the story around it not
# nothing.
CLAUSE_SHARE = 0.9
# ...and only when the clause names a word of the knowledge that weighs at least this share of the
# knowledge's rarest word (KnowledgeSearch.rarest; a share, so that it holds for a knowledge of any
# size): a word every article uses (「解决」 0.06 of it, 「政策」 0.085) says no topic, and 「有人解决」
# alone would be answered by any section that says it.  The knowledge's words a need names
# (「找活干」 → 就业, 0.21) are a clause of their own and must still be asked.
CLAUSE_TOPIC_SHARE = 0.12
# How many passages each retriever contributes to the fusion.
FUSION_DEPTH = 20
# A sentence that holds what a question asks (a number of the asked unit for 「多少次」, an answer cue
# of the intent) gains ANSWER_BONUS times the best sentence's BM25 score: a quarter lifts it over a
# sentence that only shares the question's words, not over one of another topic. A sentence without it
# keeps UNANSWERED_FACTOR of its score when the question wants such a value: 「14家」 must not answer
# 「多少次」 just because it shares 服务.
ANSWER_BONUS = 0.25
UNANSWERED_FACTOR = 0.6
# A question whose topic words are an article's headline words (at least two of them, and this share of
# the topic's weight or more: 「航展今年有啥新变化」 of 「2020郑州航展有这些新变化」, where 今年 is the
# rest) asks what the article is about as a whole and gets its lead (KnowledgeSearch._headline_lead).
# Not lower: 「航展有多少无人机」 has one headline word beside its own topic (无人机, 0.45 of the weight),
# which a section answers.
HEADLINE_SHARE = 0.8

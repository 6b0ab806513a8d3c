#!/usr/bin/env python3
"""Validator for the 'fresh' held-out relevance set (cases.jsonl, queries.jsonl).

Standard library only.  Usage:  python3 check.py   (exit status 1 on any problem)
"""
import json
import os
import re
import sys
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases.jsonl")
QUERIES = os.path.join(HERE, "queries.jsonl")

CASE_KEYS = ["key", "title", "body", "tags", "business_line", "channel", "language"]
QUERY_KEYS = ["qid", "q", "type", "tags", "business_line", "relevant", "intent"]
HEAT = {"heartwarming", "effortless", "active", "trust"}
LINES = {"flight", "hotel", "vacation", "train", "car", "attraction"}
CHANNELS = {"phone", "chat", "email"}
LANGS = {"zh-Hans", "zh-Hant", "en"}
N_CASES = 120
N_QUERIES = 48
# approximate language mix asked for: about 100 / 12 / 8
LANG_RANGE = {"zh-Hans": (95, 105), "zh-Hant": (10, 14), "en": (6, 10)}
TYPE_COUNTS = {"plain": 10, "synonym": 10, "colloquial": 8, "english": 7,
               "traditional": 6, "filtered": 7}

# Key term of every synonym query (Simplified form first, then other written forms).
# The term must appear in the query and its intent, and in NO grade-2 story of that query.
SYNONYM_KEY_TERMS = {
    "f11": ["婴儿车", "嬰兒車"],
    "f12": ["晚点", "晚點"],
    "f13": ["重复扣款", "重複扣款"],
    "f14": ["行动不便", "行動不便"],
    "f15": ["遗失", "遺失"],
    "f16": ["孕妇", "孕婦"],
    "f17": ["拒签", "拒簽"],
    "f18": ["走失"],
    "f19": ["被盗", "被盜"],
    "f20": ["聋哑", "聾啞"],
}

# Characters that exist only in Traditional script (used to check 'traditional' queries).
TRAD_ONLY = set("續費嬰兒點閉園複預訂開機沒過電話護照簽證車輛飯為後場門線發對時間區華樂無務"
                "麼這們來說會個長興學體邊關還讓與醫語處應實經")

EMAIL_RE = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
DIGITS_RE = re.compile(r"[0-9０-９](?:[ \-]?[0-9０-９])*")
CJK_RE = re.compile(r"[\u4e00-\u9fff]")

problems = []


def problem(msg):
    problems.append(msg)


def load_jsonl(path, what):
    rows = []
    if not os.path.exists(path):
        problem(f"{what}: file missing: {path}")
        return rows
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        problem(f"{what}: not valid UTF-8 ({exc})")
        return rows
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    for n, line in enumerate(lines, 1):
        if not line.strip():
            problem(f"{what} line {n}: empty line")
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            problem(f"{what} line {n}: invalid JSON ({exc})")
            continue
        if not isinstance(obj, dict):
            problem(f"{what} line {n}: not a JSON object")
            continue
        rows.append(obj)
    return rows


def privacy_scan(where, text):
    for m in DIGITS_RE.finditer(text):
        ndig = sum(ch.isdigit() for ch in m.group(0))
        if ndig >= 7:
            problem(f"{where}: digit run of {ndig} digits: {m.group(0)!r}")
    if EMAIL_RE.search(text):
        problem(f"{where}: e-mail address: {EMAIL_RE.search(text).group(0)!r}")


def check_cases(cases):
    by_key = {}
    for i, c in enumerate(cases, 1):
        where = f"case #{i}"
        if list(c.keys()) != CASE_KEYS:
            problem(f"{where}: keys must be exactly {CASE_KEYS} in this order, got {list(c.keys())}")
        key = c.get("key")
        expect = "f%03d" % i
        if key != expect:
            problem(f"{where}: key {key!r}, expected {expect!r}")
        if key in by_key:
            problem(f"{where}: duplicate key {key!r}")
        by_key[key] = c
        where = f"case {key}"
        lang = c.get("language")
        if lang not in LANGS:
            problem(f"{where}: language {lang!r} not in {sorted(LANGS)}")
        title = c.get("title")
        if not isinstance(title, str) or title != title.strip() or "\n" in (title or ""):
            problem(f"{where}: title must be a one-line string without outer spaces")
        else:
            hi = 90 if lang == "en" else 30
            if not 8 <= len(title) <= hi:
                problem(f"{where}: title length {len(title)} not in 8..{hi}")
        body = c.get("body")
        if not isinstance(body, str):
            problem(f"{where}: body must be a string")
        else:
            if not 250 <= len(body) <= 700:
                problem(f"{where}: body length {len(body)} not in 250..700")
            paras = body.split("\n")
            if len(paras) < 2:
                problem(f"{where}: body should have paragraphs separated by \\n")
            if any(not p.strip() or p != p.strip() for p in paras):
                problem(f"{where}: empty paragraph or paragraph with outer whitespace")
            if lang in ("zh-Hans", "zh-Hant") and not CJK_RE.search(body):
                problem(f"{where}: Chinese story without Chinese characters")
            if lang == "en" and len(CJK_RE.findall(body)) > 10:
                problem(f"{where}: English story is mostly Chinese")
        tags = c.get("tags")
        if (not isinstance(tags, list) or not 1 <= len(tags) <= 3 or len(set(tags)) != len(tags)
                or not set(tags) <= HEAT):
            problem(f"{where}: tags must be 1-3 distinct values of {sorted(HEAT)}, got {tags!r}")
        if c.get("business_line") not in LINES:
            problem(f"{where}: business_line {c.get('business_line')!r} not in {sorted(LINES)}")
        if c.get("channel") not in CHANNELS:
            problem(f"{where}: channel {c.get('channel')!r} not in {sorted(CHANNELS)}")
        privacy_scan(where, f"{title}\n{body}")
    if len(cases) != N_CASES:
        problem(f"cases: {len(cases)} stories, expected {N_CASES}")
    langs = Counter(c.get("language") for c in cases)
    for lang, (lo, hi) in LANG_RANGE.items():
        if not lo <= langs.get(lang, 0) <= hi:
            problem(f"cases: {langs.get(lang, 0)} {lang} stories, expected about {lo}-{hi}")
    return by_key


def passes(case, q):
    if not set(q.get("tags") or []) <= set(case.get("tags") or []):
        return False
    bl = q.get("business_line")
    return bl is None or case.get("business_line") == bl


def check_queries(queries, by_key):
    for i, q in enumerate(queries, 1):
        where = f"query #{i}"
        if list(q.keys()) != QUERY_KEYS:
            problem(f"{where}: keys must be exactly {QUERY_KEYS} in this order, got {list(q.keys())}")
        qid = q.get("qid")
        if qid != "f%02d" % i:
            problem(f"{where}: qid {qid!r}, expected {'f%02d' % i!r}")
        where = f"query {qid}"
        qt = q.get("type")
        if qt not in TYPE_COUNTS:
            problem(f"{where}: type {qt!r} not in {sorted(TYPE_COUNTS)}")
        text = q.get("q")
        if not isinstance(text, str) or not text.strip() or text != text.strip():
            problem(f"{where}: q must be a non-empty string without outer spaces")
            text = ""
        words = text.split()
        if qt == "colloquial":
            if not 6 <= len(text) <= 30 or not CJK_RE.search(text):
                problem(f"{where}: colloquial query should be a short Chinese sentence (6-30 chars)")
        else:
            if not 1 <= len(words) <= 6:
                problem(f"{where}: {len(words)} words, expected 1-6")
            if any(CJK_RE.search(w) and len(w) > 8 for w in words):
                problem(f"{where}: Chinese word group longer than 8 characters: {text!r}")
        if qt == "english":
            if CJK_RE.search(text) or not re.search(r"[A-Za-z]", text):
                problem(f"{where}: english query must be English")
        elif qt == "traditional":
            if not any(ch in TRAD_ONLY for ch in text):
                problem(f"{where}: traditional query has no Traditional-only character")
        elif qt is not None and not CJK_RE.search(text):
            problem(f"{where}: {qt} query should be Chinese")
        tags = q.get("tags")
        if not isinstance(tags, list) or len(set(tags)) != len(tags) or not set(tags) <= HEAT:
            problem(f"{where}: tags must be a list of distinct HEAT codes, got {tags!r}")
            tags = []
        bl = q.get("business_line")
        if bl is not None and bl not in LINES:
            problem(f"{where}: business_line {bl!r} not null and not in {sorted(LINES)}")
        if qt == "filtered":
            if not tags and bl is None:
                problem(f"{where}: filtered query without any filter")
        elif tags or bl is not None:
            problem(f"{where}: only 'filtered' queries may set filters")
        intent = q.get("intent")
        if not isinstance(intent, str) or not intent.strip() or "\n" in intent:
            problem(f"{where}: intent must be one non-empty line")
            intent = ""
        elif not re.search(r"[A-Za-z]{3,}", intent):
            problem(f"{where}: intent should be written in English")
        rel = q.get("relevant")
        if not isinstance(rel, dict) or not 1 <= len(rel) <= 8:
            problem(f"{where}: relevant must be an object with 1-8 judged cases")
            rel = {}
        for k, g in rel.items():
            if k not in by_key:
                problem(f"{where}: judged case {k!r} does not exist")
                continue
            if type(g) is not int or g not in (1, 2):
                problem(f"{where}: grade of {k} is {g!r}, must be 1 or 2")
            if not passes(by_key[k], q):
                problem(f"{where}: judged case {k} fails the query's filters")
        if rel and 2 not in rel.values():
            problem(f"{where}: no grade-2 case")
        judged_langs = Counter(by_key[k]["language"] for k in rel if k in by_key)
        if qt == "english" and judged_langs["en"] >= sum(judged_langs.values()) - judged_langs["en"]:
            problem(f"{where}: english query: judged stories should be mostly Chinese {dict(judged_langs)}")
        if qt == "traditional" and judged_langs["zh-Hant"] >= judged_langs["zh-Hans"]:
            problem(f"{where}: traditional query: judged stories should be mostly Simplified {dict(judged_langs)}")
        if qt == "plain":
            g2 = [k for k, g in rel.items() if g == 2 and k in by_key]
            if not any(all(w in by_key[k]["title"] + by_key[k]["body"] for w in words) for k in g2):
                problem(f"{where}: plain query words appear in no grade-2 story")
        if qt == "filtered":
            distract = [c["key"] for c in by_key.values()
                        if text in c["title"] + c["body"] and not passes(c, q)]
            if len(distract) < 2:
                problem(f"{where}: fewer than 2 distractor stories matching {text!r} but failing the filter")
        if qt == "synonym":
            terms = SYNONYM_KEY_TERMS.get(qid)
            if not terms:
                problem(f"{where}: synonym query missing from SYNONYM_KEY_TERMS")
                continue
            if terms[0] not in text:
                problem(f"{where}: key term {terms[0]!r} not in the query")
            if terms[0] not in intent:
                problem(f"{where}: key term {terms[0]!r} not listed in the intent")
            for k, g in rel.items():
                if g == 2 and k in by_key:
                    story = by_key[k]["title"] + "\n" + by_key[k]["body"]
                    for t in terms:
                        if t in story:
                            problem(f"{where}: key term {t!r} appears in grade-2 story {k}")
        privacy_scan(where, json.dumps(q, ensure_ascii=False))
    if len(queries) != N_QUERIES:
        problem(f"queries: {len(queries)} queries, expected {N_QUERIES}")
    types = Counter(q.get("type") for q in queries)
    for t, n in TYPE_COUNTS.items():
        if types.get(t, 0) != n:
            problem(f"queries: {types.get(t, 0)} of type {t}, expected {n}")
    syn_qids = {q.get("qid") for q in queries if q.get("type") == "synonym"}
    if syn_qids != set(SYNONYM_KEY_TERMS):
        problem(f"SYNONYM_KEY_TERMS keys {sorted(SYNONYM_KEY_TERMS)} != synonym queries {sorted(syn_qids)}")


def fmt(counter, order=None):
    keys = order or sorted(counter)
    return ", ".join(f"{k} {counter.get(k, 0)}" for k in keys)


def main():
    cases = load_jsonl(CASES, "cases.jsonl")
    queries = load_jsonl(QUERIES, "queries.jsonl")
    by_key = check_cases(cases)
    check_queries(queries, by_key)

    print(f"cases: {len(cases)}")
    print("  language:      " + fmt(Counter(c.get("language") for c in cases), ["zh-Hans", "zh-Hant", "en"]))
    print("  business_line: " + fmt(Counter(c.get("business_line") for c in cases),
                                    ["flight", "hotel", "vacation", "train", "car", "attraction"]))
    print("  channel:       " + fmt(Counter(c.get("channel") for c in cases), ["phone", "chat", "email"]))
    print("  tag:           " + fmt(Counter(t for c in cases for t in c.get("tags") or []),
                                    ["heartwarming", "effortless", "active", "trust"]))
    lens = [len(c.get("body") or "") for c in cases]
    if lens:
        print(f"  body length:   min {min(lens)}, max {max(lens)}, mean {sum(lens) / len(lens):.0f}")
    judged = set()
    g2 = g1 = 0
    for q in queries:
        rel = q.get("relevant") if isinstance(q.get("relevant"), dict) else {}
        judged |= set(rel)
        g2 += sum(1 for g in rel.values() if g == 2)
        g1 += sum(1 for g in rel.values() if g == 1)
    print(f"queries: {len(queries)}")
    print("  type:          " + fmt(Counter(q.get("type") for q in queries), list(TYPE_COUNTS)))
    print(f"  judgments:     {g2 + g1} (grade 2: {g2}, grade 1: {g1})")
    print(f"  judged cases:  {len(judged & set(by_key))}; cases relevant to no query: {len(set(by_key) - judged)}")
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for p in problems:
            print("  - " + p)
        sys.exit(1)
    print("\nOK: no problems found")


if __name__ == "__main__":
    main()

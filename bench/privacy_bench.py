"""How long masking personal data takes on stories of realistic and extreme size.

.venv/bin/python bench/privacy_bench.py
"""

from __future__ import annotations

import statistics
import time

from heatcases.privacy import mask_personal_data

FILLER = "客人来电说航班CA1234因天气取消，我们帮她改签到MU5101并安排了1208房，费用¥680由我们承担。"
PII = "手机13812345678，邮箱wang@example.com，护照E12345678，身份证11010519491231002X。"


def story(length: int, pii_every: int | None) -> str:
    parts, size = [], 0
    while size < length:
        parts.append(FILLER)
        if pii_every and len(parts) % pii_every == 0:
            parts.append(PII)
        size += len(parts[-1])
    return "".join(parts)[:length]


def measure(text: str, runs: int = 50) -> tuple[float, float]:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        mask_personal_data(text)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.95) - 1]


def main() -> None:
    print(f"{'story':<42} {'chars':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for label, length, every in [
        ("typical story, one set of personal data", 600, 10),
        ("long story, personal data now and then", 20_000, 40),
        ("long story, no personal data", 20_000, None),
        ("long story, personal data in every line", 20_000, 1),
    ]:
        p50, p95 = measure(story(length, every))
        print(f"{label:<42} {length:>7} {p50:>8.2f} {p95:>8.2f}")


if __name__ == "__main__":
    main()

"""How far supervisors agree when they score the same cases with the checklist (calibration rounds).

Every (case, item) is a subject that each supervisor marked met or not met. Figures:
- share of agreement: of the pairs of supervisors who scored a subject, the share that gave the same mark,
  averaged over the subjects (Fleiss' observed agreement P̄);
- chance-corrected: Fleiss' kappa per item (the cases as subjects) and over all subjects, and per supervisor
  the mean of Cohen's kappa with each other supervisor (Light's kappa), both computed by statsmodels; null where
  chance agreement is already complete (everyone gave the same mark everywhere: kappa is 0 / 0).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Subject = tuple[int, int]  # (case id, item id)


@dataclass(frozen=True)
class Figure:
    share: float | None  # 0-1
    kappa: float | None
    subjects: int


def _kappa(value: float) -> float | None:
    return None if value is None or math.isnan(value) or math.isinf(value) else round(float(value), 3)


def _fleiss(marks: list[dict[int, bool]]) -> Figure:
    """Agreement over these subjects (each {rater: met}) with two raters or more."""
    from statsmodels.stats.inter_rater import fleiss_kappa  # imported when a round's results are asked for

    rows = [marks_of for marks_of in marks if len(marks_of) >= 2]
    if not rows or len({len(row) for row in rows}) != 1:
        return Figure(None, None, len(rows))
    table = np.array([[sum(row.values()), len(row) - sum(row.values())] for row in rows], dtype=float)
    raters = len(rows[0])
    shares = ((table**2).sum(axis=1) - raters) / (raters * (raters - 1))
    with np.errstate(all="ignore"):
        kappa = fleiss_kappa(table)
    return Figure(round(float(shares.mean()), 3), _kappa(kappa), len(rows))


def _cohen(first: list[bool], second: list[bool]) -> float | None:
    from statsmodels.stats.inter_rater import cohens_kappa

    table = np.zeros((2, 2))
    for a, b in zip(first, second, strict=True):
        table[0 if a else 1, 0 if b else 1] += 1
    with np.errstate(all="ignore"):
        return _kappa(cohens_kappa(table, return_results=False))


def by_item(scores: dict[Subject, dict[int, bool]], items: list[int]) -> dict[int, Figure]:
    """Per checklist item, over the round's cases."""
    return {item: _fleiss([marks for (_case, one), marks in scores.items() if one == item]) for item in items}


def overall(scores: dict[Subject, dict[int, bool]]) -> Figure:
    return _fleiss(list(scores.values()))


def by_rater(scores: dict[Subject, dict[int, bool]], raters: list[int]) -> dict[int, Figure]:
    """Per supervisor: the share of subjects on which they and another supervisor agreed (over every other
    supervisor), and their mean Cohen's kappa with each other supervisor."""
    result = {}
    for rater in raters:
        agreed = compared = 0
        kappas = []
        for other in raters:
            if other == rater:
                continue
            pairs = [(marks[rater], marks[other]) for marks in scores.values() if rater in marks and other in marks]
            if not pairs:
                continue
            agreed += sum(a == b for a, b in pairs)
            compared += len(pairs)
            kappas.append(_cohen([a for a, _ in pairs], [b for _, b in pairs]))
        known = [kappa for kappa in kappas if kappa is not None]
        result[rater] = Figure(
            round(agreed / compared, 3) if compared else None,
            round(sum(known) / len(known), 3) if known else None,
            compared,
        )
    return result


def disagreements(scores: dict[Subject, dict[int, bool]]) -> list[Subject]:
    """The subjects on which the supervisors did not all give the same mark."""
    return [subject for subject, marks in scores.items() if len(set(marks.values())) > 1]


__all__ = ["Figure", "by_item", "by_rater", "disagreements", "overall"]

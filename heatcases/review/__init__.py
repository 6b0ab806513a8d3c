"""Review quality (PRODUCT.md, "Who uses it"; issue 22): the review checklist every decision is made against
(``checklist``), the checklist marks of each review and the author's feedback (``service``), calibration rounds
between supervisors and their agreement (``calibration``, ``agreement``). Turnaround figures are metrics
(``heatcases.metrics.turnaround``)."""

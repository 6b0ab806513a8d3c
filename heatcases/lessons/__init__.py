"""Lessons from complaints: the customer-value settings that price a lesson's defect (``value``), their API and
admin page. A lesson itself is a case (``heatcases.cases``); its metrics are in ``heatcases.metrics.lessons``."""

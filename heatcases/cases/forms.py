"""What the submit forms share: a text asked for in parts (an exemplar's four, a lesson's two) and stored as one
body, the fields as posted, and the problems a refused form names (the schemas apply the real rules)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field, ValidationError

from heatcases.cases import story
from heatcases.cases.schemas import BODY_MIN
from heatcases.vocab import STORY_PARTS, Term


class PartsForm(BaseModel):
    """A form whose text comes in the parts ``PARTS`` (fields named by their codes), or as one ``body`` when an
    edited case's text was not written in parts (an import, the API)."""

    PARTS: ClassVar[tuple[Term, ...]] = STORY_PARTS

    # The fields every case has (the parts and a kind's own fields are declared by the subclass).
    title: str = Field("", max_length=1000)
    body: str = Field("", max_length=40000)
    tags: list[str] = Field([], max_length=20)
    business_line: str = Field("", max_length=40)
    channel: str = Field("", max_length=40)
    occurred_on: str = Field("", max_length=40)

    def fields(self) -> dict:
        """The fields as posted, an empty choice meaning "not given" (what a draft keeps)."""
        return {key: value for key, value in self.model_dump().items() if value not in ("", [])}

    def parts(self) -> dict[str, str]:
        return {part.code: getattr(self, part.code) for part in self.PARTS if getattr(self, part.code).strip()}

    def values(self, lang: str) -> dict:
        """The fields as the schemas take them: the parts composed into the body."""
        codes = {part.code for part in self.PARTS}
        values = {key: value for key, value in self.fields().items() if key not in codes}
        if self.parts():
            values["body"] = story.compose(self.parts(), lang, self.PARTS)
        return values

    def errors(self, error: ValidationError, order: tuple[str, ...], short: str) -> list[str]:
        """The fields ``error`` names, in the form's ``order``; ``short`` instead of ``body`` when the parts are
        too short (the markers counted towards the body's length: say it plainly)."""
        fields = {str(item["loc"][0]) for item in error.errors() if item.get("loc")}
        if self.parts() and "body" in fields and story.content_length(self.parts()) < BODY_MIN:
            fields = (fields - {"body"}) | {short}
        return [field for field in order if field in fields] or ["body"]


def in_parts(values: dict, parts: tuple[Term, ...]) -> dict:
    """Form values with a body written in ``parts`` split back into them (a free text stays the ``body``)."""
    values = dict(values or {})
    if "body" in values and not any(values.get(part.code) for part in parts):
        split = story.split(values["body"], parts)
        if split is not None:
            values.update(split)
            del values["body"]
    return values

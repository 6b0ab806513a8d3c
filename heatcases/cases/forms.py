"""What the submit forms share: a text asked for in parts (an exemplar's four, a lesson's two) and stored as one
body, the fields as posted, and the problems a refused form names (the schemas apply the real rules)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from pydantic import BaseModel, Field, ValidationError

from heatcases import story
from heatcases.cases.schemas import BODY_MAX, BODY_MIN, CaseCreate
from heatcases.vocab import STORY_PARTS, Term

# A part may be pasted far too long: the form takes it back to say by how much (the body's limit refuses it).
PART_MAX = 200_000


@dataclass(frozen=True)
class FormProblems:
    """What is wrong with a posted form: the fields at fault, in the form's order, and for a text too long, the
    part to shorten and by how many characters."""

    fields: list[str]
    part: str | None = None
    over: int = 0


class PartsForm(BaseModel):
    """A form whose text comes in the parts ``PARTS`` (fields named by their codes), or as one ``body`` when an
    edited case's text was not written in parts (an import, the API)."""

    PARTS: ClassVar[tuple[Term, ...]] = STORY_PARTS

    # The fields every case has (the parts and a kind's own fields are declared by the subclass).
    title: str = Field("", max_length=1000)
    body: str = Field("", max_length=PART_MAX)
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

    def problems(self, lang: str, order: tuple[str, ...], *, short: str, long: str,
                 error: ValidationError | None = None) -> FormProblems | None:  # fmt: skip
        """The fields ``error`` names and the form's own rules break (a business line is a choice), in the form's
        ``order``, or None. For a text in parts, ``short`` instead of ``body`` when they are too short (the markers
        counted towards the body's length: say it plainly), ``long`` with the longest part when too long."""
        fields = {str(item["loc"][0]) for item in error.errors() if item.get("loc")} if error else set()
        if not self.business_line:
            fields.add("business_line")
        part, over = None, 0
        if self.parts() and "body" in fields:
            composed = len(story.compose(self.parts(), lang, self.PARTS))
            if story.content_length(self.parts()) < BODY_MIN:
                fields = (fields - {"body"}) | {short}
            elif composed > BODY_MAX:
                fields = (fields - {"body"}) | {long}
                part, over = max(self.parts().items(), key=lambda item: len(item[1]))[0], composed - BODY_MAX
        if not fields and error is None:
            return None
        return FormProblems([field for field in order if field in fields] or ["body"], part, over)


def checked(form: PartsForm, lang: str, values: dict, model: type[BaseModel], order: tuple[str, ...], *, short: str,
            long: str) -> tuple[BaseModel | None, FormProblems | None]:  # fmt: skip
    """``values`` (the form's, as the schemas take them) held to the submit rules and read as ``model`` (CaseCreate
    for a new case, CaseUpdate for an edit, which the form sends whole); with every problem of the form, or None."""
    try:
        CaseCreate.model_validate(values)
        data, error = model.model_validate(values), None
    except ValidationError as caught:
        data, error = None, caught
    return data, form.problems(lang, order, short=short, long=long, error=error)


def form_context(case, values: dict | None, parts: tuple[Term, ...], problems: FormProblems | None) -> dict:
    """What both forms' pages show: the values (a text in ``parts`` split back into them), the problems."""
    values = in_parts(values, parts)
    return {
        "case": case,
        "values": values,
        "errors": problems.fields if problems else [],
        "problems": problems,
        "body_max": BODY_MAX,
        "free_story": "body" in values,
    }


def in_parts(values: dict, parts: tuple[Term, ...]) -> dict:
    """Form values with a body written in ``parts`` split back into them (a free text stays the ``body``)."""
    values = dict(values or {})
    if "body" in values and not any(values.get(part.code) for part in parts):
        split = story.split(values["body"], parts)
        if split is not None:
            values.update(split)
            del values["body"]
    return values

"""The kinds of notification, who may get each, and their words in a reader's language (page, API, e-mail)."""

from __future__ import annotations

from dataclasses import dataclass

from heatcases.i18n import translate
from heatcases.vocab import AUTHOR_ROLES, REVIEWER_ROLES

# Readers of a case (distinct people) at which its author is told.
MILESTONES = frozenset({10, 50, 100, 500})

ASSIGNABLE_ROLES = frozenset({"trainee", "agent"})
EVERYONE = frozenset({"agent", "trainee", "supervisor", "admin"})

# kind -> the roles it can reach (the preferences page shows a person only theirs).
KINDS: dict[str, frozenset[str]] = {
    "approved": AUTHOR_ROLES,
    "rejected": AUTHOR_ROLES,
    "featured": AUTHOR_ROLES,
    "milestone": AUTHOR_ROLES,
    "assignment": ASSIGNABLE_ROLES,
    "queue": REVIEWER_ROLES,
    "digest": EVERYONE,
}


def kinds_for(role: str) -> list[str]:
    return [kind for kind, roles in KINDS.items() if role in roles]


@dataclass(frozen=True)
class Wording:
    text: str  # one sentence, plain text (escaped where shown)
    link: str  # a path on the site
    detail: str = ""  # a second paragraph: the reviewer's comment, the digest's cases


def _due(data: dict, lang: str) -> str:
    return translate("notify.due", lang, date=data.get("due_on", ""))


def word(
    kind: str, data: dict, lang: str, *, case_id: int | None = None, list_id: int | None = None, base: str = ""
) -> Wording:
    """What a notification says, in ``lang``; links start with ``base`` (the site's address, in e-mails)."""
    wording = _word(kind, data, lang, case_id=case_id, list_id=list_id, base=base)
    return Wording(wording.text, base + wording.link, wording.detail)


def _word(kind: str, data: dict, lang: str, *, case_id: int | None, list_id: int | None, base: str) -> Wording:
    title = data.get("title", "")
    case_link = f"/cases/{case_id}" if case_id else "/"
    if kind == "approved":
        return Wording(translate("notify.approved", lang, title=title), case_link, data.get("comment") or "")
    if kind == "rejected":
        return Wording(translate("notify.rejected", lang, title=title), case_link, data.get("comment") or "")
    if kind == "featured":
        return Wording(translate("notify.featured", lang, title=title), case_link)
    if kind == "milestone":
        return Wording(translate("notify.milestone", lang, title=title, readers=data.get("readers", 0)), case_link)
    if kind == "assignment":
        key = "notify.assignment"
        if data.get("reminder"):
            key = "notify.due_soon" if data.get("due_soon") else "notify.reminder"
        text = translate(key, lang, title=title, count=data.get("count", 0)) + " " + _due(data, lang)
        return Wording(text, f"/me/reading#list-{list_id}" if list_id else "/me/reading", data.get("note") or "")
    if kind == "queue":
        return Wording(
            translate("notify.queue", lang, pending=data.get("pending", 0), hours=data.get("hours", 0)), "/review"
        )
    if kind == "digest":
        lines = []
        for team in data.get("teams", []):
            name = team.get("team") or translate("digest.no_team", lang)
            lines.append(f"{name}:")
            lines += [f"  · {case['title']} ({base}/cases/{case['id']})" for case in team.get("cases", [])]
        count = sum(len(team.get("cases", [])) for team in data.get("teams", []))
        return Wording(translate("notify.digest", lang, count=count), "/featured", "\n".join(lines))
    return Wording(kind, "/")

"""Request dependencies of the accounts domain: the user filter that the admin page and its API share."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

from heatcases.accounts.admin import UserFilter


def user_filter(
    q: Annotated[str, Query(max_length=100, description="part of a username or display name, any case")] = "",
    role: Annotated[str, Query(max_length=20)] = "",
    team: Annotated[str, Query(max_length=60, description='a team\'s name; "-" for users in no team')] = "",
    status: Annotated[str, Query(max_length=20, description="active or disabled")] = "",
    source: Annotated[str, Query(max_length=20, description="local or directory")] = "",
) -> UserFilter:
    return UserFilter(q=q, role=role, team=team, status=status, source=source)


UserFilterDep = Annotated[UserFilter, Depends(user_filter)]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]

"""The rules for a password a person chooses: long enough, and not a common or guessable one.

Guessability is zxcvbn's estimate (Dropbox's algorithm, its lists of the 30,000 most common passwords, English
words, names, keyboard patterns, dates and l33t spellings, inside the package): a score under 2 means fewer than
a million guesses, which an online attacker gets through. The person's own username and name count as known.
"""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher

from heatcases.errors import InvalidInput

MIN_CHOSEN_LENGTH = 8
MAX_LENGTH = 200
MIN_SCORE = 2  # zxcvbn: 0 too guessable, 1 very guessable, 2 somewhat guessable (≥ 10^6 guesses), 3, 4

# A one-time password is 96 random bits: no attacker guesses it, so the slow hash that protects a chosen password
# buys nothing; the cheapest Argon2 lets an import of thousands of people finish in seconds. Its settings are in
# the hash, so the normal check verifies it; it lives until the person chooses their own.
_one_time_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def check_chosen_password(password: str, *, username: str, display_name: str = "") -> None:
    """Raise InvalidInput (field ``new_password``) unless the password is long and not guessable."""
    if len(password) < MIN_CHOSEN_LENGTH:
        raise InvalidInput(
            "new_password", f"must be at least {MIN_CHOSEN_LENGTH} characters", message_key="profile.password_short"
        )
    if len(password) > MAX_LENGTH:
        raise InvalidInput(
            "new_password", f"must be at most {MAX_LENGTH} characters", message_key="profile.password_long"
        )
    from zxcvbn import zxcvbn  # its word lists (12 MB of each server process) are read by the first check, not at start

    inputs = [word for word in (username, display_name, *username.replace("_", ".").split(".")) if word]
    if zxcvbn(password[:100], user_inputs=inputs)["score"] < MIN_SCORE:
        raise InvalidInput("new_password", "is too common or too easy to guess", message_key="profile.password_common")


def one_time_password() -> tuple[str, str]:
    """(a new one-time password, its hash)."""
    password = secrets.token_urlsafe(12)
    return password, _one_time_hasher.hash(password)

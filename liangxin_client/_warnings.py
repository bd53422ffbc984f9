"""Warnings for requests the contract only guesses about: they are sent, and you are told.

Every refusal the client makes is one the docs say the service makes. A request that breaks
only an inferred constraint, names a model the contract does not know, or carries an `input`
field the contract does not list is sent anyway, with one of these warnings; `strict=True`
turns them into `InvalidRequestError`.
"""

from __future__ import annotations

import sys
import warnings


class LiangXinWarning(UserWarning):
    """Base class of every warning this library emits."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InferredConstraintWarning(LiangXinWarning):
    """The request breaks a constraint the contract infers (not stated by the docs)."""


class UnknownModelWarning(LiangXinWarning):
    """The model is not in the contract; only the request envelope was checked."""


class UnknownFieldWarning(LiangXinWarning):
    """An `input` field the contract does not list for this model (a typo?)."""


class NameSuffixWarning(LiangXinWarning):
    """A result saved under another extension than its name template's: the file's type wins."""


def warn(warning: LiangXinWarning) -> None:
    """Emit `warning` attributed to the first caller outside this package."""
    frame = sys._getframe(1)
    level = 2
    while frame.f_back is not None and frame.f_globals.get("__name__", "").startswith(
        "liangxin_client"
    ):
        frame = frame.f_back
        level += 1
    warnings.warn(warning, stacklevel=level)

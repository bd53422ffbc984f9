"""Model suggestions ("did you mean"): the LiangXin model another client's id names, or None.

Users arrive with the ids of other services for the same models: `bytedance/seedream-4.5`
(replicate), `fal-ai/bytedance/seedream/v4.5/edit` (fal), `seedream/4.5-text-to-image` (kie.ai),
`google/gemini-2.5-flash-image` (OpenRouter), `imagen-4.0-fast-generate-001` (Vertex). A plain
string distance reads those badly (it matched `seedream/4.5-text-to-image` with
`seedream-v5-lite-edit`, and `gpt-image-1` with `z-image`), so ids are read as words:

1. the family (`seedream`, `z-image`, `gemini`, `nano-banana`, `imagen`, `flux`, `kling`) and
   everything before it (vendor and host prefixes: `fal-ai/`, `bytedance/`, `google/`) dropped;
2. the version, however written (`v4.5`, `4.5`, `4-5`, `v4_5`, `45`, `4.0` = `4`); a major
   version alone (`seedream-v4`) matches that major's model (`seedream-v4-5`);
3. `edit`, `image-to-image`, `i2i` ask for an edit model, `text-to-image`, `t2i` for a
   text-to-image one (the default), where the family has both;
4. the other words (`fast`, `ultra`, `lite`, `pro`, ...) rank the family's models; ties go to the
   contract's order.

An id whose family is not LiangXin's, or whose version no LiangXin model has (`seedream-3`,
`flux-1.1-pro`, `imagen-3`), gets no suggestion: nothing is better than something wrong. Without
a family word only a near-typo of a whole model name (`z-imag`, `flx-2-pro`) is suggested.
Two names other services use for models LiangXin lists under another name are known: Nano Banana
is Gemini 2.5 Flash Image, and Gemini 3 Pro Image is Nano Banana Pro.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

#: Words that say "an edit model" / "a text-to-image model"; both are removed before reading.
_EDIT = re.compile(r"image[-_ ]?to[-_ ]?image|img2img|i2i|image[-_ ]?edit(?:ing|s)?|edit(?:ing|s)?")
_TEXT = re.compile(r"text[-_ ]?to[-_ ]?image|text2image|txt2img|t2i")
#: Brand names written with a separator, read as one word.
_BRANDS = (
    (re.compile(r"(?<![a-z])nano[-_ .]?banana"), "nanobanana"),
    (re.compile(r"(?<![a-z])z[-_ .]?image(?![a-z])"), "zimage"),
)
#: Words that never tell two models apart.
_NOISE = frozenset({"v", "preview", "generate", "latest", "exp", "experimental", "model"})
#: Words too common to be read as a misspelt family (`image` is not `imagen`).
_GENERIC = frozenset({"image", "images", "video", "photo", "preview", "generate", "turbo"})
#: A whole model name this close (difflib ratio) to an id without a family word is a typo.
_TYPO_CUTOFF = 0.88
#: A word this close to a family name is that family misspelt (`seedrem`, `imagn`).
_FAMILY_TYPO_CUTOFF = 0.85


@dataclass(frozen=True)
class _Reading:
    """An id read as words: family, version, the other words, and whether it asks for an edit."""

    family: str | None
    version: str | None
    words: frozenset[str]
    edit: bool


def _words(text: str) -> tuple[list[str], bool]:
    """The words of an id (lowercase, numbers apart) and whether it asks for an edit model."""
    text = text.strip().lower()
    for pattern, joined in _BRANDS:
        text = pattern.sub(joined, text)
    edit = bool(_EDIT.search(text))
    text = _TEXT.sub(" ", _EDIT.sub(" ", text))
    text = re.sub(r"(?<=[a-z])v(?=\d)", " ", text)  # SeedreamV45 → seedream 45
    raw = re.findall(r"\d+(?:\.\d+)*|[a-z]+", text)
    words: list[str] = []
    for word in raw:  # `4-5`, `v4_5` → 4.5 (two short numbers in a row; not a date suffix)
        previous = words[-1] if words else ""
        if word.isdigit() and len(word) <= 2 and previous.isdigit() and len(previous) <= 2:
            words[-1] = f"{previous}.{word}"
        else:
            words.append(word)
    return words, edit


def _version(word: str) -> str:
    """`4.0` → `4`: a trailing `.0` says nothing."""
    while word.endswith(".0"):
        word = word[:-2]
    return word


def _read(model: str, families: Sequence[str]) -> _Reading:
    words, edit = _words(model)
    start = next((i for i, w in enumerate(words) if w in families), None)
    if start is None:  # a misspelt family word?
        for i, word in enumerate(words):
            if len(word) >= 5 and word not in _GENERIC and not word[0].isdigit():
                close = difflib.get_close_matches(word, families, n=1, cutoff=_FAMILY_TYPO_CUTOFF)
                if close:
                    words[i], start = close[0], i
                    break
    if start is None:
        return _Reading(None, None, frozenset(), edit)
    rest = words[start + 1 :]
    numbers = [w for w in rest if w[0].isdigit()]
    return _Reading(
        words[start],
        _version(numbers[0]) if numbers else None,
        frozenset(w for w in rest if not w[0].isdigit() and w not in _NOISE),
        edit,
    )


def _same_version(asked: str, offered: str | None) -> bool:
    """`4.5` is `4.5` (or `45`); a major alone (`4`) matches any of its minors (`4.5`)."""
    if offered is None:
        return False
    if asked in (offered, offered.replace(".", "")):
        return True
    return "." not in asked and offered.split(".")[0] == asked


def closest_model(model: str, known: Sequence[str]) -> str | None:
    """The model of `known` (in the contract's order) that `model` most likely means, or None."""
    exact = model.strip().lower()
    if exact in known:
        return exact
    families = sorted({_words(name)[0][0] for name in known})  # a model name starts with one
    offered = {name: _read(name, families) for name in known}
    asked = _read(model, families)
    if asked.family is None:
        last = exact.rsplit("/", 1)[-1]
        close = difflib.get_close_matches(last, list(known), n=1, cutoff=_TYPO_CUTOFF)
        return close[0] if close else None
    alias = _alias(asked, known)
    if alias is not None:
        return alias or None
    kin = [name for name in known if offered[name].family == asked.family]
    if asked.version is not None:
        kin = [name for name in kin if _same_version(asked.version, offered[name].version)]
    if not kin:
        return None

    def rank(name: str) -> tuple[int, int, int, int]:
        reading = offered[name]
        return (
            reading.edit != asked.edit,
            -len(reading.words & asked.words),
            len(reading.words - asked.words),
            known.index(name),
        )

    best = min(kin, key=rank)
    words = offered[best].words
    if asked.version is None and asked.words and words and not words & asked.words:
        return None  # `flux-schnell`: a model of the family, but not this one, and no version
    return best


def _alias(asked: _Reading, known: Sequence[str]) -> str | None:
    """A model LiangXin lists under another name: its name, "" for none, None to read on."""
    if asked.family == "nanobanana" and "pro" not in asked.words:
        # Nano Banana is Gemini 2.5 Flash Image (it edits too); "Nano Banana 2" is not known.
        target = "gemini-2.5-flash-image-preview"
        return target if asked.version is None and target in known else ""
    if asked.family == "gemini" and {"pro", "image"} <= asked.words and asked.version == "3":
        return "nano-banana-pro" if "nano-banana-pro" in known else ""  # Gemini 3 Pro Image
    return None

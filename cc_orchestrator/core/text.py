"""What text can reach an agent: checked where it is entered, so it never fails on delivery.

Prompts travel to tmux through a buffer loaded from stdin, so any size is delivered; what a
terminal cannot carry is refused in every face with the reason: a NUL character, text that is
not valid UTF-8 (surrogates from undecodable bytes), and more than MAX_PROMPT characters.
"""

from __future__ import annotations

from cc_orchestrator.errors import InvalidInput

MAX_PROMPT = 1_000_000  # characters in one prompt, a task's description or a `send`


def checked(text: str, what: str, limit: int = MAX_PROMPT) -> str:
    """`text` when an agent's terminal can be given it; InvalidInput saying why not."""
    if "\x00" in text:
        raise InvalidInput(f"{what} contains a NUL character, which a terminal cannot carry")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{what} is not valid UTF-8") from None
    if len(text) > limit:
        raise InvalidInput(f"{what} is too long: {len(text):,} characters, at most {limit:,}")
    return text


def cleaned(text: str) -> str:
    """Text from elsewhere (an imported issue) made deliverable: no NUL, valid UTF-8, cut to
    MAX_PROMPT characters."""
    text = text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= MAX_PROMPT else text[: MAX_PROMPT - 1] + "…"

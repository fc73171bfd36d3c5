"""Word-level differences between two texts, for the changes view: where a long text (a 工作总结, an
achievement's description) changed, the reviewer sees the words taken out and put in, not two whole texts.

Chinese has no spaces between words, so a token is a run of Latin letters or digits (a word, a number, a
year), one CJK character, a run of spaces, or one other character (punctuation)."""

import re
from difflib import SequenceMatcher

_TOKEN = re.compile(r"[A-Za-z0-9_.%-]+|\s+|.", re.S)
# Texts shorter than this (both sides) are shown as before → after; a diff of a few words says less.
LONG = 40


def tokens(text: str) -> list[str]:
    return _TOKEN.findall(text)


def word_diff(before: str, after: str) -> list[tuple[str, str]]:
    """The two texts as a list of (kind, text): "same", "del" (only before) and "ins" (only after), adjacent
    pieces of one kind merged; the "same" and "del" pieces spell `before`, the "same" and "ins" ones `after`."""
    old, new = tokens(before), tokens(after)
    pieces: list[tuple[str, str]] = []

    def add(kind: str, text: str) -> None:
        if not text:
            return
        if pieces and pieces[-1][0] == kind:
            pieces[-1] = (kind, pieces[-1][1] + text)
        else:
            pieces.append((kind, text))

    for op, i1, i2, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            add("same", "".join(old[i1:i2]))
        else:
            add("del", "".join(old[i1:i2]))
            add("ins", "".join(new[j1:j2]))
    return pieces


def is_long(before: str, after: str) -> bool:
    """Whether a change is shown as a word diff rather than before → after."""
    return len(before) >= LONG and len(after) >= LONG

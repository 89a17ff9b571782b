"""The members of a derivation written on one line, `A = B = C` (read further by
shapecheck.language.indices, one member at a time)."""
from __future__ import annotations


def split_members(text: str) -> list[tuple[int, str]]:
    """The members of `A = B = C` (split at each `=` outside brackets that is not `==`,
    `<=`, ...), each with its offset: `split_members("a = b")` → [(0, 'a '), (3, ' b')]."""
    members, start, depth = [], 0, 0
    for i, ch in enumerate(text):
        depth += (ch in "([{") - (ch in ")]}")
        if (ch == "=" and depth == 0 and text[i - 1:i] not in ("=", "<", ">", "!")
                and text[i + 1:i + 2] != "="):
            members.append((start, text[start:i]))
            start = i + 1
    return members + [(start, text[start:])]

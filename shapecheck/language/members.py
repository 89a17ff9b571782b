"""A derivation's members, found in its text before any parsing: `A = B = C` split at its
`=`s, and whether a member may be written in index notation at all (every index form has
a subscript `_`). Light on purpose: every formula asks, few need the index reader."""
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


def maybe_indexed(texts) -> bool:
    """False where no member has a subscript: entries `Y_i`, `[HW]_i`, deltas `\\delta_{ik}`
    and index sums `\\sum_j` all have one, so such members need not be read for indices."""
    return any("_" in text for text in texts)

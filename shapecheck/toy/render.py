"""The toy as text that reads on an 80-column terminal: each equation on its own line,
wrapped between terms, its continuation lines indented under its right side."""
from __future__ import annotations

import textwrap

from . import DRAWS, Toy

WIDTH = 80
MAX_CHAIN = 8  # lines of the chain rule shown: the pattern, not every entry on the way


def equation(left: str, right: str, indent: int = 2) -> list[str]:
    """`  Z1[0,1] = W1[0,0]*X[0,1] + ...`, wrapped at the spaces between terms."""
    head = " " * indent
    return textwrap.wrap(f"{left} = {right}", WIDTH, initial_indent=head,
                         subsequent_indent=head + "    ", break_on_hyphens=False)


def prose(text: str, indent: int = 0) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent=" " * indent,
                         subsequent_indent=" " * (indent + 2), break_on_hyphens=False)


def render(toy: Toy) -> str:
    if not toy.sizes:  # the formula could not be read: the report below says why
        return "\n".join(prose(f"No toy of {toy.formula}: {toy.problem}."))
    values = set(toy.sizes.values())
    sizes = f"every size {values.pop()} ({', '.join(toy.sizes)})" if len(values) == 1 else \
        "sizes " + ", ".join(f"{n} = {v}" for n, v in toy.sizes.items())
    lines = prose(f"The toy of {toy.formula}: {sizes}, every entry written out as "
                  "scalars.")
    if toy.problem:
        return "\n".join(lines + prose(f"No toy: {toy.problem}.", 2))
    for note in toy.notes:
        lines += prose(f"- {note}", 2)
    if toy.forward:
        lines.append("Forward, the entries on the way from it to the cost:")
        for left, right in toy.forward:
            lines += equation(left, right)
    lines.append("Chain rule, each entry it feeds times the partial of that entry by it:")
    for left, right in toy.chain[:MAX_CHAIN]:
        lines += equation(left, right)
    if len(toy.chain) > MAX_CHAIN:
        lines += prose(f"... and {len(toy.chain) - MAX_CHAIN} more entries on the way, "
                       "each the same sum of products", 2)
    lines += equation(*toy.chained)
    lines.append("Your formula, the same entry:")
    lines += equation(*toy.yours)
    if toy.differ is None:
        how = "the same expression at this entry" if toy.same else \
            "equal in value, written differently"
        lines += prose(f"Agree for all {toy.entries} entries of {toy.target.split('[')[0]} "
                       f"at {DRAWS} random points ({how}).")
    else:
        chained, yours = toy.values
        lines += prose(f"Differ first at {toy.differ}: {toy.chained[1]} vs {toy.yours[1]} "
                       f"({chained:.6g} vs {yours:.6g} at a random point).")
    return "\n".join(lines)

"""`--explain`: how a formula was read, in numpy form, with the shape of every part.

A learner who writes LaTeX or slide notation sees what shapecheck understood
(`W^{[2]T} dZ^{[2]}` as `W2.T @ dZ2`) and where the shapes stop lining up. The data is
built first (`explanation`, plain dataclasses), the rich tree last (`render`).
"""
from __future__ import annotations


from .. import syntax as s
from ..errors import ShapecheckError
from ..frozen import Record, record
from ..language.printer import to_numpy
from ..shapes import Inference, Mismatch, Shape, ShapeEnv, show


@record
class Step(Record):
    """One sub-expression: its numpy text, what the user wrote for it, and its shape (None
    where the shapes stopped before reaching it)."""
    numpy: str
    source: str
    span: s.Span
    shape: Shape | None
    failed: bool = False
    children: tuple["Step", ...] = ()


@record
class Explanation(Record):
    formula: str
    numpy: str | None = None           # the whole formula as numpy: "dZ1 = W2.T @ dZ2 * ..."
    lhs: str | None = None
    lhs_shape: Shape | None = None
    root: Step | None = None           # the right side
    reading: str | None = None         # how ambiguous notation was read: "HW as H @ W"
    problem: str | None = None         # where the shapes (or the reading) go wrong


def explanation(text: str, eq: s.Equation, env: ShapeEnv, lhs_shape: Shape | None,
                notes: tuple[str, ...] = ()) -> Explanation:
    """The lowered equation `eq` with the shape of each part, as far as the shapes go."""
    inference = Inference(env)
    problem, failing = None, None
    try:
        shape = inference.of(eq.rhs)
        if lhs_shape is not None and tuple(shape) != tuple(lhs_shape):
            problem = (f"the right side is {show(shape)}, but {eq.lhs.id} is {show(lhs_shape)}: "
                       "a formula's result must have its left side's shape")
    except Mismatch as e:
        problem, failing = e.failure.message, e.failure.node
    except ShapecheckError as e:  # a name without a shape, a call that cannot be read
        problem = e.message
        failing = next((n for n in s.walk(eq.rhs) if e.span and tuple(n.span) == tuple(e.span)), None)
    return Explanation(text, to_numpy(eq), eq.lhs.id, lhs_shape,
                       _step(eq.rhs, text, inference.shapes, failing), "; ".join(notes) or None,
                       problem)


def failed(text: str, error: ShapecheckError) -> Explanation:
    """A formula that could not be read at all (it does not parse, say)."""
    return Explanation(text, problem=error.message)


def _parts(node: s.Node) -> tuple[s.Node, ...]:
    if isinstance(node, s.BinOp):
        return (node.left, node.right)
    if isinstance(node, (s.Neg, s.Transpose, s.Index)):
        return (node.operand,)
    if isinstance(node, (s.Call, s.Derivative)):
        return node.args
    return ()


def _step(node: s.Node, text: str, shapes: dict[int, Shape], failing: s.Node | None) -> Step:
    source = text[node.span[0]:node.span[1]].strip()
    if any(source.count(a) != source.count(b) for a, b in ("{}", "[]", "()")):
        source = ""  # W2 of W^{[2]T} is the text `W^{[2]`: not worth showing
    return Step(to_numpy(node), source, node.span, shapes.get(id(node)), node is failing,
                tuple(_step(part, text, shapes, failing) for part in _parts(node)))


def render(ex: Explanation, console) -> None:
    """The formula, its numpy reading, and a tree of its parts with their shapes."""
    from rich.text import Text
    from rich.tree import Tree

    console.print(Text(ex.formula, style="formula"), soft_wrap=False)  # at spaces, to the width
    if ex.numpy:
        console.print(Text("read as  ", style="dim") + Text(ex.numpy, style="hint"),
                      soft_wrap=False)
    if ex.reading:
        console.print(Text(f"reading  {ex.reading}", style="dim"), soft_wrap=False)
    if ex.root is not None:
        head = Text(f"{ex.lhs} ")
        head.append(show(ex.lhs_shape) if ex.lhs_shape is not None else "?", style="dim")
        head.append(" =")
        tree = Tree(head, guide_style="dim")
        _grow(tree, ex.root)
        console.print(tree, soft_wrap=False)  # long parts wrap inside the tree
    if ex.problem:
        console.print(Text("✗ " + ex.problem, style="shape"), soft_wrap=False)


def _grow(tree, step: Step) -> None:
    from rich.text import Text

    label = Text(step.numpy, style="operator" if step.failed else "formula")
    label.append("  ")
    label.append(show(step.shape) if step.shape is not None else "?",
                 style="operator" if step.failed else "dim")
    if step.failed:
        label.append("  ✗", style="operator")
    if step.source and step.source != step.numpy:
        label.append(f"   ← {step.source}", style="source")
    branch = tree.add(label)
    for child in step.children:
        _grow(branch, child)

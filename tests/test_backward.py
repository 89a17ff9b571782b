"""check_backward: a hand-written backward function's gradients against finite differences
of its forward function, with right and wrong (a missing 1/m, transposed, a wrong shape)
backward functions of a linear layer, relu, a two-layer network, and the course's
`linear_backward(dZ, cache)` through an adapter."""
from __future__ import annotations

import numpy as np
import pytest

from shapecheck.backward import BackwardCheck, check_backward
from shapecheck.errors import BadOptionError, ShapecheckError

SIZES = {"n0": 3, "n1": 4, "m": 5}
LINEAR = {"A_prev": ("n0", "m"), "W": ("n1", "n0"), "b": ("n1", 1)}


# --- the course's functions, as the assignments write them -----------------------------------

def linear_backward(dZ, cache):
    A_prev, W, b = cache
    m = A_prev.shape[1]
    dW = 1 / m * dZ @ A_prev.T
    db = 1 / m * np.sum(dZ, axis=1, keepdims=True)
    dA_prev = W.T @ dZ
    return dA_prev, dW, db


def relu_backward(dA, cache):
    Z = cache
    dZ = np.array(dA, copy=True)
    dZ[Z <= 0] = 0
    return dZ


def linear_forward(A_prev, W, b):
    return W @ A_prev + b


def course_linear(dZ, A_prev, W, b):
    """The adapter of the README: the course's cache in, a dict by input name out."""
    dA_prev, dW, db = linear_backward(dZ, (A_prev, W, b))
    return {"A_prev": dA_prev, "W": dW, "b": db}


# --- a linear layer ---------------------------------------------------------------------------

def test_the_courses_linear_backward_passes_in_the_courses_convention():
    result = check_backward(linear_forward, course_linear, LINEAR, SIZES, examples="m")
    assert isinstance(result, BackwardCheck) and result.ok and result.wrong == []
    assert [g.name for g in result.gradients] == ["A_prev", "W", "b"]
    for gradient in result.gradients:
        assert gradient.verdict == "pass" and gradient.rel_error < 1e-8
        assert gradient.tolerance == 1e-6 and gradient.method == "exact"


def test_without_the_convention_the_1_over_m_is_named_and_the_convention_offered():
    result = check_backward(linear_forward, course_linear, LINEAR, SIZES)
    assert not result.ok and result.wrong == ["W", "b"]
    assert result["A_prev"].ok  # W.T @ dZ is dJ/dA_prev of J = sum(Z * dZ)
    assert result["W"].diagnosis == {"kind": "factor", "factor": "1/m"}
    assert "1/m = 1/5 times the true gradient; multiply it by m" in result["W"].message
    assert "examples='m'" in result["W"].message
    assert 0.7 < result["W"].rel_error < 0.9  # |1/5 - 1| / 1


def test_a_missing_1_over_m_is_diagnosed_as_m_times_the_gradient():
    def backward(dZ, A_prev, W, b):
        return {"A_prev": W.T @ dZ, "W": dZ @ A_prev.T,  # dW without its 1/m
                "b": 1 / 5 * np.sum(dZ, axis=1, keepdims=True)}
    result = check_backward(linear_forward, backward, LINEAR, SIZES, examples="m")
    assert result.wrong == ["W"]
    assert result["W"].verdict == "value"
    assert result["W"].diagnosis == {"kind": "factor", "factor": "m"}
    assert "the gradient returned is m = 5 times the true gradient; multiply it by 1/m" \
        in result["W"].message
    text = str(result)
    assert "✗ value  backward(...)['W']   (n1, n0) = (4, 3)" in text
    assert text.splitlines()[-1].startswith("backward: 3 gradients checked: 2 pass, 1 value")
    assert repr(result) == text


def test_a_transposed_gradient_has_the_wrong_shape_and_its_transpose_is_named():
    def backward(dZ, A_prev, W, b):
        dA_prev, dW, db = linear_backward(dZ, (A_prev, W, b))
        return dA_prev, dW.T, db  # a tuple in the order of the inputs
    result = check_backward(linear_forward, backward, LINEAR, SIZES, examples="m")
    assert result.wrong == ["W"]
    w = result["W"]
    assert (w.verdict, w.returned_shape, w.output) == ("shape", (3, 4), "backward(...)[1] for W")
    assert w.diagnosis == {"kind": "transpose"}
    assert "is (3, 4), but W is (n1, n0) = (4, 3)" in w.message and "transpose it" in w.message


def test_a_transposed_square_gradient_has_the_right_shape_and_is_diagnosed():
    sizes = {"n0": 4, "n1": 4, "m": 5}
    def backward(dZ, A_prev, W, b):
        dA_prev, dW, db = linear_backward(dZ, (A_prev, W, b))
        return {"W": dW.T}
    result = check_backward(linear_forward, backward, LINEAR, sizes, examples="m")
    assert result["W"].verdict == "value" and result["W"].diagnosis == {"kind": "transpose"}
    assert result.unchecked == ("A_prev", "b")
    assert "none returned for A_prev, b" in str(result)


def test_a_bias_gradient_without_keepdims_has_the_wrong_shape():
    def backward(dZ, A_prev, W, b):
        return {"b": 1 / 5 * np.sum(dZ, axis=1)}
    result = check_backward(linear_forward, backward, LINEAR, SIZES, examples="m")
    b = result["b"]
    assert b.verdict == "shape" and b.returned_shape == (4,) and b.diagnosis is None
    assert "reshape it to (4, 1) (or sum keeping its dimensions)" in b.message


# --- relu -------------------------------------------------------------------------------------

def relu(Z):
    return np.maximum(Z, 0)


def test_relu_backward_passes_and_a_wrong_one_fails():
    shapes = {"Z": ("n1", "m")}
    right = check_backward(relu, lambda dA, Z: relu_backward(dA, Z), shapes, SIZES)
    assert right.ok and right["Z"].output == "<lambda>(...) for Z"
    wrong = check_backward(relu, lambda dA, Z: dA * (Z < 0), shapes, SIZES)  # the other side
    assert wrong.wrong == ["Z"] and wrong["Z"].verdict == "value"
    assert wrong["Z"].rel_error > 0.5 and wrong["Z"].diagnosis is None


# --- a two-layer network whose forward returns the cost -------------------------------------

NET = {"X": ("n0", "m"), "Y": (1, "m"), "W1": ("n1", "n0"), "b1": ("n1", 1),
       "W2": (1, "n1"), "b2": (1, 1)}


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def net_cost(X, Y, W1, b1, W2, b2):
    A1 = np.tanh(W1 @ X + b1)
    A2 = sigmoid(W2 @ A1 + b2)
    m = X.shape[1]
    return -np.sum(Y * np.log(A2) + (1 - Y) * np.log(1 - A2)) / m


def net_backward(X, Y, W1, b1, W2, b2, slip=False):
    m = X.shape[1]
    A1 = np.tanh(W1 @ X + b1)
    A2 = sigmoid(W2 @ A1 + b2)
    dZ2 = A2 - Y
    dW2 = 1 / m * dZ2 @ A1.T
    db2 = 1 / m * np.sum(dZ2, axis=1, keepdims=True)
    dZ1 = W2.T @ dZ2 * (1 - A1 ** 2 if not slip else 1 - A1)  # the slip: tanh' as 1 - A
    dW1 = 1 / m * dZ1 @ X.T
    db1 = 1 / m * np.sum(dZ1, axis=1, keepdims=True)
    return {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def test_a_two_layer_network_passes_and_a_slip_in_the_hidden_layer_is_located():
    right = check_backward(net_cost, net_backward, NET, SIZES)
    assert right.ok and right.unchecked == ("X", "Y")
    assert "J is the cost forward returns" in str(right)
    wrong = check_backward(net_cost, lambda **a: net_backward(**a, slip=True), NET, SIZES)
    assert wrong.wrong == ["W1", "b1"]  # the output layer's gradients are right
    assert all(wrong[n].verdict == "value" for n in ("W1", "b1"))


def test_large_inputs_are_compared_along_random_directions():
    sizes = {"n0": 40, "n1": 30, "m": 20}  # W1 has 1200 entries: more than exact_max
    right = check_backward(net_cost, net_backward, NET, sizes)
    assert right.ok
    assert right["W1"].method == "directional" and right["W2"].method == "exact"
    def halved(**inputs):
        grads = net_backward(**inputs)
        return {**grads, "W1": grads["W1"] / 2}
    wrong = check_backward(net_cost, halved, NET, sizes)
    assert wrong.wrong == ["W1"] and wrong["W1"].diagnosis == {"kind": "factor", "factor": "1/2"}


# --- what is refused --------------------------------------------------------------------------

@pytest.mark.parametrize("backward, said", [
    (lambda dZ, A_prev, W, b: (W.T @ dZ, dZ @ A_prev.T),
     "returned 2 gradients for 3 inputs (A_prev, W, b): return one per input in that order"),
    (lambda dZ, A_prev, W, b: {"dW": dZ @ A_prev.T},
     "returned a gradient for 'dW', which is no input of forward (the inputs: A_prev, W, b)"),
    (lambda dZ, A_prev, W, b: "dW",
     "returned a str: return a dict of gradients by input name"),
])
def test_gradients_returned_in_no_known_form_are_refused(backward, said):
    with pytest.raises(BadOptionError) as raised:
        check_backward(linear_forward, backward, LINEAR, SIZES)
    assert said in raised.value.message


def test_unknown_sizes_and_a_cost_that_is_not_finite_are_refused():
    with pytest.raises(ShapecheckError, match="'n2' is neither a positive whole number nor"):
        check_backward(linear_forward, course_linear, {"W": ("n2", "n0")}, SIZES)
    with pytest.raises(ShapecheckError, match="examples='k': give its size"):
        check_backward(linear_forward, course_linear, LINEAR, SIZES, examples="k")
    with pytest.raises(ShapecheckError, match="gives a cost that is not finite"):
        with np.errstate(invalid="ignore"):  # the log of a negative number: nan
            check_backward(lambda Z: np.sum(np.log(Z)), lambda Z: 1 / Z, {"Z": (3, 2)})


def test_a_gradient_that_is_no_array_is_an_error_of_that_gradient():
    result = check_backward(linear_forward, lambda dZ, A_prev, W, b: {"W": None, "b": 0 * b},
                            LINEAR, SIZES)
    assert result["W"].verdict == "error" and "is a NoneType" in result["W"].message
    assert result["b"].verdict == "value" and not result.ok


def test_the_inputs_are_copies_the_functions_may_write_into():
    def clobbering(dZ, A_prev, W, b):
        grads = course_linear(dZ, A_prev, W, b)
        A_prev[:] = 0  # a backward that reuses its cache's memory
        W[:] = 0
        return grads
    assert check_backward(linear_forward, clobbering, LINEAR, SIZES, examples="m").ok


def test_the_same_seed_gives_the_same_numbers():
    first = check_backward(linear_forward, course_linear, LINEAR, SIZES)
    again = check_backward(linear_forward, course_linear, LINEAR, SIZES)
    assert [g.rel_error for g in first.gradients] == [g.rel_error for g in again.gradients]
    other = check_backward(linear_forward, course_linear, LINEAR, SIZES, seed=1)
    assert [g.rel_error for g in other.gradients] != [g.rel_error for g in first.gradients]


# --- the README's example, run as shown ---------------------------------------------------------

def test_the_readmes_example_prints_what_the_readme_shows():
    import re
    import subprocess
    import sys
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Check a backward function", 1)[1]
    code, shown = re.search(r"```python\n(.*?)```\n```\n(.*?)```", section, re.S).groups()
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={"NO_COLOR": "1", "PATH": ""})
    assert run.returncode == 0, run.stderr
    assert run.stdout == shown


def test_in_a_notebook_the_report_is_html_in_colour():
    def backward(dZ, A_prev, W, b):
        return {"W": dZ @ A_prev.T}
    html = check_backward(linear_forward, backward, LINEAR, SIZES, examples="m")._repr_html_()
    assert html.startswith("<pre") and html.rstrip().endswith("</pre>")
    assert "✗ value" in html and "multiply it by 1/m" in html
    assert "color: #" in html  # the verdict's colour, inline

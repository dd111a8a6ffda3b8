"""Behaviour of the lesson-grade Scalar engine: values, gradients, graph walks, drawing."""

import math
import os
import shutil
import stat
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tinyfit.autograd.draw import GraphSVG, GraphText
from tinyfit.autograd.scalar import Scalar

# Ranges where every op below is smooth and finite differences are accurate.
moderate = st.floats(min_value=-3.0, max_value=3.0, allow_nan=False)
positive = st.floats(min_value=0.2, max_value=3.0, allow_nan=False)
away_from_zero = st.one_of(
    st.floats(min_value=-3.0, max_value=-0.2), st.floats(min_value=0.2, max_value=3.0)
)


def numerical_slope(f, x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def check_grads(op, *values: float) -> None:
    """Each input's gradient after op(...).backward() matches a central difference."""
    inputs = [Scalar(v) for v in values]
    op(*inputs).backward()
    for i, x in enumerate(inputs):

        def moved(v: float, i: int = i) -> float:
            args = [Scalar(u) for u in values]
            args[i] = Scalar(v)
            return op(*args).data

        assert x.grad == pytest.approx(numerical_slope(moved, values[i]), rel=1e-4, abs=1e-6)


# ***** values and repr *****


def test_repr_shows_numbers_eagerly():
    assert repr(Scalar(2)) == "Scalar(data=2.0000, grad=0.0000)"
    s = Scalar(-1.23456)
    s.grad = 0.5
    assert repr(s) == "Scalar(data=-1.2346, grad=0.5000)"


def test_data_is_float_and_grad_starts_at_zero():
    s = Scalar(3)
    assert isinstance(s.data, float) and s.data == 3.0
    assert s.grad == 0.0


@pytest.mark.parametrize(
    "op, expected",
    [
        (lambda a, b: a + b, 5.0),
        (lambda a, b: a - b, -1.0),
        (lambda a, b: a * b, 6.0),
        (lambda a, b: a / b, 2.0 / 3.0),
        (lambda a, b: a**b, 8.0),
    ],
)
def test_binary_forward_values(op, expected):
    assert op(Scalar(2.0), Scalar(3.0)).data == pytest.approx(expected)


def test_unary_forward_values():
    x = Scalar(0.5)
    assert (-x).data == -0.5
    assert x.exp().data == pytest.approx(math.exp(0.5))
    assert x.log().data == pytest.approx(math.log(0.5))
    assert x.tanh().data == pytest.approx(math.tanh(0.5))
    assert x.relu().data == 0.5 and Scalar(-2.0).relu().data == 0.0
    assert x.sigmoid().data == pytest.approx(1 / (1 + math.exp(-0.5)))


def test_sigmoid_is_stable_for_large_inputs():
    assert Scalar(-1000.0).sigmoid().data == 0.0
    assert Scalar(1000.0).sigmoid().data == 1.0


# ***** gradients against finite differences *****

# name: (expression, strategy for each input). One table, one test.
GRAD_CASES = {
    "add": (lambda a, b: a + b, (moderate, moderate)),
    "sub": (lambda a, b: a - b, (moderate, moderate)),
    "mul": (lambda a, b: a * b, (moderate, moderate)),
    "div": (lambda a, b: a / b, (moderate, away_from_zero)),
    "scalar ** scalar": (lambda a, b: a**b, (positive, moderate)),
    "a ** 2": (lambda a: a**2, (moderate,)),
    "a ** 3": (lambda a: a**3, (moderate,)),
    "a ** -1": (lambda a: a**-1, (away_from_zero,)),
    "a ** -2": (lambda a: a**-2, (away_from_zero,)),
    "a ** 0.5": (lambda a: a**0.5, (positive,)),
    "neg": (lambda a: -a, (moderate,)),
    "exp": (lambda a: a.exp(), (moderate,)),
    "log": (lambda a: a.log(), (positive,)),
    "tanh": (lambda a: a.tanh(), (moderate,)),
    "relu": (lambda a: a.relu(), (away_from_zero,)),
    "sigmoid": (lambda a: a.sigmoid(), (moderate,)),
    "composite": (
        # relu of a + 4 (always > 0) and of a - 4 (always < 0) keeps clear of its kink.
        lambda a, b, c: ((a * b).tanh() + c.log() * a - b.sigmoid() / (c + 1)) ** 2
        + (a + 4).relu() + (a - 4).relu() + 2 ** (c * a),
        (moderate, moderate, positive),
    ),
}


@pytest.mark.parametrize("name", GRAD_CASES)
@given(data=st.data())
def test_gradient_matches_finite_difference(name, data):
    op, strategies = GRAD_CASES[name]
    check_grads(op, *(data.draw(s) for s in strategies))


# ***** numbers on either side *****


@pytest.mark.parametrize(
    "expr, value, grad",
    [
        (lambda x: x + 2, 5.0, 1.0),
        (lambda x: 2 + x, 5.0, 1.0),
        (lambda x: x - 2, 1.0, 1.0),
        (lambda x: 2 - x, -1.0, -1.0),
        (lambda x: x * 2, 6.0, 2.0),
        (lambda x: 2 * x, 6.0, 2.0),
        (lambda x: x / 2, 1.5, 0.5),
        (lambda x: 6 / x, 2.0, -6.0 / 9.0),
        (lambda x: x**2, 9.0, 6.0),
        (lambda x: 2**x, 8.0, 8.0 * math.log(2.0)),
    ],
    ids=["x+2", "2+x", "x-2", "2-x", "x*2", "2*x", "x/2", "6/x", "x**2", "2**x"],
)
def test_python_numbers_on_either_side(expr, value, grad):
    x = Scalar(3.0)
    out = expr(x)
    assert isinstance(out, Scalar)
    out.backward()
    assert out.data == pytest.approx(value)
    assert x.grad == pytest.approx(grad)


def test_sum_of_scalars_starts_from_a_number():
    xs = [Scalar(float(i)) for i in range(4)]
    total = sum(xs)  # 0 + xs[0] goes through __radd__
    total.backward()
    assert total.data == 6.0
    assert [x.grad for x in xs] == [1.0, 1.0, 1.0, 1.0]


def test_unsupported_operand_raises_type_error():
    with pytest.raises(TypeError):
        Scalar(1.0) + "a"
    with pytest.raises(TypeError):
        "a" * Scalar(1.0)
    with pytest.raises(TypeError):
        Scalar(1.0) ** [2]


# ***** pow and log edge cases *****


def test_scalar_to_the_scalar_gradients():
    a, b = Scalar(3.0), Scalar(2.0)
    out = a**b
    out.backward()
    assert out.data == 9.0
    assert a.grad == pytest.approx(2.0 * 3.0)
    assert b.grad == pytest.approx(9.0 * math.log(3.0))


def test_zero_base_with_scalar_exponent_has_zero_exponent_grad():
    a, b = Scalar(0.0), Scalar(2.0)
    (a**b).backward()
    assert b.grad == 0.0
    assert a.grad == 0.0


def test_zero_to_the_zero_has_zero_base_grad():
    a = Scalar(0.0)
    out = a**0
    out.backward()
    assert (out.data, a.grad) == (1.0, 0.0)


def test_negative_base_with_scalar_exponent_fails_on_backward_naming_the_base():
    a, b = Scalar(-2.0), Scalar(2.0)
    out = a**b
    assert out.data == 4.0  # the forward value is fine
    with pytest.raises(ValueError, match=r"base = -2\.0"):
        out.backward()


def test_negative_base_with_number_exponent_is_fine():
    a = Scalar(-2.0)
    (a**3).backward()
    assert a.grad == pytest.approx(12.0)


def test_non_real_power_is_refused():
    with pytest.raises(ValueError, match="not a real number"):
        Scalar(-8.0) ** 0.5


@pytest.mark.parametrize("bad", [0.0, -1.5])
def test_log_of_non_positive_names_the_value(bad):
    with pytest.raises(ValueError, match=f"log: .*{bad!r}"):
        Scalar(bad).log()


# ***** graph walks *****


def test_reused_node_a_plus_a():
    a = Scalar(3.0)
    (a + a).backward()
    assert a.grad == 2.0


def test_reused_node_a_times_a_plus_a():
    a = Scalar(3.0)
    out = a * a + a
    out.backward()
    assert out.data == 12.0
    assert a.grad == 2 * 3.0 + 1  # d/da (a**2 + a)


def test_diamond_graph_uses_each_path_once():
    a = Scalar(2.0)
    b = a * 3  # b feeds two branches that meet again
    out = b.tanh() + b * b
    out.backward()
    expected = (1 - math.tanh(6.0) ** 2) * 3 + 2 * 6.0 * 3
    assert a.grad == pytest.approx(expected)


def test_parents_are_kept_in_argument_order():
    a, b = Scalar(1.0), Scalar(2.0)
    assert (a * b)._parents == (a, b)
    assert (b * a)._parents == (b, a)


def test_topological_order_is_deterministic_parents_first():
    a, b, c = Scalar(1.0, label="a"), Scalar(2.0, label="b"), Scalar(3.0, label="c")
    ab = a * b
    ab.label = "ab"
    out = ab + c
    out.label = "out"
    assert [n.label for n in out._topological_order()] == ["a", "b", "ab", "c", "out"]


def test_twenty_thousand_op_chain_has_no_recursion_error():
    x = Scalar(1.0)
    y = x
    for _ in range(20_000):
        y = y * 1.0 + 0.0
    assert sys.getrecursionlimit() < 40_000  # the chain is deeper than recursion allows
    y.backward()
    assert y.data == 1.0
    assert x.grad == 1.0


def test_text_drawing_of_a_graph_deeper_than_the_recursion_limit():
    depth = sys.getrecursionlimit() + 200
    x = Scalar(1.0, label="x")
    y = x
    for _ in range(depth):
        y = y.relu()
    lines = repr(y.draw(format="text")).splitlines()
    assert len(lines) == depth + 1
    assert lines[-1].endswith("x  data=1.0000  grad=0.0000")


def test_backward_twice_accumulates_on_leaves_only():
    a, b = Scalar(2.0), Scalar(-3.0)
    mid = a * b
    out = mid.tanh()
    out.backward()
    first = (a.grad, b.grad, mid.grad, out.grad)
    out.backward()
    assert out.grad == 1.0
    assert mid.grad == first[2]  # intermediates recomputed, not doubled
    assert a.grad == pytest.approx(2 * first[0])  # leaves accumulate, like PyTorch
    assert b.grad == pytest.approx(2 * first[1])


def test_zero_grad_resets_the_whole_graph():
    a, b = Scalar(2.0), Scalar(-3.0)
    out = (a * b).exp()
    out.backward()
    out.zero_grad()
    assert (a.grad, b.grad, out.grad) == (0.0, 0.0, 0.0)
    out.backward()
    assert a.grad == pytest.approx(b.data * out.data)


def test_backward_on_a_leaf_accumulates_like_any_leaf():
    a = Scalar(5.0)
    a.backward()
    assert a.grad == 1.0
    a.backward()
    assert a.grad == 2.0


# ***** drawing *****


def small_graph() -> Scalar:
    a = Scalar(2.0, label="a")
    b = Scalar(-3.0, label="b")
    out = (a * b + a).tanh()
    out.label = "out"
    out.backward()
    return out


def put_fake_dot_on_path(folder, monkeypatch, body: str) -> None:
    """A stand-in `dot`, first on PATH, so the svg path runs without Graphviz installed."""
    path = folder / "dot"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")


@pytest.mark.skipif(os.name == "nt", reason="fake `dot` is a shell script")
def test_draw_svg_runs_dot_on_generated_source(tmp_path, monkeypatch):
    # The fake echoes its input inside <svg>, so we can see what dot was given.
    put_fake_dot_on_path(tmp_path, monkeypatch, "echo '<svg>'; cat; echo '</svg>'\n")
    drawing = small_graph().draw(format="svg")
    assert isinstance(drawing, GraphSVG)
    svg = drawing._repr_svg_()
    assert svg.startswith("<svg>") and svg.rstrip().endswith("</svg>")
    assert "digraph" in svg and "rankdir=LR" in svg
    assert "data -0.9993" in svg and "grad 1.0000" in svg
    assert 'label="tanh"' in svg and 'label="*"' in svg
    assert drawing.dot in svg


@pytest.mark.skipif(os.name == "nt", reason="fake `dot` is a shell script")
def test_dot_source_escapes_record_characters_in_labels(tmp_path, monkeypatch):
    put_fake_dot_on_path(tmp_path, monkeypatch, "echo '<svg/>'\n")
    x = Scalar(1.0, label='in|"x"{0}')
    drawing = (x * 2).draw(format="svg")
    assert r'in\|\"x\"\{0\}' in drawing.dot


@pytest.mark.skipif(os.name == "nt", reason="fake `dot` is a shell script")
def test_draw_auto_prefers_dot_when_present(tmp_path, monkeypatch):
    put_fake_dot_on_path(tmp_path, monkeypatch, "echo '<svg/>'\n")
    assert isinstance(small_graph().draw(), GraphSVG)


@pytest.mark.skipif(os.name == "nt", reason="fake `dot` is a shell script")
def test_draw_falls_back_when_dot_fails(tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    put_fake_dot_on_path(tmp_path, monkeypatch, "echo broken >&2; exit 1\n")
    assert isinstance(small_graph().draw(), Figure)


def test_draw_without_dot_uses_matplotlib(monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    before = plt.get_fignums()
    fig = small_graph().draw()
    assert isinstance(fig, Figure)
    assert plt.get_fignums() == before  # closed, so notebooks show it once
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "out | data -0.9993 | grad 1.0000" in texts
    assert {"tanh", "+", "*"} <= set(texts)


def test_forcing_svg_without_dot_warns_and_falls_back(monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    with pytest.warns(UserWarning, match="dot"):
        drawing = small_graph().draw(format="svg")
    assert not isinstance(drawing, GraphSVG)


def test_draw_matplotlib_forced(monkeypatch):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    called = []
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: called.append(name))
    assert isinstance(small_graph().draw(format="matplotlib"), Figure)
    assert called == []  # forcing matplotlib never looks for dot


def test_draw_text_when_matplotlib_is_missing(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    # A None entry makes `import matplotlib.pyplot` raise ImportError.
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    drawing = small_graph().draw()
    assert isinstance(drawing, GraphText)
    with pytest.warns(UserWarning, match="matplotlib"):
        assert isinstance(small_graph().draw(format="matplotlib"), GraphText)


def test_draw_text_tree():
    text = repr(small_graph().draw(format="text"))
    assert text == (
        "out = tanh  data=-0.9993  grad=1.0000\n"
        "└── +  data=-4.0000  grad=0.0013\n"
        "    ├── *  data=-6.0000  grad=0.0013\n"
        "    │   ├── a  data=2.0000  grad=-0.0027\n"
        "    │   └── b  data=-3.0000  grad=0.0027\n"
        "    └── a  data=2.0000  grad=-0.0027"
    )


def test_draw_text_prints_shared_subgraphs_once():
    a = Scalar(1.0, label="a")
    m = a * 2
    m.label = "m"
    text = repr((m + m).draw(format="text"))
    assert text.count("m = *") == 2
    assert text.count("a  data") == 1
    assert "(inputs shown above)" in text


def test_draw_rejects_unknown_format():
    with pytest.raises(ValueError, match="format"):
        Scalar(1.0).draw(format="png")


# ***** optional oracle *****


def test_matches_torch_when_available():
    torch = pytest.importorskip("torch")
    x = Scalar(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x + (x**2).sigmoid() + (x * -0.1).exp().log() + 1 / (x.tanh() - 3)
    y.backward()

    xt = torch.tensor([-4.0], dtype=torch.float64, requires_grad=True)
    zt = 2 * xt + 2 + xt
    qt = zt.relu() + zt * xt
    ht = (zt * zt).relu()
    yt = ht + qt + qt * xt + (xt**2).sigmoid() + (xt * -0.1).exp().log() + 1 / (xt.tanh() - 3)
    yt.backward()

    assert y.data == pytest.approx(yt.item())
    assert x.grad == pytest.approx(xt.grad.item())

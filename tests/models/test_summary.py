"""model.summary(expand_nested=..., layer_range=..., positions=...)."""

import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.models.summary import summary_lines


def nested_model():
    """outer: x -> encoder (functional, holding a Sequential "core") -> head (Sequential)."""
    core = keras.Sequential([layers.Dense(5, name="core_dense")], name="core")
    inner_in = keras.Input((4,), name="inner_in")
    encoder = keras.Model(inner_in, layers.Dense(3, name="inner_dense")(core(inner_in)), name="encoder")
    head = keras.Sequential([layers.Dense(2, name="s1"), layers.Dense(2, name="s2")], name="head")
    x = keras.Input((4,), name="x")
    return keras.Model(x, head(encoder(x)), name="outer")


def rows(model, **kwargs):
    lines = []
    model.summary(print_fn=lines.append, **kwargs)
    return [line.strip("│").split("│")[0].rstrip() for line in lines if line.startswith("│")], lines


def test_without_expand_nested_a_nested_model_is_one_row():
    names, _ = rows(nested_model())
    assert names == [" x (InputLayer)", " encoder (Functional)", " head (Sequential)"]


def test_expand_nested_shows_the_layers_inside_indented_by_level():
    names, lines = rows(nested_model(), expand_nested=True)
    assert names == [
        " x (InputLayer)",
        " encoder (Functional)",
        " └ inner_in (InputLayer)",
        " └ core (Sequential)",
        "   └ core_dense (Dense)",
        " └ inner_dense (Dense)",
        " head (Sequential)",
        " └ s1 (Dense)",
        " └ s2 (Dense)",
    ]
    core_dense = next(line for line in lines if "core_dense" in line)
    assert "(None, 5)" in core_dense and core_dense.rstrip(" │").endswith("25")
    assert lines[-3] == " Total params: 57 (228.00 B)"  # the totals count the whole model once


def test_expand_nested_in_ascii_marks_the_rows_with_ascii():
    lines = summary_lines(nested_model(), ascii_only=True, expand_nested=True)
    assert any(line.startswith("| > inner_in (InputLayer)") for line in lines)
    assert all(ord(c) < 128 for line in lines for c in line)


def test_layer_range_by_names_and_by_indices():
    model = nested_model()
    assert rows(model, layer_range=("encoder", "head"))[0] == [" encoder (Functional)", " head (Sequential)"]
    assert rows(model, layer_range=(0, 1))[0] == [" x (InputLayer)", " encoder (Functional)"]
    assert rows(model, layer_range=["head", -1])[0] == [" head (Sequential)"]
    names, _ = rows(model, layer_range=("x", "encoder"), expand_nested=True)
    assert names[-1] == " └ inner_dense (Dense)" and " head (Sequential)" not in names


def test_layer_range_errors_name_the_layers():
    model = nested_model()
    with pytest.raises(ValueError, match=r"no layer named 'decoder'\. Its layers are: 'x', 'encoder', 'head'\."):
        model.summary(layer_range=("x", "decoder"))
    with pytest.raises(ValueError, match=r"7 is neither a layer name nor an index in 0\.\.2 .*3 layers: 'x'"):
        model.summary(layer_range=(0, 7))
    with pytest.raises(ValueError, match=r"layer 'head' \(index 2\) comes after 'x' \(index 0\)"):
        model.summary(layer_range=("head", "x"))
    with pytest.raises(ValueError, match=r"expected a pair \(first, last\) .*got 'x'"):
        model.summary(layer_range="x")


def test_positions_set_where_the_columns_end():
    _, lines = rows(nested_model(), positions=[0.5, 0.8, 1.0], line_length=100)
    header = lines[2]
    assert [i for i, c in enumerate(header) if c == "┃"] == [0, 50, 80, 100]
    _, lines = rows(nested_model(), positions=[40, 70, 90])
    assert [i for i, c in enumerate(lines[2]) if c == "┃"] == [0, 40, 70, 90]


def test_positions_never_cut_a_cell_and_must_fit_the_columns():
    _, lines = rows(nested_model(), positions=[0.1, 0.2, 0.3])
    assert any("encoder (Functional)" in line for line in lines)
    with pytest.raises(ValueError, match=r"expected 3 positive numbers, one per column \(Layer \(type\), Output "
                                         r"Shape, Param #\), got \[0\.5, 1\.0\]"):
        nested_model().summary(positions=[0.5, 1.0])

"""keras.utils.plot_model: SVG from tinyfit's own layout, PNG through matplotlib, no graphviz."""

import struct
import sys
import xml.etree.ElementTree as ET

import pytest

import tinyfit as keras
from tinyfit import layers

SVG = "{http://www.w3.org/2000/svg}"


def multi_io_model():
    """Two inputs, two outputs, an edge that skips a rank (title -> priority)."""
    title = keras.Input(shape=(8,), name="title")
    body = keras.Input(shape=(6,), name="body")
    t = layers.Dense(4, activation="relu", name="title_features")(title)
    b = layers.Dense(4, name="body_features")(body)
    merged = t + b
    priority = layers.Dense(1, name="priority")(merged * 0.5 + layers.Dense(4, name="skip")(title))
    department = layers.Dense(3, activation="softmax", name="department")(merged)
    return keras.Model([title, body], [priority, department], name="ticket_model")


def plot_svg(model, tmp_path, **kwargs):
    path = tmp_path / "model.svg"
    keras.utils.plot_model(model, to_file=str(path), **kwargs)
    return path.read_text(encoding="utf-8"), ET.parse(path).getroot()


def boxes(root):
    return {g.get("id"): [t.text for t in g.iter(SVG + "text")] for g in root.iter(SVG + "g")
            if g.get("class") == "layer"}


def arrows(root):
    found = []
    for line in root.iter(SVG + "polyline"):
        points = [tuple(map(float, p.split(","))) for p in line.get("points").split()]
        found.append((line.get("data-source"), line.get("data-target"), points))
    return found


def test_the_svg_parses_and_holds_every_layer_with_its_shapes(tmp_path):
    model = multi_io_model()
    _, root = plot_svg(model, tmp_path, show_shapes=True)
    assert root.tag == SVG + "svg"
    found = boxes(root)
    assert set(found) == {layer.name for layer in model.layers}
    assert found["title"] == ["title (InputLayer)", "Input shape: (None, 8)", "Output shape: (None, 8)"]
    assert found["title_features"] == ["title_features (Dense)", "Input shape: (None, 8)", "Output shape: (None, 4)"]
    assert found["department"][2] == "Output shape: (None, 3)"
    add = next(name for name in found if name.startswith("add"))
    assert found[add][1] == "Input shape: [(None, 4), (None, 4)]"


def test_every_arrow_joins_connected_layers_and_points_down(tmp_path):
    model = multi_io_model()
    _, root = plot_svg(model, tmp_path)
    drawn = arrows(root)
    expected = {(t.node.layer.name, node.layer.name) for node in model._graph.nodes for t in node.inputs}
    assert {(a, b) for a, b, _ in drawn} == expected and len(drawn) == len(expected)
    for _, _, points in drawn:
        ys = [y for _, y in points]
        assert ys == sorted(ys) and ys[0] < ys[-1]
    skip = next(points for a, b, points in drawn if (a, b) == ("title", "skip"))
    assert len(skip) >= 2


def test_left_to_right_arrows_point_right(tmp_path):
    _, root = plot_svg(multi_io_model(), tmp_path, rankdir="LR")
    for _, _, points in arrows(root):
        xs = [x for x, _ in points]
        assert xs == sorted(xs) and xs[0] < xs[-1]


def test_the_box_text_follows_the_options(tmp_path):
    model = multi_io_model()
    model.get_layer("body_features").trainable = False
    _, root = plot_svg(model, tmp_path, show_layer_names=False, show_dtype=True, show_layer_activations=True,
                       show_trainable=True)
    found = boxes(root)
    assert found["title_features"] == ["Dense", "Activation: relu", "Input dtype: float32", "Output dtype: float32",
                                       "Trainable: yes"]
    assert found["body_features"][-1] == "Trainable: no"
    assert "Activation: softmax" in found["department"]


def test_sequential_models_are_a_chain(tmp_path):
    model = keras.Sequential([keras.Input((5,), name="features"), layers.Dense(3, name="hidden"),
                              layers.Dense(1, name="score")])
    _, root = plot_svg(model, tmp_path, show_shapes=True)
    assert set(boxes(root)) == {"features", "hidden", "score"}
    assert {(a, b) for a, b, _ in arrows(root)} == {("features", "hidden"), ("hidden", "score")}
    assert boxes(root)["score"][2] == "Output shape: (None, 1)"


def test_a_subclassed_model_is_one_box(tmp_path):
    class Scorer(keras.Model):
        def __init__(self):
            super().__init__(name="scorer")
            self.dense = layers.Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

    _, root = plot_svg(Scorer(), tmp_path, show_shapes=True)
    assert boxes(root) == {"scorer": ["scorer (Scorer)", "Input shape: ?", "Output shape: ?"]}
    assert arrows(root) == []


def nested_model():
    inner_in = keras.Input((4,), name="inner_in")
    encoder = keras.Model(inner_in, layers.Dense(3, name="inner_dense")(inner_in), name="encoder")
    x = keras.Input((4,), name="x")
    return keras.Model(x, layers.Dense(2, name="head")(encoder(x)), name="outer")


def test_expand_nested_draws_the_inner_layers_in_a_frame(tmp_path):
    model = nested_model()
    _, root = plot_svg(model, tmp_path)
    assert set(boxes(root)) == {"x", "encoder", "head"}
    _, root = plot_svg(model, tmp_path, expand_nested=True)
    assert set(boxes(root)) == {"x", "inner_in", "inner_dense", "head"}
    frames = [g for g in root.iter(SVG + "g") if g.get("class") == "frame"]
    assert [f.get("id") for f in frames] == ["encoder"]
    rect = frames[0].find(SVG + "rect")
    left, top = float(rect.get("x")), float(rect.get("y"))
    right, bottom = left + float(rect.get("width")), top + float(rect.get("height"))
    for g in root.iter(SVG + "g"):
        if g.get("class") != "layer":
            continue
        box = g.find(SVG + "rect")
        x, y, w, h = (float(box.get(k)) for k in ("x", "y", "width", "height"))
        inside = left <= x and x + w <= right and top <= y and y + h <= bottom
        assert inside == (g.get("id") in ("inner_in", "inner_dense"))
    assert {(a, b) for a, b, _ in arrows(root)} == {("x", "inner_in"), ("inner_in", "inner_dense"),
                                                    ("inner_dense", "head")}


def png_size(path):
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_a_png_is_written_at_the_dpi_asked(tmp_path):
    model = multi_io_model()
    keras.utils.plot_model(model, to_file=str(tmp_path / "low.png"), dpi=72)
    keras.utils.plot_model(model, to_file=str(tmp_path / "high.png"), dpi=144)
    (w1, h1), (w2, h2) = png_size(tmp_path / "low.png"), png_size(tmp_path / "high.png")
    assert abs(w2 - 2 * w1) <= 2 and abs(h2 - 2 * h1) <= 2
    text, root = plot_svg(model, tmp_path)
    assert abs(w1 - float(root.get("width"))) <= 2  # at 72 dpi, one pixel per SVG unit


def test_the_default_png_shows_inline_and_the_svg_is_returned_for_svg_files(tmp_path, monkeypatch):
    from IPython.display import SVG as IPythonSVG, Image

    monkeypatch.chdir(tmp_path)
    shown = keras.utils.plot_model(multi_io_model())
    assert isinstance(shown, Image) and (tmp_path / "model.png").exists()
    shown = keras.utils.plot_model(multi_io_model(), to_file="m.svg")
    assert isinstance(shown, IPythonSVG) and "title_features" in shown.data
    shown = keras.utils.plot_model(multi_io_model(), to_file=None)
    assert isinstance(shown, IPythonSVG) and sorted(p.name for p in tmp_path.iterdir()) == ["m.svg", "model.png"]


def test_without_ipython_the_result_still_shows_in_a_notebook(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "IPython.display", None)
    shown = keras.utils.plot_model(nested_model(), to_file=None)
    assert ET.fromstring(shown._repr_svg_()).tag == SVG + "svg"


def test_a_png_without_matplotlib_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"needs matplotlib: pip install matplotlib\. An \.svg file needs nothing"):
        keras.utils.plot_model(nested_model(), to_file=str(tmp_path / "model.png"))
    keras.utils.plot_model(nested_model(), to_file=str(tmp_path / "model.svg"))  # SVG needs nothing


def test_bad_rankdir_and_file_type_are_explained(tmp_path):
    with pytest.raises(ValueError, match=r"rankdir='BT' is not one of 'TB', 'LR'"):
        keras.utils.plot_model(nested_model(), to_file=None, rankdir="BT")
    with pytest.raises(ValueError, match=r"cannot write '.*model\.gif': the file name must end in \.png, \.svg, \.pdf"):
        keras.utils.plot_model(nested_model(), to_file=str(tmp_path / "model.gif"))
    with pytest.raises(TypeError, match=r"expected a Model, got Dense"):
        keras.utils.plot_model(layers.Dense(2), to_file=None)


def test_names_with_markup_characters_are_escaped(tmp_path):
    x = keras.Input((2,), name="a<b&c")
    model = keras.Model(x, layers.Dense(1, name="d")(x))
    _, root = plot_svg(model, tmp_path)
    assert "a<b&c" in boxes(root)

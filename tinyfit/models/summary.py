"""model.summary(): a table of the layers, their output shapes and parameter counts.

    Model: "functional"
    ┏━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━┓
    ┃ Layer (type)                    ┃ Output Shape           ┃       Param # ┃
    ┡━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━┩
    │ digits (InputLayer)             │ (None, 784)            │             0 │
    ...
     Total params: 55,050 (215.04 KB)

Where the output cannot show box-drawing characters (a Windows console in
cp1252, say), the borders are drawn in ASCII instead.

With `expand_nested=True` a model used as a layer is followed by its own layers,
indented one step per level of nesting; `layer_range=(first, last)` keeps the
rows from `first` to `last` (names or indices into the model's layers, both
included). The totals always count the whole model.
"""

from __future__ import annotations

import sys
from typing import Any, Callable

_BOX = {  # top, header rule, row rule, bottom: (left, fill, middle, right); then the two verticals
    "top": "┏━┳┓", "header": "┡━╇┩", "row": "├─┼┤", "bottom": "└─┴┘", "head_bar": "┃", "bar": "│",
}
_ASCII = {"top": "+-++", "header": "+=++", "row": "+-++", "bottom": "+-++", "head_bar": "|", "bar": "|"}
_MIN_WIDTHS = {"Layer (type)": 31, "Output Shape": 22, "Param #": 13, "Connected to": 22, "Trainable": 9}


def print_summary(model: Any, print_fn: Callable[[str], Any] | None = None, line_length: int | None = None,
                  show_trainable: bool = False, expand_nested: bool = False, layer_range: Any = None,
                  positions: Any = None) -> None:
    """Prints the summary of `model` line by line with `print_fn` (default print)."""
    ascii_only = print_fn is None and not _can_encode(_BOX["top"] + _BOX["bar"], sys.stdout)
    lines = summary_lines(model, ascii_only=ascii_only, show_trainable=show_trainable, expand_nested=expand_nested,
                          layer_range=layer_range, positions=positions, line_length=line_length)
    for line in lines:
        (print_fn or print)(line)


def summary_lines(model: Any, ascii_only: bool = False, show_trainable: bool = False, expand_nested: bool = False,
                  layer_range: Any = None, positions: Any = None, line_length: int | None = None) -> list[str]:
    """The lines of the summary of `model` (see Model.summary for the arguments)."""
    graph = model._graph
    connections = graph is not None and not _is_chain(graph)
    headers = ["Layer (type)", "Output Shape", "Param #"]
    headers += ["Connected to"] * connections + ["Trainable"] * show_trainable
    marker = "> " if ascii_only else "└ "
    rows = []
    for layer in _in_range(model, model._summary_layers(), layer_range):
        rows.append(_row(layer, graph, connections, show_trainable))
        if expand_nested:
            rows += _nested_rows(layer, 1, connections, show_trainable, marker)
    lines = [f'Model: "{model.name}"']
    lines += _table(headers, rows, _ASCII if ascii_only else _BOX, _min_widths(headers, positions, line_length))
    lines += _totals(model)
    return lines


def _nested_rows(layer: Any, depth: int, connections: bool, show_trainable: bool, marker: str) -> list[list[str]]:
    """The rows of the layers inside a model used as a layer (and inside those), indented by depth."""
    if not hasattr(layer, "_summary_layers"):
        return []
    rows = []
    for inner in layer._summary_layers():
        row = _row(inner, layer._graph, connections, show_trainable)
        row[0] = "  " * (depth - 1) + marker + row[0]
        rows.append(row)
        rows += _nested_rows(inner, depth + 1, connections, show_trainable, marker)
    return rows


def _in_range(model: Any, layers: list[Any], layer_range: Any) -> list[Any]:
    """The layers from layer_range[0] to layer_range[1] (names or indices, both included)."""
    if layer_range is None:
        return layers
    if not isinstance(layer_range, (list, tuple)) or len(layer_range) != 2:
        raise ValueError(
            f"summary(layer_range=...): expected a pair (first, last) of layer names or indices, got {layer_range!r}."
        )
    first, last = (_position(model, layers, end) for end in layer_range)
    if first > last:
        raise ValueError(
            f"summary(layer_range={tuple(layer_range)!r}): layer {layers[first].name!r} (index {first}) comes after "
            f"{layers[last].name!r} (index {last}); give the earlier layer first."
        )
    return layers[first:last + 1]


def _position(model: Any, layers: list[Any], end: Any) -> int:
    names = [layer.name for layer in layers]
    if isinstance(end, str):
        if end not in names:
            raise ValueError(
                f"summary(layer_range=...): model {model.name!r} has no layer named {end!r}. Its layers are: "
                f"{', '.join(map(repr, names))}."
            )
        return names.index(end)
    if isinstance(end, bool) or not isinstance(end, int) or not -len(layers) <= end < len(layers):
        raise ValueError(
            f"summary(layer_range=...): {end!r} is neither a layer name nor an index in 0..{len(layers) - 1} "
            f"(model {model.name!r} has {len(layers)} layers: {', '.join(map(repr, names))})."
        )
    return end % len(layers)


def _min_widths(headers: list[str], positions: Any, line_length: int | None) -> list[int]:
    """Each column's least width: from `positions` (where each column ends, as fractions of
    line_length when all are <= 1) when given, else the usual minimums."""
    widths = [_MIN_WIDTHS.get(h, len(h)) for h in headers]
    if positions is None:
        return widths
    ends = list(positions)
    if len(ends) != len(headers) or any(isinstance(e, bool) or not isinstance(e, (int, float)) or e <= 0
                                        for e in ends):
        raise ValueError(
            f"summary(positions=...): expected {len(headers)} positive numbers, one per column "
            f"({', '.join(headers)}), got {positions!r}."
        )
    if all(e <= 1 for e in ends):
        ends = [e * (line_length or 98) for e in ends]
    starts = [0] + ends[:-1]
    return [max(1, int(round(end - start)) - 3) for start, end in zip(starts, ends)]  # 3: the bar and the padding


def _row(layer: Any, graph: Any, connections: bool, show_trainable: bool) -> list[str]:
    node = graph.node_of(layer) if graph is not None else None
    params = f"{layer.count_params():,}" if layer.built else "0 (unbuilt)"
    row = [f"{layer.name} ({_kind(layer)})", _output_shape(node), params]
    if connections:
        row.append(", ".join(_source(t) for t in node.inputs) if node is not None and node.inputs else "-")
    if show_trainable:
        row.append("Y" if layer.trainable else "N")
    return row


def _kind(layer: Any) -> str:
    """The class name, or "Functional" for a Model(inputs, outputs) used as a layer (as Keras shows it)."""
    name = type(layer).__name__
    return "Functional" if name == "Model" and getattr(layer, "_graph", None) is not None else name


def _output_shape(node: Any) -> str:
    if node is None:
        return "?"
    shapes = [t.shape for t in node.output_tensors]
    return str(shapes[0]) if len(shapes) == 1 else str(shapes)


def _source(tensor: Any) -> str:
    """"dense_1[0][0]": the layer, which of its calls, which of that call's outputs."""
    layer = tensor.node.layer
    return f"{layer.name}[{layer._inbound_nodes.index(tensor.node)}][{tensor.index}]"


def _is_chain(graph: Any) -> bool:
    """True when each layer feeds only the next one (then "Connected to" says nothing new)."""
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        return False
    previous = graph.inputs[0]
    for node in graph.nodes:
        if node.inputs != [previous] or len(node.output_tensors) != 1:
            return False
        previous = node.output_tensors[0]
    return True


def _table(headers: list[str], rows: list[list[str]], box: dict[str, str], least: list[int]) -> list[str]:
    widths = [max([least[i], len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    right = [h == "Param #" for h in headers]

    def rule(kind: str) -> str:
        left, fill, middle, end = box[kind]
        return left + middle.join(fill * (w + 2) for w in widths) + end

    def line(cells: list[str], bar: str) -> str:
        parts = [c.rjust(w) if r else c.ljust(w) for c, w, r in zip(cells, widths, right)]
        return bar + bar.join(f" {p} " for p in parts) + bar

    lines = [rule("top"), line(headers, box["head_bar"]), rule("header")]
    for i, row in enumerate(rows):
        if i:
            lines.append(rule("row"))
        lines.append(line(row, box["bar"]))
    lines.append(rule("bottom"))
    return lines


def _totals(model: Any) -> list[str]:
    trainable = model.trainable_weights
    frozen = model.non_trainable_weights
    t_count, f_count = sum(v.size for v in trainable), sum(v.size for v in frozen)
    t_bytes = sum(v.size * v.dtype.itemsize for v in trainable)
    f_bytes = sum(v.size * v.dtype.itemsize for v in frozen)
    return [
        f" Total params: {t_count + f_count:,} ({_readable(t_bytes + f_bytes)})",
        f" Trainable params: {t_count:,} ({_readable(t_bytes)})",
        f" Non-trainable params: {f_count:,} ({_readable(f_bytes)})",
    ]


def _readable(n_bytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return ""  # pragma: no cover


def _can_encode(text: str, stream: Any) -> bool:
    encoding = getattr(stream, "encoding", None) or "ascii"
    try:
        text.encode(encoding)
        return True
    except (UnicodeEncodeError, LookupError):
        return False

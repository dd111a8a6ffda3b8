"""Rebuilding a model from a file's config, the one way every loader does it (rebuild_model).

A file's config is hostile data until its model stands: its inputs' sizes are bounded
(check_input_shapes); the weights its layers create, and the made-up inputs they are built
on, are bounded by the numbers the file's arrays hold (layers/weight_budget.py); whatever
rebuilding raises becomes a refusal naming the file (rebuilt). Only then are the file's arrays
read and checked against the model's weights.

Also a saved model's build config: the input shapes that create a subclassed model's weights.

A subclassed model makes its weights when first called, and its config (the arguments of its
__init__) does not say on what input. Files keep, as Keras 3 does, {"input_shape": ...} from
its first build or call; loading builds the rebuilt model on placeholders of those shapes
before its weights are assigned. The shapes come from a file, so they are checked as data:
sizes are whole numbers or null, nesting and counts are capped, and the batch size is not
used (weights never depend on it; a huge one would only cost memory).
"""

from __future__ import annotations

from typing import Any, Callable

from ..layers.weight_budget import MAX_SAMPLE_NUMBERS, weight_budget
from .serialization import deserialize_keras_object

__all__ = ["rebuild_model", "checked_build_config", "check_input_shapes", "rebuilt", "build_from_file"]

MAX_SHAPES = 64
MAX_RANK = 16
MAX_SAMPLE_SIZE = MAX_SAMPLE_NUMBERS  # numbers in one sample of one input: far past any model tinyfit trains
# Keys under which a model config gives its inputs' shapes (Input, InputLayer, a first layer's input_shape).
_SHAPE_KEYS = ("batch_shape", "batch_input_shape", "shape", "input_shape")


def _refuse(path: str, cause: str) -> ValueError:
    return ValueError(f"Refusing to load '{path}': {cause}")


def _is_size(value: Any) -> bool:
    return value is None or (isinstance(value, int) and not isinstance(value, bool) and 0 <= value)


def rebuild_model(path: str, config: Any, weight_numbers: int, custom_objects: dict | None,
                  build_shapes: Any = None, compile_model: Callable[[Any], None] | None = None) -> Any:
    """The model `config` (read from the file at `path`) describes, its weights made but not yet set.

    `weight_numbers`: how many numbers the file's weight arrays hold, the most its layers may
    create. `build_shapes` (from checked_build_config) builds a model that has no weights once
    rebuilt; `compile_model(model)` compiles it, under the same budget. A ValueError names the file.
    """
    check_input_shapes(path, config)
    with weight_budget(weight_numbers, lambda cause: _refuse(path, f"{cause}.")):
        model = rebuilt(path, "model config", lambda: deserialize_keras_object(config, custom_objects,
                                                                               family="layer"))
        build_from_file(path, model, build_shapes)
        if compile_model is not None:
            rebuilt(path, "compile config", lambda: compile_model(model))
    return model


def checked_build_config(path: str, config: Any) -> Any:
    """The input shape(s) a file's build config holds, checked as data; None when it holds none."""
    if config is None:
        return None
    if not isinstance(config, dict):
        raise _refuse(path, f"its build_config is {type(config).__name__}, not an object.")
    count = 0

    def shape(value: Any, depth: int) -> Any:
        nonlocal count
        if depth > 4:
            raise _refuse(path, "its build_config nests input shapes deeper than 4 levels.")
        if isinstance(value, list) and all(_is_size(size) for size in value):
            count += 1
            if count > MAX_SHAPES or len(value) > MAX_RANK:
                raise _refuse(path, f"its build_config holds over {MAX_SHAPES} input shapes or one of rank "
                                    f"over {MAX_RANK}.")
            sample = 1
            for size in value[1:]:
                sample *= size or 1
            if sample > MAX_SAMPLE_SIZE:
                raise _refuse(path, f"its build_config gives an input of shape {value}, over {MAX_SAMPLE_SIZE} "
                                    f"numbers per sample.")
            return tuple([None] + value[1:]) if value else ()
        if isinstance(value, list):
            return [shape(item, depth + 1) for item in value]
        if isinstance(value, dict) and all(isinstance(key, str) for key in value):
            return {key: shape(item, depth + 1) for key, item in value.items()}
        raise _refuse(path, f"its build_config holds {value!r:.60}, not an input shape (a list of sizes "
                            f"or null).")

    found = config.get("input_shape")
    return None if found is None else shape(found, 0)


def check_input_shapes(path: str, config: Any) -> None:
    """Refuses a model config whose inputs are too large to build on.

    Building a model runs its layers on made-up inputs of the shapes its config gives; a forged
    shape would make that allocate without bound before any array of the file is read.
    """
    stack = [config]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key in _SHAPE_KEYS and isinstance(item, list) and all(_is_size(size) for size in item):
                    count = 1
                    for size in item:
                        count *= size or 1
                    if count > MAX_SAMPLE_SIZE:
                        raise _refuse(path, f"its config gives an input of shape {item} ({count} numbers; the "
                                            f"limit is {MAX_SAMPLE_SIZE}), which no saved model has. The file "
                                            f"is damaged or forged.")
                else:
                    stack.append(item)
        elif isinstance(value, list):
            stack.extend(value)


def rebuilt(path: str, what: str, build: Callable[[], Any]) -> Any:
    """`build()` (rebuilding from the file's `what`); its failures become a ValueError naming the file."""
    try:
        return build()
    except (ValueError, NotImplementedError) as error:
        if str(error).startswith("Refusing"):
            raise
        raise _refuse(path, f"its {what} does not rebuild in tinyfit: {error}") from None
    except (TypeError, KeyError, IndexError, AttributeError, OverflowError, RecursionError) as error:
        # A config of the wrong form reaches code that trusts its form: the file is damaged or forged.
        raise _refuse(path, f"its {what} is damaged or inconsistent ({type(error).__name__}: {error}).") from None
    except MemoryError as error:  # a size no budget foresaw (a layer of the user's, say): still a refusal
        raise _refuse(path, f"its {what} asks for more memory than there is ({error}). The file is damaged or "
                            f"forged, or the model is too large for this machine.") from None


def build_from_file(path: str, model: Any, shapes: Any) -> None:
    """Builds `model` on placeholders of `shapes` (from checked_build_config), so that it has its weights."""
    if shapes is None or model.built:
        return
    try:
        model.build(shapes)
    except (TypeError, ValueError, IndexError, KeyError) as error:
        raise _refuse(path, (
            f"the {type(model).__name__} its config rebuilds could not be built on inputs of shape {shapes} "
            f"({type(error).__name__}: {error}). Build the model in code, call it on one batch, and load the "
            f"weights with model.load_weights(path).")) from None

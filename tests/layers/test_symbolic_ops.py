"""tinyfit.ops on the symbolic tensors of a model definition (keras.Input and what follows).

Every public op, given KerasTensors, records a graph step whose output has the
right shape, and the model built from it computes what the op computes on data.
"""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers, ops
from tinyfit.autograd.tensor import Tensor
from tinyfit.layers.symbolic import KerasTensor

RNG = np.random.default_rng(0)
KERNEL = RNG.uniform(-1, 1, (3, 3, 2, 4)).astype("float32")
WEIGHTS = RNG.uniform(-1, 1, (4, 2)).astype("float32")

# name: (how the op is applied to the inputs x (3, 4), labels (3,) int32, image (6, 6, 2)),
#        the shape of the result; None is the batch axis.
CASES = {
    "convert_to_tensor": (lambda t: ops.convert_to_tensor(t["x"]), (None, 3, 4)),
    "cast": (lambda t: ops.cast(t["x"], "float64"), (None, 3, 4)),
    "stop_gradient": (lambda t: ops.stop_gradient(t["x"]), (None, 3, 4)),
    "zeros_like": (lambda t: ops.zeros_like(t["x"]), (None, 3, 4)),
    "ones_like": (lambda t: ops.ones_like(t["x"], dtype="int32"), (None, 3, 4)),
    "add": (lambda t: ops.add(t["x"], 1.0), (None, 3, 4)),
    "subtract": (lambda t: ops.subtract(t["x"], ops.square(t["x"])), (None, 3, 4)),
    "multiply": (lambda t: ops.multiply(2.0, t["x"]), (None, 3, 4)),  # the tensor second
    "divide": (lambda t: ops.divide(t["x"], 4.0), (None, 3, 4)),
    "negative": (lambda t: ops.negative(t["x"]), (None, 3, 4)),
    "power": (lambda t: ops.power(t["x"], 3), (None, 3, 4)),
    "square": (lambda t: ops.square(t["x"]), (None, 3, 4)),
    "maximum": (lambda t: ops.maximum(t["x"], 0.5), (None, 3, 4)),
    "minimum": (lambda t: ops.minimum(0.5, t["x"]), (None, 3, 4)),
    "clip": (lambda t: ops.clip(t["x"], 0.25, 0.75), (None, 3, 4)),
    "where": (lambda t: ops.where(ops.greater(t["x"], 0.5), t["x"], 0.0), (None, 3, 4)),
    "matmul": (lambda t: ops.matmul(t["x"], WEIGHTS), (None, 3, 2)),
    "sqrt": (lambda t: ops.sqrt(t["x"]), (None, 3, 4)),
    "abs": (lambda t: ops.abs(t["x"]), (None, 3, 4)),
    "exp": (lambda t: ops.exp(t["x"]), (None, 3, 4)),
    "log": (lambda t: ops.log(t["x"]), (None, 3, 4)),
    "tanh": (lambda t: ops.tanh(t["x"]), (None, 3, 4)),
    "sigmoid": (lambda t: ops.sigmoid(t["x"]), (None, 3, 4)),
    "relu": (lambda t: ops.relu(t["x"]), (None, 3, 4)),
    "softplus": (lambda t: ops.softplus(t["x"]), (None, 3, 4)),
    "equal": (lambda t: ops.equal(t["x"], t["x"]), (None, 3, 4)),
    "not_equal": (lambda t: ops.not_equal(t["x"], 0.5), (None, 3, 4)),
    "greater": (lambda t: ops.greater(t["x"], 0.5), (None, 3, 4)),
    "greater_equal": (lambda t: ops.greater_equal(t["x"], 0.5), (None, 3, 4)),
    "less": (lambda t: ops.less(t["x"], 0.5), (None, 3, 4)),
    "less_equal": (lambda t: ops.less_equal(t["x"], 0.5), (None, 3, 4)),
    "sum": (lambda t: ops.sum(t["x"]), ()),
    "mean": (lambda t: ops.mean(t["x"], axis=1), (None, 4)),
    "max": (lambda t: ops.max(t["x"], axis=-1), (None, 3)),
    "min": (lambda t: ops.min(t["x"], axis=-1, keepdims=True), (None, 3, 1)),
    "var": (lambda t: ops.var(t["x"], axis=(1, 2)), (None,)),
    "std": (lambda t: ops.std(t["x"]), ()),
    "argmax": (lambda t: ops.argmax(t["x"], axis=-1), (None, 3)),
    "argmin": (lambda t: ops.argmin(t["x"], axis=1), (None, 4)),
    "logsumexp": (lambda t: ops.logsumexp(t["x"], axis=1), (None, 4)),
    "reshape": (lambda t: ops.reshape(t["x"], (-1, 12)), (None, 12)),
    "transpose": (lambda t: ops.transpose(t["x"], (0, 2, 1)), (None, 4, 3)),
    "expand_dims": (lambda t: ops.expand_dims(t["x"], 1), (None, 1, 3, 4)),
    "squeeze": (lambda t: ops.squeeze(ops.expand_dims(t["x"], 1), axis=1), (None, 3, 4)),
    "concatenate": (lambda t: ops.concatenate([t["x"], ops.square(t["x"])], axis=-1), (None, 3, 8)),
    "stack": (lambda t: ops.stack([t["x"], t["x"]], axis=1), (None, 2, 3, 4)),
    "pad": (lambda t: ops.pad(t["x"], ((0, 0), (1, 1), (0, 0)), mode="edge"), (None, 5, 4)),
    "take": (lambda t: ops.take(t["x"], np.array([0, 2]), axis=1), (None, 2, 4)),
    "one_hot": (lambda t: ops.one_hot(t["labels"], 5), (None, 3, 5)),
    "softmax": (lambda t: ops.softmax(t["x"]), (None, 3, 4)),
    "log_softmax": (lambda t: ops.log_softmax(t["x"], axis=1), (None, 3, 4)),
    "conv": (lambda t: ops.conv(t["image"], KERNEL), (None, 4, 4, 4)),
    "conv_transpose": (lambda t: ops.conv_transpose(t["image"], np.swapaxes(KERNEL, -1, -2), strides=2),
                       (None, 13, 13, 4)),
    "max_pool": (lambda t: ops.max_pool(t["image"], 2), (None, 3, 3, 2)),
    "average_pool": (lambda t: ops.average_pool(t["image"], 2, padding="same"), (None, 3, 3, 2)),
    "categorical_crossentropy": (lambda t: ops.categorical_crossentropy(ops.softmax(t["x"]), t["x"]), (None, 3)),
    "sparse_categorical_crossentropy": (
        lambda t: ops.sparse_categorical_crossentropy(t["labels"], t["x"], from_logits=True), (None, 3)),
    "binary_crossentropy": (lambda t: ops.binary_crossentropy(t["x"], ops.sigmoid(t["x"])), (None, 3, 4)),
    "full_like": (lambda t: ops.full_like(t["x"], 2.0), (None, 3, 4)),
    "mod": (lambda t: ops.mod(t["x"], 0.25), (None, 3, 4)),
    "dot": (lambda t: ops.dot(t["x"], WEIGHTS), (None, 3, 2)),
    "einsum": (lambda t: ops.einsum("bij,bkj->bik", t["x"], t["x"]), (None, 3, 3)),
    **{name: (lambda t, name=name: getattr(ops, name)(t["x"]), (None, 3, 4))
       for name in ["erf", "sign", "round", "floor", "ceil", "isnan", "isinf", "isfinite", "logical_not",
                    "relu6", "leaky_relu", "elu", "log_sigmoid", "silu", "gelu"]},
    **{name: (lambda t, name=name: getattr(ops, name)(ops.greater(t["x"], 0.5), ops.less(t["x"], 0.7)),
              (None, 3, 4)) for name in ["logical_and", "logical_or", "logical_xor"]},
    "prod": (lambda t: ops.prod(t["x"], axis=-1), (None, 3)),
    "any": (lambda t: ops.any(ops.greater(t["x"], 0.8), axis=1), (None, 4)),
    "all": (lambda t: ops.all(ops.greater(t["x"], 0.2), axis=-1, keepdims=True), (None, 3, 1)),
    "norm": (lambda t: ops.norm(t["x"], axis=-1), (None, 3)),
    "cumsum": (lambda t: ops.cumsum(t["x"], axis=1), (None, 3, 4)),
    "sort": (lambda t: ops.sort(t["x"]), (None, 3, 4)),
    "argsort": (lambda t: ops.argsort(t["x"], axis=1), (None, 3, 4)),
    "top_k": (lambda t: ops.top_k(t["x"], 2)[0], (None, 3, 2)),
    "segment_sum": (lambda t: ops.segment_sum(ops.transpose(t["x"], (1, 0, 2)), np.array([0, 0, 1])), (2, None, 4)),
    "segment_max": (lambda t: ops.segment_max(ops.transpose(t["x"], (1, 0, 2)), np.array([1, 0, 1])),
                    (2, None, 4)),
    "swapaxes": (lambda t: ops.swapaxes(t["x"], 1, 2), (None, 4, 3)),
    "moveaxis": (lambda t: ops.moveaxis(t["x"], 1, -1), (None, 4, 3)),
    "split": (lambda t: ops.split(t["x"], 2, axis=-1)[1], (None, 3, 2)),
    "tile": (lambda t: ops.tile(t["x"], (1, 2, 1)), (None, 6, 4)),
    "repeat": (lambda t: ops.repeat(t["x"], 2, axis=-1), (None, 3, 8)),
    "flip": (lambda t: ops.flip(t["x"], axis=1), (None, 3, 4)),
    "slice": (lambda t: ops.slice(ops.transpose(t["x"], (1, 2, 0)), (1, 0, 0), (2, 3, 5)), (2, 3, 5)),
    "take_along_axis": (lambda t: ops.take_along_axis(t["x"], ops.argsort(t["x"], axis=1), axis=1), (None, 3, 4)),
    "moments": (lambda t: ops.moments(t["x"], axes=[1])[1], (None, 4)),
    "normalize": (lambda t: ops.normalize(t["x"], axis=1), (None, 3, 4)),
    **{name: (lambda t, name=name: getattr(ops, name)(t["x"]), (None, 3, 4))
       for name in ["reciprocal", "rsqrt", "absolute", "expm1", "log1p", "log2", "log10", "sin", "cos", "selu",
                    "softsign", "hard_sigmoid", "hard_silu", "swish", "tril", "triu", "layer_normalization",
                    "rms_normalization"]},
    "true_divide": (lambda t: ops.true_divide(t["x"], 2.0), (None, 3, 4)),
    "floor_divide": (lambda t: ops.floor_divide(t["x"], 0.3), (None, 3, 4)),
    "outer": (lambda t: ops.outer(t["x"], np.ones(2)), (None, 2)),
    "tensordot": (lambda t: ops.tensordot(t["x"], WEIGHTS, axes=1), (None, 3, 2)),
    "amax": (lambda t: ops.amax(t["x"], axis=1), (None, 4)),
    "amin": (lambda t: ops.amin(t["x"], axis=-1), (None, 3)),
    "count_nonzero": (lambda t: ops.count_nonzero(ops.round(t["x"]), axis=-1), (None, 3)),
    "ravel": (lambda t: ops.ravel(ops.slice(t["x"], (0, 0, 0), (2, 3, 4))), (24,)),
    "broadcast_to": (lambda t: ops.broadcast_to(ops.sum(t["x"], axis=0), (2, 3, 4)), (2, 3, 4)),
    "hstack": (lambda t: ops.hstack([t["x"], t["x"]]), (None, 6, 4)),
    "vstack": (lambda t: ops.vstack([t["x"], t["x"]]), (None, 3, 4)),
    "unstack": (lambda t: ops.unstack(t["x"], axis=1)[0], (None, 4)),
    "roll": (lambda t: ops.roll(t["x"], 1, axis=-1), (None, 3, 4)),
    "diff": (lambda t: ops.diff(t["x"], axis=1), (None, 2, 4)),
    "batch_normalization": (lambda t: ops.batch_normalization(t["x"], np.zeros(4), np.ones(4), axis=-1),
                            (None, 3, 4)),
    "dot_product_attention": (lambda t: ops.dot_product_attention(*[ops.expand_dims(t["x"], 2)] * 3, is_causal=True),
                              (None, 3, 1, 4)),
}
# Ops with no tensor argument, or whose point is to give values: nothing to record.
NOT_GRAPH_STEPS = {"zeros", "ones", "convert_to_numpy", "full", "arange", "linspace", "eye", "shape",
                   "ndim", "size", "dtype", "is_tensor", "empty", "identity"}


def symbolic_inputs():
    return {"x": keras.Input((3, 4), name="x"), "labels": keras.Input((3,), dtype="int32", name="labels"),
            "image": keras.Input((6, 6, 2), name="image")}


def data(batch=5):
    rng = np.random.default_rng(1)
    return {"x": rng.uniform(0.1, 0.9, (batch, 3, 4)).astype("float32"),
            "labels": rng.integers(0, 4, (batch, 3)).astype("int32"),
            "image": rng.uniform(-1, 1, (batch, 6, 6, 2)).astype("float32")}


def test_every_public_op_has_a_case():
    assert set(CASES) | NOT_GRAPH_STEPS == set(ops.__all__)
    assert not set(CASES) & NOT_GRAPH_STEPS


@pytest.mark.parametrize("name", sorted(CASES))
def test_an_op_on_keras_tensors_is_a_graph_step_that_computes_the_op(name):
    apply, shape = CASES[name]
    inputs = symbolic_inputs()
    out = apply(inputs)
    assert isinstance(out, KerasTensor)
    assert out.shape == shape
    model = keras.Model(inputs, out)
    batch = data()
    expected = apply({k: Tensor(v) for k, v in batch.items()})
    got = model(batch)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got.numpy(), expected.numpy(), rtol=1e-6)


def test_the_graph_step_is_a_layer_named_after_the_op():
    x = keras.Input((4,))
    out = ops.std(x, axis=-1)
    model = keras.Model(x, out)
    layer = out.node.layer
    assert isinstance(layer, layers.Lambda) and layer.name.startswith("std")
    assert model.layers[-1] is layer


def test_a_keras_tensor_in_a_keyword_argument_is_an_input_of_the_graph_step():
    x = keras.Input((4,), name="x")
    y = keras.Input((4,), name="y")
    out = ops.where(ops.greater(x, 0.0), x1=x, x2=y)
    model = keras.Model([x, y], out)
    assert out.node.inputs[1:] == [x, y]  # the condition first, then x1 and x2
    a = np.array([[1.0, -1.0, 2.0, -2.0]], "float32")
    b = np.full((1, 4), 7.0, "float32")
    np.testing.assert_array_equal(model([a, b]).numpy(), [[1.0, 7.0, 2.0, 7.0]])


def test_a_keras_tensor_inside_a_list_is_found():
    x = keras.Input((2,))
    out = ops.concatenate([np.ones((1, 2), "float32"), x], axis=0)
    assert out.shape == (None, 2)


def test_convert_to_numpy_of_a_keras_tensor_says_it_holds_no_values():
    with pytest.raises(TypeError, match=r"convert_to_numpy: <KerasTensor shape=\(None, 4\).*holds no values"):
        ops.convert_to_numpy(keras.Input((4,)))


def test_functional_add_loss_with_ops_works_as_in_the_guide():
    inputs = keras.Input(shape=(4,), name="digits")
    x1 = layers.Dense(3, activation="relu", name="dense_1")(inputs)
    outputs = layers.Dense(2, name="predictions")(x1)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.add_loss(ops.sum(x1) * 0.1)
    batch = np.random.default_rng(4).random((5, 4)).astype("float32")
    model(batch)
    (loss,) = model.losses
    assert loss.item() == pytest.approx(0.1 * model.get_layer("dense_1")(batch).numpy().sum(), rel=1e-5)


def test_real_tensors_still_give_tensors():
    x = Tensor(np.ones((2, 3), "float32"))
    assert isinstance(ops.mean(x), Tensor) and isinstance(ops.add(x, 1.0), Tensor)
    assert isinstance(ops.concatenate([x, np.ones((1, 3), "float32")]), Tensor)

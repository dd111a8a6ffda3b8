"""The keras.ops functions that Keras's guides and examples call exist in tinyfit.ops
with the same names; and, where Keras 3 itself can be imported, a few of them give
Keras's own values."""

import inspect
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from tinyfit import ops

# keras.ops calls in the keras.io guides and examples students copy (Keras 3 versions).
USED_BY_GUIDES = {
    "making_new_layers_and_models_via_subclassing": [
        "matmul", "sum", "mean", "square", "exp", "shape", "zeros", "relu"],
    "training_with_built_in_methods": [
        "mean", "square", "reshape", "argmax", "cast", "multiply", "sum", "sigmoid", "softmax"],
    "understanding_masking_and_padding": ["not_equal", "cast", "expand_dims", "exp", "sum"],
    "custom_train_step_in_torch (GAN)": ["shape", "concatenate", "ones", "zeros", "stop_gradient"],
    "customizing_saving_and_serialization": ["matmul", "add", "convert_to_tensor"],
    "intro_to_keras_for_engineers": ["convert_to_numpy", "convert_to_tensor", "argmax", "equal"],
    "antirectifier": ["mean", "relu", "concatenate", "matmul"],
    "transformer / positional embedding examples": ["arange", "shape", "not_equal", "softmax", "einsum"],
}

# What a homework reaches for beyond the guides (tinyfit's audit of keras.ops).
HOMEWORK = [
    "shape", "sum", "mean", "max", "min", "prod", "std", "var", "argmax", "argmin", "any", "all",
    "where", "stack", "split", "take", "take_along_axis", "one_hot", "top_k", "logsumexp",
    "segment_sum", "segment_max", "cumsum", "clip", "squeeze", "expand_dims", "transpose",
    "concatenate", "tile", "repeat", "sort", "argsort", "einsum", "norm", "softmax", "log_softmax",
    "relu", "sigmoid", "gelu", "silu", "softplus", "tanh", "exp", "log", "sqrt", "square", "abs",
    "maximum", "minimum", "matmul", "dot", "cast", "convert_to_tensor", "convert_to_numpy", "zeros",
    "ones", "zeros_like", "ones_like", "full", "arange", "linspace", "eye", "equal", "not_equal",
    "greater", "greater_equal", "less", "less_equal", "logical_and", "logical_or", "logical_not",
    "isnan", "isfinite", "sign", "round", "floor", "ceil", "mod", "power", "reshape", "flip", "pad",
    "slice", "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "moments", "normalize", "conv", "max_pool", "average_pool",
]


@pytest.mark.parametrize("guide", sorted(USED_BY_GUIDES))
def test_the_ops_a_guide_calls_exist(guide):
    missing = [name for name in USED_BY_GUIDES[guide] if not callable(getattr(ops, name, None))]
    assert missing == []


def test_the_ops_a_homework_reaches_for_exist_and_are_public():
    assert [name for name in HOMEWORK if name not in ops.__all__] == []


def test_the_guides_idioms_run():
    # Sampling layer of the VAE guide: the batch size read with ops.shape.
    z_mean = ops.zeros((4, 2))
    assert ops.zeros((ops.shape(z_mean)[0], ops.shape(z_mean)[1])).shape == (4, 2)
    # Positional embedding: positions for the last axis.
    tokens = np.array([[3, 1, 0]])
    np.testing.assert_array_equal(ops.arange(start=0, stop=ops.shape(tokens)[-1], step=1).numpy(), [0, 1, 2])
    np.testing.assert_array_equal(ops.not_equal(tokens, 0).numpy(), [[True, True, False]])
    # Masked softmax of the masking guide.
    mask = ops.expand_dims(ops.cast(ops.not_equal(tokens, 0), "float32"), -1)
    scores = ops.exp(ops.ones((1, 3, 1))) * mask
    assert float(ops.sum(scores / ops.sum(scores, axis=1, keepdims=True))) == pytest.approx(1.0)


# *************************************************** against real Keras 3 (numpy backend)
# One expression per op, evaluated with Keras's ops in a subprocess and with tinyfit's here.
EXPRESSIONS = {
    "top_k values": "ops.top_k(x, 2)[0]", "top_k indices": "ops.top_k(x, 2)[1]",
    "segment_sum": "ops.segment_sum(x, ids, num_segments=3)",
    "segment_max": "ops.segment_max(x, ids, num_segments=3)",
    "logsumexp": "ops.logsumexp(x, axis=1)", "norm": "ops.norm(x, ord=1, axis=0)",
    "gelu": "ops.gelu(x)", "gelu exact": "ops.gelu(x, approximate=False)", "silu": "ops.silu(x)",
    "elu": "ops.elu(x)", "leaky_relu": "ops.leaky_relu(x)", "log_sigmoid": "ops.log_sigmoid(x)",
    "relu6": "ops.relu6(x * 5)", "normalize": "ops.normalize(x)", "cumsum": "ops.cumsum(x, axis=0)",
    "prod": "ops.prod(x, axis=1)", "sort": "ops.sort(x, axis=0)", "argsort": "ops.argsort(x, axis=0)",
    "mod": "ops.mod(x, 0.7)", "erf": "ops.erf(x)", "round": "ops.round(x, 1)", "sign": "ops.sign(x)",
    "einsum": "ops.einsum('ij,kj->ik', x, x)", "dot": "ops.dot(x, x.T)",
    "moments variance": "ops.moments(x, axes=[0])[1]", "split": "ops.split(x, [1, 3], axis=1)[1]",
    "tile": "ops.tile(x, (2, 1))", "repeat": "ops.repeat(x, 2, axis=1)", "flip": "ops.flip(x, axis=0)",
    "take_along_axis": "ops.take_along_axis(x, np.argsort(x, 1), 1)",
    "slice": "ops.slice(x, (1, 2), (2, 3))", "linspace": "ops.linspace(0, 1, 7)",
    "eye": "ops.eye(3, 4, k=1)", "arange": "ops.arange(1, 9, 3)", "full": "ops.full((2, 2), 7)",
    "shape": "list(ops.shape(x))",
    "selu": "ops.selu(x)", "softsign": "ops.softsign(x)", "hard_sigmoid": "ops.hard_sigmoid(x * 4)",
    "hard_silu": "ops.hard_silu(x * 4)", "log1p": "ops.log1p(abs(x))", "expm1": "ops.expm1(x)",
    "log2": "ops.log2(abs(x) + 0.1)", "log10": "ops.log10(abs(x) + 0.1)", "sin": "ops.sin(x)", "cos": "ops.cos(x)",
    "rsqrt": "ops.rsqrt(abs(x) + 0.1)", "floor_divide": "ops.floor_divide(x, 0.3)",
    "count_nonzero": "ops.count_nonzero(ops.round(x), axis=0)", "tril": "ops.tril(x, k=1)",
    "triu": "ops.triu(x, k=-1)", "roll": "ops.roll(x, 2, axis=1)", "roll flat": "ops.roll(x, -3)",
    "diff": "ops.diff(x, n=2, axis=0)", "outer": "ops.outer(x[0], x[1])",
    "tensordot": "ops.tensordot(x, x, axes=([0], [0]))", "broadcast_to": "ops.broadcast_to(x[0], (3, 5))",
    "hstack": "ops.hstack([x, x])", "vstack": "ops.vstack([x[0], x])", "unstack": "ops.unstack(x, axis=1)[2]",
    "attention": "ops.dot_product_attention(x.reshape(1, 4, 1, 5), x[::-1].reshape(1, 4, 1, 5), "
                 "x.reshape(1, 4, 1, 5), is_causal=True)",
    "attention mask": "ops.dot_product_attention(x.reshape(2, 2, 1, 5), x.reshape(2, 2, 1, 5), "
                      "x.reshape(2, 2, 1, 5), mask=np.array([True, False]), scale=0.3)",
    "layer_normalization": "ops.layer_normalization(x, gamma=x[0], beta=x[1])",
    "layer_normalization rms": "ops.layer_normalization(x, gamma=x[0], axis=-1, rms_scaling=True)",
    "rms_normalization": "ops.rms_normalization(x, scale=x[0])",
    "batch_normalization": "ops.batch_normalization(x, x[0], abs(x[1]), axis=1, offset=x[2], scale=x[3])",
}

KERAS_SCRIPT = textwrap.dedent("""
    import inspect, json, sys
    import numpy as np
    from keras import ops
    x = np.array(json.loads(sys.argv[1]), dtype="float32")
    ids = np.array([1, 0, 1, 2])
    results = {name: eval(code) for name, code in json.loads(sys.argv[2]).items()}
    values = {name: np.asarray(ops.convert_to_numpy(v)).tolist() for name, v in results.items()}
    signatures = {name: [[p.name, repr(p.default)] for p in inspect.signature(getattr(ops, name)).parameters.values()]
                  for name in json.loads(sys.argv[3]) if hasattr(ops, name)}
    print(json.dumps({"values": values, "signatures": signatures}))
""")


@pytest.fixture(scope="module")
def keras_results():
    x = np.random.default_rng(0).standard_normal((4, 5)).round(3)
    env = dict(os.environ, KERAS_BACKEND="numpy")
    arguments = [json.dumps(x.tolist()), json.dumps(EXPRESSIONS), json.dumps(ops.__all__)]
    run = subprocess.run([sys.executable, "-c", KERAS_SCRIPT, *arguments],
                         capture_output=True, text=True, env=env, timeout=300)
    if run.returncode != 0:
        last = (run.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"Keras 3 with its numpy backend cannot be imported here: {last}")
    return x.astype("float32"), json.loads(run.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_values_match_keras(keras_results, name):
    x, expected = keras_results[0], keras_results[1]["values"]
    ours = eval(EXPRESSIONS[name], {"ops": ops, "np": np, "x": x, "ids": np.array([1, 0, 1, 2])})
    ours = ours if name == "shape" else ops.convert_to_numpy(ours)
    np.testing.assert_allclose(np.asarray(ours), np.asarray(expected[name]), rtol=2e-5, atol=2e-6)


def test_every_op_tinyfit_has_keras_s_signature(keras_results):
    keras_signatures = keras_results[1]["signatures"]
    assert sorted(set(ops.__all__) - set(keras_signatures)) == []  # no name Keras lacks
    for name, expected in keras_signatures.items():
        ours = [[p.name, repr(p.default)] for p in inspect.signature(getattr(ops, name)).parameters.values()]
        assert ours == expected, name

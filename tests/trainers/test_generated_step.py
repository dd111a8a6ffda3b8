"""The replay written as Python (autograd/codegen.py): the same bits as a loop over the tape's
steps on an MLP, a convnet with Dropout, BatchNormalization and a model of several outputs
with loss weights; the same bits as the eager step after fit; and source that is valid,
readable Python naming every op it runs."""

import ast
import copy
import pickle
import re

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import backend, layers
from tinyfit.autograd import Tensor, Variable
from tinyfit.autograd import function as function_module
from tinyfit.autograd.recorder import Recording, _Op
from tinyfit.autograd.tensor import _leaf_grad
from tinyfit.tree import flatten


# ------------------------------------------------------------- the loop the generated code replaces
def loop_forward(tape, inputs):
    """The tape's steps run one by one from a list of slots: the reference."""
    values = tape._template.copy()
    for slot, array in zip(tape.input_slots, inputs):
        values[slot] = array
    for slot, variable in tape.variables:
        values[slot] = variable.data
    contexts = []
    for step in tape.steps:
        if type(step) is _Op:
            ctx = step.function()
            ctx.needs_grad = step.needs_grad
            values[step.output] = function_module.as_array(
                ctx.forward(*[values[i] for i in step.inputs], **step.attrs))
            contexts.append(ctx)
        else:
            getattr(step.variable, step.method)(values[step.source])
    return values, contexts


def loop_backward(tape, values, contexts, output=0):
    root = tape.outputs[output]
    grads = [None] * len(values)
    grads[root] = backend.array_module(values[root]).ones(values[root].shape, dtype=values[root].dtype)
    for step, ctx in zip(reversed(tape.ops), reversed(contexts)):
        g = grads[step.output]
        if g is None:
            continue
        grads[step.output] = None
        input_grads = ctx.backward(g)
        if type(input_grads) is not tuple:
            input_grads = (input_grads,)
        for slot, needed, pg in zip(step.inputs, step.needs_grad, input_grads):
            if pg is None or not needed:
                continue
            grads[slot] = pg if grads[slot] is None else grads[slot] + pg
    found, handed_out = {}, set()
    for slot, variable in tape.variables:
        if grads[slot] is not None and variable.requires_grad:
            found[id(variable)] = _leaf_grad(Tensor._make(variable.data, False), grads[slot], handed_out)
    return found


# ------------------------------------------------------------- models
FEATURES, CLASSES = 6, 3


def blobs(n=48, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, FEATURES)).astype("float32"), rng.integers(0, CLASSES, n)


def mlp():
    inputs = keras.Input(shape=(FEATURES,))
    x = layers.Dense(16, activation="relu")(inputs)
    x = layers.Dense(16, activation="relu")(x)
    return keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(x))


def convnet():
    inputs = keras.Input(shape=(8, 8, 1))
    x = layers.Conv2D(4, 3, activation="relu")(inputs)
    x = layers.MaxPooling2D(2)(x)
    x = layers.Dropout(0.5)(layers.Flatten()(x))
    return keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(x))


def batchnorm():
    inputs = keras.Input(shape=(FEATURES,))
    x = layers.BatchNormalization(momentum=0.8)(layers.Dense(8)(inputs))
    return keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(layers.Activation("relu")(x)))


def several_outputs():
    inputs = keras.Input(shape=(FEATURES,))
    hidden = layers.Dense(12, activation="tanh")(inputs)
    classes = layers.Dense(CLASSES, activation="softmax", name="classes")(hidden)
    score = layers.Dense(1, name="score")(hidden)
    return keras.Model(inputs, {"classes": classes, "score": score})


def data_for(build):
    x, y = blobs()
    if build is convnet:
        x = np.random.default_rng(1).standard_normal((48, 8, 8, 1)).astype("float32")
    if build is several_outputs:
        y = {"classes": y, "score": x[:, :1] * 2.0}
    return x, y


def compile_kwargs(build):
    if build is several_outputs:
        return {"loss": {"classes": "sparse_categorical_crossentropy", "score": "mse"},
                "loss_weights": {"classes": 1.0, "score": 0.3}, "metrics": {"classes": ["accuracy"]}}
    return {"loss": "sparse_categorical_crossentropy", "metrics": ["accuracy"]}


def fitted(build, jit, epochs=2):
    keras.utils.set_random_seed(7)
    model = build()
    model.compile(optimizer="adam", jit_compile=jit, **compile_kwargs(build))
    x, y = data_for(build)
    history = model.fit(x, y, batch_size=16, epochs=epochs, verbose=0, shuffle=False)
    return history.history, model.get_weights(), model


def replayed_tape(model):
    (tape,) = [plan.tape for plan in model._compiled_step.plans.values() if plan.tape is not None]
    return tape


MODELS = [mlp, convnet, batchnorm, several_outputs]


# ------------------------------------------------------------- the same bits
@pytest.mark.parametrize("build", MODELS)
def test_the_generated_replay_gives_the_loops_bits(build):
    _, _, model = fitted(build, "auto")
    tape = replayed_tape(model)
    x, y = data_for(build)
    batch = [Tensor(x[16:32])] + [Tensor(v[16:32]) for v in flatten(y, none_is_leaf=False)]
    arrays = [t.data for t in batch]
    start = [v.numpy().copy() for _, v in tape.variables]

    def run(replay):
        for (_, v), value in zip(tape.variables, start):
            v.data[...] = value  # the forward of BatchNormalization assigns its moving statistics
        keras.utils.set_random_seed(3)  # Dropout draws its mask inside its forward
        outputs, grads = replay()
        return [np.array(o) for o in outputs], grads, [v.numpy().copy() for _, v in tape.variables]

    def by_loop():
        values, contexts = loop_forward(tape, arrays)
        return [values[s] for s in tape.outputs], loop_backward(tape, values, contexts)

    def generated():
        replay = tape.forward(arrays)
        return tape.output_arrays(replay), tape.backward(replay)

    (o0, g0, v0), (o1, g1, v1) = run(by_loop), run(generated)
    assert len(o0) == len(o1) and all(np.array_equal(a, b) for a, b in zip(o0, o1))
    assert g0.keys() == g1.keys() and len(g0) == len(model.trainable_weights)
    for key in g0:
        assert g0[key].dtype == g1[key].dtype and np.array_equal(g0[key], g1[key])
    assert all(np.array_equal(a, b) for a, b in zip(v0, v1))


@pytest.mark.parametrize("build", MODELS)
def test_fit_replaying_generated_code_matches_the_eager_fit(build):
    h0, w0, _ = fitted(build, False)
    h1, w1, model = fitted(build, "auto")
    assert replayed_tape(model) is not None
    assert h0.keys() == h1.keys()
    for key in h0:
        np.testing.assert_array_equal(h1[key], h0[key], err_msg=key)  # the same bits, not only close
    assert len(w0) == len(w1)
    for a, b in zip(w0, w1):
        np.testing.assert_array_equal(b, a)


def test_a_tape_with_a_repeated_input_and_a_branch_without_gradient():
    w = Variable(np.array([[0.5, -1.0], [2.0, 0.25]], dtype="float32"))
    frozen = Variable(np.array([1.0, 2.0], dtype="float32"), trainable=False)

    def step(x):
        h = (x @ w).relu()
        side = (x * frozen).sum()  # reaches no trained weight
        return (h * h).sum() + (w * w).mean() * side  # h twice, w by two paths

    first = Tensor(np.array([[1.0, 2.0], [3.0, -1.0]], dtype="float32"))
    with Recording([first], [w, frozen]) as recording:
        out = step(first)
    tape = recording.tape([out])
    second = np.array([[0.3, -2.0], [1.5, 4.0]], dtype="float32")
    values, contexts = loop_forward(tape, [second])
    expected = loop_backward(tape, values, contexts)
    replay = tape.forward([second])
    got = tape.backward(replay)
    assert np.array_equal(tape.output_arrays(replay)[0], values[tape.outputs[0]])
    assert got.keys() == expected.keys() == {id(w)}
    assert np.array_equal(got[id(w)], expected[id(w)])


# ------------------------------------------------------------- the source
def test_the_source_is_valid_readable_python_naming_each_op_once_per_use():
    _, _, model = fitted(convnet, "auto")
    tape = replayed_tape(model)
    source = tape.source
    tree = ast.parse(source)
    assert [f.name for f in tree.body] == ["forward", "backward"]
    forward = tape.generated.forward_source
    for cls in {op.function for op in tape.ops}:
        uses = sum(op.function is cls for op in tape.ops)
        assert len(re.findall(rf"\b{tape.generated.classes[cls]}\(\)", forward)) == uses, cls
    assert not re.search(r"(?<!as_)array\(|dtype=", source)  # no array written out as text
    for _, variable in tape.variables:
        assert variable.path in forward  # each weight read is named
    assert max(map(len, source.splitlines())) < 140
    print(source)


def test_compiled_step_source_names_each_signature_and_how_it_runs():
    _, _, model = fitted(mlp, "auto")
    step = model._compiled_step
    text = step.source()
    assert text.count("# batch signature") == len(step.plans) == 1
    assert "replayed" in text and "def forward(" in text and "def backward(" in text
    ast.parse(text)
    _, _, eager = fitted(mlp, False)
    assert eager._compiled_step is None or "eager" in eager._compiled_step.source()


def test_a_traceback_through_the_generated_code_shows_its_line():
    x, w = Tensor(np.ones((2, 3), dtype="float32")), Variable(np.ones((3, 2), dtype="float32"))
    with Recording([x], [w]) as recording:
        out = (x @ w).sum()
    tape = recording.tape([out])
    with pytest.raises(ValueError) as info:
        tape.forward([np.ones((2, 4), dtype="float32")])  # 4 columns meet a kernel of 3 rows
    lines = [str(entry.statement).strip() for entry in info.traceback]
    assert any(re.fullmatch(r"x2 = as_array\(mat_mul_2\.forward\(x0, w1\)\)", line) for line in lines), lines


# ------------------------------------------------------------- tapes of every shape
UNARY = [lambda a: a.relu(), lambda a: a.tanh(), lambda a: a * 2.0, lambda a: a.exp() * 0.1,
         lambda a: a.sum(axis=0, keepdims=True) + a, lambda a: a.reshape(-1).reshape(3, 3), lambda a: -a]
BINARY = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a @ b,
          lambda a, b: a @ a + b, lambda a, b: b - a * a]


@pytest.mark.parametrize("seed", range(12))
def test_random_tapes_give_the_loops_bits_from_every_output(seed):
    rng = np.random.default_rng(seed)
    weights = [Variable(rng.standard_normal((3, 3)).astype("float32"), trainable=bool(i % 3)) for i in range(4)]
    first = Tensor(rng.standard_normal((3, 3)).astype("float32"))

    def compute(x):
        pool = [x] + weights
        for _ in range(10):  # every value stays in the pool: some are reused, some reach no output
            if rng.random() < 0.4:
                pool.append(UNARY[rng.integers(len(UNARY))](pool[rng.integers(len(pool))]))
            else:
                a, b = (pool[i] for i in rng.integers(len(pool), size=2))
                pool.append(BINARY[rng.integers(len(BINARY))](a, b))
        return [pool[-1].sum(), (pool[-2] * pool[-3]).mean()]

    state = rng.bit_generator.state
    with Recording([first], weights) as recording:
        outs = compute(first)
    tape = recording.tape(outs)
    rng.bit_generator.state = state  # a second record would draw the same expressions
    second = rng.standard_normal((3, 3)).astype("float32")
    values, contexts = loop_forward(tape, [second])
    replay = tape.forward([second])
    assert all(np.array_equal(a, values[s]) for a, s in zip(tape.output_arrays(replay), tape.outputs))
    for output in (0, 1):
        expected, got = loop_backward(tape, values, contexts, output), tape.backward(replay, output)
        assert got.keys() == expected.keys()
        assert all(np.array_equal(got[k], expected[k]) for k in got)
    ast.parse(tape.source)


def test_a_copied_or_pickled_model_writes_its_own_replay():
    _, _, model = fitted(mlp, "auto")
    tape = replayed_tape(model)
    assert tape._generated is not None
    pickle.dumps(model)  # compiled functions do not travel
    copied = copy.deepcopy(model)
    copied_tape = replayed_tape(copied)
    x, y = blobs(16)
    copied_tape.forward([x, y])  # written afresh: its globals are the copy's weights, not the original's
    read = copied_tape.generated.forward.__globals__
    assert {id(read[f"var_{slot}"]) for slot, _ in copied_tape.variables} <= set(map(id, copied.weights))

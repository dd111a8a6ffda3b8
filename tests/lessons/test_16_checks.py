"""Lesson 16's hand-built pieces agree with tinyfit's recurrent layers, and its exercise checks
reject typical wrong answers and accept right ones.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
with the answer cells stubbed as in the student release; each check is then called with
answers a student might write.
"""

from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "16_recurrent_networks.ipynb"


def test_the_lesson_ran(ns):
    # Backpropagation through time by hand learned the sum far below the target's variance.
    assert ns["test_loss"] < 0.2 * ns["y_test"].var()
    norms = ns["norms"]
    # Vanishing for a contracting recurrent kernel, exploding for a stretching one, carried by the LSTM's gate.
    assert norms["SimpleRNN, s = 0.5"][0] < 1e-6 * norms["SimpleRNN, s = 0.5"][-1]
    assert norms["SimpleRNN, s = 3.0"][0] > 1e3 * norms["SimpleRNN, s = 3.0"][-1]
    assert norms["LSTM, forget bias 3.0"][0] > 100 * norms["LSTM, forget bias 1.0"][0]
    # Clipping bounds the update: each gradient by clipnorm, all of them together by global_clipnorm.
    assert max(ns["updates"]["SGD(0.01)"]) > 1e3
    assert max(ns["updates"]["SGD(0.01, clipnorm=1)"]) <= 1 + 1e-4
    assert np.linalg.norm(ns["updates"]["SGD(0.01, global_clipnorm=1)"]) <= 1 + 1e-4
    # The LSTM adder learned most of the sums.
    assert ns["history"].history["val_accuracy"][-1] > 0.8


def test_masked_unroll_equals_a_masked_simple_rnn(ns):
    keras, layers = ns["keras"], ns["layers"]
    tokens = np.array([[3, 1, 0, 0, 0], [2, 2, 2, 2, 2], [7, 0, 0, 0, 0]])
    embedding = layers.Embedding(9, 3, mask_zero=True)
    rnn = layers.SimpleRNN(4, return_sequences=True, recurrent_initializer="glorot_uniform")
    library = rnn(embedding(keras.Tensor(tokens))).numpy()
    weights = [keras.Tensor(w) for w in rnn.get_weights()]
    hand = ns["masked_unroll"](keras.Tensor(embedding.get_weights()[0][tokens]), tokens != 0, *weights).numpy()
    np.testing.assert_allclose(hand, library, rtol=1e-5, atol=1e-6)
    assert not np.allclose(hand[:, -1], hand[:, 0]), "the states change where the steps are real"


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


CHECKS = ["check_rnn_forward", "check_last_real_state", "check_clip_by_global_norm"]


@pytest.mark.parametrize("check", CHECKS)
def test_a_check_says_an_untouched_exercise_is_not_done(ns, check):
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](_stub)


@pytest.mark.parametrize("name", ["rnn_forward", "last_real_state", "clip_by_global_norm"])
def test_the_reference_solutions_pass(run_solution, name, capsys):
    run_solution(f"def {name}(")  # then its check cell
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 1
def _unroll(ns, *, activation=None, bias=True, start=None, keep_first=False, every_input=None, order=None,
            recurrent=None):
    ops = ns["ops"]
    activation = activation or ops.tanh

    def rnn_forward(x, h0, kernel, recurrent_kernel, b):
        h = h0 if start is None else start(h0)
        states = [h] if keep_first else []
        for t in range(x.shape[1]):
            x_t = x[:, t] if every_input is None else every_input(x, t)
            r = recurrent_kernel if recurrent is None else recurrent(recurrent_kernel)
            h = activation(x_t @ kernel + h @ r + (b if bias else 0.0))
            states.append(h)
        states = states[:x.shape[1]]
        return ops.stack(states, axis=1) if order is None else order(states)

    return rnn_forward


def _wrong_rnn_forwards(ns):
    keras, ops = ns["keras"], ns["ops"]
    return {
        "tanh missing": _unroll(ns, activation=lambda z: z),
        "relu instead of tanh": _unroll(ns, activation=ops.relu),
        "the bias forgotten": _unroll(ns, bias=False),
        "starting from zeros, not h0": _unroll(ns, start=lambda h0: h0 * 0.0),
        "h0 as the first state (off by one in time)": _unroll(ns, keep_first=True),
        "every step reading the first input": _unroll(ns, every_input=lambda x, t: x[:, 0]),
        "every step reading the next input": _unroll(ns, every_input=lambda x, t: x[:, min(t + 1, x.shape[1] - 1)]),
        "the steps read backwards (go_backwards)": _unroll(ns, every_input=lambda x, t: x[:, x.shape[1] - 1 - t]),
        "the recurrent kernel transposed": _unroll(ns, recurrent=lambda r: r.T),
        "time first, not batch first": _unroll(ns, order=lambda states: ops.stack(states, axis=0)),
        "a list of Tensors": _unroll(ns, order=list),
        "the last state only": _unroll(ns, order=lambda states: states[-1]),
        "through NumPy, so no gradient": _unroll(
            ns, order=lambda states: keras.Tensor(np.stack([s.numpy() for s in states], axis=1))),
    }


@pytest.mark.parametrize("mistake", ["tanh missing", "relu instead of tanh", "the bias forgotten",
                                     "starting from zeros, not h0", "h0 as the first state (off by one in time)",
                                     "every step reading the first input", "every step reading the next input",
                                     "the steps read backwards (go_backwards)", "the recurrent kernel transposed",
                                     "time first, not batch first", "a list of Tensors", "the last state only",
                                     "through NumPy, so no gradient"])
def test_rnn_forward_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_rnn_forward"](_wrong_rnn_forwards(ns)[mistake])


def test_rnn_forward_check_rejects_numbers_from_the_lesson(ns):
    keras = ns["keras"]
    lesson_states = ns["hand_states"].numpy()

    def hard_coded(x, h0, kernel, recurrent_kernel, bias):
        return keras.Tensor(np.resize(lesson_states, (x.shape[0], x.shape[1], recurrent_kernel.shape[0])))

    with pytest.raises(AssertionError):
        ns["check_rnn_forward"](hard_coded)


def test_rnn_forward_check_rejects_a_gradient_cut_at_the_weights(ns):
    keras = ns["keras"]

    def detached_weights(x, h0, kernel, recurrent_kernel, bias):  # the right states; the weights get no gradient
        kernel, recurrent_kernel, bias = (keras.Tensor(w.numpy(), dtype="float64") for w in (kernel, recurrent_kernel, bias))
        return _unroll(ns)(x, h0, kernel, recurrent_kernel, bias)

    with pytest.raises(AssertionError, match="no gradient reached kernel"):
        ns["check_rnn_forward"](detached_weights)


def test_rnn_forward_check_names_the_first_state(ns):
    with pytest.raises(AssertionError, match="state after the first step is wrong"):
        ns["check_rnn_forward"](_wrong_rnn_forwards(ns)["h0 as the first state (off by one in time)"])


def _with_simple_rnn(ns, x, h0, kernel, recurrent_kernel, bias):
    rnn = ns["layers"].SimpleRNN(recurrent_kernel.shape[0], return_sequences=True, dtype="float64")
    rnn.build((None,) + tuple(x.shape[1:]))
    rnn.set_weights([kernel.numpy(), recurrent_kernel.numpy(), bias.numpy()])
    return rnn(x, initial_state=[h0])


def _with_the_cell(ns, x, h0, kernel, recurrent_kernel, bias):
    rnn_cell = ns["layers"].SimpleRNNCell(recurrent_kernel.shape[0], dtype="float64")
    rnn_cell.build((None, x.shape[2]))
    rnn_cell.set_weights([kernel.numpy(), recurrent_kernel.numpy(), bias.numpy()])
    states, h = [], [h0]
    for t in range(x.shape[1]):
        out, h = rnn_cell(x[:, t], h)
        states.append(out)
    return ns["ops"].stack(states, axis=1)


def _with_the_step_op(ns, x, h0, kernel, recurrent_kernel, bias):
    # The library's fused step on the projected inputs, laid out time first as the layer does.
    ops, recurrent_ops = ns["ops"], ns["recurrent_ops"]
    xproj = ops.transpose(x @ kernel + bias, (1, 0, 2))
    grads, h, states = recurrent_ops.InputGradients(), h0, []
    for t in range(x.shape[1]):
        h = recurrent_ops.SimpleRNNStep.apply(xproj, h, recurrent_kernel, t=t, grads=grads,
                                              units=recurrent_kernel.shape[0], activation="tanh",
                                              recurrent_activation="sigmoid")
        states.append(h)
    return ops.stack(states, axis=1)


@pytest.mark.parametrize("library", [_with_simple_rnn, _with_the_cell, _with_the_step_op])
def test_rnn_forward_check_rejects_the_library(ns, library):
    with pytest.raises(AssertionError, match="used tinyfit's"):
        ns["check_rnn_forward"](lambda *args: library(ns, *args))


def test_the_library_answers_are_right_but_for_the_guard(ns):
    # So that the test above shows the guard at work, not a wrong answer.
    keras, rng = ns["keras"], np.random.default_rng(5)
    args = [keras.Tensor(rng.normal(size=shape), dtype="float64")
            for shape in ((2, 4, 3), (2, 5), (3, 5), (5, 5), (5,))]
    want = _unroll(ns)(*args).numpy()
    for library in (_with_simple_rnn, _with_the_cell, _with_the_step_op):
        np.testing.assert_allclose(library(ns, *args).numpy(), want, rtol=1e-10, atol=1e-12)


def test_rnn_forward_check_accepts_another_right_answer(ns, capsys):
    ops = ns["ops"]

    def projected_first(x, h0, kernel, recurrent_kernel, bias):
        projected = x @ kernel + bias          # every step's input term at once
        h, states = h0, []
        for t in range(x.shape[1]):
            h = ops.tanh(projected[:, t] + h @ recurrent_kernel)
            states.append(ops.expand_dims(h, 1))
        return ops.concatenate(states, axis=1)

    ns["check_rnn_forward"](projected_first)
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 2
def _last_step(states, lengths):
    return states[:, -1].copy()


def _off_by_one(states, lengths):  # the step after the last real one, clipped at the end
    lengths = np.asarray(lengths)
    return states[np.arange(len(lengths)), np.minimum(lengths, states.shape[1] - 1)]


def _index_is_length(states, lengths):  # raises IndexError for a sequence without padding
    lengths = np.asarray(lengths)
    return states[np.arange(len(lengths)), lengths]


def _first_length_for_all(states, lengths):
    return states[:, int(np.asarray(lengths)[0]) - 1]


def _broadcast_grid(states, lengths):  # every sequence at every length: (batch, batch, units)
    return states[:, np.asarray(lengths) - 1]


def _the_mean_of_real_steps(states, lengths):
    lengths = np.asarray(lengths)
    mask = np.arange(states.shape[1]) < lengths[:, None]
    return ((states * mask[..., None]).sum(axis=1) / lengths[:, None]).astype(states.dtype)


def _float64_always(states, lengths):
    lengths = np.asarray(lengths)
    return states[np.arange(len(lengths)), lengths - 1].astype("float64")


def _in_place(states, lengths):  # zeroes the padding first, in the caller's array
    lengths = np.asarray(lengths)
    states[np.arange(states.shape[1]) >= lengths[:, None]] = 0
    return states[np.arange(len(lengths)), lengths - 1]


def _lists_only(states, lengths):  # right when lengths is an array, fails on a list
    return states[np.arange(len(lengths)), lengths - 1]


def _lesson_shapes_only(states, lengths):  # right for the lesson's 3 sentences of 6 steps only
    if states.shape[:2] == (3, 6):
        lengths = np.asarray(lengths)
        return states[np.arange(3), lengths - 1]
    return states[:, -1]


@pytest.mark.parametrize("wrong", [_last_step, _off_by_one, _index_is_length, _first_length_for_all,
                                   _broadcast_grid, _the_mean_of_real_steps, _float64_always, _in_place,
                                   _lists_only, _lesson_shapes_only])
def test_last_real_state_check_rejects(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_last_real_state"](wrong)


def test_last_real_state_check_names_the_padding(ns):
    with pytest.raises(AssertionError, match="padding included"):
        ns["check_last_real_state"](_last_step)
    with pytest.raises(AssertionError, match="IndexError"):
        ns["check_last_real_state"](_index_is_length)


def test_last_real_state_check_refuses_the_library(ns):
    keras = ns["keras"]

    def with_a_gather(states, lengths):
        lengths = np.asarray(lengths)
        return keras.ops.take_along_axis(keras.Tensor(states), keras.Tensor((lengths - 1)[:, None, None]),
                                         axis=1).numpy()[:, 0]

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_last_real_state"](with_a_gather)


def test_last_real_state_check_accepts_other_right_answers(ns, capsys):
    def with_a_loop(states, lengths):
        return np.stack([states[i, n - 1] for i, n in enumerate(lengths)])

    def with_take_along_axis(states, lengths):
        index = (np.asarray(lengths) - 1)[:, None, None]
        return np.take_along_axis(states, index, axis=1)[:, 0]

    for answer in (with_a_loop, with_take_along_axis):
        ns["check_last_real_state"](answer)
        assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 3
def _global_norm(grads):
    return np.sqrt(sum(float(np.sum(np.square(g, dtype="float64"))) for g in grads))


def _each_by_its_own_norm(grads, max_norm):
    return [(g * (max_norm / max(np.linalg.norm(g), max_norm))).astype(g.dtype) for g in grads]


def _always_to_max_norm(grads, max_norm):  # scales small gradients up, and divides 0 by 0
    total = _global_norm(grads)
    return [(g * (max_norm / total)).astype(g.dtype) for g in grads]


def _sum_of_norms(grads, max_norm):
    total = sum(np.linalg.norm(g) for g in grads)
    return [(g * (max_norm / max(total, max_norm))).astype(g.dtype) for g in grads]


def _largest_norm(grads, max_norm):
    total = max(np.linalg.norm(g) for g in grads)
    return [(g * (max_norm / max(total, max_norm))).astype(g.dtype) for g in grads]


def _clip_values(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads]


def _squared_norm(grads, max_norm):  # forgets the square root
    total = _global_norm(grads) ** 2
    return [(g * (max_norm / max(total, max_norm))).astype(g.dtype) for g in grads]


def _in_place(grads, max_norm):
    scale = max_norm / max(_global_norm(grads), max_norm)
    for g in grads:
        g *= scale
    return grads


def _float64_out(grads, max_norm):  # a float64 scale promotes float32 gradients
    scale = np.float64(max_norm) / max(_global_norm(grads), max_norm)
    return [g * scale for g in grads]


def _mean_not_sum(grads, max_norm):  # the root mean square, not the norm
    total = np.sqrt(np.mean(np.concatenate([np.ravel(g).astype("float64") ** 2 for g in grads])))
    return [(g * (max_norm / max(total, max_norm))).astype(g.dtype) for g in grads]


def _zero_over_zero(grads, max_norm):  # right, but nan for gradients that are all zeros
    total = _global_norm(grads)
    with np.errstate(invalid="ignore"):
        return [(g / total * min(total, max_norm)).astype(g.dtype) for g in grads]


def _first_gradient_only(grads, max_norm):
    scale = max_norm / max(np.linalg.norm(grads[0]), max_norm)
    return [(g * scale).astype(g.dtype) for g in grads]


@pytest.mark.parametrize("wrong", [_each_by_its_own_norm, _always_to_max_norm, _sum_of_norms, _largest_norm,
                                   _clip_values, _squared_norm, _in_place, _float64_out, _mean_not_sum,
                                   _zero_over_zero, _first_gradient_only])
def test_clip_by_global_norm_check_rejects(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_clip_by_global_norm"](wrong)


def test_clip_by_global_norm_check_names_the_mistakes(ns):
    with pytest.raises(AssertionError, match="nan or inf"):
        ns["check_clip_by_global_norm"](_zero_over_zero)
    with pytest.raises(AssertionError, match="float64"):
        ns["check_clip_by_global_norm"](_float64_out)
    with pytest.raises(AssertionError, match="changed the gradients"):
        ns["check_clip_by_global_norm"](_in_place)


def test_clip_by_global_norm_check_refuses_the_optimizer(ns):
    keras = ns["keras"]

    def with_the_optimizer(grads, max_norm):
        variables = [keras.Variable(np.zeros(g.shape, dtype=g.dtype)) for g in grads]
        keras.optimizers.SGD(learning_rate=1.0, global_clipnorm=max_norm).apply_gradients(zip(grads, variables))
        return [-v.numpy() for v in variables]

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_clip_by_global_norm"](with_the_optimizer)


def test_clip_by_global_norm_check_accepts_another_right_answer(ns, capsys):
    def flattened(grads, max_norm):
        everything = np.concatenate([g.ravel() for g in grads]) if grads else np.zeros(0)
        norm = float(np.linalg.norm(everything.astype("float64")))
        if norm <= max_norm:
            return [g.copy() for g in grads]
        return [g * g.dtype.type(max_norm / norm) for g in grads]

    ns["check_clip_by_global_norm"](flattened)
    assert "Well done" in capsys.readouterr().out

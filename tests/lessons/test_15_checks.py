"""Lesson 15's hand-built pieces work as a user drives them, and its exercise checks reject
typical wrong answers and accept right ones.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
with the answer cells stubbed as in the student release; each check is then called with
answers a student might write.
"""

from pathlib import Path

import numpy as np
import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "15_how_fit_gets_fast.ipynb"


def test_the_lesson_ran(ns):
    python_calls = {name: counts[0] for name, counts in ns["calls"].items()}
    # fit() makes many times the Python calls of the hand-written step; the compiled step fewer than eager.
    assert python_calls["tinyfit eager"] > 10 * python_calls["NumPy by hand"]
    assert python_calls["tinyfit compiled"] < python_calls["tinyfit eager"]
    assert set(ns["step_time"]) == {"NumPy by hand", "tinyfit eager", "tinyfit compiled"}
    # The recorded step of the guide's MLP: one fused op per Dense layer, the loss in a recorded slot.
    assert [op.function.__name__ for op in ns["tape"].ops].count("FusedDense") == 3
    assert ns["tape"].loss_slot == ns["tape"].ops[-1].output
    assert ns["histories"][True].keys() == ns["histories"][False].keys()


def test_dense_relu_skips_the_gradients_nobody_wants(ns):
    keras, dense_relu = ns["keras"], ns["DenseRelu"]
    rng = np.random.default_rng(3)
    x = keras.Tensor(rng.normal(size=(5, 4)))  # data: no gradient wanted
    kernel = keras.Tensor(rng.normal(size=(4, 3)), requires_grad=True)
    bias = keras.Tensor(rng.normal(size=3), requires_grad=True)
    out = dense_relu.apply(x, kernel, bias)
    out.sum().backward()
    assert x.grad is None
    z = x.numpy() @ kernel.numpy() + bias.numpy()
    np.testing.assert_allclose(out.numpy(), np.maximum(z, 0))
    np.testing.assert_allclose(bias.grad, (z > 0).sum(axis=0))


def _record(ns, compute, inputs, weights):
    keras = ns["keras"]
    tensors = [keras.Tensor(a) for a in inputs]
    with ns["HandRecorder"]([t.data for t in tensors], weights) as tape:
        loss = compute(*tensors)
    tape.loss_slot = tape.slot_of[id(loss.data)]
    return tape


def test_replay_adds_the_gradients_of_a_weight_used_twice(ns):
    keras = ns["keras"]
    rng = np.random.default_rng(4)
    w = keras.Variable(rng.normal(size=(3, 3)).astype("float32"))
    b = keras.Variable(rng.normal(size=3).astype("float32"))

    def compute(x):  # w is used by two layers; relu, tanh and a mean between them
        h = keras.ops.relu(x @ w + b)
        return keras.ops.mean(keras.ops.tanh(h @ w) * 2.0)

    x0, x1 = rng.normal(size=(2, 6, 3)).astype("float32")
    tape = _record(ns, compute, [x0], [w, b])
    assert list(tape.constants), "the 2.0 is a constant of the tape"
    values, contexts = ns["replay_forward"](tape, [x1], [w.numpy(), b.numpy()])
    grads = ns["replay_backward"](tape, values, contexts)

    w.grad = b.grad = None
    loss = compute(keras.Tensor(x1))
    loss.backward()
    np.testing.assert_allclose(values[tape.loss_slot], loss.numpy(), rtol=1e-6)
    np.testing.assert_allclose(grads[tape.weight_slots[0]], w.grad, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(grads[tape.weight_slots[1]], b.grad, rtol=1e-5, atol=1e-7)


def test_the_recorder_is_off_after_its_block(ns):
    keras = ns["keras"]
    tape = _record(ns, lambda x: keras.ops.sum(x * 2.0), [np.ones(3)], [])
    count = len(tape.ops)
    keras.ops.sum(keras.Tensor(np.ones(3)) * 3.0)
    assert len(tape.ops) == count and ns["function_module"]._recording is None


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


@pytest.mark.parametrize("check", ["check_dense_tanh_backward", "check_tapes_agree", "check_ops_needed"])
def test_a_check_says_an_untouched_exercise_is_not_done(ns, check):
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](_stub)


@pytest.mark.parametrize("name", ["dense_tanh_backward", "tapes_agree", "ops_needed"])
def test_the_reference_solutions_pass(run_solution, name, capsys):
    run_solution(f"def {name}(")  # then its check cell
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 1
def _tanh_backward(x, kernel, y, grad, *, derivative=lambda y: 1 - y ** 2, bias=lambda g: g.sum(axis=0),
                   kernel_grad=lambda x, g: x.T @ g):
    g = grad * derivative(y)
    return g @ kernel.T, kernel_grad(x, g), bias(g)


WRONG_BACKWARDS = {
    "the activation's derivative forgotten": dict(derivative=lambda y: 1.0),
    "the bias gradient not summed over the batch": dict(bias=lambda g: g),
    "the bias gradient averaged instead of summed": dict(bias=lambda g: g.mean(axis=0)),
    "sigmoid's derivative instead of tanh's": dict(derivative=lambda y: y * (1 - y)),
    "the derivative written as 1 - y": dict(derivative=lambda y: 1 - y),
    "the kernel gradient transposed": dict(kernel_grad=lambda x, g: g.T @ x),
    "the kernel gradient as g.T @ x, transposed back": dict(kernel_grad=lambda x, g: (g.T @ x).T * 1.0001),
    "the bias gradient summed over everything": dict(bias=lambda g: np.full(g.shape[1], g.sum())),
}


def _in_place(x, kernel, y, grad):  # the gradient at z made in the caller's grad
    grad *= 1 - y ** 2
    return grad @ kernel.T, x.T @ grad, grad.sum(axis=0)


def _float64_always(x, kernel, y, grad):
    g = grad.astype("float64") * (1 - y.astype("float64") ** 2)
    return g @ kernel.T, x.T @ g, g.sum(axis=0)


def _lesson_shapes_only(x, kernel, y, grad):  # right for 8 samples, 5 inputs and 3 units only
    g = grad * (1 - y ** 2)
    return g @ kernel.T, x.T @ g, g.sum(axis=0) if g.shape == (8, 3) else g[0]


def _relu_mask(x, kernel, y, grad):  # the fused Dense + relu of section 3, not tanh
    g = grad * (y > 0)
    return g @ kernel.T, x.T @ g, g.sum(axis=0)


@pytest.mark.parametrize("wrong", [_in_place, _float64_always, _lesson_shapes_only, _relu_mask])
def test_dense_tanh_backward_check_rejects_more(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_dense_tanh_backward"](wrong)


def test_dense_tanh_backward_check_names_the_write_and_the_dtype(ns):
    with pytest.raises(AssertionError, match="wrote into the arrays"):
        ns["check_dense_tanh_backward"](_in_place)
    with pytest.raises(AssertionError, match="is float64 for float32"):
        ns["check_dense_tanh_backward"](_float64_always)


@pytest.mark.parametrize("mistake", list(WRONG_BACKWARDS))
def test_dense_tanh_backward_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_dense_tanh_backward"](lambda *args: _tanh_backward(*args, **WRONG_BACKWARDS[mistake]))


def test_dense_tanh_backward_check_rejects_the_library_op(ns):
    keras = ns["keras"]
    from tinyfit.autograd.ops.linalg import FusedDense

    def with_the_library(x, kernel, y, grad):
        tensors = [keras.Tensor(a, requires_grad=True) for a in (x, kernel, np.zeros(kernel.shape[1]))]
        (FusedDense.apply(*tensors, activation="tanh") * grad).sum().backward()  # forgets the bias, too
        return tuple(t.grad for t in tensors)

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_dense_tanh_backward"](with_the_library)


def test_dense_tanh_backward_check_accepts_another_right_answer(ns, capsys):
    def with_einsum(x, kernel, y, grad):
        g_z = grad - grad * y * y
        return (np.einsum("nu,du->nd", g_z, kernel), np.einsum("nd,nu->du", x, g_z),
                np.einsum("nu->u", g_z))

    ns["check_dense_tanh_backward"](with_einsum)
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 2
def _ops_only(a, b):  # compares the ops, forgets the constants
    return len(a.ops) == len(b.ops) and all(
        p.function is q.function and p.inputs == q.inputs and p.output == q.output and p.attrs == q.attrs
        for p, q in zip(a.ops, b.ops))


def _constants_by_identity(a, b):
    return _ops_only(a, b) and a.constants.keys() == b.constants.keys() and all(
        a.constants[k] is b.constants[k] for k in a.constants)


def _no_length_check(a, b):  # zip stops at the shorter tape
    return all(p.function is q.function and p.inputs == q.inputs and p.attrs == q.attrs
               for p, q in zip(a.ops, b.ops)) and all(
        np.array_equal(a.constants[k], b.constants.get(k)) for k in a.constants)


def _attributes_ignored(a, b):
    return len(a.ops) == len(b.ops) and all(
        p.function is q.function and p.inputs == q.inputs for p, q in zip(a.ops, b.ops)) and all(
        np.array_equal(a.constants[k], b.constants.get(k)) for k in a.constants)


def _same_number_of_ops(a, b):
    return len(a.ops) == len(b.ops)


def _slots_as_sets(a, b):  # which slots an op reads, not in which order
    return len(a.ops) == len(b.ops) and a.constants.keys() == b.constants.keys() and all(
        p.function is q.function and sorted(p.inputs) == sorted(q.inputs) and p.output == q.output
        and p.attrs == q.attrs for p, q in zip(a.ops, b.ops)) and all(
        np.array_equal(a.constants[k], b.constants[k]) for k in a.constants)


def _slots_ignored(a, b):
    return len(a.ops) == len(b.ops) and a.constants.keys() == b.constants.keys() and all(
        p.function is q.function and p.attrs == q.attrs for p, q in zip(a.ops, b.ops)) and all(
        np.array_equal(a.constants[k], b.constants[k]) for k in a.constants)


def _right_but(*, dtype=True, shape=True, outputs=True, keys_one_way=False, by_name=False):
    def agree(a, b):
        if len(a.ops) != len(b.ops):
            return False
        if keys_one_way:
            if not set(a.constants) <= set(b.constants):
                return False
        elif a.constants.keys() != b.constants.keys():
            return False
        for p, q in zip(a.ops, b.ops):
            same_function = p.function.__name__ == q.function.__name__ if by_name else p.function is q.function
            if not same_function or p.inputs != q.inputs or p.attrs != q.attrs or (outputs and p.output != q.output):
                return False
        for k in a.constants:
            x, y = a.constants[k], b.constants[k]
            if shape and x.shape != y.shape or dtype and x.dtype != y.dtype:
                return False
            if not np.array_equal(np.ravel(x), np.ravel(y)):
                return False
        return True

    return agree


@pytest.mark.parametrize("wrong", [_ops_only, _constants_by_identity, _no_length_check, _attributes_ignored,
                                   _same_number_of_ops, _slots_as_sets, _slots_ignored, _right_but(dtype=False),
                                   _right_but(shape=False), _right_but(outputs=False),
                                   _right_but(keys_one_way=True)])
def test_tapes_agree_check_rejects(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_tapes_agree"](wrong)


def test_tapes_agree_check_accepts_another_right_answer(ns, capsys):
    def by_signature(a, b):
        def signature(tape):
            return [(op.function, op.inputs, op.output, op.attrs) for op in tape.ops]

        if signature(a) != signature(b) or sorted(a.constants) != sorted(b.constants):
            return False
        for slot, value in a.constants.items():
            other = b.constants[slot]
            if value.shape != other.shape or value.dtype != other.dtype or not (value == other).all():
                return False
        return True

    ns["check_tapes_agree"](by_signature)
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 3
def _every_op(tape, slot):
    return list(tape.ops)


def _everything_before(tape, slot):  # the ops up to the one that made the slot
    (last,) = [i for i, op in enumerate(tape.ops) if op.output == slot]
    return tape.ops[:last + 1]


def _only_ops_with_gradients(tape, slot):  # drops the label check, which the loss still needs
    wanted, kept = {slot}, []
    for op in reversed(tape.ops):
        if op.output in wanted and any(op.needs_grad):
            kept.append(op)
            wanted.update(op.inputs)
    return kept[::-1]


def _forwards_once(tape, slot):  # one pass in tape order cannot see what later ops need
    wanted, kept = {slot}, []
    for op in tape.ops:
        if op.output in wanted:
            kept.append(op)
            wanted.update(op.inputs)
    return kept


def _reversed_order(tape, slot):
    wanted, kept = {slot}, []
    for op in reversed(tape.ops):
        if op.output in wanted:
            kept.append(op)
            wanted.update(op.inputs)
    return kept


def _direct_parents_only(tape, slot):  # one level up, not all the way
    (maker,) = [op for op in tape.ops if op.output == slot] or [None]
    if maker is None:
        return []
    return [op for op in tape.ops if op.output in maker.inputs or op is maker]


def _the_readers(tape, slot):  # the ops that read the slot, instead of those it comes from
    return [op for op in tape.ops if slot in op.inputs]


def _twice_for_a_diamond(tape, slot):  # visits an op once per path
    producer = {op.output: op for op in tape.ops}
    found = []

    def visit(s):
        op = producer.get(s)
        if op is not None:
            for i in op.inputs:
                visit(i)
            found.append(op)

    visit(slot)
    return found


def _reverses_the_callers_list(tape, slot):
    tape.ops.reverse()
    wanted, kept = {slot}, []
    for op in tape.ops:
        if op.output in wanted:
            kept.append(op)
            wanted.update(op.inputs)
    return kept[::-1]


@pytest.mark.parametrize("wrong", [_every_op, _everything_before, _only_ops_with_gradients, _forwards_once,
                                   _reversed_order, _direct_parents_only, _the_readers, _twice_for_a_diamond,
                                   _reverses_the_callers_list])
def test_ops_needed_check_rejects(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_ops_needed"](wrong)


def test_ops_needed_check_accepts_another_right_answer(ns, capsys):
    def depth_first(tape, slot):
        producer = {op.output: op for op in tape.ops}
        seen = set()

        def visit(s):
            op = producer.get(s)
            if op is not None and id(op) not in seen:
                seen.add(id(op))
                for i in op.inputs:
                    visit(i)

        visit(slot)
        return [op for op in tape.ops if id(op) in seen]

    ns["check_ops_needed"](depth_first)
    assert "Well done" in capsys.readouterr().out

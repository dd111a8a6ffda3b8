"""Flat optimizer state: each kind of slot in one array (slots are views of it), and the
element-by-element optimizers updating every variable in one pass, with the per-variable results."""

import numpy as np
import pytest

import tinyfit
from tinyfit import optimizers

RNG = np.random.default_rng(7)
SHAPES = [(4, 3), (3,), (), (2, 2, 2)]
START = [RNG.normal(size=s) for s in SHAPES]
GRADS = [[RNG.normal(size=s) for s in SHAPES] for _ in range(5)]

CONFIGS = [
    ("sgd", lambda: optimizers.SGD(0.1)),
    ("sgd-momentum", lambda: optimizers.SGD(0.1, momentum=0.9)),
    ("sgd-nesterov", lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True)),
    ("rmsprop", lambda: optimizers.RMSprop()),
    ("rmsprop-centered-momentum", lambda: optimizers.RMSprop(momentum=0.5, centered=True)),
    ("adam", lambda: optimizers.Adam(0.01)),
    ("adam-amsgrad-clipnorm", lambda: optimizers.Adam(0.01, amsgrad=True, clipnorm=0.5)),
    ("adamw", lambda: optimizers.AdamW(0.01)),
    ("adamax-global-clip", lambda: optimizers.Adamax(0.01, global_clipnorm=1.0)),
    ("adagrad-clipvalue", lambda: optimizers.Adagrad(0.1, clipvalue=0.3)),
    ("nadam-weight-decay", lambda: optimizers.Nadam(0.01, weight_decay=0.01)),
]


def make_variables(dtype="float32"):
    return [tinyfit.Variable(w, dtype=dtype, name=f"v{i}") for i, w in enumerate(START)]


def train(opt, variables, steps=5, dtype="float32"):
    for grads in GRADS[:steps]:
        opt.apply([g.astype(dtype) for g in grads], variables)
    return [v.numpy() for v in variables]


def per_variable(make):
    """The same optimizer, updating one variable at a time (its class says its update is not flat)."""
    opt = make()
    opt.flat_updates = False
    return opt


@pytest.mark.parametrize("name, make", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_one_pass_gives_the_per_variable_results_bit_for_bit(name, make):
    flat, single = make(), per_variable(make)
    got = train(flat, make_variables())
    expected = train(single, make_variables())
    assert flat._flat is not None and single._flat is None
    for g, e in zip(got, expected):
        np.testing.assert_array_equal(g, e)
    for a, b in zip(flat.variables, single.variables):  # the state too, slot by slot
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_update_step_runs_once_per_step_over_all_variables(monkeypatch):
    calls = []
    original = optimizers.RMSprop.update_step

    def spy(self, gradient, variable, learning_rate):
        calls.append(gradient.size)
        return original(self, gradient, variable, learning_rate)
    monkeypatch.setattr(optimizers.RMSprop, "update_step", spy)
    opt, variables = optimizers.RMSprop(momentum=0.9), make_variables()
    train(opt, variables, steps=3)
    total = sum(v.size for v in variables)
    assert calls == [total] * 3
    calls.clear()
    opt.apply([GRADS[0][0].astype("float32"), None, None, None], variables)  # a step that skips variables
    assert calls == [12]  # one variable at a time, as before


@pytest.mark.parametrize("name, make", CONFIGS, ids=[c[0] for c in CONFIGS])
def test_slots_of_a_kind_are_views_of_one_array(name, make):
    opt, variables = make(), make_variables()
    train(opt, variables, steps=1)
    kinds = {}
    for (kind, owner), slot in opt._slot_of.items():
        if owner in {id(v) for v in variables}:
            kinds.setdefault(kind, []).append(slot)
    for kind, slots in kinds.items():
        assert len(slots) == len(variables)
        first = slots[0].data
        assert all(np.shares_memory(first.base, s.data) for s in slots), kind
        assert first.base.size == sum(v.size for v in variables)
        assert all(s.shape == v.shape for s, v in zip(slots, variables))


def test_a_weight_array_held_outside_keeps_seeing_the_updates():
    opt, variables = optimizers.Adam(0.1), make_variables()
    held = [v.data for v in variables]
    train(opt, variables, steps=2)
    assert all(v.data is h for v, h in zip(variables, held))
    assert not np.allclose(held[0], START[0])


def test_saved_state_loads_into_a_fresh_optimizer_and_training_continues_the_same():
    first, variables = optimizers.RMSprop(momentum=0.9, centered=True), make_variables()
    train(first, variables, steps=3)
    store = {}
    first.save_own_variables(store)
    weights = [v.numpy().copy() for v in variables]

    second, copies = optimizers.RMSprop(momentum=0.9, centered=True), make_variables()
    for c, w in zip(copies, weights):
        c.assign(w)
    second.build(copies)
    second.load_own_variables(store)  # before the first step: the state is packed afterwards
    for grads in GRADS[3:]:
        first.apply([g.astype("float32") for g in grads], variables)
        second.apply([g.astype("float32") for g in grads], copies)
    for a, b in zip(variables, copies):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    third = optimizers.RMSprop(momentum=0.9, centered=True)
    third.build(make_variables())
    third.apply([g.astype("float32") for g in GRADS[0]])
    third.load_own_variables(store)  # after packing: loaded into the views
    for i, v in enumerate(third.variables):
        np.testing.assert_array_equal(v.numpy(), store[str(i)])
    velocity = third._slot_of["velocity", id(third._trainable_variables[0])].data
    assert np.shares_memory(velocity, third._flat.slots["velocity"].data)


def test_variables_of_two_dtypes_are_updated_one_at_a_time():
    opt = optimizers.Adam(0.01)
    variables = [tinyfit.Variable(START[0], dtype="float32"), tinyfit.Variable(START[1], dtype="float64")]
    for grads in GRADS[:2]:
        opt.apply([grads[0].astype("float32"), grads[1]], variables)
    assert opt._flat is None
    reference = per_variable(lambda: optimizers.Adam(0.01))
    others = [tinyfit.Variable(START[0], dtype="float32"), tinyfit.Variable(START[1], dtype="float64")]
    for grads in GRADS[:2]:
        reference.apply([grads[0].astype("float32"), grads[1]], others)
    for a, b in zip(variables, others):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert variables[1].dtype == np.float64 and opt._slot_of["velocity", id(variables[1])].dtype == np.float64


def test_a_custom_optimizer_is_updated_one_variable_at_a_time():
    class Sign(optimizers.Optimizer):
        def update_step(self, gradient, variable, learning_rate):
            variable.data -= learning_rate * np.sign(gradient)

    opt, variables = Sign(0.5), make_variables()
    train(opt, variables, steps=1)
    assert opt._flat is None
    np.testing.assert_allclose(variables[0].numpy(), START[0] - 0.5 * np.sign(GRADS[0][0]), rtol=1e-6)


def test_a_flat_optimizer_reading_slots_by_position_is_told_to_use_slot():
    class ByPosition(optimizers.Optimizer):
        flat_updates = True

        def build(self, variables):
            super().build(variables)
            self.velocities = [self.add_variable_from_reference(v, "velocity") for v in variables]

        def update_step(self, gradient, variable, learning_rate):
            self.velocities[self._get_variable_index(variable)].data += gradient

    with pytest.raises(TypeError, match=r"ByPosition.update_step: with flat_updates = True.*self\._slot\(variable, "
                                        r"name\).*flat_updates = False"):
        train(ByPosition(0.1), make_variables(), steps=1)

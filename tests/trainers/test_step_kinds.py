"""uses_builtin_steps: whether a model's class keeps tinyfit's train_step, test_step, compute_loss
and compute_metrics; and Trainer.logged_metric_names, the keys fit() will log when the built-in
train_step and compute_metrics decide them (None otherwise)."""

import pytest

import tinyfit as keras
from tinyfit import layers
from tinyfit.trainers.step_kinds import STEP_METHODS, builtin_step, uses_builtin_steps


def build(model_class=keras.Model):
    inputs = keras.Input(shape=(3,))
    model = model_class(inputs, layers.Dense(2, activation="softmax")(inputs))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    return model


def overriding(name):
    """A Model subclass that writes `name` itself (calling the built-in one)."""
    def method(self, *args, **kwargs):
        return getattr(super(cls, self), name)(*args, **kwargs)

    cls = type(f"Own{name.title().replace('_', '')}", (keras.Model,), {name: method})
    return cls


def test_a_plain_model_and_a_subclass_that_overrides_no_step_use_the_builtin_steps():
    assert uses_builtin_steps(build())
    assert uses_builtin_steps(build(type("Renamed", (keras.Model,), {})))
    assert uses_builtin_steps(keras.Sequential([layers.Dense(1)]))


@pytest.mark.parametrize("name", STEP_METHODS)
def test_overriding_one_step_method_is_seen_for_that_method_only(name):
    model = build(overriding(name))
    assert not uses_builtin_steps(model)
    assert not uses_builtin_steps(model, (name,))
    others = tuple(other for other in STEP_METHODS if other != name)
    assert uses_builtin_steps(model, others)


def test_builtin_step_is_the_method_a_plain_model_runs():
    model = build()
    for name in STEP_METHODS:
        assert builtin_step(name) is getattr(keras.Model, name) is getattr(type(model), name)


@pytest.mark.parametrize("name, decides_logs", [
    ("train_step", True), ("compute_metrics", True), ("test_step", False), ("compute_loss", False),
])
def test_logged_metric_names_are_none_where_the_models_own_code_decides_them(name, decides_logs):
    model = build(overriding(name))
    if decides_logs:
        assert model.logged_metric_names is None
    else:
        assert model.logged_metric_names == model.metrics_names == ["loss", "sparse_categorical_accuracy"]


def test_logged_metric_names_of_a_plain_model_are_its_metrics_names():
    model = build()
    assert model.logged_metric_names == ["loss", "sparse_categorical_accuracy"]

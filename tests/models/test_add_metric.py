"""add_metric() values in fit, evaluate and validation: one mean per name, weighted by batch size,
reset each epoch; and model.add_metric on a functional model's symbolic tensors."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers, ops

X = np.arange(40, dtype="float32").reshape(10, 4) / 40.0
Y = np.arange(10) % 2


class LogsInputMean(layers.Layer):
    """Logs the mean of what comes in: a figure training does not change."""

    def call(self, inputs):
        self.add_metric(ops.mean(inputs), name="input_mean")
        return inputs


class LogsCallCount(layers.Layer):
    """Logs 1, 2, 3, ... (one more each call), and remembers what it logged."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.logged = []

    def call(self, inputs):
        self.logged.append(float(len(self.logged) + 1))
        self.add_metric(self.logged[-1], name="count")
        return inputs


def model_with(layer, loss="sparse_categorical_crossentropy"):
    inputs = keras.Input((4,))
    outputs = layers.Dense(2)(layer(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def weighted_epoch_mean(values, sizes=(4, 4, 2)):
    return sum(v * n for v, n in zip(values, sizes)) / sum(sizes)


def test_fit_logs_the_batch_size_weighted_mean_of_the_epoch():
    model = model_with(LogsInputMean())
    history = model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    batch_means = [X[:4].mean(), X[4:8].mean(), X[8:].mean()]
    assert history.history["input_mean"][0] == pytest.approx(weighted_epoch_mean(batch_means), rel=1e-6)
    assert history.history["input_mean"][0] == pytest.approx(X.mean(), rel=1e-6)
    assert history.history["input_mean"][0] != pytest.approx(np.mean(batch_means), rel=1e-3)
    assert model.metrics_names == ["loss", "input_mean"]


def test_each_epoch_starts_afresh():
    counter = LogsCallCount()
    model = model_with(counter)
    counter.logged.clear()  # calls made while building the graph
    history = model.fit(X, Y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    first, second = counter.logged[:3], counter.logged[3:]
    assert history.history["count"] == pytest.approx([weighted_epoch_mean(first), weighted_epoch_mean(second)])


def test_evaluate_and_validation_report_it_too():
    model = model_with(LogsInputMean())
    x_val = X[:6] * 3.0
    history = model.fit(X, Y, batch_size=4, epochs=1, verbose=0, validation_data=(x_val, Y[:6]))
    assert history.history["val_input_mean"][0] == pytest.approx(x_val.mean(), rel=1e-6)
    results = model.evaluate(X, Y, batch_size=3, verbose=0, return_dict=True)
    assert set(results) == {"loss", "input_mean"}
    assert results["input_mean"] == pytest.approx(X.mean(), rel=1e-6)
    loss, input_mean = model.evaluate(X, Y, verbose=0)
    assert input_mean == pytest.approx(X.mean(), rel=1e-6)


def test_the_progress_bar_shows_it(capsys):
    model = model_with(LogsInputMean())
    model.fit(X, Y, batch_size=5, epochs=1, verbose=2)
    assert f"input_mean: {X.mean():.4f}" in capsys.readouterr().out


def test_train_and_test_on_batch_report_the_batch_value():
    model = model_with(LogsInputMean())
    logs = model.train_on_batch(X[:4], Y[:4], return_dict=True)
    assert logs["input_mean"] == pytest.approx(X[:4].mean(), rel=1e-6)
    logs = model.test_on_batch(X[4:], Y[4:], return_dict=True)
    assert logs["input_mean"] == pytest.approx(X[4:].mean(), rel=1e-6)


def test_predict_runs_with_a_layer_that_adds_metrics():
    model = model_with(LogsInputMean())
    assert model.predict(X, verbose=0).shape == (10, 2)


def test_a_custom_train_step_that_skips_compute_metrics_still_feeds_them():
    class Custom(keras.Model):
        def train_step(self, data):
            x, y = data
            loss = self.compute_loss(x=x, y=y, y_pred=self(x, training=True))
            loss.backward()
            self.optimizer.apply([v.grad for v in self.trainable_weights], self.trainable_weights)
            self.metrics[0].update_state(loss)  # the loss tracker
            return self.get_metrics_result()

    inputs = keras.Input((4,))
    model = Custom(inputs, layers.Dense(2)(LogsInputMean()(inputs)))
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(X, Y, batch_size=10, epochs=1, verbose=0)
    assert history.history["input_mean"][0] == pytest.approx(X.mean(), rel=1e-6)


def test_a_name_taken_by_another_metric_is_rejected():
    class LogsLoss(layers.Layer):
        def call(self, inputs):
            self.add_metric(ops.mean(inputs), name="loss")
            return inputs

    model = model_with(LogsLoss())
    with pytest.raises(ValueError, match=r"add_metric\(name='loss'\): the model already reports a metric named "
                                         r"'loss' \(its metrics are 'loss'\)"):
        model.fit(X, Y, verbose=0)


def test_layers_held_metric_objects_are_reset_each_epoch():
    class Endpoint(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.accuracy_fn = keras.metrics.BinaryAccuracy()

        def call(self, targets, logits):
            self.add_loss(ops.mean(ops.binary_crossentropy(targets, logits, from_logits=True)))
            self.add_metric(self.accuracy_fn(targets, ops.sigmoid(logits)), name="accuracy")
            return logits

    inputs, targets = keras.Input((3,), name="inputs"), keras.Input((5,), name="targets")
    endpoint = Endpoint()
    model = keras.Model([inputs, targets], endpoint(targets, layers.Dense(5)(inputs)))
    model.compile(optimizer="adam")
    rng = np.random.default_rng(0)
    data = {"inputs": rng.random((4, 3)), "targets": (rng.random((4, 5)) > 0.5).astype("float32")}
    history = model.fit(data, epochs=2, verbose=0)
    total, count = (float(v.numpy()) for v in endpoint.accuracy_fn.variables)
    assert count == 4  # one epoch of 4 samples: reset between epochs, and no stand-in data
    assert history.history["accuracy"][-1] == pytest.approx(total / count)


# ---------------------------------------------------------- functional models
def functional():
    inputs = keras.Input(shape=(4,), name="digits")
    x1 = layers.Dense(3, activation="relu", name="dense_1")(inputs)
    outputs = layers.Dense(2, name="predictions")(x1)
    return keras.Model(inputs=inputs, outputs=outputs), x1


def test_model_add_metric_on_a_symbolic_tensor_is_recomputed_each_call():
    keras.utils.set_random_seed(3)
    model, x1 = functional()
    model.add_metric(ops.std(x1), name="std_of_activation", aggregation="mean")
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    expected = float(np.std(model.get_layer("dense_1")(X).numpy()))  # before the weights change
    history = model.fit(X, Y, batch_size=10, epochs=1, verbose=0)
    assert history.history["std_of_activation"][0] == pytest.approx(expected, rel=1e-5)
    model(X[:2])
    assert [name for name, _ in model._added_metric_values()] == ["std_of_activation"]


def test_model_add_metric_and_add_loss_together_keep_their_places():
    model, x1 = functional()
    model.add_metric(ops.mean(x1), name="mean_of_activation")
    model.add_loss(ops.sum(x1) * 0.0)
    model(X)
    (loss,) = model.losses
    (name, value), = model._added_metric_values()
    hidden = model.get_layer("dense_1")(X).numpy()
    assert loss.item() == 0.0 and float(value.numpy()) == pytest.approx(hidden.mean(), rel=1e-5)


def test_sequential_takes_a_layer_that_adds_metrics():
    model = keras.Sequential([keras.Input((4,)), LogsInputMean(), layers.Dense(2)])
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    results = model.evaluate(X, Y, verbose=0, return_dict=True)
    assert results["input_mean"] == pytest.approx(X.mean(), rel=1e-6)


def test_model_add_metric_errors_name_the_facts():
    model, x1 = functional()
    with pytest.raises(ValueError, match=r"add_metric\(\) needs a name"):
        model.add_metric(ops.std(x1))
    with pytest.raises(ValueError, match=r"aggregation='max'; the choices are 'mean'"):
        model.add_metric(ops.std(x1), name="s", aggregation="max")
    with pytest.raises(TypeError, match=r"add_metric\(name='s'\) takes one tensor, got list"):
        model.add_metric([ops.std(x1), ops.mean(x1)], name="s")

    class Subclassed(keras.Model):
        def call(self, inputs):
            return inputs

    with pytest.raises(ValueError, match=r"Model 'subclassed.*': add_metric\(\) got a symbolic tensor, which only a "
                                         r"functional model can take"):
        Subclassed().add_metric(ops.std(x1), name="s")

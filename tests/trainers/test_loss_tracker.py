"""Who feeds the loss tracker (the "loss" metric), as in Keras 3.

compute_loss() only computes; the built-in train_step/test_step feed the tracker
(weighted by batch size); a custom step feeds it itself, or reports figures of
its own, and its returned dict is what fit() logs. Each loss counts once.

The model here never changes (SGD with learning rate 0), so every batch's loss
is known in advance and the logged figures can be checked exactly.
"""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers

# 10 samples in batches of 4, 4 and 2: a plain mean of the batch losses and a mean
# weighted by batch size differ.
X = np.arange(20, dtype="float32").reshape(10, 2) / 10
Y = np.linspace(-1, 1, 10, dtype="float32")[:, None]
BATCHES = [slice(0, 4), slice(4, 8), slice(8, 10)]


def predictions():
    return X @ np.array([[0.5], [-0.25]], "float32") + 0.1


def batch_losses():
    return [float(np.mean((predictions()[b] - Y[b]) ** 2)) for b in BATCHES]


def whole_loss():
    return float(np.mean((predictions() - Y) ** 2))


def build(model_class=keras.Model):
    inputs = keras.Input((2,))
    model = model_class(inputs, layers.Dense(1)(inputs))
    model.set_weights([np.array([[0.5], [-0.25]], "float32"), np.array([0.1], "float32")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.0), loss="mse")
    return model


def tracker(model):
    (loss_metric,) = [m for m in model.metrics if m.name == "loss"]
    return loss_metric


def fit_loss(model):
    return model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0).history


# ---------------------------------------------------------------- built in
def test_the_built_in_steps_feed_the_tracker_once_per_batch_weighted_by_its_size():
    model = build()
    assert fit_loss(model)["loss"] == [pytest.approx(whole_loss(), rel=1e-6)]
    assert float(tracker(model).count.numpy()) == 10  # 4 + 4 + 2: each batch once, by its size
    assert model.evaluate(X, Y, batch_size=4, verbose=0) == pytest.approx(whole_loss(), rel=1e-6)
    assert float(tracker(model).count.numpy()) == 10
    assert whole_loss() != pytest.approx(np.mean(batch_losses()), rel=1e-3)  # the weighting is seen


def test_compute_loss_computes_and_records_nothing():
    model = build()
    loss = model.compute_loss(x=X, y=keras.Tensor(Y), y_pred=model(X))
    assert loss.item() == pytest.approx(whole_loss(), rel=1e-6)
    assert float(tracker(model).count.numpy()) == 0 and float(tracker(model).result()) == 0.0


# ------------------------------------------------------------ custom steps
class GuideStep(keras.Model):
    """Keras 3's documented step: compute_loss, then the loss metric fed in the metrics loop."""

    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        self.optimizer.apply([v.grad for v in self.trainable_weights], self.trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


class WeightedStep(keras.Model):
    """Feeds the tracker weighted by batch size, as the built-in step does; computes the loss twice."""

    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        loss = self.compute_loss(x=x, y=y, y_pred=y_pred)
        self.compute_loss(x=x, y=y, y_pred=y_pred)  # computed again (say, to look at it): still counted once
        loss.backward()
        self.optimizer.apply([v.grad for v in self.trainable_weights], self.trainable_weights)
        self._loss_tracker.update_state(loss, sample_weight=x.shape[0])
        return self.compute_metrics(x, y, y_pred)


def test_a_custom_step_that_feeds_the_tracker_reports_the_loss_once():
    model = build(GuideStep)
    assert fit_loss(model)["loss"] == [pytest.approx(np.mean(batch_losses()), rel=1e-6)]
    assert float(tracker(model).count.numpy()) == 3  # one per batch, unweighted, as the step fed it
    weighted = build(WeightedStep)
    assert fit_loss(weighted)["loss"] == [pytest.approx(whole_loss(), rel=1e-6)]
    assert float(tracker(weighted).count.numpy()) == 10


def test_batch_logs_follow_the_running_mean_of_the_fed_losses():
    model = build(GuideStep)
    seen = []
    model.fit(X, Y, batch_size=4, epochs=1, shuffle=False, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=lambda b, logs: seen.append(logs["loss"]))])
    expected = np.cumsum(batch_losses()) / np.arange(1, 4)
    np.testing.assert_allclose(seen, expected, rtol=1e-6)


def test_a_custom_step_without_compute_loss_logs_the_dict_it_returns():
    class OwnFigures(keras.Model):
        def train_step(self, data):
            x, y = data
            error = self(x, training=True) - y
            return {"loss": float(np.mean(np.abs(error.numpy()))), "worst": float(np.max(np.abs(error.numpy())))}

    model = build(OwnFigures)
    history = fit_loss(model)
    last = slice(8, 10)
    assert history["loss"] == [pytest.approx(np.mean(np.abs(predictions()[last] - Y[last])), rel=1e-6)]
    assert history["worst"] == [pytest.approx(np.max(np.abs(predictions()[last] - Y[last])), rel=1e-6)]
    assert float(tracker(model).count.numpy()) == 0  # nothing fed it, and nothing pretended to


def test_a_custom_test_step_that_feeds_the_tracker_is_evaluated_once_per_batch():
    class GuideTest(keras.Model):
        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            for metric in self.metrics:
                if metric.name == "loss":
                    metric.update_state(loss)
            return {m.name: m.result() for m in self.metrics}

    model = build(GuideTest)
    assert model.evaluate(X, Y, batch_size=4, verbose=0) == pytest.approx(np.mean(batch_losses()), rel=1e-6)
    assert float(tracker(model).count.numpy()) == 3


def test_a_custom_step_that_logs_the_tracker_without_feeding_it_is_told_how():
    class Forgets(keras.Model):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            self.optimizer.apply([v.grad for v in self.trainable_weights], self.trainable_weights)
            return self.compute_metrics(x, y, y_pred)

    model = build(Forgets)
    with pytest.warns(UserWarning, match=r"Forgets\.train_step\(\) logged loss = 0\.0: that is the loss tracker's "
                                         r"value .*nothing has fed it.*compute_loss\(\) returns the loss without "
                                         r"recording it.*metric\.update_state\(loss\)"):
        history = fit_loss(model)
    assert history["loss"] == [0.0]  # what an empty tracker holds, as in Keras 3: said, not hidden

"""The 2020 edition of the Keras guide "Training & evaluation with the built-in methods":
its add_metric() examples (MetricLoggingLayer, model.add_metric, LogisticEndpoint), run on tinyfit.

The code between the `# --- guide` markers is the guide's, with `import tinyfit as keras`
and `from tinyfit import layers, ops`, and the TensorFlow calls Keras 3 no longer has
written with tinyfit.ops: `keras.backend.std` -> `ops.std`, `tf.reduce_sum` -> `ops.sum`,
`tf.nn.softmax` -> `ops.softmax`. The asserts after it check the numbers. The MNIST
training set is sliced: the full set is not the point here.
"""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers, ops

TRAIN_SAMPLES = 1024


@pytest.fixture(scope="module")
def mnist():
    (x_train, y_train), _ = keras.datasets.mnist.load_data()
    x_train = x_train[:TRAIN_SAMPLES].reshape(-1, 784).astype("float32") / 255
    return x_train, y_train[:TRAIN_SAMPLES].astype("float32")


@pytest.fixture(autouse=True)
def seed():
    keras.utils.set_random_seed(1337)


# --- guide
class MetricLoggingLayer(layers.Layer):
    def call(self, inputs):
        # The `aggregation` argument defines
        # how to aggregate the per-batch values
        # over each epoch:
        # in this case we simply average them.
        self.add_metric(
            ops.std(inputs), name="std_of_activation", aggregation="mean"
        )
        return inputs  # Pass-through layer.
# --- end of guide


def test_metric_logging_layer(mnist, capsys):
    x_train, y_train = mnist
    # --- guide
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)

    # Insert std logging as a layer.
    x = MetricLoggingLayer()(x)

    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, name="predictions")(x)

    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x_train, y_train, batch_size=64, epochs=1)
    # --- end of guide
    out = capsys.readouterr().out
    history = model.history.history
    assert list(history) == ["loss", "std_of_activation"]
    assert f"- loss: {history['loss'][0]:.4f} - std_of_activation: {history['std_of_activation'][0]:.4f}" in out
    # After training, evaluate reports the std of dense_1's outputs over the data.
    logged = model.evaluate(x_train, y_train, batch_size=TRAIN_SAMPLES, verbose=0, return_dict=True)
    hidden = model.get_layer("dense_1")(x_train).numpy()
    assert logged["std_of_activation"] == pytest.approx(float(np.std(hidden)), rel=1e-4)


def test_functional_add_loss_and_add_metric(mnist, capsys):
    x_train, y_train = mnist
    # --- guide
    inputs = keras.Input(shape=(784,), name="digits")
    x1 = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x2 = layers.Dense(64, activation="relu", name="dense_2")(x1)
    outputs = layers.Dense(10, name="predictions")(x2)
    model = keras.Model(inputs=inputs, outputs=outputs)

    model.add_loss(ops.sum(x1) * 0.1)

    model.add_metric(ops.std(x1), name="std_of_activation", aggregation="mean")

    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )
    model.fit(x_train, y_train, batch_size=64, epochs=1)
    # --- end of guide
    assert "std_of_activation: " in capsys.readouterr().out
    assert list(model.history.history) == ["loss", "std_of_activation"]
    # On one batch: the loss is the cross-entropy plus 0.1 * the sum of dense_1's outputs.
    x, y = x_train[:64], y_train[:64]
    logged = model.evaluate(x, y, batch_size=64, verbose=0, return_dict=True)
    hidden = model.get_layer("dense_1")(x).numpy().astype("float64")
    logits = model.predict(x, verbose=0).astype("float64")
    log_probs = logits - logits.max(1, keepdims=True)
    log_probs -= np.log(np.exp(log_probs).sum(1, keepdims=True))
    cross_entropy = -log_probs[np.arange(64), y.astype(int)].mean()
    assert logged["loss"] == pytest.approx(cross_entropy + 0.1 * hidden.sum(), rel=1e-4)
    assert logged["std_of_activation"] == pytest.approx(hidden.std(), rel=1e-4)


# --- guide
class LogisticEndpoint(keras.layers.Layer):
    def __init__(self, name=None):
        super(LogisticEndpoint, self).__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)
        self.accuracy_fn = keras.metrics.BinaryAccuracy()

    def call(self, targets, logits, sample_weights=None):
        # Compute the training-time loss value and add it
        # to the layer using `self.add_loss()`.
        loss = self.loss_fn(targets, logits, sample_weights)
        self.add_loss(loss)

        # Log accuracy as a metric and add it
        # to the layer using `self.add_metric()`.
        acc = self.accuracy_fn(targets, logits, sample_weights)
        self.add_metric(acc, name="accuracy")

        # Return the inference-time prediction tensor (for `.predict()`).
        return ops.softmax(logits)
# --- end of guide


def test_logistic_endpoint_compiled_with_an_optimizer_only(capsys):
    # --- guide
    import numpy as np

    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = keras.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(logits, targets)

    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")  # No loss argument!

    data = {
        "inputs": np.random.random((3, 3)),
        "targets": np.random.random((3, 10)),
    }
    model.fit(data)
    # --- end of guide
    assert "- loss: " in capsys.readouterr().out
    history = model.history.history
    assert list(history) == ["loss", "accuracy"]
    endpoint = model.get_layer("predictions")
    # The layer's call is (targets, logits) and the guide passes (logits, targets): the
    # "targets" the metric sees are the Dense outputs; it thresholds the Input at 0.5.
    total, count = (float(v.numpy()) for v in endpoint.accuracy_fn.variables)
    assert count == 3  # this epoch's 3 samples: no stand-in data from building the graph
    assert history["accuracy"] == [pytest.approx(total / count)]
    # With the same weights, the logged loss is the layer's cross-entropy.
    before = model.evaluate(data, verbose=0, return_dict=True)
    z = data["targets"].astype("float32").astype("float64")
    dense = next(layer for layer in model.layers if isinstance(layer, keras.layers.Dense))
    t = dense(data["inputs"]).numpy().astype("float64")
    expected = np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))
    assert before["loss"] == pytest.approx(expected, rel=1e-5)
    assert set(before) == {"loss", "accuracy"}

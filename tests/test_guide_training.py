"""The Keras guide "Training & evaluation with the built-in methods", run on tinyfit.

Each test is one of the guide's examples, from the start through "Automatically
setting apart a validation holdout set", plus "Using callbacks" and "Using
learning rate schedules". The code between the `# --- guide` markers is the
guide's, with `import tinyfit as keras` and `from tinyfit import layers, ops`
and nothing else changed; the asserts after it check the numbers.

The data is the guide's MNIST, preprocessed as the guide does, then sliced where
the full set is not the point (the main job, `python -m tinyfit.examples.mnist`,
trains on all 50,000 images). Every test starts from the same seed. The guide's data
preparation and its get_uncompiled_model() / get_compiled_model() are in tests/conftest.py
(fixtures), shared with the guide's data sections.
"""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers, ops

TRAIN_SAMPLES = 4000  # most examples: enough to learn, small enough for 2 busy cores
FIRST_EXAMPLE_SAMPLES = 10_000  # the first example, whose test accuracy is checked


@pytest.fixture
def data(guide_mnist):
    """The guide's arrays (tests/conftest.py), the training set sliced to TRAIN_SAMPLES."""
    x_train, y_train, x_val, y_val, x_test, y_test = guide_mnist
    return x_train[:TRAIN_SAMPLES], y_train[:TRAIN_SAMPLES], x_val, y_val, x_test, y_test


@pytest.fixture(autouse=True)
def seed():
    keras.utils.set_random_seed(1337)


def _keras_early_stopping_epoch(values, min_delta, patience):
    """The epoch (from 0) at which Keras's EarlyStopping(mode="min") stops, or None."""
    best, wait = float("inf"), 0
    for epoch, value in enumerate(values):
        wait += 1
        if value < best - min_delta:
            best, wait = value, 0
        elif wait >= patience and epoch > 0:
            return epoch
    return None


def _steps(samples, batch_size):
    return -(-samples // batch_size)


# ************************************************ API overview: a first end-to-end example
def test_first_end_to_end_example(guide_mnist, capsys):
    x_train, y_train, x_val, y_val, x_test, y_test = guide_mnist
    x_train, y_train = x_train[:FIRST_EXAMPLE_SAMPLES], y_train[:FIRST_EXAMPLE_SAMPLES]
    x_val, y_val = x_val[:5000], y_val[:5000]

    # --- guide
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)

    model = keras.Model(inputs=inputs, outputs=outputs)

    model.compile(
        optimizer=keras.optimizers.RMSprop(),  # Optimizer
        # Loss function to minimize
        loss=keras.losses.SparseCategoricalCrossentropy(),
        # List of metrics to monitor
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )

    print("Fit model on training data")
    history = model.fit(
        x_train,
        y_train,
        batch_size=64,
        epochs=2,
        # We pass some validation for
        # monitoring validation loss and metrics
        # at the end of each epoch
        validation_data=(x_val, y_val),
    )

    print(history.history)

    # Evaluate the model on the test data using `evaluate`
    print("Evaluate on test data")
    results = model.evaluate(x_test, y_test, batch_size=128)
    print("test loss, test acc:", results)

    # Generate predictions (probabilities -- the output of the last layer)
    # on new data using `predict`
    print("Generate predictions for 3 samples")
    predictions = model.predict(x_test[:3])
    print("predictions shape:", predictions.shape)
    # --- end of guide

    # The history, keyed exactly as Keras keys it, one float per epoch.
    assert list(history.history) == [
        "loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"]
    assert all(len(v) == 2 and all(isinstance(f, float) for f in v) for v in history.history.values())
    assert history.epoch == [0, 1]
    h = history.history
    assert h["loss"][1] < h["loss"][0] < 1.0
    assert h["sparse_categorical_accuracy"][1] > h["sparse_categorical_accuracy"][0] > 0.7
    assert h["val_sparse_categorical_accuracy"][1] >= 0.85
    # Test accuracy well above chance (0.1) after 2 epochs on 10,000 images.
    assert model.metrics_names == ["loss", "sparse_categorical_accuracy"]
    test_loss, test_acc = results
    assert test_acc >= 0.85 and test_loss < 0.5
    # The accuracy is the fraction of correct test predictions, computed here by hand.
    probabilities = model.predict(x_test, verbose=0)
    assert test_acc == pytest.approx(np.mean(probabilities.argmax(axis=1) == y_test), abs=1e-6)
    manual_loss = -np.mean(np.log(probabilities[np.arange(len(y_test)), y_test.astype(int)]))
    assert test_loss == pytest.approx(manual_loss, rel=1e-3)
    # Predictions are probabilities (the softmax output), one row per sample.
    assert predictions.shape == (3, 10)
    np.testing.assert_allclose(predictions.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(predictions, probabilities[:3], rtol=1e-5, atol=1e-7)

    # Printed as the guide shows it (output is captured: one line per epoch, no redraws).
    out = capsys.readouterr().out
    steps = _steps(len(x_train), 64)
    assert out.startswith("Fit model on training data\nEpoch 1/2\n")
    epoch_lines = [line for line in out.splitlines() if line.startswith(f"{steps}/{steps} ")]
    assert len(epoch_lines) == 2
    assert all(" - loss: " in line and " - val_sparse_categorical_accuracy: " in line for line in epoch_lines)
    assert "\r" not in out
    assert "Evaluate on test data\n79/79 " in out
    assert "test loss, test acc: [" in out
    assert "predictions shape: (3, 10)" in out


def test_evaluate_returns_a_list_in_metrics_names_order_or_a_dict(data, get_compiled_model):
    x_train, y_train, x_val, y_val, x_test, y_test = data
    model = get_compiled_model()
    model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0)
    results = model.evaluate(x_test[:2000], y_test[:2000], batch_size=128, verbose=0)
    as_dict = model.evaluate(x_test[:2000], y_test[:2000], batch_size=128, verbose=0, return_dict=True)
    assert isinstance(results, list) and len(results) == 2
    assert list(as_dict) == model.metrics_names == ["loss", "sparse_categorical_accuracy"]
    assert dict(zip(model.metrics_names, results)) == as_dict
    assert 0.0 < as_dict["loss"] < 1.0 and 0.8 < as_dict["sparse_categorical_accuracy"] <= 1.0


# ************************************************ The compile() method
def test_compile_with_objects(data, get_uncompiled_model):
    x_train, y_train, *_ = data
    model = get_uncompiled_model()
    # --- guide
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    # --- end of guide
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert float(model.optimizer.learning_rate) == pytest.approx(1e-3)
    history = model.fit(x_train, y_train, batch_size=64, epochs=1, verbose=0)
    assert list(history.history) == ["loss", "sparse_categorical_accuracy"]
    assert history.history["sparse_categorical_accuracy"][0] > 0.6


def test_compile_with_strings_gives_the_same_training(data, get_uncompiled_model):
    x_train, y_train, *_ = data
    histories = []
    for use_strings in (False, True):
        keras.utils.set_random_seed(7)
        model = get_uncompiled_model()
        if use_strings:
            # --- guide
            model.compile(
                optimizer="rmsprop",
                loss="sparse_categorical_crossentropy",
                metrics=["sparse_categorical_accuracy"],
            )
            # --- end of guide
        else:
            model.compile(
                optimizer=keras.optimizers.RMSprop(),
                loss=keras.losses.SparseCategoricalCrossentropy(),
                metrics=[keras.metrics.SparseCategoricalAccuracy()],
            )
        histories.append(model.fit(x_train[:1000], y_train[:1000], batch_size=64, epochs=1, verbose=0).history)
    assert isinstance(model.optimizer, keras.optimizers.RMSprop)
    assert list(histories[1]) == list(histories[0]) == ["loss", "sparse_categorical_accuracy"]
    for key in histories[0]:
        assert histories[1][key] == pytest.approx(histories[0][key], rel=1e-5)


def test_get_compiled_model(data, get_compiled_model):
    x_train, y_train, x_val, y_val, *_ = data
    model = get_compiled_model()
    assert model.compiled and model.metrics_names == ["loss", "sparse_categorical_accuracy"]
    assert [layer.name for layer in model.layers] == ["digits", "dense_1", "dense_2", "predictions"]
    history = model.fit(x_train, y_train, batch_size=64, epochs=1, validation_data=(x_val[:1000], y_val[:1000]),
                        verbose=0)
    assert history.history["val_sparse_categorical_accuracy"][0] > 0.8


# ************************************************ Custom losses
def test_custom_loss_function_with_one_hot_targets(data, capsys, get_uncompiled_model):
    x_train, y_train, *_ = data
    # --- guide
    def custom_mean_squared_error(y_true, y_pred):
        return ops.mean(ops.square(y_true - y_pred), axis=-1)


    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=custom_mean_squared_error)

    # We need to one-hot encode the labels to use MSE
    y_train_one_hot = ops.one_hot(y_train, num_classes=10)
    model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1)
    # --- end of guide
    one_hot = ops.convert_to_numpy(y_train_one_hot)
    assert one_hot.shape == (TRAIN_SAMPLES, 10)
    np.testing.assert_array_equal(one_hot.argmax(axis=1), y_train)
    history = model.history.history
    assert list(history) == ["loss"]
    # A softmax guessing 0.1 everywhere scores 0.09; training brings it well below.
    assert history["loss"][0] < 0.07
    # The loss the model reports is the function's mean over the samples.
    predicted = model.predict(x_train[:500], verbose=0)
    expected = np.mean(np.mean((one_hot[:500] - predicted) ** 2, axis=-1))
    assert model.evaluate(x_train[:500], one_hot[:500], verbose=0) == pytest.approx(expected, rel=1e-4)
    assert f"{_steps(TRAIN_SAMPLES, 64)}/{_steps(TRAIN_SAMPLES, 64)} " in capsys.readouterr().out


def test_custom_loss_subclass(data, get_uncompiled_model):
    x_train, y_train, *_ = data
    # --- guide
    class CustomMSE(keras.losses.Loss):
        def __init__(self, regularization_factor=0.1, name="custom_mse"):
            super().__init__(name=name)
            self.regularization_factor = regularization_factor

        def call(self, y_true, y_pred):
            mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
            reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
            return mse + reg * self.regularization_factor


    model = get_uncompiled_model()
    model.compile(optimizer=keras.optimizers.Adam(), loss=CustomMSE())

    y_train_one_hot = ops.one_hot(y_train, num_classes=10)
    model.fit(x_train, y_train_one_hot, batch_size=64, epochs=1)
    # --- end of guide
    assert list(model.history.history) == ["loss"]
    loss = model.history.history["loss"][0]
    assert 0.02 < loss < 0.1
    one_hot = ops.convert_to_numpy(y_train_one_hot)[:500]
    predicted = model.predict(x_train[:500], verbose=0)
    expected = np.mean(np.mean((one_hot - predicted) ** 2, axis=-1)
                       + 0.1 * np.mean((0.5 - predicted) ** 2, axis=-1))
    assert model.evaluate(x_train[:500], one_hot, verbose=0) == pytest.approx(expected, rel=1e-4)


# ************************************************ Custom metrics
def test_custom_metric_categorical_true_positives(data, capsys, get_uncompiled_model):
    x_train, y_train, *_ = data
    # --- guide
    class CategoricalTruePositives(keras.metrics.Metric):
        def __init__(self, name="categorical_true_positives", **kwargs):
            super().__init__(name=name, **kwargs)
            self.true_positives = self.add_variable(
                shape=(), name="ctp", initializer="zeros"
            )

        def update_state(self, y_true, y_pred, sample_weight=None):
            y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
            values = ops.cast(y_true, "int32") == ops.cast(y_pred, "int32")
            values = ops.cast(values, "float32")
            if sample_weight is not None:
                sample_weight = ops.cast(sample_weight, "float32")
                values = ops.multiply(values, sample_weight)
            self.true_positives.assign_add(ops.sum(values))

        def result(self):
            return self.true_positives.value

        def reset_state(self):
            # The state of the metric will be reset at the start of each epoch.
            self.true_positives.assign(0.0)


    model = get_uncompiled_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[CategoricalTruePositives()],
    )
    model.fit(x_train, y_train, batch_size=64, epochs=3)
    # --- end of guide
    history = model.history.history
    assert list(history) == ["loss", "categorical_true_positives"]
    assert len(history["categorical_true_positives"]) == 3
    assert history["loss"][2] < history["loss"][1] < history["loss"][0]
    # The metric is reset every epoch, and as written in the guide it compares the
    # (N,) labels with the (N, 1) predictions by broadcasting: it counts the pairs
    # (i, j) of one batch with label i == prediction j. Evaluate reproduces it exactly.
    x_eval, y_eval = x_train[:1000], y_train[:1000]
    counted = model.evaluate(x_eval, y_eval, batch_size=100, verbose=0, return_dict=True)
    predicted = model.predict(x_eval, verbose=0).argmax(axis=1)
    expected = sum(int(np.sum(y_eval[i:i + 100, None] == predicted[None, i:i + 100])) for i in range(0, 1000, 100))
    assert counted["categorical_true_positives"] == expected
    out = capsys.readouterr().out
    assert out.count("Epoch ") == 3 and "Epoch 3/3" in out and " - categorical_true_positives: " in out


# ************************************************ Losses and metrics that don't fit the standard signature
def test_activity_regularization_layer_adds_its_loss(data):
    x_train, y_train, *_ = data
    # --- guide
    class ActivityRegularizationLayer(layers.Layer):
        def call(self, inputs):
            self.add_loss(ops.sum(inputs) * 0.1)
            return inputs  # Pass-through layer.


    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)

    # Insert activity regularization as a layer
    x = ActivityRegularizationLayer()(x)

    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, name="predictions")(x)

    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile(
        optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )

    # The displayed loss will be much higher than before
    # due to the regularization component.
    model.fit(x_train, y_train, batch_size=64, epochs=1)
    # --- end of guide
    history = model.history.history
    assert list(history) == ["loss"]
    # Cross-entropy alone starts near log(10) = 2.3 and falls; the added term keeps it higher.
    assert history["loss"][0] > 1.0
    # The reported loss is the cross-entropy from the logits plus 0.1 * sum(dense_1's activations).
    xb, yb = x_train[:32], y_train[:32]
    logits = model(xb)
    extra = model.losses
    assert len(extra) == 1
    hidden = keras.Model(inputs, model.get_layer("dense_1").output)(xb)
    assert float(extra[0]) == pytest.approx(0.1 * float(ops.sum(hidden)), rel=1e-5)
    xent = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(yb, logits)
    assert model.test_on_batch(xb, yb) == pytest.approx(float(xent) + float(extra[0]), rel=1e-5)


def test_logistic_endpoint_compiled_without_a_loss_fits_on_a_dict(capsys):
    # --- guide
    class LogisticEndpoint(keras.layers.Layer):
        def __init__(self, name=None):
            super().__init__(name=name)
            self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

        def call(self, targets, logits, sample_weights=None):
            # Compute the training-time loss value and add it
            # to the layer using `self.add_loss()`.
            loss = self.loss_fn(targets, logits, sample_weights)
            self.add_loss(loss)

            # Return the inference-time prediction tensor (for `.predict()`).
            return ops.softmax(logits)


    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = keras.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)

    model = keras.Model(inputs=[inputs, targets], outputs=predictions)
    model.compile(optimizer="adam")  # No loss argument!

    data = {
        "inputs": np.random.random((3, 3)),
        "targets": np.random.random((3, 10)),
    }
    model.fit(data)
    # --- end of guide
    history = model.history.history
    assert list(history) == ["loss"] and len(history["loss"]) == 1
    # The loss of the one step is the binary cross-entropy of the logits before the update.
    assert "1/1 " in capsys.readouterr().out
    model2_loss = model.evaluate(data, verbose=0)
    dense = next(layer for layer in model.layers if isinstance(layer, layers.Dense))
    z = dense(data["inputs"].astype("float32")).numpy()
    t = data["targets"]
    expected = np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))
    assert model2_loss == pytest.approx(expected, rel=1e-4)
    assert history["loss"][0] > model2_loss  # one Adam step lowered it
    predicted = model.predict(data, verbose=0)
    assert predicted.shape == (3, 10)
    np.testing.assert_allclose(predicted.sum(axis=1), 1.0, rtol=1e-5)


# ************************************************ Automatically setting apart a validation holdout set
def test_validation_split_keeps_the_last_fifth_apart(data, capsys, get_compiled_model):
    x_train, y_train, *_ = data
    # --- guide
    model = get_compiled_model()
    model.fit(x_train, y_train, batch_size=64, validation_split=0.2, epochs=1)
    # --- end of guide
    history = model.history.history
    assert list(history) == ["loss", "sparse_categorical_accuracy", "val_loss", "val_sparse_categorical_accuracy"]
    # 80% trains: 3,200 samples in 50 batches of 64.
    assert "50/50 " in capsys.readouterr().out
    # The last 20%, before any shuffling, is what was validated on.
    held_out = model.evaluate(x_train[-800:], y_train[-800:], verbose=0, return_dict=True)
    assert history["val_loss"][0] == pytest.approx(held_out["loss"], rel=1e-6)
    assert history["val_sparse_categorical_accuracy"][0] == pytest.approx(
        held_out["sparse_categorical_accuracy"], rel=1e-6)
    assert history["val_sparse_categorical_accuracy"][0] > 0.75


# ************************************************ Using callbacks
def test_early_stopping_on_val_loss(data, capsys, get_compiled_model):
    x_train, y_train, *_ = data
    # --- guide
    model = get_compiled_model()

    callbacks = [
        keras.callbacks.EarlyStopping(
            # Stop training when `val_loss` is no longer improving
            monitor="val_loss",
            # "no longer improving" being defined as "no better than 1e-2 less"
            min_delta=1e-2,
            # "no longer improving" being further defined as "for at least 2 epochs"
            patience=2,
            verbose=1,
        )
    ]
    model.fit(
        x_train,
        y_train,
        epochs=20,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.2,
    )
    # --- end of guide
    val_loss = model.history.history["val_loss"]
    epochs_run = len(val_loss)
    assert 3 <= epochs_run < 20
    # It stopped at the epoch Keras's rule picks: no improvement by more than
    # min_delta on the best so far, for `patience` epochs in a row.
    assert _keras_early_stopping_epoch(val_loss, min_delta=1e-2, patience=2) == epochs_run - 1
    out = capsys.readouterr().out
    assert f"Epoch {epochs_run}: early stopping" in out
    assert f"Epoch {epochs_run + 1}/20" not in out


def test_loss_history_callback_gets_one_float_per_batch(data, get_compiled_model):
    x_train, y_train, *_ = data
    # --- guide
    class LossHistory(keras.callbacks.Callback):
        def on_train_begin(self, logs):
            self.per_batch_losses = []

        def on_batch_end(self, batch, logs):
            self.per_batch_losses.append(logs.get("loss"))
    # --- end of guide

    loss_history = LossHistory()
    model = get_compiled_model()
    history = model.fit(x_train, y_train, batch_size=64, epochs=2, callbacks=[loss_history], verbose=0)
    losses = loss_history.per_batch_losses
    steps = _steps(TRAIN_SAMPLES, 64)
    assert len(losses) == 2 * steps
    assert all(type(v) is float and np.isfinite(v) for v in losses)
    # The batch logs hold the epoch's running mean: the last one of each epoch is the epoch's loss.
    assert losses[steps - 1] == pytest.approx(history.history["loss"][0], rel=1e-6)
    assert losses[-1] == pytest.approx(history.history["loss"][1], rel=1e-6)
    assert losses[0] > 1.5 and losses[-1] < losses[0] / 3


# ************************************************ Using learning rate schedules
def test_exponential_decay_schedule_into_rmsprop(data, get_uncompiled_model):
    x_train, y_train, *_ = data
    # --- guide
    initial_learning_rate = 0.1
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(
        initial_learning_rate, decay_steps=100000, decay_rate=0.96, staircase=True
    )

    optimizer = keras.optimizers.RMSprop(learning_rate=lr_schedule)
    # --- end of guide
    assert float(lr_schedule(0)) == pytest.approx(0.1)
    assert float(lr_schedule(99_999)) == pytest.approx(0.1)  # staircase: steps of 100,000
    assert float(lr_schedule(100_000)) == pytest.approx(0.096)
    assert float(lr_schedule(250_000)) == pytest.approx(0.1 * 0.96 ** 2)
    assert float(optimizer.learning_rate) == pytest.approx(0.1)
    model = get_uncompiled_model()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    model.fit(x_train[:640], y_train[:640], batch_size=64, epochs=1, verbose=0)
    assert int(optimizer.iterations) == 10
    assert float(optimizer.learning_rate) == pytest.approx(0.1)


def test_exponential_decay_schedule_decays_during_fit_with_sgd(data, get_uncompiled_model):
    x_train, y_train, *_ = data
    lr_schedule = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
    optimizer = keras.optimizers.SGD(learning_rate=lr_schedule)
    seen = []
    record = keras.callbacks.LambdaCallback(
        on_train_batch_begin=lambda batch, logs: seen.append(float(optimizer.learning_rate)))
    model = get_uncompiled_model()
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train[:1280], y_train[:1280], batch_size=64, epochs=2, callbacks=[record], verbose=0)
    assert len(seen) == 40 and int(optimizer.iterations) == 40
    np.testing.assert_allclose(seen, 0.1 * 0.5 ** (np.arange(40) / 10), rtol=1e-5)
    assert float(optimizer.learning_rate) == pytest.approx(0.1 * 0.5 ** 4, rel=1e-5)
    assert history.history["loss"][1] < history.history["loss"][0]

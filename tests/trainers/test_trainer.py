"""The training loop: compile/fit/evaluate/predict and the *_on_batch methods, on arrays,
lists and dicts; weights, shuffling, epochs and steps; a user-written train_step;
what is printed; and the errors a student's mistakes end in."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers, ops

# ------------------------------------------------------------------ helpers
N = 96
FEATURES = 4
CLASSES = 3


@pytest.fixture(autouse=True)
def seed():
    keras.utils.set_random_seed(2024)


def blobs(n=N, seed=0):
    """Three well-separated classes in 4-d: x (n, 4) float32, y (n,) float32 class indices."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, n)
    centers = np.array([[2, 0, 0, 1], [0, 2, 0, -1], [0, 0, 2, 0]], dtype="float32")
    x = centers[y] + 0.3 * rng.standard_normal((n, FEATURES)).astype("float32")
    return x.astype("float32"), y.astype("float32")


def classifier(hidden=8):
    inputs = keras.Input(shape=(FEATURES,), name="features")
    x = layers.Dense(hidden, activation="relu", name="hidden")(inputs)
    outputs = layers.Dense(CLASSES, activation="softmax", name="probabilities")(x)
    return keras.Model(inputs, outputs)


def compiled_classifier(optimizer="rmsprop", **compile_kwargs):
    model = classifier()
    compile_kwargs.setdefault("loss", "sparse_categorical_crossentropy")
    compile_kwargs.setdefault("metrics", ["accuracy"])
    model.compile(optimizer=optimizer, **compile_kwargs)
    return model


def two_in_two_out():
    """Dense-only, two named inputs and two named outputs (the guide's multi-output shape)."""
    a = keras.Input(shape=(4,), name="a_input")
    b = keras.Input(shape=(3,), name="b_input")
    ha = layers.Dense(6, activation="relu", name="from_a")(a)
    hb = layers.Dense(6, activation="relu", name="from_b")(b)
    score = layers.Dense(1, name="score_output")(ha)
    cls = layers.Dense(5, activation="softmax", name="class_output")(hb)
    return keras.Model(inputs=[a, b], outputs=[score, cls])


def two_output_data(n=64, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.random((n, 4)).astype("float32")
    b = rng.random((n, 3)).astype("float32")
    score = (a.sum(axis=1, keepdims=True) + 1.0).astype("float32")
    cls = np.eye(5, dtype="float32")[rng.integers(0, 5, n)]
    return a, b, score, cls


def weights_of(model):
    return [w.copy() for w in model.get_weights()]


# ****************************************************************** arrays
def test_fit_evaluate_predict_on_arrays_learns_the_blobs():
    x, y = blobs()
    model = compiled_classifier(optimizer=keras.optimizers.Adam(0.05))
    history = model.fit(x, y, batch_size=16, epochs=8, verbose=0)
    assert history is model.history
    assert list(history.history) == ["loss", "accuracy"]
    assert history.epoch == list(range(8))
    assert history.history["loss"][-1] < history.history["loss"][0] / 3
    loss, accuracy = model.evaluate(x, y, verbose=0)
    assert accuracy >= 0.95
    probabilities = model.predict(x, batch_size=10, verbose=0)
    assert isinstance(probabilities, np.ndarray) and probabilities.shape == (N, CLASSES)
    assert accuracy == pytest.approx(np.mean(probabilities.argmax(axis=1) == y))
    assert loss == pytest.approx(-np.mean(np.log(probabilities[np.arange(N), y.astype(int)])), rel=1e-4)


def test_predict_batches_join_in_order():
    x, _ = blobs(50)
    model = classifier()
    whole = model.predict_on_batch(x)
    for batch_size in (1, 7, 50, 64):
        np.testing.assert_allclose(model.predict(x, batch_size=batch_size, verbose=0), whole, rtol=1e-6)


def test_integer_pixels_and_tensors_are_accepted():
    x, y = blobs()
    model = compiled_classifier()
    model.fit(ops.convert_to_tensor(x), ops.convert_to_tensor(y), verbose=0)
    model.fit((x * 10).astype("uint8"), y.astype("int64"), verbose=0)
    assert model.predict(ops.convert_to_tensor(x), verbose=0).shape == (N, CLASSES)


def test_evaluate_without_metrics_returns_the_loss_as_a_float():
    x, y = blobs()
    model = compiled_classifier(metrics=None)
    result = model.evaluate(x, y, verbose=0)
    assert isinstance(result, float)
    assert model.evaluate(x, y, verbose=0, return_dict=True) == {"loss": result}


def test_metrics_names_before_and_after_compile():
    model = classifier()
    assert model.metrics == [] and model.metrics_names == []
    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["accuracy", "sparse_top_k_categorical_accuracy"])
    assert model.metrics_names == ["loss", "accuracy", "sparse_top_k_categorical_accuracy"]


# ********************************************************* several inputs and outputs
def test_lists_and_dicts_of_arrays_train_the_same_way():
    a, b, score, cls = two_output_data()
    histories = []
    for as_dicts in (False, True):
        keras.utils.set_random_seed(5)
        model = two_in_two_out()
        model.compile(optimizer=keras.optimizers.RMSprop(1e-3),
                      loss=[keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()])
        if as_dicts:
            history = model.fit({"a_input": a, "b_input": b}, {"score_output": score, "class_output": cls},
                                batch_size=32, epochs=2, verbose=0)
        else:
            history = model.fit([a, b], [score, cls], batch_size=32, epochs=2, verbose=0)
        histories.append(history.history)
    assert list(histories[0]) == ["loss", "score_output_loss", "class_output_loss"]
    for key in histories[0]:
        np.testing.assert_allclose(histories[1][key], histories[0][key], rtol=1e-6)


def test_dict_losses_metrics_and_loss_weights_by_output_name():
    a, b, score, cls = two_output_data()
    model = two_in_two_out()
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={"score_output": keras.losses.MeanSquaredError(), "class_output": keras.losses.CategoricalCrossentropy()},
        metrics={
            "score_output": [keras.metrics.MeanAbsolutePercentageError(), keras.metrics.MeanAbsoluteError()],
            "class_output": [keras.metrics.CategoricalAccuracy()],
        },
        loss_weights={"score_output": 2.0, "class_output": 1.0},
    )
    assert model.metrics_names == [
        "loss", "score_output_mean_absolute_percentage_error", "score_output_mean_absolute_error",
        "class_output_categorical_accuracy", "score_output_loss", "class_output_loss"]
    logs = model.test_on_batch([a, b], [score, cls], return_dict=True)
    assert list(logs) == model.metrics_names
    assert logs["loss"] == pytest.approx(2.0 * logs["score_output_loss"] + logs["class_output_loss"], rel=1e-6)
    predicted_score, predicted_cls = model.predict_on_batch([a, b])
    assert logs["score_output_loss"] == pytest.approx(np.mean((score - predicted_score) ** 2), rel=1e-5)
    assert logs["score_output_mean_absolute_error"] == pytest.approx(np.mean(np.abs(score - predicted_score)), rel=1e-5)
    assert logs["class_output_loss"] == pytest.approx(-np.mean(np.sum(cls * np.log(predicted_cls), axis=1)), rel=1e-5)
    assert logs["class_output_categorical_accuracy"] == pytest.approx(
        np.mean(predicted_cls.argmax(1) == cls.argmax(1)))
    values = model.evaluate({"a_input": a, "b_input": b}, {"score_output": score, "class_output": cls}, verbose=0)
    np.testing.assert_allclose(values, [logs[name] for name in model.metrics_names], rtol=1e-6)
    history = model.fit([a, b], [score, cls], epochs=1, verbose=0)
    assert list(history.history) == model.metrics_names


def test_list_of_lists_of_metrics_are_prefixed_with_the_output_name():
    model = two_in_two_out()
    model.compile(optimizer="rmsprop", loss=["mse", "categorical_crossentropy"],
                  metrics=[["mae", keras.metrics.MeanAbsolutePercentageError()], ["accuracy"]])
    assert model.metrics_names == ["loss", "score_output_mae", "score_output_mean_absolute_percentage_error",
                                   "class_output_accuracy", "score_output_loss", "class_output_loss"]
    a, b, score, cls = two_output_data()
    logs = model.evaluate([a, b], [score, cls], verbose=0, return_dict=True)
    _, predicted_cls = model.predict([a, b], verbose=0)
    # "accuracy" with one-hot targets and a categorical cross-entropy is CategoricalAccuracy.
    assert logs["class_output_accuracy"] == pytest.approx(np.mean(predicted_cls.argmax(1) == cls.argmax(1)))


def test_an_output_without_a_loss_is_not_trained_on():
    a, b, score, cls = two_output_data()
    for loss in ([None, keras.losses.CategoricalCrossentropy()],
                 {"class_output": keras.losses.CategoricalCrossentropy()}):
        model = two_in_two_out()
        model.compile(optimizer=keras.optimizers.SGD(0.1), loss=loss)
        score_head = [w.copy() for w in model.get_layer("score_output").get_weights()]
        history = model.fit([a, b], {"class_output": cls} if isinstance(loss, dict) else [score, cls],
                            batch_size=16, epochs=1, verbose=0)
        # Only one output has a loss: no per-output entries, and the score head never moves.
        assert list(history.history) == ["loss"]
        for before, after in zip(score_head, model.get_layer("score_output").get_weights()):
            np.testing.assert_array_equal(before, after)
        _, predicted_cls = model.predict([a, b], verbose=0)
        expected = -np.mean(np.sum(cls * np.log(predicted_cls), axis=1))
        assert model.evaluate([a, b], [score, cls], verbose=0) == pytest.approx(expected, rel=1e-5)


def test_predict_returns_the_outputs_structure():
    a, b, _, _ = two_output_data(10)
    inputs = {"a_input": keras.Input(shape=(4,), name="a_input"), "b_input": keras.Input(shape=(3,), name="b_input")}
    outputs = {"score": layers.Dense(1)(inputs["a_input"]), "cls": layers.Dense(5)(inputs["b_input"])}
    model = keras.Model(inputs, outputs)
    predicted = model.predict({"a_input": a, "b_input": b}, batch_size=4, verbose=0)
    assert isinstance(predicted, dict) and predicted["score"].shape == (10, 1) and predicted["cls"].shape == (10, 5)
    listed = two_in_two_out().predict([a, b], batch_size=3, verbose=0)
    assert isinstance(listed, list) and [p.shape for p in listed] == [(10, 1), (10, 5)]


# ********************************************************** sample and class weights
def test_sample_weight_scales_the_loss_and_the_gradient():
    x, y = blobs(32)
    model = compiled_classifier(optimizer=keras.optimizers.SGD(0.5), metrics=["accuracy"])
    start = weights_of(model)
    per_sample = keras.losses.SparseCategoricalCrossentropy(reduction=None)(y, model.predict_on_batch(x)).numpy()
    w = np.linspace(0.0, 2.0, 32).astype("float32")
    # Keras's default reduction: sum(w * loss) / number of samples.
    assert model.test_on_batch(x, y, sample_weight=w)[0] == pytest.approx(np.mean(w * per_sample), rel=1e-5)

    def step(weights):
        model.set_weights(start)
        model.train_on_batch(x, y, sample_weight=weights)
        return [after - before for after, before in zip(weights_of(model), start)]

    ones, twos, zeros = step(np.ones(32)), step(np.full(32, 2.0)), step(np.zeros(32))
    for d1, d2, d0 in zip(ones, twos, zeros):
        np.testing.assert_allclose(d2, 2 * d1, rtol=1e-4, atol=1e-7)  # SGD: twice the weight, twice the step
        np.testing.assert_array_equal(d0, 0.0)  # weight 0 everywhere: nothing to learn


def test_metrics_ignore_sample_weights_and_weighted_metrics_use_them():
    x, y = blobs(40)
    model = compiled_classifier(metrics=["accuracy"], weighted_metrics=["accuracy"])
    assert model.metrics_names == ["loss", "accuracy", "weighted_accuracy"]
    correct = model.predict(x, verbose=0).argmax(axis=1) == y
    w = np.where(correct, 3.0, 1.0).astype("float32")
    logs = model.evaluate(x, y, sample_weight=w, verbose=0, return_dict=True)
    assert logs["accuracy"] == pytest.approx(correct.mean())
    assert logs["weighted_accuracy"] == pytest.approx(np.sum(w * correct) / np.sum(w))


def test_class_weight_is_the_sample_weight_of_each_class():
    x, y = blobs(48)
    class_weight = {0: 1.0, 1: 3.0, 2: 0.5}
    results = []
    for kwargs in ({"class_weight": class_weight},
                   {"sample_weight": np.array([class_weight[int(c)] for c in y], dtype="float32")}):
        keras.utils.set_random_seed(3)
        model = compiled_classifier(optimizer=keras.optimizers.SGD(0.1))
        history = model.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0, **kwargs)
        results.append((history.history["loss"], weights_of(model)))
    np.testing.assert_allclose(results[0][0], results[1][0], rtol=1e-6)
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    # One-hot labels give the same class weights.
    model = classifier()
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    one_hot = keras.utils.to_categorical(y, CLASSES)
    w = [class_weight[int(c)] for c in y[:16]]
    plain = model.test_on_batch(x[:16], one_hot[:16], sample_weight=np.array(w))
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    assert model.train_on_batch(x[:16], one_hot[:16], class_weight=class_weight) == pytest.approx(plain, rel=1e-6)


def test_class_weight_missing_a_class_weighs_it_one_and_warns_once():
    x, y = blobs(30)
    with pytest.warns(UserWarning, match=r"class_weight has no entry for class\(es\) \[2\].*weight 1\.0") as said:
        compiled_classifier().fit(x, y, class_weight={0: 1.0, 1: 2.0}, batch_size=8, epochs=2, verbose=0)
    assert len([w for w in said if "class_weight" in str(w.message)]) == 1


# *************************************************************** epochs and steps
def test_same_seed_same_history_and_shuffling_changes_it():
    x, y = blobs()

    def run(seed, shuffle=True):
        keras.utils.set_random_seed(seed)
        model = compiled_classifier()
        return model.fit(x, y, batch_size=16, epochs=3, shuffle=shuffle, verbose=0).history

    first, again, other = run(11), run(11), run(12)
    assert first == again  # exactly: same weights, same order, same arithmetic
    assert first["loss"] != other["loss"]
    assert run(11, shuffle=False)["loss"] != first["loss"]


class Recorder(keras.Model):
    """Runs the normal step and records the first feature of every batch it saw."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(1)
        self.seen = []

    def call(self, inputs):
        return self.dense(inputs)

    def train_step(self, data):
        x, *_ = data
        self.seen.append(x.numpy()[:, 0].astype(int).tolist())
        return super().train_step(data)


def recorder(n=10):
    model = Recorder()
    model.compile(optimizer="sgd", loss="mse")
    x = np.stack([np.arange(n), np.zeros(n)], axis=1).astype("float32")
    return model, x, np.zeros((n, 1), "float32")


def test_shuffle_reorders_the_samples_every_epoch():
    model, x, y = recorder(12)
    model.fit(x, y, batch_size=4, epochs=3, shuffle=False, verbose=0)
    assert model.seen == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11]] * 3
    model.seen = []
    model.fit(x, y, batch_size=4, epochs=3, verbose=0)
    epochs = [sum(model.seen[i:i + 3], []) for i in (0, 3, 6)]
    assert all(sorted(order) == list(range(12)) for order in epochs)
    assert len({tuple(order) for order in epochs}) == 3


def test_steps_per_epoch_goes_on_where_the_last_epoch_stopped():
    model, x, y = recorder(10)
    history = model.fit(x, y, batch_size=2, epochs=3, steps_per_epoch=3, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 3
    firsts = [batch[0] for batch in model.seen]
    # 5 batches of 2; 3 per epoch: 0 2 4 | 6 8, then a new pass: 0 | 2 4 6
    assert firsts == [0, 2, 4, 6, 8, 0, 2, 4, 6]


def test_initial_epoch_resumes_the_count(capsys):
    x, y = blobs()
    model = compiled_classifier()
    history = model.fit(x, y, epochs=3, initial_epoch=1, verbose=2)
    assert history.epoch == [1, 2] and len(history.history["loss"]) == 2
    out = capsys.readouterr().out
    assert "Epoch 1/3" not in out and "Epoch 2/3" in out and "Epoch 3/3" in out


def test_validation_freq_validates_every_n_epochs():
    x, y = blobs()
    seen = []
    watch = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(sorted(logs)))
    history = compiled_classifier().fit(x, y, epochs=4, validation_split=0.25, validation_freq=2,
                                        callbacks=[watch], verbose=0)
    assert len(history.history["loss"]) == 4 and len(history.history["val_loss"]) == 2
    assert seen[0] == ["accuracy", "loss"] and seen[1] == ["accuracy", "loss", "val_accuracy", "val_loss"]


def test_validation_batch_size_and_steps():
    x, y = blobs()
    counted = []
    count = keras.callbacks.LambdaCallback(
        on_test_begin=lambda logs: counted.append(0),
        on_test_batch_end=lambda batch, logs: counted.__setitem__(-1, counted[-1] + 1))
    x_val, y_val = blobs(30, seed=1)
    model = compiled_classifier()
    model.fit(x, y, batch_size=16, epochs=2, validation_data=(x_val, y_val), validation_batch_size=7,
              callbacks=[count], verbose=0)
    assert counted == [5, 5]  # 30 samples in batches of 7
    counted.clear()
    history = model.fit(x, y, batch_size=16, epochs=1, validation_data=(x_val, y_val), validation_batch_size=10,
                        validation_steps=2, callbacks=[count], verbose=0)
    assert counted == [2]
    first_20 = model.evaluate(x_val[:20], y_val[:20], verbose=0, return_dict=True)
    assert history.history["val_loss"][0] == pytest.approx(first_20["loss"], rel=1e-6)


def test_validation_data_with_sample_weights():
    x, y = blobs()
    x_val, y_val = blobs(20, seed=3)
    w = np.r_[np.ones(10), np.zeros(10)].astype("float32")
    model = compiled_classifier()
    history = model.fit(x, y, epochs=1, validation_data=(x_val, y_val, w), verbose=0)
    per_sample = keras.losses.SparseCategoricalCrossentropy(reduction=None)(y_val, model.predict(x_val, verbose=0))
    assert history.history["val_loss"][0] == pytest.approx(np.sum(w * per_sample.numpy()) / 20, rel=1e-5)


def test_a_callback_can_stop_training():
    x, y = blobs()

    class StopAtBatch(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                self.model.stop_training = True

    batches = []
    count = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(batch))
    history = compiled_classifier().fit(x, y, batch_size=8, epochs=5, callbacks=[StopAtBatch(), count], verbose=0)
    assert batches == [0, 1, 2] and len(history.history["loss"]) == 1


def test_training_flag_is_true_in_fit_only():
    class Spy(layers.Layer):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.flags = []

        def call(self, inputs, training=None):
            self.flags.append(training)
            return inputs

    spy = Spy()
    inputs = keras.Input(shape=(FEATURES,))
    model = keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(spy(inputs)))
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = blobs(8)
    spy.flags.clear()
    model.fit(x, y, batch_size=8, epochs=1, validation_data=(x, y), verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert spy.flags == [True, False, False, False]


# ******************************************************************* on one batch
def test_train_test_predict_on_batch():
    x, y = blobs(16)
    model = compiled_classifier(optimizer=keras.optimizers.SGD(0.1))
    before = model.test_on_batch(x, y, return_dict=True)
    assert list(before) == ["loss", "accuracy"]
    assert model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True) == before
    trained = model.train_on_batch(x, y)
    # The values of this batch before the update (as fit's first step reports them).
    assert trained == pytest.approx([before["loss"], before["accuracy"]], rel=1e-6)
    after = model.test_on_batch(x, y)
    assert after[0] < before["loss"]
    # Each call reports its own batch, not a running mean over the calls.
    assert model.test_on_batch(x[:8], y[:8], return_dict=True) == model.evaluate(
        x[:8], y[:8], verbose=0, return_dict=True)
    predicted = model.predict_on_batch(x)
    assert isinstance(predicted, np.ndarray) and predicted.shape == (16, CLASSES)
    np.testing.assert_allclose(predicted, model.predict(x, verbose=0), rtol=1e-6)


def test_on_batch_methods_take_lists_and_dicts():
    a, b, score, cls = two_output_data(16)
    model = two_in_two_out()
    model.compile("sgd", loss=["mse", "categorical_crossentropy"])
    logs = model.train_on_batch({"a_input": a, "b_input": b}, [score, cls], return_dict=True)
    assert list(logs) == ["loss", "score_output_loss", "class_output_loss"]
    assert len(model.test_on_batch([a, b], {"score_output": score, "class_output": cls})) == 3
    assert [p.shape for p in model.predict_on_batch([a, b])] == [(16, 1), (16, 5)]


# ********************************************************** a custom train_step
class CustomModel(keras.Model):
    """The pattern documented in tinyfit/trainers/trainer.py."""

    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        self.optimizer.apply([v.grad for v in self.trainable_weights], self.trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
        return self.compute_metrics(x, y, y_pred)


class KerasGuideModel(keras.Model):
    """Keras's "customize what happens in fit" (PyTorch flavour), line for line."""

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def _fit_with(model_class, x, y):
    keras.utils.set_random_seed(9)
    inputs = keras.Input(shape=(FEATURES,))
    hidden = layers.Dense(8, activation="relu")(inputs)
    model = model_class(inputs, layers.Dense(CLASSES, activation="softmax")(hidden))
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    batch_logs = []
    record = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: batch_logs.append(dict(logs)))
    # 72 training samples in equal batches: the guide's loop weighs every batch the same,
    # the built-in step by its size, and equal sizes make the two the same mean.
    history = model.fit(x, y, batch_size=24, epochs=3, validation_split=0.25, callbacks=[record], verbose=0)
    return history.history, weights_of(model), batch_logs


@pytest.mark.parametrize("model_class", [CustomModel, KerasGuideModel])
def test_a_custom_train_step_trains_exactly_like_the_built_in_one(model_class):
    x, y = blobs()
    expected_history, expected_weights, expected_batches = _fit_with(keras.Model, x, y)
    history, weights, batches = _fit_with(model_class, x, y)
    assert list(history) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    for key in expected_history:
        np.testing.assert_allclose(history[key], expected_history[key], rtol=1e-5)
    for got, want in zip(weights, expected_weights):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-7)
    assert [sorted(b) for b in batches] == [sorted(b) for b in expected_batches]
    assert all(type(v) is float for b in batches for v in b.values())
    np.testing.assert_allclose([b["loss"] for b in batches], [b["loss"] for b in expected_batches], rtol=1e-5)


def test_a_custom_train_step_may_report_its_own_logs():
    class OwnLogs(keras.Model):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            self.optimizer.apply([v.grad for v in self.trainable_weights], self.trainable_weights)
            squares = sum(float(np.sum(np.square(v.grad))) for v in self.trainable_weights)
            return {"my_loss": loss, "grad_norm": squares ** 0.5}

    inputs = keras.Input(shape=(FEATURES,))
    model = OwnLogs(inputs, layers.Dense(CLASSES, activation="softmax")(inputs))
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = blobs()
    history = model.fit(x, y, epochs=2, verbose=0)
    assert list(history.history) == ["my_loss", "grad_norm"]
    assert all(type(v) is float and v > 0 for v in history.history["grad_norm"])
    # fit cleared the gradients after each custom step: none is left over.
    assert all(v.grad is None for v in model.trainable_weights)


def test_a_custom_test_step_is_used_by_evaluate_and_validation():
    class HalfLoss(keras.Model):
        def test_step(self, data):
            x, y = data
            y_pred = self(x, training=False)
            return {"half_loss": self.compute_loss(y=y, y_pred=y_pred) / 2}

    inputs = keras.Input(shape=(FEATURES,))
    model = HalfLoss(inputs, layers.Dense(CLASSES, activation="softmax")(inputs))
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = blobs(16)
    plain = keras.Model(model.input, model.output)
    plain.compile("sgd", "sparse_categorical_crossentropy")
    assert model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)["half_loss"] == pytest.approx(
        plain.evaluate(x, y, verbose=0) / 2, rel=1e-6)


def test_add_loss_only_model_and_no_loss_at_all():
    x, y = blobs(16)
    inputs = keras.Input(shape=(FEATURES,))
    outputs = layers.ActivityRegularization(l2=0.01)(layers.Dense(2)(inputs))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.SGD(0.01))  # no loss: the layer adds one
    history = model.fit(x, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    bare = classifier()
    bare.compile(optimizer="sgd")
    with pytest.raises(ValueError, match="No loss to minimize"):
        bare.fit(x, y, verbose=0)


# ************************************************************************* output
def test_verbose_0_prints_nothing_at_all(capsys):
    x, y = blobs()
    model = compiled_classifier()
    model.fit(x, y, epochs=2, validation_split=0.2, verbose=0)
    model.fit(x, y, epochs=1, validation_data=(x, y), verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_2_prints_one_line_per_epoch(capsys):
    x, y = blobs()
    compiled_classifier().fit(x, y, batch_size=16, epochs=3, validation_split=0.5, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0::2] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    assert len(lines) == 6
    for line in lines[1::2]:
        assert line.startswith("3/3 ")
        assert " - loss: " in line and " - accuracy: " in line and " - val_loss: " in line
        assert line.endswith(tuple("0123456789"))


@pytest.mark.parametrize("verbose", [1, "auto"])
def test_progress_into_a_file_is_one_line_per_epoch(capsys, verbose):
    # pytest's capture is not a terminal: no redrawn bar, only each epoch's final line.
    x, y = blobs()
    model = compiled_classifier()
    model.fit(x, y, batch_size=8, epochs=2, verbose=verbose)
    model.evaluate(x, y, batch_size=32, verbose=verbose)
    model.predict(x, batch_size=32, verbose=verbose)
    out = capsys.readouterr().out
    assert "\r" not in out and "\b" not in out
    lines = out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2"
    assert lines[1].startswith("12/12 ") and lines[3].startswith("12/12 ")
    assert lines[4].startswith("3/3 ") and " - loss: " in lines[4] and " - accuracy: " in lines[4]
    assert lines[5].startswith("3/3 ") and "loss" not in lines[5]
    assert len(lines) == 6


def test_one_epoch_prints_no_epoch_header(capsys):
    x, y = blobs()
    compiled_classifier().fit(x, y, batch_size=32, epochs=1, verbose=1)
    out = capsys.readouterr().out
    assert "Epoch" not in out and out.startswith("3/3 ")


# ********************************************************************** bad input
def mnist_like():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(8, activation="relu", name="dense_1")(inputs)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.compile("rmsprop", "sparse_categorical_crossentropy", metrics=["sparse_categorical_accuracy"])
    return model


def digits(n=100):
    rng = np.random.default_rng(0)
    return rng.random((n, 784)).astype("float32"), rng.integers(0, 10, n).astype("float32")


def test_error_x_and_y_of_different_lengths_gives_both_counts():
    x, y = digits()
    with pytest.raises(ValueError, match=r"fit: x and y hold different numbers of samples: x has 100, y has 90"):
        mnist_like().fit(x, y[:90], verbose=0)
    with pytest.raises(ValueError, match=r"evaluate: x and sample_weight .* x has 100, sample_weight has 99"):
        mnist_like().evaluate(x, y, sample_weight=np.ones(99), verbose=0)


def test_error_data_of_the_wrong_width_gives_expected_and_got():
    x, y = digits()
    with pytest.raises(ValueError,
                       match=r"input 'digits' expects shape \(None, 784\) but got data of shape \(100, 100\)"):
        mnist_like().fit(x[:, :100], y, verbose=0)
    # Images not flattened: the same numbers per sample, so the fix is named.
    with pytest.raises(ValueError, match=r"expects shape \(None, 784\) but got data of shape \(100, 28, 28\).*"
                                         r"x\.reshape\(-1, 784\)"):
        mnist_like().fit(x.reshape(100, 28, 28), y, verbose=0)
    with pytest.raises(ValueError, match=r"fit\(validation_data=\.\.\.\): .*expects shape \(None, 784\) but got "
                                         r"data of shape \(10, 783\)"):
        mnist_like().fit(x, y, validation_data=(x[:10, :783], y[:10]), verbose=0)


@pytest.mark.parametrize("argument, value, family, known", [
    ("optimizer", "rmsprp", "optimizer", "rmsprop"),
    ("loss", "sparse_categorical_crossentropyy", "loss", "sparse_categorical_crossentropy"),
    ("metrics", ["acuracy"], "metric", "sparse_categorical_accuracy"),
])
def test_error_unknown_string_identifier_names_it_and_the_known_ones(argument, value, family, known):
    kwargs = {"optimizer": "rmsprop", "loss": "sparse_categorical_crossentropy", argument: value}
    with pytest.raises(ValueError) as info:
        classifier().compile(**kwargs)
    message = str(info.value)
    shown = value[0] if isinstance(value, list) else value
    assert message.startswith(f"compile({argument}=...): Unknown {family} {shown!r}")
    assert "Known " in message and known in message


def test_error_fit_before_compile():
    x, y = digits()
    model = classifier()
    for call in (lambda: model.fit(x, y), lambda: model.evaluate(x, y), lambda: model.train_on_batch(x, y)):
        with pytest.raises(RuntimeError, match=r"must be compiled first\. Call model\.compile\(optimizer=\.\.\."):
            call()


def test_error_label_outside_the_softmax_range_gives_the_label_and_the_class_count():
    x, y = digits()
    y[37] = 10
    with pytest.raises(ValueError, match=r"label 10 is outside \[0, 10\) for an output with 10 classes.*0\.\.9"):
        mnist_like().fit(x, y, verbose=0)
    y[37] = -1
    with pytest.raises(ValueError, match=r"label -1 is outside \[0, 10\) for an output with 10 classes"):
        mnist_like().evaluate(x, y, verbose=0)


@pytest.mark.parametrize("split", [0.0 - 0.2, 1.0, 1.5])
def test_error_validation_split_outside_0_1(split):
    x, y = digits()
    with pytest.raises(ValueError, match=rf"fit: validation_split must be a fraction between 0 and 1 "
                                         rf"\(exclusive\), got {split}"):
        mnist_like().fit(x, y, validation_split=split, verbose=0)


def test_error_validation_split_that_leaves_nothing():
    x, y = digits(3)
    with pytest.raises(ValueError, match=r"validation_split=0\.9 of 3 samples leaves no training samples"):
        mnist_like().fit(x, y, validation_split=0.9, verbose=0)


@pytest.mark.parametrize("caller", ["fit", "evaluate", "predict"])
@pytest.mark.parametrize("batch_size", [0, -5, 2.5])
def test_error_batch_size_below_1(caller, batch_size):
    x, y = digits()
    model = mnist_like()
    call = {"fit": lambda: model.fit(x, y, batch_size=batch_size, verbose=0),
            "evaluate": lambda: model.evaluate(x, y, batch_size=batch_size, verbose=0),
            "predict": lambda: model.predict(x, batch_size=batch_size, verbose=0)}[caller]
    with pytest.raises(ValueError, match=rf"{caller}: batch_size must be a whole number >= 1, got {batch_size}"):
        call()


def test_error_data_dict_whose_keys_match_no_input_names_the_inputs():
    x, y = digits()
    with pytest.raises(ValueError, match=r"the data dict has keys \['image'\], but the model's inputs are named "
                                         r"\['digits'\]"):
        mnist_like().fit({"image": x}, y, verbose=0)
    a, b, score, cls = two_output_data()
    model = two_in_two_out()
    model.compile("sgd", ["mse", "categorical_crossentropy"])
    with pytest.raises(ValueError, match=r"inputs are named \['a_input', 'b_input'\]; no data for \['b_input'\]"):
        model.predict({"a_input": a, "b": b}, verbose=0)


def test_error_predict_on_one_sample_without_its_batch_axis():
    x, _ = digits()
    with pytest.raises(ValueError, match=r"predict: .*expects shape \(None, 784\) but got data of shape \(784,\): "
                                         r"that is one sample without its batch axis.*x\[None\]"):
        mnist_like().predict(x[0], verbose=0)
    assert mnist_like().predict(x[0][None], verbose=0).shape == (1, 10)


def test_error_targets_for_some_outputs_missing():
    a, b, score, cls = two_output_data()
    model = two_in_two_out()
    model.compile("sgd", ["mse", "categorical_crossentropy"])
    with pytest.raises(ValueError, match=r"Output 'score_output' has a loss but no target was given"):
        model.fit([a, b], {"class_output": cls}, verbose=0)


def test_error_loss_weights_given_where_metrics_were_meant():
    with pytest.raises(TypeError, match=r"loss_weights=.*must be a number, got 'accuracy'.*metrics=\[\.\.\.\]"):
        classifier().compile("sgd", "sparse_categorical_crossentropy", ["accuracy"])


@pytest.mark.parametrize("name, value", [("epochs", 0), ("initial_epoch", -1), ("validation_freq", 0),
                                         ("steps_per_epoch", 0), ("validation_batch_size", 0)])
def test_error_counts_must_be_whole_numbers(name, value):
    x, y = digits()
    with pytest.raises(ValueError, match=rf"fit: {name} must be a whole number >= \d, got {value}"):
        mnist_like().fit(x, y, verbose=0, validation_split=0.2, **{name: value})


def test_error_validation_data_of_the_wrong_form():
    x, y = digits()
    with pytest.raises(ValueError, match=r"validation_data must be a tuple \(x_val, y_val\).*got ndarray"):
        mnist_like().fit(x, y, validation_data=x, verbose=0)


def test_error_evaluate_steps_beyond_the_data():
    x, y = digits()
    with pytest.raises(ValueError, match=r"evaluate: steps=5 but the data holds only 4 batches of 32 \(100 samples\)"):
        mnist_like().evaluate(x, y, steps=5, verbose=0)

"""The compiled training step (compile(jit_compile=...)): the same history and weights as the
eager step, on the guide's MLP, Dropout, BatchNormalization, sample and class weights, several
outputs, added losses, a short last batch and the guide's examples with code of their own
(custom losses and metric, add_loss layers, the multi-input multi-output model); eager or
re-recorded where a tape cannot be
trusted (custom train_step, a changed model, branching on values, values computed outside the
ops, add_metric); the recorder's own arithmetic; and the error for a bad jit_compile."""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import backend, layers, ops
from tinyfit.autograd import Tensor, Variable
from tinyfit.autograd.recorder import Recording
from tinyfit.examples.mnist import get_model, load_data

RTOL, ATOL = 1e-5, 1e-6
N, FEATURES, CLASSES = 100, 6, 3  # 100 samples at batch size 16: a last batch of 4


def blobs(n=N, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, n)
    centers = rng.standard_normal((CLASSES, FEATURES)).astype("float32") * 2
    x = centers[y] + 0.5 * rng.standard_normal((n, FEATURES)).astype("float32")
    return x.astype("float32"), y.astype("int64")


def train(build, jit, compile_kwargs=None, epochs=3, **fit_kwargs):
    """Builds and trains a model from seed 7; returns (history, weights, model)."""
    keras.utils.set_random_seed(7)
    model = build()
    kwargs = {"optimizer": "adam", "loss": "sparse_categorical_crossentropy",
              "metrics": ["sparse_categorical_accuracy"], **(compile_kwargs or {})}
    model.compile(jit_compile=jit, **kwargs)
    if "x" not in fit_kwargs:
        fit_kwargs["x"], fit_kwargs["y"] = blobs()
    fit_kwargs.setdefault("batch_size", 16)
    history = model.fit(epochs=epochs, verbose=0, **fit_kwargs)
    return history.history, model.get_weights(), model


def assert_same(eager, compiled):
    (h0, w0, _), (h1, w1, _) = eager, compiled
    assert h0.keys() == h1.keys()
    for key in h0:
        np.testing.assert_allclose(h1[key], h0[key], rtol=RTOL, atol=ATOL, err_msg=key)
    assert len(w0) == len(w1)
    for a, b in zip(w0, w1):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL)


def replayed(model):
    """The signatures whose steps the model now replays (empty when it runs eagerly)."""
    return [key for key, how in model._compiled_step.describe().items() if how == "replayed"]


def mlp(dropout=0.0, batchnorm=False, regularized=False):
    def build():
        inputs = keras.Input(shape=(FEATURES,))
        x = layers.Dense(16, activation="relu",
                         kernel_regularizer=keras.regularizers.L2(1e-3) if regularized else None)(inputs)
        if batchnorm:
            x = layers.BatchNormalization(momentum=0.8)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
        if regularized:
            x = layers.ActivityRegularization(l1=1e-3)(x)
        outputs = layers.Dense(CLASSES, activation="softmax")(x)
        return keras.Model(inputs, outputs)
    return build


# ------------------------------------------------------------- same results
def test_guides_mlp_on_mnist_gives_the_same_history_and_weights():
    (x, y), (x_val, y_val), _ = load_data(train_samples=1200)
    x, y = x[:700], y[:700]  # 10 full batches of 64 and one of 60
    runs = {jit: train(get_model, jit, {"optimizer": keras.optimizers.RMSprop(learning_rate=1e-3)}, epochs=2,
                       x=x, y=y, batch_size=64, validation_data=(x_val[:200], y_val[:200]))
            for jit in (False, True, "auto")}
    assert_same(runs[False], runs[True])
    assert_same(runs[False], runs["auto"])
    assert runs[False][2]._compiled_step is None
    assert len(replayed(runs["auto"][2])) == 2  # batches of 64 and the last one of 60


def test_dropout_draws_fresh_masks_in_the_same_order_as_eager():
    eager, compiled = train(mlp(dropout=0.5), False, epochs=4), train(mlp(dropout=0.5), True, epochs=4)
    assert_same(eager, compiled)
    assert replayed(compiled[2])
    # the generator was drawn from exactly as often: the next draw is the same
    after_eager = (keras.utils.set_random_seed(7), train(mlp(dropout=0.5), False, epochs=4),
                   keras.utils.random.rng().random())[2]
    after_compiled = (keras.utils.set_random_seed(7), train(mlp(dropout=0.5), True, epochs=4),
                      keras.utils.random.rng().random())[2]
    assert after_eager == after_compiled


def test_a_replayed_dropout_mask_changes_from_step_to_step():
    keras.utils.set_random_seed(3)
    model = mlp(dropout=0.5)()
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", jit_compile=True)
    x, y = blobs(32)
    for _ in range(3):  # record, record again, then replay
        model.train_on_batch(x, y)
    seen = [model.train_on_batch(x, y) for _ in range(3)]
    assert replayed(model)
    assert len(set(seen)) == 3  # the same batch, different masks, different losses


def test_batch_normalization_updates_its_moving_statistics_in_replay():
    eager, compiled = train(mlp(batchnorm=True), False), train(mlp(batchnorm=True), True)
    assert_same(eager, compiled)
    assert replayed(compiled[2])
    bn = [layer for layer in compiled[2].layers if isinstance(layer, layers.BatchNormalization)][0]
    assert not np.allclose(bn.moving_mean.numpy(), 0.0)  # they moved


def test_validation_and_evaluate_replay_the_test_step():
    x, y = blobs()
    x_val, y_val = blobs(50, seed=1)
    results = []
    for jit in (False, True):
        history, weights, model = train(mlp(dropout=0.3, batchnorm=True), jit, validation_data=(x_val, y_val))
        evaluated = model.evaluate(x_val, y_val, batch_size=16, verbose=0, return_dict=True)
        results.append((history, weights, model, evaluated))
    assert_same(results[0][:3], results[1][:3])
    assert "val_loss" in results[1][0]
    for key, value in results[0][3].items():
        assert results[1][3][key] == pytest.approx(value, rel=RTOL, abs=ATOL)
    test_step = results[1][2]._compiled_test_step.describe()
    assert sorted(test_step.values()) == ["replayed", "replayed"], test_step  # batches of 16 and the last of 2


def test_a_custom_test_step_always_runs_eagerly():
    class Custom(keras.Model):
        def test_step(self, data):
            self.tests_run = getattr(self, "tests_run", 0) + 1
            return super().test_step(data)

    def build():
        inputs = keras.Input(shape=(FEATURES,))
        return Custom(inputs, layers.Dense(CLASSES, activation="softmax")(inputs))

    _, _, model = train(build, True, epochs=1)
    x, y = blobs(48)
    model.evaluate(x, y, batch_size=16, verbose=0)
    assert model.tests_run == 3 and model._compiled_test_step.plans == {}


def test_sample_weight_and_class_weight():
    x, y = blobs()
    weights = np.random.default_rng(1).uniform(0.1, 2.0, len(x)).astype("float32")
    for extra in ({"sample_weight": weights}, {"class_weight": {0: 1.0, 1: 3.0, 2: 0.5}}):
        runs = [train(mlp(), jit, {"weighted_metrics": ["sparse_categorical_accuracy"]}, x=x, y=y, **extra)
                for jit in (False, True)]
        assert_same(*runs)
        assert replayed(runs[1][2])


def several_outputs():
    inputs = keras.Input(shape=(FEATURES,), name="features")
    hidden = layers.Dense(12, activation="tanh")(inputs)
    classes = layers.Dense(CLASSES, activation="softmax", name="classes")(hidden)
    score = layers.Dense(1, name="score")(hidden)
    return keras.Model(inputs, {"classes": classes, "score": score})


def test_several_outputs_with_loss_weights():
    x, y = blobs()
    targets = {"classes": y, "score": x[:, :1] * 2.0}
    kwargs = {"loss": {"classes": "sparse_categorical_crossentropy", "score": "mse"},
              "loss_weights": {"classes": 1.0, "score": 0.3}, "metrics": {"classes": ["accuracy"]}}
    runs = [train(several_outputs, jit, kwargs, x=x, y=targets) for jit in (False, True)]
    assert_same(*runs)
    assert {"classes_loss", "score_loss"} <= runs[1][0].keys()
    assert replayed(runs[1][2])


def test_added_losses_and_regularizers():
    def build():
        model = mlp(regularized=True)()
        model.add_loss(0.01 * ops.mean(ops.square(model.outputs[0])))
        return model
    runs = [train(build, jit) for jit in (False, True)]
    assert_same(*runs)
    assert replayed(runs[1][2])


def test_last_batch_of_another_size_is_a_signature_of_its_own():
    _, _, model = train(mlp(), True, epochs=3)
    shapes = sorted(replayed(model))
    assert len(shapes) == 2 and "(16, 6)" in shapes[0] + shapes[1] and "(4, 6)" in shapes[0] + shapes[1]


def image_model():
    """Every family of layers "auto" compiles, and every built-in activation."""
    inputs = keras.Input(shape=(8, 8, 2))
    x = layers.Rescaling(0.5, offset=0.1)(inputs)
    a = layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    a = layers.MaxPooling2D(2)(a)
    b = layers.AveragePooling2D(2)(layers.Conv2D(4, 1)(x))
    x = layers.Add()([a, b])
    x = layers.BatchNormalization()(x)
    x = layers.LayerNormalization()(x)
    pooled = layers.Concatenate()([layers.GlobalAveragePooling2D()(x), layers.GlobalMaxPooling2D()(x)])
    flat = layers.Flatten()(layers.Reshape((4, 4, 4))(x))
    x = layers.Concatenate()([pooled, layers.Dense(8)(flat)])
    builtin = [name for name in keras.activations.registry.names()  # other tests may register their own
               if keras.activations.get(name).__module__ == "tinyfit.activations"]
    branches = [layers.Dense(4, activation=name)(x) for name in builtin if name not in ("softmax", "log_softmax")]
    x = layers.Dropout(0.2)(layers.Concatenate()(branches))
    x = layers.Multiply()([layers.Dense(6, activation="sigmoid")(x), layers.Dense(6)(x)])
    x = layers.Maximum()([layers.Subtract()([x, layers.Dense(6)(x)]), layers.Average()([x, x])])
    return keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(layers.Activation("tanh")(x)))


def test_auto_replays_every_layer_family_it_allows():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((40, 8, 8, 2)).astype("float32")
    y = rng.integers(0, CLASSES, 40)
    runs = [train(image_model, jit, x=x, y=y, batch_size=8) for jit in (False, "auto")]
    assert_same(*runs)
    assert replayed(runs[1][2]), runs[1][2]._compiled_step.describe()


def image_model_more():
    """The activation, padding, upsampling, transposed-convolution, noise and augmentation layers."""
    inputs = keras.Input(shape=(8, 8, 2))
    x = layers.RandomFlip(seed=1)(inputs)
    x = layers.RandomTranslation(0.1, 0.1, seed=2)(x)
    x = layers.RandomRotation(0.1, seed=3)(x)
    x = layers.RandomZoom(0.1, seed=4)(x)
    x = layers.RandomContrast(0.2, seed=5)(x)
    x = layers.GaussianNoise(0.1, seed=6)(x)
    x = layers.ZeroPadding2D(1)(layers.Conv2D(4, 3, strides=2)(x))
    x = layers.Cropping2D(((1, 0), (0, 1)))(x)
    x = layers.SpatialDropout2D(0.2, seed=7)(layers.LeakyReLU()(x))
    x = layers.UpSampling2D(2, interpolation="bilinear")(x)
    x = layers.Conv2DTranspose(3, 3, strides=2, padding="same")(layers.PReLU()(x))
    x = layers.UpSampling2D(2)(layers.ELU()(layers.ReLU(max_value=6.0)(x)))
    x = layers.GaussianDropout(0.1, seed=8)(layers.Flatten()(x))
    seq = layers.Reshape((-1, 3))(x)
    seq = layers.Cropping1D((1, 1))(layers.UpSampling1D(2)(layers.ZeroPadding1D(1)(seq)))
    seq = layers.Conv1DTranspose(2, 3, strides=2)(seq)
    x = layers.Dense(CLASSES)(layers.Flatten()(seq))
    return keras.Model(inputs, layers.Softmax()(x))


def test_auto_replays_the_activation_resampling_and_noise_layers():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((40, 8, 8, 2)).astype("float32")
    y = rng.integers(0, CLASSES, 40)
    runs = [train(image_model_more, jit, x=x, y=y, batch_size=8) for jit in (False, "auto")]
    assert_same(*runs)
    assert replayed(runs[1][2]), runs[1][2]._compiled_step.describe()


def image_model_preprocessing():
    """Normalization, resizing, cropping, the 3D resamplers, permutes, dots and the other normalizations."""
    rng = np.random.default_rng(7)
    inputs = keras.Input(shape=(8, 8, 2))
    norm = layers.Normalization()
    norm.adapt(rng.standard_normal((20, 8, 8, 2)))
    x = layers.RandomBrightness(0.1, value_range=(-3, 3), seed=1)(norm(inputs))
    x = layers.RandomCrop(7, 7, seed=2)(x)
    x = layers.Resizing(6, 5)(layers.CenterCrop(6, 6)(x))
    x = layers.Resizing(6, 6, interpolation="nearest", crop_to_aspect_ratio=True)(x)
    x = layers.GroupNormalization(2)(layers.Conv2D(4, 3, padding="same")(x))
    x = layers.UnitNormalization()(layers.Normalization(mean=0.5, variance=2.0, axis=None)(x))
    vol = layers.Reshape((6, 6, 4, 1))(x)
    vol = layers.Cropping3D(1)(layers.UpSampling3D((1, 1, 2))(layers.ZeroPadding3D(1)(vol)))
    seq = layers.Permute((2, 1))(layers.Reshape((-1, 8))(vol))
    vec = layers.Dense(4)(layers.Flatten()(seq))
    pair = layers.RepeatVector(3)(vec)
    x = layers.Dot(axes=(2, 2), normalize=True)([pair, layers.Dense(4)(pair)])
    return keras.Model(inputs, layers.Softmax()(layers.Dense(CLASSES)(layers.Flatten()(x))))


def test_auto_replays_the_preprocessing_and_reshaping_layers():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((40, 8, 8, 2)).astype("float32")
    y = rng.integers(0, CLASSES, 40)
    runs = [train(image_model_preprocessing, jit, x=x, y=y, batch_size=8) for jit in (False, "auto")]
    assert_same(*runs)
    assert replayed(runs[1][2]), runs[1][2]._compiled_step.describe()


# The guide's examples with code of their own (custom losses, a custom metric, layers that
# add losses): under jit_compile=True each is replayed once two recordings agree, with the
# eager step's history and weights.
def guide_mlp():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    return keras.Model(inputs, layers.Dense(10, activation="softmax", name="predictions")(x))


def custom_mean_squared_error(y_true, y_pred):
    return ops.mean(ops.square(y_true - y_pred), axis=-1)


class CustomMSE(keras.losses.Loss):
    def __init__(self, regularization_factor=0.1, name="custom_mse"):
        super().__init__(name=name)
        self.regularization_factor = regularization_factor

    def call(self, y_true, y_pred):
        mse = ops.mean(ops.square(y_true - y_pred), axis=-1)
        reg = ops.mean(ops.square(0.5 - y_pred), axis=-1)
        return mse + reg * self.regularization_factor


class CategoricalTruePositives(keras.metrics.Metric):
    def __init__(self, name="categorical_true_positives", **kwargs):
        super().__init__(name=name, **kwargs)
        self.true_positives = self.add_variable(shape=(), name="ctp", initializer="zeros")

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = ops.reshape(ops.argmax(y_pred, axis=1), (-1, 1))
        values = ops.cast(ops.cast(y_true, "int32") == ops.cast(y_pred, "int32"), "float32")
        self.true_positives.assign_add(ops.sum(values))

    def result(self):
        return self.true_positives.value

    def reset_state(self):
        self.true_positives.assign(0.0)


class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs) * 0.1)
        return inputs


def activity_regularized():
    inputs = keras.Input(shape=(784,), name="digits")
    x = ActivityRegularizationLayer()(layers.Dense(64, activation="relu")(inputs))
    return keras.Model(inputs, layers.Dense(10, name="predictions")(layers.Dense(64, activation="relu")(x)))


class LogisticEndpoint(layers.Layer):
    def __init__(self, name=None):
        super().__init__(name=name)
        self.loss_fn = keras.losses.BinaryCrossentropy(from_logits=True)

    def call(self, targets, logits, sample_weights=None):
        self.add_loss(self.loss_fn(targets, logits, sample_weights))
        return ops.softmax(logits)


def logistic_endpoint():
    inputs, targets = keras.Input(shape=(3,), name="inputs"), keras.Input(shape=(10,), name="targets")
    predictions = LogisticEndpoint(name="predictions")(targets, layers.Dense(10)(inputs))
    return keras.Model(inputs=[inputs, targets], outputs=predictions)


def multi_input_multi_output():
    image_input = keras.Input(shape=(32, 32, 3), name="img_input")
    timeseries_input = keras.Input(shape=(None, 10), name="ts_input")
    x1 = layers.GlobalMaxPooling2D()(layers.Conv2D(3, 3)(image_input))
    x2 = layers.GlobalMaxPooling1D()(layers.Conv1D(3, 3)(timeseries_input))
    x = layers.concatenate([x1, x2])
    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)
    return keras.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])


@pytest.fixture(scope="module")
def digits():
    (x, y), _, _ = load_data(train_samples=400)
    return x[:400], y[:400]


@pytest.mark.parametrize("example", ["custom_loss_function", "custom_loss_class", "custom_metric",
                                     "activity_regularization_layer", "logistic_endpoint",
                                     "multi_input_multi_output"])
def test_the_guides_examples_replay_with_eagers_results(example, digits):
    x, y = digits
    one_hot = np.eye(10, dtype="float32")[y.astype(int)]
    rng = np.random.default_rng(0)
    cases = {
        "custom_loss_function": (guide_mlp, lambda: {"loss": custom_mean_squared_error, "metrics": None}, {"x": x, "y": one_hot}),
        "custom_loss_class": (guide_mlp, lambda: {"loss": CustomMSE(), "metrics": None}, {"x": x, "y": one_hot}),
        "custom_metric": (guide_mlp, lambda: {"optimizer": keras.optimizers.RMSprop(learning_rate=1e-3),
                                              "metrics": [CategoricalTruePositives()]}, {"x": x, "y": y}),
        "activity_regularization_layer": (
            activity_regularized, lambda: {"loss": keras.losses.SparseCategoricalCrossentropy(from_logits=True)},
            {"x": x, "y": y}),
        "logistic_endpoint": (logistic_endpoint, lambda: {"loss": None, "metrics": None},
                              {"x": {"inputs": rng.random((100, 3)), "targets": rng.random((100, 10))}}),
        "multi_input_multi_output": (
            multi_input_multi_output,
            lambda: {"optimizer": keras.optimizers.RMSprop(1e-3),
                     "loss": {"score_output": keras.losses.MeanSquaredError(),
                              "class_output": keras.losses.CategoricalCrossentropy()},
                     "metrics": {"score_output": [keras.metrics.MeanAbsolutePercentageError(),
                                                  keras.metrics.MeanAbsoluteError()],
                                 "class_output": [keras.metrics.CategoricalAccuracy()]},
                     "loss_weights": {"score_output": 2.0, "class_output": 1.0}},
            {"x": [rng.random((100, 32, 32, 3)), rng.random((100, 20, 10))],
             "y": [rng.random((100, 1)), rng.random((100, 5))]}),
    }
    build, compile_kwargs, fit_kwargs = cases[example]  # fresh optimizer, loss and metric objects per run
    runs = [train(build, jit, compile_kwargs(), epochs=2, batch_size=32, **fit_kwargs) for jit in (False, True)]
    assert_same(*runs)
    assert replayed(runs[1][2]), runs[1][2]._compiled_step.describe()


def test_embedding_replays_and_checks_the_ids_of_every_batch():
    def build():
        inputs = keras.Input(shape=(5,))
        x = layers.GlobalAveragePooling1D()(layers.Embedding(20, 4)(inputs))
        return keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(x))

    rng = np.random.default_rng(4)
    ids = rng.integers(0, 20, (64, 5))
    y = ids[:, 0] % CLASSES
    runs = [train(build, jit, x=ids, y=y) for jit in (False, "auto")]
    assert_same(*runs)
    model = runs[1][2]
    assert replayed(model)
    ids[60, 2] = 20  # in the last batch, replayed
    with pytest.raises(ValueError, match=r"id 20 is out of range: input_dim=20"):
        model.fit(ids, y, batch_size=16, epochs=1, verbose=0, shuffle=False)


@pytest.mark.gpu
@pytest.mark.skipif(not backend.gpu_available(), reason=backend.gpu_unavailable_reason() or "GPU present")
def test_gpu_compiled_step_matches_eager_on_cupy():
    previous = backend.get_backend()
    backend.set_backend("cupy")
    try:
        runs = [train(mlp(dropout=0.3, batchnorm=True), jit) for jit in (False, True)]
    finally:
        backend.set_backend(previous)
    assert_same(*runs)
    assert replayed(runs[1][2])


# ------------------------------------------------------------- eager where it must
def test_shapes_beyond_the_limit_run_eagerly(monkeypatch):
    from tinyfit.trainers import compiled_step

    monkeypatch.setattr(compiled_step, "MAX_SIGNATURES", 2)
    x, y = blobs(60)
    models = []
    for jit in (False, True):
        _, _, model = train(mlp(), jit, x=x, y=y, batch_size=25, epochs=4, shuffle=False)  # shapes 25 and 10
        losses = [model.train_on_batch(x[:n], y[:n]) for n in (7, 9, 7, 25)]  # a third and a fourth: eager
        models.append((losses, model))
    np.testing.assert_allclose(models[1][0], models[0][0], rtol=RTOL, atol=ATOL)
    for a, b in zip(models[0][1].get_weights(), models[1][1].get_weights()):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL)
    described = models[1][1]._compiled_step.describe()
    assert sorted(described.values()) == ["eager: the model has met more than 2 batch shapes"] * 2 + ["replayed"] * 2


def test_a_custom_train_step_always_runs_eagerly():
    class Custom(keras.Model):
        def train_step(self, data):
            x, y = data
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
            loss.backward()
            self.optimizer.apply([v.grad for v in self.trainable_weights], self.trainable_weights)
            self.steps_run = getattr(self, "steps_run", 0) + 1
            return {"loss": loss}

    def build():
        inputs = keras.Input(shape=(FEATURES,))
        return Custom(inputs, layers.Dense(CLASSES, activation="softmax")(inputs))

    _, _, model = train(build, True, epochs=2)
    assert model.steps_run == 14 and model._compiled_step.plans == {}


def test_a_changed_model_is_recorded_again():
    x, y = blobs()
    keras.utils.set_random_seed(7)
    models = []
    for jit in (False, True):
        keras.utils.set_random_seed(7)
        model = mlp()()
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile=jit)
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        frozen = model.layers[1]
        frozen.trainable = False  # after the tapes were made: a changed model
        before = frozen.get_weights()
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        for a, b in zip(before, frozen.get_weights()):
            np.testing.assert_array_equal(a, b)
        models.append(model)
    for a, b in zip(models[0].get_weights(), models[1].get_weights()):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL)
    assert replayed(models[1])


def test_a_layer_swapped_in_a_sequential_model_is_recorded_again():
    x, y = blobs()
    results = []
    for jit in (False, True):
        keras.utils.set_random_seed(7)
        head = layers.Dense(CLASSES, activation="softmax")
        model = keras.Sequential([keras.Input(shape=(FEATURES,)), layers.Dense(8), layers.Activation("relu"), head])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile=jit)
        model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        model.pop()
        model.pop()
        model.add(layers.Activation("tanh"))  # no new weights: the optimizer carries on
        model.add(head)
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        results.append((history.history, model.get_weights(), model))
    assert_same(*results)
    assert replayed(results[1][2])


class SignFlip(layers.Layer):
    """Branches in Python on a value of its input: a tape would freeze the branch it saw."""

    def call(self, x):
        return x * 2.0 if float(ops.mean(x)) > 0 else x * -1.0


class SideComputed(layers.Layer):
    """Computes an array outside the ops: a tape would freeze it."""

    def call(self, x):
        shift = Tensor(np.tanh(x.numpy()).mean(axis=0))
        return x - shift


def unsafe_model(layer_class):
    def build():
        inputs = keras.Input(shape=(FEATURES,))
        x = layer_class()(inputs)
        return keras.Model(inputs, layers.Dense(CLASSES, activation="softmax")(x))
    return build


def alternating_blobs():
    """Batches of 16 whose means alternate in sign, so SignFlip takes both branches."""
    x, y = blobs(96)
    x[np.arange(96) // 16 % 2 == 1] *= -1.0
    x[np.arange(96) // 16 % 2 == 0] = np.abs(x[np.arange(96) // 16 % 2 == 0])
    return x, y


@pytest.mark.parametrize("layer_class", [SignFlip, SideComputed])
def test_auto_leaves_a_model_of_unknown_layers_eager(layer_class):
    x, y = alternating_blobs()
    runs = [train(unsafe_model(layer_class), jit, x=x, y=y, shuffle=False) for jit in (False, "auto")]
    assert_same(*runs)
    reason = runs[1][2]._compiled_step.describe()["model"]
    assert "eager" in reason and layer_class.__name__ in reason


@pytest.mark.parametrize("layer_class", [SignFlip, SideComputed])
def test_true_warns_and_runs_eagerly_when_two_recordings_differ(layer_class):
    x, y = alternating_blobs()
    eager = train(unsafe_model(layer_class), False, x=x, y=y, shuffle=False)
    with pytest.warns(UserWarning, match="runs eagerly.*two recorded steps differ"):
        compiled = train(unsafe_model(layer_class), True, x=x, y=y, shuffle=False)
    assert_same(eager, compiled)
    assert not replayed(compiled[2])


def test_auto_leaves_subclassed_models_and_unknown_losses_eager():
    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(CLASSES, activation="softmax")

        def call(self, x):
            return self.dense(x)

    _, _, model = train(Sub, "auto")
    assert "subclassed" in model._compiled_step.describe()["model"]

    def my_loss(y_true, y_pred):
        return keras.losses.sparse_categorical_crossentropy(y_true, y_pred)

    _, _, model = train(mlp(), "auto", {"loss": my_loss})
    assert "my_loss" in model._compiled_step.describe()["model"]


def test_auto_leaves_a_loss_divided_by_the_weights_sum_eager():
    x, y = blobs()
    loss = keras.losses.SparseCategoricalCrossentropy(reduction="mean_with_sample_weight")
    weights = np.random.default_rng(2).uniform(0.5, 1.5, len(x)).astype("float32")
    runs = [train(mlp(), jit, {"loss": loss}, x=x, y=y, sample_weight=weights) for jit in (False, "auto")]
    assert_same(*runs)
    assert "sum of the sample weights" in runs[1][2]._compiled_step.describe()["model"]


def test_add_metric_keeps_the_step_eager_with_the_same_results():
    class Logged(layers.Layer):
        def call(self, x):
            self.add_metric(ops.mean(x), name="mean_activation")
            return x

    runs = [train(unsafe_model(Logged), False)]
    with pytest.warns(UserWarning, match="add_metric"):
        runs.append(train(unsafe_model(Logged), True))
    assert_same(*runs)
    assert "mean_activation" in runs[1][0]


def test_bad_labels_are_still_caught_in_a_replayed_step():
    x, y = blobs()
    model = mlp()()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile=True)
    model.fit(x[:80], y[:80], batch_size=16, epochs=3, verbose=0)
    assert replayed(model)
    y[40] = 7  # batches from a generator are checked one by one: here, by the replayed ClassIndices op

    def batches():
        for start in range(0, 80, 16):
            yield x[start:start + 16], y[start:start + 16]

    with pytest.raises(ValueError, match=r"label 7 is outside \[0, 3\)"):
        model.fit(batches(), epochs=1, verbose=0)
    assert replayed(model)


def test_a_bad_jit_compile_value_names_the_choices():
    model = mlp()()
    with pytest.raises(ValueError, match=r"jit_compile=.*'yes'.*\"auto\".*True.*False"):
        model.compile(optimizer="adam", loss="mse", jit_compile="yes")


# ------------------------------------------------------------- the recorder itself
def test_a_tape_replays_forward_and_backward_like_the_engine():
    w = Variable(np.array([[0.5, -1.0], [2.0, 0.25]], dtype="float32"))
    b = Variable(np.array([0.1, -0.2], dtype="float32"))

    def step(x):
        h = (x @ w + b).relu()
        return (h * h).sum() + 0.5 * (w * w).sum()  # w reached by two paths: gradients add up

    first = Tensor(np.array([[1.0, 2.0], [3.0, -1.0]], dtype="float32"))
    with Recording([first], [w, b]) as recording:
        out = step(first)
    tape = recording.tape([out])
    second = Tensor(np.array([[0.3, -2.0], [1.5, 4.0]], dtype="float32"))
    run = tape.forward([second.data])
    grads = tape.backward(run)
    expected = step(second)
    expected.backward()
    np.testing.assert_allclose(tape.output_arrays(run)[0], expected.numpy(), rtol=1e-6)
    np.testing.assert_allclose(grads[id(w)], w.grad, rtol=1e-6)
    np.testing.assert_allclose(grads[id(b)], b.grad, rtol=1e-6)


def test_two_recordings_differ_when_a_value_computed_outside_the_ops_changes():
    def record(values):
        x = Tensor(np.asarray(values, dtype="float32"))
        with Recording([x], []) as recording:
            side = Tensor(x.numpy() * 2)  # not an op: a constant to the tape
            out = (x + side).sum()
        return recording.tape([out])

    assert record([1.0, 2.0]).difference(record([1.0, 2.0])) is None
    said = record([1.0, 2.0]).difference(record([3.0, 2.0]))
    assert "computed outside the recorded ops" in said and "Add" in said


def test_recordings_do_not_nest():
    x = Tensor([1.0])
    with Recording([x], []):
        with pytest.raises(RuntimeError, match="already active"):
            with Recording([x], []):
                pass


def test_run_eagerly_turns_the_compiled_step_off():
    model = mlp()()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=True)
    assert model._compiled_step is None
    with pytest.warns(UserWarning, match="run_eagerly=True .* jit_compile=True is ignored"):
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=True, jit_compile=True)
    assert model._compiled_step is None

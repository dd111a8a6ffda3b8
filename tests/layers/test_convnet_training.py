"""A small convnet, defined as the Keras guides do, trains with fit() on MNIST images."""

import numpy as np

import tinyfit as keras
from tinyfit import layers


def test_a_convnet_from_keras_input_trains_on_a_few_hundred_mnist_images():
    keras.utils.set_random_seed(0)
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x = x_train[:400, ..., None].astype("float32") / 255
    y = y_train[:400].astype("int32")
    inputs = keras.Input(shape=(28, 28, 1))
    h = layers.Conv2D(8, 3, activation="relu")(inputs)
    h = layers.MaxPooling2D(2)(h)
    outputs = layers.Dense(10, activation="softmax")(layers.Flatten()(h))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["sparse_categorical_accuracy"])
    history = model.fit(x, y, batch_size=32, epochs=4, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.6 * losses[0]
    _, accuracy = model.evaluate(x_test[:300, ..., None].astype("float32") / 255, y_test[:300], verbose=0)
    assert accuracy > 0.75  # chance is 0.1; a few hundred images take a small convnet well past it

    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Conv2D" in text and "(None, 26, 26, 8)" in text and "(None, 13, 13, 8)" in text
    assert "(None, 1352)" in text


def _two_output_convnet():
    """A convnet that also returns its first conv layer's activations (megabytes: kept by the workspace)."""
    inputs = keras.Input(shape=(28, 28, 1))
    hidden = layers.Conv2D(16, 3, activation="relu", name="hidden")(inputs)
    h = layers.MaxPooling2D(2)(hidden)
    h = layers.Conv2D(8, 3, activation="relu")(h)
    h = layers.MaxPooling2D(2)(h)
    outputs = layers.Dense(10, activation="softmax", name="digits")(layers.Flatten()(h))
    return keras.Model(inputs, [outputs, hidden])


def test_results_a_user_holds_survive_later_steps():
    # Conv and pooling reuse the memory of a step's large arrays on the next step;
    # whatever the user still holds must not be part of it.
    keras.utils.set_random_seed(1)
    rng = np.random.default_rng(1)
    batches = [rng.random((64, 28, 28, 1), dtype="float32") for _ in range(4)]
    labels = rng.integers(0, 10, 64)
    for jit_compile in (False, True):
        model = _two_output_convnet()
        model.compile(optimizer="adam", loss={"digits": "sparse_categorical_crossentropy"}, jit_compile=jit_compile)
        predicted = model.predict_on_batch(batches[0])
        called = [t.numpy() for t in model(batches[0])]
        model.train_on_batch(batches[0], {"digits": labels})
        copies = [a.copy() for a in [*predicted, *called]]
        assert predicted[1].nbytes > 2**20  # the hidden activations: a workspace-sized array
        for x in batches[1:]:
            model.train_on_batch(x, {"digits": labels})
            model.predict_on_batch(x)
            model(x)
        for held, copy in zip([*predicted, *called], copies):
            np.testing.assert_array_equal(held, copy)

"""The Keras guide's first example, on tinyfit: `python -m tinyfit.examples.mnist`.

An MLP (64-64-10) trained with RMSprop for 2 epochs on MNIST, validated on the
last 10,000 training images, then evaluated on the test set; it also predicts
3 samples. The code is the guide's, with `import tinyfit as keras`.
"""

from __future__ import annotations

import argparse
import time

import tinyfit as keras
from tinyfit import layers


def get_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)
    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, activation="softmax", name="predictions")(x)
    return keras.Model(inputs=inputs, outputs=outputs)


def load_data(train_samples: int | None = None):
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train = x_train.reshape(60000, 784).astype("float32") / 255
    x_test = x_test.reshape(10000, 784).astype("float32") / 255
    y_train = y_train.astype("float32")
    y_test = y_test.astype("float32")
    # Reserve 10,000 samples for validation
    x_val, y_val = x_train[-10000:], y_train[-10000:]
    x_train, y_train = x_train[:-10000], y_train[:-10000]
    if train_samples is not None:
        x_train, y_train = x_train[:train_samples], y_train[:train_samples]
    return (x_train, y_train), (x_val, y_val), (x_test, y_test)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--train-samples", type=int, default=None, help="train on the first N images only")
    parser.add_argument("--seed", type=int, default=1337)
    parser.add_argument("--verbose", default="auto", help='"auto", 0, 1 or 2')
    args = parser.parse_args(argv)
    verbose = args.verbose if args.verbose == "auto" else int(args.verbose)

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_val, y_val), (x_test, y_test) = load_data(args.train_samples)
    model = get_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(),
        loss=keras.losses.SparseCategoricalCrossentropy(),
        metrics=[keras.metrics.SparseCategoricalAccuracy()],
    )
    print("Fit model on training data")
    start = time.perf_counter()
    history = model.fit(x_train, y_train, batch_size=args.batch_size, epochs=args.epochs,
                        validation_data=(x_val, y_val), verbose=verbose)
    seconds = time.perf_counter() - start
    print(history.history)

    print("Evaluate on test data")
    results = model.evaluate(x_test, y_test, batch_size=128, verbose=verbose)
    print("test loss, test acc:", results)

    print("Generate predictions for 3 samples")
    predictions = model.predict(x_test[:3], verbose=verbose)
    print("predictions shape:", predictions.shape)
    print(f"training took {seconds:.1f}s; test accuracy {results[1]:.4f}")
    return {"history": history.history, "test_loss": results[0], "test_accuracy": results[1]}


if __name__ == "__main__":
    main()

"""The Keras guide "Training & evaluation with the built-in methods", section "Checkpointing models", on tinyfit.

The code between the `# --- guide` markers is the guide's, with `import tinyfit as keras`
and nothing else changed; the asserts after it check the files it wrote. Each test runs
in its own temporary folder (the guide writes relative paths), on a slice of the guide's
MNIST (tests/conftest.py), from the same seed.
"""

import os

import numpy as np
import pytest

import tinyfit as keras

TRAIN_SAMPLES = 3200  # 2 epochs of 40 batches of 64 after the 20% validation split


@pytest.fixture(autouse=True)
def in_tmp_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    keras.utils.set_random_seed(1337)


@pytest.fixture
def train(guide_mnist):
    x_train, y_train = guide_mnist[:2]
    return x_train[:TRAIN_SAMPLES], y_train[:TRAIN_SAMPLES]


def assert_same_weights(a, b):
    for mine, theirs in zip(a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)


def test_model_checkpoint_saves_the_best_model_of_each_epoch(train, get_compiled_model, capsys):
    x_train, y_train = train

    # --- guide
    model = get_compiled_model()

    callbacks = [
        keras.callbacks.ModelCheckpoint(
            # Path where to save the model
            # The two parameters below mean that we will overwrite
            # the current checkpoint if and only if
            # the `val_loss` score has improved.
            # The saved model name will include the current epoch.
            filepath="mymodel_{epoch}.keras",
            save_best_only=True,  # Only save a model if `val_loss` has improved.
            monitor="val_loss",
            verbose=1,
        )
    ]
    model.fit(
        x_train,
        y_train,
        epochs=2,
        batch_size=64,
        callbacks=callbacks,
        validation_split=0.2,
    )
    # --- end of guide

    out = capsys.readouterr().out
    val_loss = model.history.history["val_loss"]
    assert f"Epoch 1: val_loss improved from inf to {val_loss[0]:.5f}, saving model to mymodel_1.keras" in out
    # Two epochs of MNIST: the second one improves, as in the guide's output.
    assert val_loss[1] < val_loss[0]
    assert (f"Epoch 2: val_loss improved from {val_loss[0]:.5f} to {val_loss[1]:.5f}, "
            f"saving model to mymodel_2.keras") in out
    assert sorted(os.listdir()) == ["mymodel_1.keras", "mymodel_2.keras"]
    # The last checkpoint is the trained model, optimizer and all.
    restored = keras.models.load_model("mymodel_2.keras")
    assert_same_weights(restored, model)
    assert restored.optimizer.iterations.numpy() == model.optimizer.iterations.numpy() == 80


def test_make_or_restore_model_creates_then_restores_the_latest_checkpoint(train, get_compiled_model, capsys):
    x_train, y_train = train  # 100 batches of the default 32: one checkpoint every run
    trained = []

    def run_the_guide():
        # --- guide
        # Prepare a directory to store all the checkpoints.
        checkpoint_dir = "./ckpt"
        if not os.path.exists(checkpoint_dir):
            os.makedirs(checkpoint_dir)

        def make_or_restore_model():
            # Either restore the latest model, or create a fresh one
            # if there is no checkpoint available.
            checkpoints = [checkpoint_dir + "/" + name for name in os.listdir(checkpoint_dir)]
            if checkpoints:
                latest_checkpoint = max(checkpoints, key=os.path.getctime)
                print("Restoring from", latest_checkpoint)
                return keras.models.load_model(latest_checkpoint)
            print("Creating a new model")
            return get_compiled_model()

        model = make_or_restore_model()
        callbacks = [
            # This callback saves the model every 100 batches.
            # We include the training loss in the saved model name.
            keras.callbacks.ModelCheckpoint(
                filepath=checkpoint_dir + "/model-loss={loss:.2f}.keras", save_freq=100
            )
        ]
        model.fit(x_train, y_train, epochs=1, callbacks=callbacks)
        # --- end of guide
        trained.append(model)
        return model

    first = run_the_guide()
    out = capsys.readouterr().out
    assert "Creating a new model" in out and "Restoring" not in out
    loss = first.history.history["loss"][0]
    first_file = f"model-loss={loss:.2f}.keras"
    assert os.listdir("ckpt") == [first_file]
    # Saved after the epoch's 100th and last batch: the checkpoint is the trained model.
    assert_same_weights(keras.models.load_model("ckpt/" + first_file), first)

    # The "restart": the same code picks the checkpoint up and trains on from it.
    second = run_the_guide()
    out = capsys.readouterr().out
    assert f"Restoring from ./ckpt/{first_file}" in out and "Creating" not in out
    assert second is not first
    assert second.optimizer.iterations.numpy() == 200  # resumed: 100 steps saved + 100 more
    second_loss = second.history.history["loss"][0]
    assert second_loss < loss
    second_file = f"model-loss={second_loss:.2f}.keras"
    assert second_file in os.listdir("ckpt")

    # A third start restores the newest file, the one the second run wrote.
    run_the_guide()
    assert f"Restoring from ./ckpt/{second_file}" in capsys.readouterr().out

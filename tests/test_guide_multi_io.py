"""The Keras guide's section "Passing data to multi-input, multi-output models", run on tinyfit.

The code between the `# --- guide` markers is the guide's, with `import tinyfit as
keras`, `from tinyfit import layers`, and `keras.data.Dataset` where it writes
`tf.data.Dataset`; nothing else changed. The asserts after it check what the guide
shows: the model's shapes, the plot, the losses and metrics logged for each compile
variant, and that lists, dicts and a Dataset of dicts train alike.
"""

import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import layers


@pytest.fixture(autouse=True)
def seed():
    keras.utils.set_random_seed(1337)


def build_model():
    # --- guide
    image_input = keras.Input(shape=(32, 32, 3), name="img_input")
    timeseries_input = keras.Input(shape=(None, 10), name="ts_input")

    x1 = layers.Conv2D(3, 3)(image_input)
    x1 = layers.GlobalMaxPooling2D()(x1)

    x2 = layers.Conv1D(3, 3)(timeseries_input)
    x2 = layers.GlobalMaxPooling1D()(x2)

    x = layers.concatenate([x1, x2])

    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)

    model = keras.Model(
        inputs=[image_input, timeseries_input], outputs=[score_output, class_output]
    )
    # --- end of guide
    return model


def dummy_data():
    # --- guide
    # Generate dummy NumPy data
    img_data = np.random.random_sample(size=(100, 32, 32, 3))
    ts_data = np.random.random_sample(size=(100, 20, 10))
    score_targets = np.random.random_sample(size=(100, 1))
    class_targets = np.random.random_sample(size=(100, 5))
    # --- end of guide
    return img_data, ts_data, score_targets, class_targets


def test_the_model_has_the_shapes_the_guide_describes():
    model = build_model()
    assert model.input_names == ["img_input", "ts_input"]
    assert model.output_names == ["score_output", "class_output"]
    shapes = {layer.name: layer.output.shape for layer in model.layers}
    assert shapes["score_output"] == (None, 1)
    assert shapes["class_output"] == (None, 5)
    # Conv2D(3, 3) on 32x32 "valid" gives 30x30; the time axis stays unknown through Conv1D.
    conv2d = next(layer for layer in model.layers if isinstance(layer, layers.Conv2D))
    conv1d = next(layer for layer in model.layers if isinstance(layer, layers.Conv1D))
    assert conv2d.output.shape == (None, 30, 30, 3)
    assert conv1d.output.shape == (None, None, 3)
    outputs = model.predict([np.zeros((4, 32, 32, 3)), np.zeros((4, 7, 10))], verbose=0)
    assert [o.shape for o in outputs] == [(4, 1), (4, 5)]


def test_plot_model_draws_every_layer_with_its_shapes(tmp_path, monkeypatch):
    model = build_model()
    monkeypatch.chdir(tmp_path)
    # --- guide
    keras.utils.plot_model(model, "multi_input_and_output_model.png", show_shapes=True)
    # --- end of guide
    png = (tmp_path / "multi_input_and_output_model.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    keras.utils.plot_model(model, "multi_input_and_output_model.svg", show_shapes=True)
    svg = (tmp_path / "multi_input_and_output_model.svg").read_text()
    ElementTree.fromstring(svg)  # well-formed
    for layer in model.layers:
        assert layer.name in svg
    assert "(None, 32, 32, 3)" in svg and "(None, None, 10)" in svg and "(None, 5)" in svg


def _compile_variants():
    # --- guide
    list_losses = dict(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[
            keras.losses.MeanSquaredError(),
            keras.losses.CategoricalCrossentropy(),
        ],
    )
    list_metrics = dict(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[
            keras.losses.MeanSquaredError(),
            keras.losses.CategoricalCrossentropy(),
        ],
        metrics=[
            [
                keras.metrics.MeanAbsolutePercentageError(),
                keras.metrics.MeanAbsoluteError(),
            ],
            [keras.metrics.CategoricalAccuracy()],
        ],
    )
    dict_metrics = dict(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={
            "score_output": keras.losses.MeanSquaredError(),
            "class_output": keras.losses.CategoricalCrossentropy(),
        },
        metrics={
            "score_output": [
                keras.metrics.MeanAbsolutePercentageError(),
                keras.metrics.MeanAbsoluteError(),
            ],
            "class_output": [keras.metrics.CategoricalAccuracy()],
        },
    )
    weighted = dict(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={
            "score_output": keras.losses.MeanSquaredError(),
            "class_output": keras.losses.CategoricalCrossentropy(),
        },
        metrics={
            "score_output": [
                keras.metrics.MeanAbsolutePercentageError(),
                keras.metrics.MeanAbsoluteError(),
            ],
            "class_output": [keras.metrics.CategoricalAccuracy()],
        },
        loss_weights={"score_output": 2.0, "class_output": 1.0},
    )
    # List loss version
    none_list = dict(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[None, keras.losses.CategoricalCrossentropy()],
    )
    # Or dict loss version
    none_dict = dict(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss={"class_output": keras.losses.CategoricalCrossentropy()},
    )
    # --- end of guide
    return {"list_losses": list_losses, "list_metrics": list_metrics, "dict_metrics": dict_metrics,
            "weighted": weighted, "none_list": none_list, "none_dict": none_dict}


@pytest.mark.parametrize("variant", ["list_losses", "list_metrics", "dict_metrics", "weighted",
                                     "none_list", "none_dict"])
def test_every_compile_variant_of_the_guide_trains(variant):
    model = build_model()
    model.compile(**_compile_variants()[variant])
    img_data, ts_data, score_targets, class_targets = dummy_data()
    history = model.fit([img_data, ts_data], [score_targets, class_targets], batch_size=32, epochs=1, verbose=0)
    logs = {k: v[0] for k, v in history.history.items()}
    assert np.isfinite(logs["loss"])
    if variant in ("list_metrics", "dict_metrics", "weighted"):
        for key in ("score_output_mean_absolute_percentage_error", "score_output_mean_absolute_error",
                    "class_output_categorical_accuracy"):
            assert key in logs, sorted(logs)
    if variant in ("none_list", "none_dict"):
        # Only the class output has a loss, so no per-output loss for the score is logged.
        assert "score_output_loss" not in logs


def test_loss_weights_scale_the_score_loss():
    img_data, ts_data, score_targets, class_targets = dummy_data()
    model = build_model()
    model.compile(**_compile_variants()["weighted"])
    logs = model.evaluate([img_data, ts_data], [score_targets, class_targets], verbose=0, return_dict=True)
    assert logs["loss"] == pytest.approx(2.0 * logs["score_output_loss"] + logs["class_output_loss"], rel=1e-5)


def test_fit_on_lists_and_on_dicts_trains_alike():
    img_data, ts_data, score_targets, class_targets = dummy_data()
    results = []
    for as_dicts in (False, True):
        keras.utils.set_random_seed(7)
        model = build_model()
        model.compile(
            optimizer=keras.optimizers.RMSprop(1e-3),
            loss=[keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()],
        )
        keras.utils.set_random_seed(8)
        if not as_dicts:
            # --- guide
            # Fit on lists
            model.fit([img_data, ts_data], [score_targets, class_targets], batch_size=32, epochs=1)
            # --- end of guide
        else:
            # --- guide
            # Alternatively, fit on dicts
            model.fit(
                {"img_input": img_data, "ts_input": ts_data},
                {"score_output": score_targets, "class_output": class_targets},
                batch_size=32,
                epochs=1,
            )
            # --- end of guide
        results.append(model.get_weights())
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-6)


def test_fit_on_a_dataset_of_dicts(capsys):
    img_data, ts_data, score_targets, class_targets = dummy_data()
    model = build_model()
    model.compile(
        optimizer=keras.optimizers.RMSprop(1e-3),
        loss=[keras.losses.MeanSquaredError(), keras.losses.CategoricalCrossentropy()],
    )
    # --- guide
    train_dataset = keras.data.Dataset.from_tensor_slices(
        (
            {"img_input": img_data, "ts_input": ts_data},
            {"score_output": score_targets, "class_output": class_targets},
        )
    )
    train_dataset = train_dataset.shuffle(buffer_size=1024).batch(64)

    model.fit(train_dataset, epochs=1)
    # --- end of guide
    out = capsys.readouterr().out
    assert "2/2" in out  # 100 samples in batches of 64, as the guide shows
    assert "loss:" in out

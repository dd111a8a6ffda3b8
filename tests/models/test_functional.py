"""Functional models: the guide's model definitions, data matched to inputs by position
and by name, summary, weights, layers, gradients, and the errors a student meets."""

import numpy as np
import pytest

import tinyfit
import tinyfit as keras
from tinyfit import layers, ops
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.layers.naming import reset_names
from tinyfit.layers.symbolic import symbolic_call
from tinyfit.models import Sequential, check_input_data
from tinyfit.trainers.trainer import Trainer
from tinyfit.utils import set_random_seed


@pytest.fixture(autouse=True)
def fresh_names():
    reset_names()
    yield


def test_models_all_is_pinned():
    import tinyfit.models as models

    assert models.__all__ == ["Model", "Sequential", "check_input_data", "load_model", "save_model", "clone_model",
                              "model_from_json"]


# ----------------------------------------------------------- the guide's MLP
# get_uncompiled_model: the guide's first model, a fixture of tests/conftest.py.
def test_guide_model_structure(get_uncompiled_model):
    model = get_uncompiled_model()
    assert isinstance(model, Trainer) and model.name == "functional"
    assert [layer.name for layer in model.layers] == ["digits", "dense_1", "dense_2", "predictions"]
    assert model.input_names == ["digits"] and model.output_names == ["predictions"]
    assert [t.shape for t in model.inputs] == [(None, 784)] and [t.shape for t in model.outputs] == [(None, 10)]
    assert model.count_params() == 55_050 and len(model.trainable_weights) == 6
    assert model.non_trainable_weights == [] and model.stop_training is False
    assert model.built


def test_guide_model_predicts_probabilities(get_uncompiled_model):
    model = get_uncompiled_model()
    x = np.random.default_rng(0).random((5, 784)).astype("float32")
    out = model(x)
    assert out.shape == (5, 10)
    np.testing.assert_allclose(out.numpy().sum(axis=1), np.ones(5), rtol=1e-5)
    # The same numbers as the layers applied by hand.
    h = x
    for layer in model.layers[1:]:
        h = layer(h)
    np.testing.assert_allclose(out.numpy(), h.numpy(), rtol=1e-6)


def test_guide_model_summary_text(get_uncompiled_model):
    model = get_uncompiled_model()
    lines = []
    model.summary(print_fn=lines.append)
    assert lines[0] == 'Model: "functional"'
    assert lines[1].startswith("┏━") and lines[3].startswith("┡━") and lines[-4].startswith("└─")
    assert "┃ Layer (type)" in lines[2] and "Output Shape" in lines[2] and "Param #" in lines[2]
    rows = [line for line in lines if line.startswith("│")]
    assert rows == [
        "│ digits (InputLayer)             │ (None, 784)            │             0 │",
        "│ dense_1 (Dense)                 │ (None, 64)             │        50,240 │",
        "│ dense_2 (Dense)                 │ (None, 64)             │         4,160 │",
        "│ predictions (Dense)             │ (None, 10)             │           650 │",
    ]
    assert lines[-3:] == [
        " Total params: 55,050 (215.04 KB)",
        " Trainable params: 55,050 (215.04 KB)",
        " Non-trainable params: 0 (0.00 B)",
    ]


def test_summary_prints_and_falls_back_to_ascii_where_boxes_cannot_be_shown(capsys, monkeypatch, get_uncompiled_model):
    import io
    import sys

    model = get_uncompiled_model()
    model.summary()
    assert "━" in capsys.readouterr().out
    stream = io.TextIOWrapper(io.BytesIO(), encoding="cp1252")
    monkeypatch.setattr(sys, "stdout", stream)
    model.summary()
    stream.seek(0)
    text = stream.read()
    assert "+-----" in text and "| dense_1 (Dense)" in text and "━" not in text


def test_summary_show_trainable_column_and_frozen_counts(get_uncompiled_model):
    model = get_uncompiled_model()
    model.get_layer("dense_1").trainable = False
    lines = []
    model.summary(print_fn=lines.append, show_trainable=True)
    assert "Trainable" in lines[2]
    assert any(line.startswith("│ dense_1 (Dense)") and line.rstrip("│ ").endswith("N") for line in lines)
    assert lines[-3:] == [
        " Total params: 55,050 (215.04 KB)",
        " Trainable params: 4,810 (18.79 KB)",
        " Non-trainable params: 50,240 (196.25 KB)",
    ]


# -------------------------------------------------------------- input checks
def test_wrong_width_names_expected_and_got_shapes(get_uncompiled_model):
    model = get_uncompiled_model()
    with pytest.raises(ValueError, match=r"^Model 'functional': input 'digits' expects shape \(None, 784\) "
                                         r"but got data of shape \(64, 28, 28\)\. .*x\.reshape\(-1, 784\)"):
        model(np.zeros((64, 28, 28), dtype="float32"))
    with pytest.raises(ValueError, match=r"expects shape \(None, 784\) but got data of shape \(64, 100\)\.$"):
        model(np.zeros((64, 100), dtype="float32"))


def test_single_sample_without_batch_axis_says_to_add_it(get_uncompiled_model):
    model = get_uncompiled_model()
    with pytest.raises(ValueError, match=r"got data of shape \(784,\): that is one sample without its batch axis\. "
                                         r"Add the batch axis: x\[None\] or x\.reshape\(1, -1\)"):
        model(np.zeros(784, dtype="float32"))
    assert model(np.zeros(784, dtype="float32")[None]).shape == (1, 10)


def test_images_without_a_channel_axis_or_with_channels_first_get_the_right_fix():
    images = keras.Sequential([keras.Input(shape=(28, 28, 1)), layers.Conv2D(2, 3)])
    with pytest.raises(ValueError, match=r"expects shape \(None, 28, 28, 1\) but got data of shape \(5, 28, 28\): "
                                         r"the samples lack the last axis of size 1 .* Add it: x\[\.\.\., None\] "
                                         r"turns \(5, 28, 28\) into \(5, 28, 28, 1\)\.$"):
        images.predict(np.zeros((5, 28, 28), dtype="float32"), verbose=0)
    signals = keras.Sequential([keras.Input(shape=(10, 1)), layers.Conv1D(2, 3)])
    with pytest.raises(ValueError, match=r"got data of shape \(4, 10\): the samples lack the last axis of size 1.*"
                                         r"x\[\.\.\., None\] turns \(4, 10\) into \(4, 10, 1\)"):
        signals(np.zeros((4, 10), dtype="float32"))
    with pytest.raises(ValueError, match=r"got data of shape \(10, 1\): that is one sample without its batch axis"):
        signals(np.zeros((10, 1), dtype="float32"))
    colour = keras.Sequential([keras.Input(shape=(32, 32, 3)), layers.Conv2D(2, 3)])
    # a reshape would scramble the pixels of channels-first data: the fix is a transpose
    with pytest.raises(ValueError, match=r"got data of shape \(2, 3, 32, 32\)\. The data looks channels-first .* "
                                         r"x\.transpose\(0, 2, 3, 1\), which turns \(2, 3, 32, 32\) into "
                                         r"\(2, 32, 32, 3\)\.$"):
        colour(np.zeros((2, 3, 32, 32), dtype="float32"))
    fixed = np.arange(2 * 3 * 32 * 32, dtype="float32").reshape(2, 3, 32, 32).transpose(0, 2, 3, 1)
    assert colour(fixed).shape == (2, 30, 30, 2)


def test_check_input_data_is_callable_by_the_trainer_with_a_caller_prefix(get_uncompiled_model):
    model = get_uncompiled_model()
    check_input_data(model, np.zeros((3, 784)))
    model.check_input_data(np.zeros((3, 784)), "fit")
    with pytest.raises(ValueError, match=r"^predict: Model 'functional': input 'digits' expects shape \(None, 784\)"):
        model.check_input_data(np.zeros(784), "predict")
    with pytest.raises(ValueError, match=r"^fit: Model 'functional': the data dict has keys \['pixels'\], but the "
                                         r"model's inputs are named \['digits'\]; no data for \['digits'\]"):
        check_input_data(model, {"pixels": np.zeros((2, 784))}, caller="fit")


def test_single_input_also_accepts_a_dict_or_a_one_element_list(get_uncompiled_model):
    model = get_uncompiled_model()
    x = np.random.default_rng(1).random((2, 784)).astype("float32")
    expected = model(x).numpy()
    np.testing.assert_allclose(model({"digits": x}).numpy(), expected)
    np.testing.assert_allclose(model([x]).numpy(), expected)
    np.testing.assert_allclose(model(tinyfit.Tensor(x)).numpy(), expected)


# --------------------------------------------- multi-input, multi-output model
def _multi_io_model():
    """The guide's image + time-series model. Conv2D/Conv1D, the global poolings and
    layers.concatenate come in step 3; Flatten + Dense and Lambda layers (max over time,
    concatenation) stand in for them here, keeping the inputs, outputs and names."""
    image_input = keras.Input(shape=(32, 32, 3), name="img_input")
    timeseries_input = keras.Input(shape=(None, 10), name="ts_input")

    x1 = layers.Flatten()(image_input)
    x1 = layers.Dense(3)(x1)

    x2 = layers.Dense(3)(timeseries_input)
    x2 = layers.Lambda(lambda t: ops.max(t, axis=1), name="max_over_time")(x2)

    x = layers.Lambda(lambda a, b: ops.concatenate([a, b], axis=-1), name="concatenate")(x1, x2)

    score_output = layers.Dense(1, name="score_output")(x)
    class_output = layers.Dense(5, name="class_output")(x)

    model = keras.Model(inputs=[image_input, timeseries_input], outputs=[score_output, class_output])
    return model


def test_multi_input_output_names_and_shapes():
    model = _multi_io_model()
    assert model.input_names == ["img_input", "ts_input"]
    assert model.output_names == ["score_output", "class_output"]
    assert [t.shape for t in model.inputs] == [(None, 32, 32, 3), (None, None, 10)]
    assert [t.shape for t in model.outputs] == [(None, 1), (None, 5)]
    assert model.get_layer("concatenate").output.shape == (None, 6)


def test_multi_input_data_by_position_or_by_name_gives_the_same_outputs():
    model = _multi_io_model()
    rng = np.random.default_rng(2)
    img_data = rng.random(size=(4, 32, 32, 3))
    ts_data = rng.random(size=(4, 20, 10))
    score, classes = model([img_data, ts_data])
    assert score.shape == (4, 1) and classes.shape == (4, 5)
    by_name = model({"img_input": img_data, "ts_input": ts_data, "unused": None})
    np.testing.assert_allclose(by_name[0].numpy(), score.numpy())
    np.testing.assert_allclose(by_name[1].numpy(), classes.numpy())
    shorter = model([img_data, ts_data[:, :7]])  # any number of time steps
    assert shorter[1].shape == (4, 5)


def test_multi_input_errors_name_the_inputs():
    model = _multi_io_model()
    img, ts = np.zeros((4, 32, 32, 3)), np.zeros((4, 20, 10))
    with pytest.raises(ValueError, match=r"data dict has keys \['img', 'ts'\], but the model's inputs are named "
                                         r"\['img_input', 'ts_input'\]; no data for \['img_input', 'ts_input'\]"):
        model({"img": img, "ts": ts})
    with pytest.raises(ValueError, match=r"got a list of 1 arrays for a model with 2 input\(s\) \['img_input',"
                                         r" 'ts_input'\]"):
        model([img])
    with pytest.raises(ValueError, match=r"has 2 inputs \['img_input', 'ts_input'\] but got a single array"):
        model(img)
    with pytest.raises(ValueError, match=r"input 'ts_input' expects shape \(None, None, 10\) but got data of shape"
                                         r" \(4, 20, 9\)"):
        model([img, np.zeros((4, 20, 9))])
    with pytest.raises(ValueError, match=r"same number of samples, got 'img_input': 4, 'ts_input': 3"):
        model([img, np.zeros((3, 20, 10))])


def test_dict_inputs_and_dict_outputs():
    a = keras.Input(shape=(2,), name="a")
    b = keras.Input(shape=(3,), name="b")
    joined = layers.Lambda(lambda x, y: ops.concatenate([x, y], axis=-1))(a, b)
    model = keras.Model(inputs={"left": a, "right": b},
                        outputs={"sum": layers.Dense(1, name="s")(joined), "same": joined})
    assert model.input_names == ["left", "right"] and model.output_names == ["sum", "same"]
    out = model({"right": np.ones((2, 3)), "left": np.zeros((2, 2))})
    assert set(out) == {"sum", "same"}
    np.testing.assert_array_equal(out["same"].numpy(), [[0, 0, 1, 1, 1]] * 2)


# ------------------------------------------------ add_loss and the guide's layers
class ActivityRegularizationLayer(layers.Layer):
    def call(self, inputs):
        self.add_loss(ops.sum(inputs) * 0.1)
        return inputs  # Pass-through layer.


def test_guide_activity_regularization_layer_in_a_functional_model():
    inputs = keras.Input(shape=(784,), name="digits")
    x = layers.Dense(64, activation="relu", name="dense_1")(inputs)

    # Insert activity regularization as a layer
    x = ActivityRegularizationLayer()(x)

    x = layers.Dense(64, activation="relu", name="dense_2")(x)
    outputs = layers.Dense(10, name="predictions")(x)

    model = keras.Model(inputs=inputs, outputs=outputs)
    assert model.losses == []  # nothing from building the graph
    data = np.random.default_rng(3).random((8, 784)).astype("float32")
    model(data)
    hidden = model.get_layer("dense_1")(data)
    (loss,) = model.losses
    assert loss.item() == pytest.approx(0.1 * hidden.numpy().sum(), rel=1e-5)
    model(data[:2])
    assert len(model.losses) == 1  # replaced, not accumulated


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


def test_guide_logistic_endpoint_model():
    inputs = keras.Input(shape=(3,), name="inputs")
    targets = keras.Input(shape=(10,), name="targets")
    logits = keras.layers.Dense(10)(inputs)
    predictions = LogisticEndpoint(name="predictions")(targets, logits)

    model = keras.Model(inputs=[inputs, targets], outputs=predictions)

    data = {
        "inputs": np.random.random((3, 3)),
        "targets": np.random.random((3, 10)),
    }
    out = model(data, training=True)
    assert out.shape == (3, 10) and model.input_names == ["inputs", "targets"]
    (loss,) = model.losses
    z = model.get_layer("dense")(data["inputs"]).numpy().astype("float64")
    t = data["targets"].astype("float32").astype("float64")
    expected = np.mean(np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z))))
    assert loss.item() == pytest.approx(expected, rel=1e-5)
    loss.backward()
    assert all(w.grad is not None for w in model.trainable_weights)


def test_symbolic_add_loss_on_a_functional_model_is_recomputed_each_call():
    inputs = keras.Input(shape=(4,), name="digits")
    x1 = layers.Dense(3, activation="relu", name="dense_1")(inputs)
    outputs = layers.Dense(2, name="predictions")(x1)
    model = keras.Model(inputs=inputs, outputs=outputs)
    model.add_loss(symbolic_call(ops.sum, x1) * 0.1)
    data = np.random.default_rng(4).random((5, 4)).astype("float32")
    model(data)
    (loss,) = model.losses
    assert loss.item() == pytest.approx(0.1 * model.get_layer("dense_1")(data).numpy().sum(), rel=1e-5)
    model(data[:1])
    assert len(model.losses) == 1


# ---------------------------------------------------- weights and layers
def test_get_and_set_weights_round_trip_between_two_models(get_uncompiled_model):
    set_random_seed(0)
    source, target = get_uncompiled_model(), get_uncompiled_model()
    x = np.random.default_rng(5).random((3, 784)).astype("float32")
    assert not np.allclose(source(x).numpy(), target(x).numpy())
    weights = source.get_weights()
    assert [w.shape for w in weights] == [(784, 64), (64,), (64, 64), (64,), (64, 10), (10,)]
    assert all(isinstance(w, np.ndarray) for w in weights)
    target.set_weights(weights)
    np.testing.assert_allclose(target(x).numpy(), source(x).numpy(), rtol=1e-6)
    weights[0][0, 0] += 1.0
    assert source.get_weights()[0][0, 0] != weights[0][0, 0]  # get_weights returns copies


def test_set_weights_errors_name_the_layer_and_shapes(get_uncompiled_model):
    model = get_uncompiled_model()
    weights = model.get_weights()
    wrong = weights[:4] + [np.zeros((64, 11)), weights[5]]
    with pytest.raises(ValueError, match=r"weight 4 \('kernel' of layer 'predictions'\) expects shape \(64, 10\), "
                                         r"got an array of shape \(64, 11\)"):
        model.set_weights(wrong)
    with pytest.raises(ValueError, match=r"'functional' has 6 weights \(dense_1/kernel, .*predictions/bias\) but 5"
                                         r" arrays"):
        model.set_weights(weights[:5])


def test_get_layer_by_name_and_index_and_its_errors(get_uncompiled_model):
    model = get_uncompiled_model()
    assert model.get_layer("dense_2") is model.layers[2]
    assert model.get_layer(index=-1).name == "predictions"
    with pytest.raises(ValueError, match=r"no layer named 'dense_3'\. Its layers are: 'digits', 'dense_1', 'dense_2', "
                                         r"'predictions'"):
        model.get_layer("dense_3")
    with pytest.raises(ValueError, match=r"index 4 is out of range: model 'functional' has 4 layers \(indices"
                                         r" 0\.\.3\)"):
        model.get_layer(index=4)
    with pytest.raises(ValueError, match="give the layer's name="):
        model.get_layer()


def test_a_frozen_layer_drops_out_of_trainable_weights(get_uncompiled_model):
    model = get_uncompiled_model()
    model.get_layer("dense_1").trainable = False
    assert [w.path for w in model.trainable_weights] == [
        "dense_2/kernel", "dense_2/bias", "predictions/kernel", "predictions/bias"]
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 6


def test_a_layer_used_twice_shares_its_weights():
    inputs = keras.Input(shape=(4,))
    shared = layers.Dense(4, name="shared")
    outputs = shared(shared(inputs))
    model = keras.Model(inputs, outputs)
    assert len(model.weights) == 2
    x = np.ones((1, 4), dtype="float32")
    np.testing.assert_allclose(model(x).numpy(), shared(shared(x)).numpy())
    lines = []
    model.summary(print_fn=lines.append)
    assert sum(line.startswith("│ shared (Dense)") for line in lines) == 1
    assert lines[-3] == " Total params: 20 (80.00 B)"


def test_a_model_is_a_layer_of_another_model(get_uncompiled_model):
    inner = get_uncompiled_model()
    inputs = keras.Input(shape=(784,))
    outputs = layers.Dense(1, name="head")(inner(inputs))
    outer = keras.Model(inputs, outputs)
    assert outer.count_params() == 55_050 + 11
    assert outer(np.zeros((2, 784))).shape == (2, 1)


# ----------------------------------------------------------------- gradients
def _tiny_model():
    inputs = keras.Input(shape=(3,), name="x", dtype="float64")
    h = layers.Dense(4, activation="tanh", dtype="float64", kernel_regularizer="l2")(inputs)
    h = layers.Dropout(0.5)(h)
    outputs = layers.Dense(2, activation="softmax", dtype="float64")(h)
    return keras.Model(inputs, outputs)


def test_backward_through_the_model_reaches_every_trainable_weight(get_uncompiled_model):
    model = get_uncompiled_model()
    x = np.random.default_rng(6).random((4, 784)).astype("float32")
    loss = ops.sum(ops.square(model(x, training=True)))
    for penalty in model.losses:
        loss = loss + penalty
    loss.backward()
    for w in model.trainable_weights:
        assert w.grad is not None and w.grad.shape == w.shape


def test_gradients_through_a_model_match_finite_differences():
    set_random_seed(1)
    model = _tiny_model()
    x = np.random.default_rng(7).normal(size=(5, 3))
    gradcheck(lambda t: model(t), [x])  # with respect to the input

    def objective():
        out = model(tinyfit.Tensor(x, dtype="float64"))  # inference: Dropout is the identity
        total = ops.sum(out * ops.log(out))
        for penalty in model.losses:
            total = total + penalty
        return total

    for w in model.trainable_weights:
        w.grad = None
    objective().backward()
    eps = 1e-6
    for w in model.trainable_weights:
        analytic = np.array(w.grad)
        numeric = np.zeros_like(analytic)
        flat = w.data.reshape(-1)
        for j in range(flat.size):
            keep = float(flat[j])
            with tinyfit.no_grad():
                flat[j] = keep + eps
                up = objective().item()
                flat[j] = keep - eps
                down = objective().item()
            flat[j] = keep
            numeric.reshape(-1)[j] = (up - down) / (2 * eps)
        np.testing.assert_allclose(analytic, numeric, rtol=1e-5, atol=1e-7, err_msg=w.path)


def test_training_flag_reaches_dropout_inside_the_model():
    model = _tiny_model()
    x = np.random.default_rng(8).normal(size=(64, 3))
    np.testing.assert_array_equal(model(x).numpy(), model(x, training=False).numpy())
    assert not np.allclose(model(x, training=True).numpy(), model(x).numpy())


# --------------------------------------------------- definition errors
def test_model_needs_inputs_and_outputs_together():
    with pytest.raises(ValueError, match=r"got inputs= but no outputs="):
        keras.Model(inputs=keras.Input(shape=(2,)))


def test_inputs_must_come_from_input():
    x = keras.Input(shape=(2,))
    h = layers.Dense(2, name="hidden")(x)
    with pytest.raises(TypeError, match=r"every input must be a tensor returned by keras.Input\(...\), "
                                        r"got the output of layer 'hidden'"):
        keras.Model(h, layers.Dense(1)(h))


def test_outputs_must_be_symbolic():
    x = keras.Input(shape=(2,))
    with pytest.raises(TypeError, match="outputs must be symbolic tensors .* got Tensor"):
        keras.Model(x, tinyfit.Tensor([1.0]))


def test_an_input_missing_from_inputs_is_named():
    a, b = keras.Input(shape=(2,), name="a"), keras.Input(shape=(2,), name="b")
    out = layers.Lambda(lambda x, y: x + y)(a, b)
    with pytest.raises(ValueError, match=r"the outputs depend on Input 'b', which is not in inputs="):
        keras.Model(a, out)


def test_two_layers_with_one_name_are_rejected():
    x = keras.Input(shape=(2,))
    out = layers.Dense(2, name="same")(layers.Dense(2, name="same")(x))
    with pytest.raises(ValueError, match=r"two different layers are named 'same' \(Dense and Dense\)"):
        keras.Model(x, out)


def test_sequential_and_functional_share_the_check():
    model = Sequential([keras.Input(shape=(784,), name="digits"), layers.Dense(2)])
    with pytest.raises(ValueError, match=r"Model 'sequential': input 'digits' expects shape \(None, 784\)"):
        model(np.zeros((2, 28, 28)))

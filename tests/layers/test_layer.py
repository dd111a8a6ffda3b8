"""Layer base: lazy build, names, weight tracking, add_loss, the training flag, freezing,
symbolic calls, and the errors a student meets."""

import numpy as np
import pytest

import tinyfit
from tinyfit import layers, ops
from tinyfit.autograd.variable import Variable
from tinyfit.layers.naming import reset_names
from tinyfit.layers.symbolic import KerasTensor, symbolic_call
from tinyfit.models import Model


@pytest.fixture(autouse=True)
def fresh_names():
    reset_names()
    yield


def test_layers_all_is_pinned():
    assert layers.__all__ == [
        "Layer", "Input", "InputLayer", "KerasTensor", "serialize", "deserialize",
        "Dense", "Activation", "Identity", "Lambda",
        "Dropout", "ActivityRegularization",
        "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise", "GaussianDropout",
        "RandomFlip", "RandomTranslation", "RandomRotation", "RandomZoom", "RandomContrast",
        "Flatten", "Reshape",
        "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose",
        "ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax",
        "ZeroPadding1D", "ZeroPadding2D", "Cropping1D", "Cropping2D", "UpSampling1D", "UpSampling2D",
        "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D", "AveragePooling3D",
        "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D",
        "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
        "BatchNormalization", "LayerNormalization",
        "Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
        "concatenate", "add", "subtract", "multiply", "average", "maximum", "minimum",
        "Embedding", "Masking", "TimeDistributed", "Rescaling",
        "MaxPool1D", "MaxPool2D", "MaxPool3D", "AvgPool1D", "AvgPool2D", "AvgPool3D",
        "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D", "GlobalAvgPool1D", "GlobalAvgPool2D", "GlobalAvgPool3D",
        "Convolution1D", "Convolution2D", "Convolution3D",
        "Convolution1DTranspose", "Convolution2DTranspose", "Convolution3DTranspose",
        "ZeroPadding3D", "Cropping3D", "UpSampling3D",
        "Permute", "RepeatVector", "Dot", "dot", "UnitNormalization", "GroupNormalization", "Normalization",
        "TextVectorization", "Resizing", "CenterCrop", "RandomCrop", "RandomBrightness",
        "RNN", "SimpleRNN", "SimpleRNNCell", "LSTM", "LSTMCell", "GRU", "GRUCell", "Bidirectional",
        "MultiHeadAttention", "Attention", "AdditiveAttention",
    ]
    for name in layers.__all__:
        assert hasattr(layers, name)


ALIASES = {"MaxPool2D": "MaxPooling2D", "AvgPool1D": "AveragePooling1D", "GlobalMaxPool3D": "GlobalMaxPooling3D",
           "GlobalAvgPool2D": "GlobalAveragePooling2D", "Convolution2D": "Conv2D",
           "Convolution2DTranspose": "Conv2DTranspose"}


@pytest.mark.parametrize("alias, name", ALIASES.items())
def test_keras_aliases_are_the_same_classes_and_save_under_the_class_name(alias, name):
    assert getattr(layers, alias) is getattr(layers, name)
    layer = getattr(layers, alias)(3, 2) if alias.startswith("Convolution") else getattr(layers, alias)()
    config = layers.serialize(layer)
    assert config["class_name"] == name
    assert type(layers.deserialize(config)) is getattr(layers, name)
    # a config naming the alias (as a hand-written one may) is read too
    assert type(layers.deserialize({**config, "class_name": alias})) is getattr(layers, name)


def test_keras_3_has_the_same_aliases(keras3):
    for alias, name in ALIASES.items():
        assert getattr(keras3.layers, alias) is getattr(keras3.layers, name)


class Linear(layers.Layer):
    """The guide-style custom layer: weights made in build from the input's last axis."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.build_calls = []

    def build(self, input_shape):
        self.build_calls.append(input_shape)
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


# ----------------------------------------------------------------- building
def test_build_waits_for_the_first_call_and_runs_once():
    layer = Linear(4)
    assert not layer.built and layer.weights == []
    layer(np.ones((2, 5), dtype="float32"))
    layer(np.ones((7, 5), dtype="float32"))
    assert layer.built
    assert layer.build_calls == [(2, 5)]
    assert [w.shape for w in layer.weights] == [(5, 4), (4,)]


def test_build_from_a_symbolic_input_sees_none_for_the_batch_axis():
    layer = Linear(2)
    out = layer(layers.Input(shape=(6,)))
    assert layer.build_calls == [(None, 6)]
    assert isinstance(out, KerasTensor) and out.shape == (None, 2)


def test_count_params_before_build_says_how_to_build():
    with pytest.raises(ValueError, match=r"'linear' is not built yet.*first call"):
        Linear().count_params()


def test_weight_with_unknown_size_names_the_layer_and_weight():
    class Bad(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[0], 3), name="w")

        def call(self, x):
            return x

    with pytest.raises(ValueError, match=r"Layer 'bad': weight 'w' has shape \(None, 3\).*batch axis"):
        Bad()(layers.Input(shape=(4,)))


def test_call_must_be_written():
    with pytest.raises(NotImplementedError, match=r"'layer' \(Layer\) has no call\(\)"):
        layers.Layer()(np.ones((1, 2)))


# -------------------------------------------------------------------- names
def test_automatic_names_are_unique_per_class_in_snake_case():
    assert [layers.Dense(1).name for _ in range(3)] == ["dense", "dense_1", "dense_2"]
    assert layers.ActivityRegularization().name == "activity_regularization"

    class MyCustomBlock(layers.Layer):
        pass

    assert MyCustomBlock().name == "my_custom_block"


def test_automatic_names_skip_names_given_by_hand():
    layers.Dense(1, name="dense_1")
    assert [layers.Dense(1).name for _ in range(2)] == ["dense", "dense_2"]


def test_a_name_must_be_a_string():
    with pytest.raises(TypeError, match="non-empty string, got 3"):
        layers.Dense(1, name=3)


def test_unknown_keyword_argument_is_named_with_a_suggestion():
    with pytest.raises(TypeError, match=r"Dense: unexpected keyword argument\(s\) 'unit'\. Did you mean 'units'\?"):
        layers.Dense(10, unit=3)
    with pytest.raises(TypeError, match=r"Linear: unexpected keyword argument\(s\) 'colour'.*accepts: units,"):
        Linear(colour="red")


def test_unknown_dtype_is_rejected():
    with pytest.raises(TypeError, match="unknown dtype 'mixed_float16'"):
        layers.Dense(1, dtype="mixed_float16")


# ----------------------------------------------------------- weight tracking
class Block(layers.Layer):
    """Weights and sub-layers in every place tracking must look: attributes, lists, dicts."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scale = Variable(np.ones(2, dtype="float32"), name="scale")
        self.first = layers.Dense(2, name="first")
        self.stack = [layers.Dense(2, name="in_list"), layers.Dense(2, name="in_list_2")]
        self.heads = {"a": layers.Dense(2, name="in_dict")}
        self.counter = Variable(0.0, trainable=False, name="counter")

    def call(self, x):
        x = self.first(x) * self.scale
        for layer in self.stack:
            x = layer(x)
        return self.heads["a"](x)


def test_weights_in_attributes_lists_and_dicts_are_found_in_assignment_order():
    block = Block()
    block(np.ones((1, 3), dtype="float32"))
    assert [w.path for w in block.weights] == [
        "scale", "counter", "first/kernel", "first/bias", "in_list/kernel", "in_list/bias",
        "in_list_2/kernel", "in_list_2/bias", "in_dict/kernel", "in_dict/bias",
    ]
    assert [w.path for w in block.non_trainable_weights] == ["counter"]
    assert len(block.trainable_weights) == 9
    assert block.count_params() == 2 + 1 + 8 + 6 + 6 + 6


def test_weights_follow_every_change_to_what_a_layer_holds():
    # Tracking remembers what it found; each way of changing it must show at once.
    class Holder(layers.Layer):
        def call(self, x):
            return x

    holder = Holder()
    holder.first = layers.Dense(2)
    holder.first.build((None, 3))
    holder.blocks = []
    holder.pair = (layers.Dense(1),)
    holder.pair[0].build((None, 2))
    assert len(holder.weights) == 4
    holder.blocks.append(layers.Dense(2))  # filled in place, after the assignment
    holder.blocks[0].build((None, 2))
    assert len(holder.weights) == 6
    holder.first = layers.Dense(5)  # replaced: the old kernel and bias go
    holder.first.build((None, 1))
    assert [w.shape for w in holder.weights[:2]] == [(1, 5), (5,)]
    holder.extra = holder.add_weight(shape=(3,), name="extra")  # a weight added later
    assert holder.weights[0].name == "extra" and len(holder.weights) == 7
    del holder.pair
    holder.first = None
    assert len(holder.weights) == 3
    holder.note = ("not", "a", "weight")  # tuples without weights are not tracked
    assert "note" not in holder._tracked_names


def test_a_layer_held_twice_counts_once():
    class Twice(layers.Layer):
        def __init__(self):
            super().__init__()
            self.shared = layers.Dense(2)
            self.again = [self.shared]

        def call(self, x):
            return self.again[0](self.shared(x))

    layer = Twice()
    layer(np.ones((1, 2), dtype="float32"))
    assert len(layer.weights) == 2


def test_add_weight_trainable_false_and_regularizer():
    class Stateful(layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(2,), initializer="ones", regularizer="l2", name="w")
            self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

        def call(self, x):
            return x * self.w

    layer = Stateful()
    layer(np.ones((1, 2), dtype="float32"))
    assert layer.trainable_weights == [layer.w] and layer.non_trainable_weights == [layer.count]
    assert layer.w.path == "stateful/w"
    (penalty,) = layer.losses
    assert penalty.item() == pytest.approx(0.01 * 2)


def test_get_and_set_weights_round_trip_and_check_shapes():
    layer = Linear(2)
    layer(np.ones((1, 3), dtype="float32"))
    values = [np.full((3, 2), 0.5), np.array([1.0, -1.0])]
    layer.set_weights(values)
    np.testing.assert_array_equal(layer.get_weights()[0], values[0])
    with pytest.raises(ValueError, match=r"weight 1 \('b' of layer 'linear'\) expects shape \(2,\), got an array of"
                                         r" shape \(3,\)"):
        layer.set_weights([values[0], np.zeros(3)])
    with pytest.raises(ValueError, match=r"'linear' has 2 weights \(linear/w, linear/b\) but 1 arrays"):
        layer.set_weights([values[0]])
    np.testing.assert_array_equal(layer.get_weights()[1], [1.0, -1.0])  # nothing changed on failure


# ----------------------------------------------------------------- freezing
def test_freezing_a_layer_freezes_its_sublayers_and_stops_their_gradients():
    block = Block()
    x = np.ones((2, 3), dtype="float32")
    block(x)
    block.trainable = False
    assert block.trainable_weights == []
    assert not block.first.trainable and not block.stack[1].trainable
    assert not any(w.requires_grad for w in block.weights)
    assert len(block.non_trainable_weights) == len(block.weights)
    block.trainable = True
    assert len(block.trainable_weights) == 9
    assert not block.counter.requires_grad  # a non-trainable weight stays so


def test_freezing_one_sublayer_leaves_the_others_trained():
    block = Block()
    block(np.ones((1, 3), dtype="float32"))
    block.first.trainable = False
    paths = [w.path for w in block.trainable_weights]
    assert "first/kernel" not in paths and "in_list/kernel" in paths
    out = ops.sum(block(np.ones((1, 3), dtype="float32")))
    out.backward()
    assert block.first.kernel.grad is None and block.stack[0].kernel.grad is not None


def test_weights_added_to_a_frozen_layer_start_frozen():
    layer = Linear(2, trainable=False)
    layer(np.ones((1, 3), dtype="float32"))
    assert layer.trainable_weights == [] and not layer.w.requires_grad


# -------------------------------------------------------------------- losses
class Penalized(layers.Layer):
    def __init__(self, factor, inner=None, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor
        self.inner = inner

    def call(self, x):
        if self.inner is not None:
            x = self.inner(x)
        self.add_loss(ops.sum(x) * self.factor)
        return x


def test_add_loss_keeps_only_the_last_calls_losses():
    layer = Penalized(0.5)
    layer(np.ones((2, 2), dtype="float32"))
    layer(np.ones((1, 2), dtype="float32"))
    assert [loss.item() for loss in layer.losses] == [1.0]


def test_losses_of_sublayers_are_collected_and_cleared_by_the_outer_call_only():
    inner = Penalized(1.0, name="inner")
    outer = Penalized(10.0, inner=inner, name="outer")
    outer(np.ones((1, 3), dtype="float32"))
    assert sorted(loss.item() for loss in outer.losses) == [3.0, 30.0]
    outer(np.ones((2, 3), dtype="float32"))
    assert sorted(loss.item() for loss in outer.losses) == [6.0, 60.0]
    inner(np.ones((1, 1), dtype="float32"))  # a call of its own starts the inner layer afresh
    assert [loss.item() for loss in inner.losses] == [1.0]


def test_add_loss_with_a_symbolic_tensor_explains_where_it_belongs():
    x = layers.Input(shape=(2,))
    with pytest.raises(ValueError, match=r"add_loss\(\) got a symbolic tensor.*model.add_loss"):
        layers.Identity().add_loss(x)


def test_activity_regularizer_adds_a_penalty_on_the_outputs():
    layer = layers.Identity(activity_regularizer=tinyfit.regularizers.L1(0.5))
    layer(np.array([[1.0, -3.0]], dtype="float32"))
    assert [loss.item() for loss in layer.losses] == [2.0]


# ------------------------------------------------------------ training flag
class Recorder(layers.Layer):
    def __init__(self, inner=None, **kwargs):
        super().__init__(**kwargs)
        self.seen = []
        self.inner = inner

    def call(self, x, training=None):
        self.seen.append(training)
        return self.inner(x) if self.inner is not None else x


class NoTrainingArg(layers.Layer):
    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, x):
        return self.inner(x)


def test_training_is_passed_when_call_accepts_it_and_reaches_inner_layers():
    inner = Recorder(name="inner")
    outer = Recorder(inner=NoTrainingArg(inner), name="outer")
    x = np.ones((1, 1), dtype="float32")
    outer(x)
    outer(x, training=True)
    outer(x, training=False)
    assert outer.seen == [None, True, False]
    assert inner.seen == [None, True, False]  # through a layer whose call takes no training


def test_training_is_dropped_for_a_call_that_does_not_take_it():
    layer = NoTrainingArg(layers.Identity())
    np.testing.assert_array_equal(layer(np.ones((1, 2)), training=True).numpy(), [[1.0, 1.0]])


def test_an_explicit_training_argument_beats_the_outer_one():
    inner = Recorder()

    class Outer(layers.Layer):
        def call(self, x, training=None):
            return inner(x, training=False)

    Outer()(np.ones((1, 1)), training=True)
    assert inner.seen == [False]


# ------------------------------------------------------------- conversions
def test_numpy_inputs_become_tensors_in_the_layers_dtype():
    out32 = layers.Identity()(np.ones((1, 2)))  # float64 data, float32 layer
    out64 = layers.Identity(dtype="float64")(np.ones((1, 2), dtype="float32"))
    ints = layers.Identity()(np.array([[1, 2]]))
    assert isinstance(out32, tinyfit.Tensor) and out32.dtype == np.float32
    assert out64.dtype == np.float64
    assert ints.dtype.kind == "i"


# --------------------------------------------------------- shapes and graph
class Pair(layers.Layer):
    """Two tensor arguments and a keyword, as the guide's LogisticEndpoint has."""

    def call(self, a, b, scale=1.0):
        return ops.concatenate([a, b * scale], axis=-1), ops.sum(a, axis=-1)


def test_symbolic_call_with_several_inputs_records_a_node_and_infers_shapes():
    a, b = layers.Input(shape=(3,), name="a"), layers.Input(shape=(2,), name="b")
    layer = Pair()
    joined, total = layer(a, b, scale=2.0)
    assert joined.shape == (None, 5) and total.shape == (None,)
    (node,) = layer._inbound_nodes
    assert node.inputs == [a, b] and node.kwargs == {"scale": 2.0}
    assert node.output_tensors == [joined, total]


def test_unknown_axes_other_than_the_batch_stay_unknown():
    seq = layers.Input(shape=(None, 4))
    assert layers.Dense(3)(seq).shape == (None, None, 3)
    assert symbolic_call(ops.sum, seq, axis=1).shape == (None, 4)


def test_compute_output_shape_by_default_runs_the_layer_on_placeholders():
    assert Linear(7).compute_output_shape((None, 4)) == (None, 7)

    class Join(layers.Layer):
        def call(self, inputs):
            return ops.concatenate(inputs, axis=-1)

    assert Join().compute_output_shape([(None, 3), (None, 2)]) == (None, 5)
    assert layers.Dense(5).compute_output_shape((None, 3, 4)) == (None, 3, 5)


def test_losses_added_while_inferring_shapes_are_discarded():
    layer = Penalized(1.0)
    layer(layers.Input(shape=(2,)))
    assert layer.losses == []


def test_errors_while_building_a_graph_say_which_layer_and_shapes():
    dense = layers.Dense(4)
    dense(layers.Input(shape=(3,)))
    with pytest.raises(ValueError) as info:
        dense(layers.Input(shape=(5,)))
    assert "expects inputs whose last axis has size 3" in str(info.value)
    assert "layer 'dense' on symbolic inputs of shape (None, 5)" in "".join(info.value.__notes__)


def test_keras_tensors_hold_no_values_and_say_so():
    x = layers.Input(shape=(2,), name="digits")
    for attempt in (lambda: bool(x), lambda: len(x), lambda: list(x), lambda: np.asarray(x)):
        with pytest.raises(TypeError, match=r"<KerasTensor shape=\(None, 2\), dtype=float32, name=digits> is a"
                                            r" symbolic placeholder"):
            attempt()


def test_arithmetic_on_keras_tensors_builds_layers():
    x = layers.Input(shape=(3,))
    y = (x * 2.0 + 1.0) / x[:, :1]
    assert isinstance(y, KerasTensor) and y.shape == (None, 3)
    model = Model(x, y)
    np.testing.assert_allclose(model(np.array([[1.0, 2.0, 3.0]])).numpy(), [[3.0, 5.0, 7.0]])


def test_get_config_round_trip():
    dense = layers.Dense(3, activation="relu", kernel_regularizer="l2", name="d", dtype="float64")
    clone = layers.Dense.from_config(dense.get_config())
    assert clone.get_config() == dense.get_config()
    assert clone.name == "d" and clone.units == 3 and clone.dtype == "float64"


def test_layer_input_and_output_refer_to_the_first_symbolic_call():
    dense = layers.Dense(2)
    x = layers.Input(shape=(3,))
    y = dense(x)
    assert dense.input is x and dense.output is y
    with pytest.raises(AttributeError, match="never been called on symbolic inputs"):
        _ = layers.Dense(2).output


def test_a_loss_added_only_in_training_is_gone_after_an_inference_call():
    class TrainingPenalty(layers.Layer):
        def call(self, x, training=None):
            if training:
                self.add_loss(ops.sum(x))
            return x

    outer = NoTrainingArg(TrainingPenalty())
    x = np.ones((1, 2), dtype="float32")
    outer(x, training=True)
    assert [loss.item() for loss in outer.losses] == [2.0]
    outer(x, training=False)
    assert outer.losses == [] and outer.inner.losses == []


def test_a_sublayer_called_on_its_own_does_not_leak_into_the_outer_losses():
    inner = Penalized(1.0, name="inner")
    outer = Penalized(10.0, inner=inner, name="outer")
    outer(np.ones((1, 1), dtype="float32"))
    inner(np.ones((1, 4), dtype="float32"))
    assert [loss.item() for loss in inner.losses] == [4.0]
    assert [loss.item() for loss in outer.losses] == [10.0]  # only what the outer call itself added


def test_training_given_in_a_model_definition_is_kept_in_the_graph():
    x = layers.Input(shape=(200,))
    always = layers.Dropout(0.5)(x, training=True)
    model = Model(x, always)
    out = model(np.ones((2, 200), dtype="float32"))  # no training flag at call time
    assert (out.numpy() == 0).any()


def test_training_passed_by_position_is_not_passed_twice():
    inner = Recorder()

    class Outer(layers.Layer):
        def call(self, x):
            return inner(x, True)

    Outer()(np.ones((1, 1), dtype="float32"), training=False)
    assert inner.seen == [True]


def test_forgetting_super_init_is_explained():
    class Forgetful(layers.Layer):
        def __init__(self):
            self.units = 3

        def call(self, x):
            return x

    with pytest.raises(RuntimeError, match=r"Forgetful: Layer.__init__ was not run\. Call"
                                           r" super\(\).__init__\(\*\*kwargs\)"):
        Forgetful()(np.ones((1, 2), dtype="float32"))


def test_add_weight_with_a_constraint_says_what_to_do_instead():
    layer = layers.Dense(2)
    with pytest.raises(NotImplementedError, match="constraint.*on_train_batch_end"):
        layer.add_weight(shape=(2,), constraint=lambda w: w)

"""MultiHeadAttention: gradients, PyTorch's nn.MultiheadAttention with copied weights, masks, bad input.

PyTorch's layer is the same computation where both can express it: one embedding size E for the
query and the output, heads of E / num_heads (PyTorch requires num_heads to divide E; Keras, whose
key_dim is per head, requires nothing of the kind), value heads as wide as key heads, and masks
inverted (PyTorch's True means "hidden"). Keras's own layer is the reference elsewhere
(test_attention_vs_keras.py).
"""

import numpy as np
import pytest

import tinyfit as keras
from tinyfit import ops
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.tensor import Tensor
from tinyfit.layers import MultiHeadAttention

RNG = np.random.default_rng(0)


def normal(*shape, dtype="float64"):
    return RNG.normal(size=shape).astype(dtype)


def randomize(layer, scale=0.5):
    layer.set_weights([normal(*w.shape, dtype=w.dtype) * scale for w in layer.get_weights()])


# ------------------------------------------------------------------ weights and shapes
def test_weights_have_keras_names_shapes_and_order():
    layer = MultiHeadAttention(num_heads=3, key_dim=4, value_dim=5, output_shape=(2, 7))
    out, scores = layer(normal(2, 6, 8, dtype="float32"), normal(2, 9, 10, dtype="float32"),
                        key=normal(2, 9, 11, dtype="float32"), return_attention_scores=True)
    assert out.shape == (2, 6, 2, 7) and scores.shape == (2, 3, 6, 9)
    assert [(w.path, w.shape) for w in layer.weights] == [
        ("query/kernel", (8, 3, 4)), ("query/bias", (3, 4)), ("key/kernel", (11, 3, 4)), ("key/bias", (3, 4)),
        ("value/kernel", (10, 3, 5)), ("value/bias", (3, 5)),
        ("attention_output/kernel", (3, 5, 2, 7)), ("attention_output/bias", (2, 7))]
    assert layer.compute_output_shape((None, 6, 8), (None, 9, 10)) == (None, 6, 2, 7)


def test_explicit_build_with_keras_shapes_makes_every_weight():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, use_bias=False)
    layer.build((None, 4, 5), (None, 6, 7))
    assert [w.shape for w in layer.weights] == [(5, 2, 3), (7, 2, 3), (7, 2, 3), (2, 3, 5)]
    assert layer(normal(1, 4, 5, dtype="float32"), normal(1, 6, 7, dtype="float32")).shape == (1, 4, 5)


def test_symbolic_call_in_a_functional_model_and_config_round_trip(tmp_path):
    q = keras.Input((5, 6))
    v = keras.Input((7, 4))
    out, scores = MultiHeadAttention(2, 3, output_shape=8, name="mha")(q, v, return_attention_scores=True)
    assert tuple(out.shape) == (None, 5, 8) and tuple(scores.shape) == (None, 2, 5, 7)
    model = keras.Model([q, v], [out, scores])
    x = [normal(3, 5, 6, dtype="float32"), normal(3, 7, 4, dtype="float32")]
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "m.tinyfit")
    loaded = keras.models.load_model(tmp_path / "m.tinyfit")
    for a, b in zip(loaded.predict(x, verbose=0), expected):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    config = model.get_layer("mha").get_config()
    again = MultiHeadAttention.from_config({**config, "name": "again"})
    assert {k: v for k, v in again.get_config().items() if k != "name"} == \
        {k: v for k, v in config.items() if k != "name"}


# ------------------------------------------------------------------ gradients
@pytest.mark.parametrize("masks", [False, True])
def test_gradcheck_in_float64(masks):
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=2, output_shape=4, dtype="float64")
    q, v, k = normal(2, 3, 5), normal(2, 4, 3), normal(2, 4, 6)
    layer(q, v, key=k)
    randomize(layer)
    kwargs = {}
    if masks:
        kwargs = dict(query_mask=np.array([[1, 1, 0], [1, 1, 1]], bool),
                      value_mask=np.array([[1, 1, 1, 0], [1, 0, 1, 1]], bool), use_causal_mask=True)
    gradcheck(lambda q, v, k: layer(q, v, key=k, **kwargs), [q, v, k])
    # and the weights' gradients: the layer's variables as the function's inputs
    variables = layer.weights

    def through_weights(*values):
        for variable, value in zip(variables, values):
            variable.assign(value.numpy() if isinstance(value, Tensor) else value)
        return layer(q, v, key=k, **kwargs)

    autograd = _weight_grads(layer, q, v, k, kwargs)
    numeric = _numeric_weight_grads(through_weights, [w.numpy().copy() for w in variables])
    for a, n in zip(autograd, numeric):
        np.testing.assert_allclose(a, n, rtol=1e-5, atol=1e-7)


def test_gradcheck_over_chosen_axes_in_float64():
    layer = MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(1, 3), dtype="float64")
    q, v = normal(2, 2, 3, 2, 3), normal(2, 3, 3, 2, 4)
    mask = RNG.random((2, 2, 3, 2)) > 0.3
    mask[..., 0, 0] = True  # every query step sees something
    layer(q, v)
    randomize(layer)
    gradcheck(lambda q, v: layer(q, v, attention_mask=mask), [q, v])


def _weight_grads(layer, q, v, k, kwargs):
    for w in layer.weights:
        w.grad = None
    out = layer(q, v, key=k, **kwargs)
    cotangent = np.linspace(-1, 1, out.size).reshape(out.shape)
    (out * Tensor(cotangent, dtype="float64")).sum().backward()
    grads = [w.grad.copy() if w.grad is not None else None for w in layer.weights]
    _weight_grads.cotangent = cotangent
    return grads


def _numeric_weight_grads(f, values, eps=1e-6):
    cotangent = _weight_grads.cotangent
    grads = []
    for i, value in enumerate(values):
        grad = np.zeros_like(value)
        for j in range(value.size):
            shifted = [v.copy() for v in values]
            shifted[i].flat[j] += eps
            up = float((f(*shifted).numpy() * cotangent).sum())
            shifted[i].flat[j] -= 2 * eps
            down = float((f(*shifted).numpy() * cotangent).sum())
            grad.flat[j] = (up - down) / (2 * eps)
        grads.append(grad)
    f(*values)
    return grads


# ------------------------------------------------------------------ masks
def test_masks_combine_as_keras_says_and_a_fully_hidden_row_gets_zero_weights():
    layer = MultiHeadAttention(num_heads=2, key_dim=3)
    q, v = normal(2, 4, 5, dtype="float32"), normal(2, 3, 5, dtype="float32")
    layer(q, v)
    randomize(layer)
    query_mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
    value_mask = np.array([[1, 0, 1], [0, 0, 0]], bool)
    attention_mask = RNG.random((2, 4, 3)) > 0.3
    by_parts = layer(q, v, query_mask=query_mask, value_mask=value_mask, attention_mask=attention_mask,
                     use_causal_mask=True, return_attention_scores=True)
    combined = attention_mask & query_mask[:, :, None] & value_mask[:, None, :] & np.tril(np.ones((4, 3), bool))
    by_hand = layer(q, v, attention_mask=combined, return_attention_scores=True)
    for a, b in zip(by_parts, by_hand):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    scores = by_parts[1].numpy()
    for sample in range(2):
        assert (scores[sample][:, ~combined[sample]] == 0).all()
    assert (scores[1] == 0).all()  # the second sample's value is all padding: nothing to attend to
    np.testing.assert_allclose(by_parts[0].numpy()[1], np.broadcast_to(layer.output_dense.bias.numpy(), (4, 5)))
    rows = combined.any(-1)
    np.testing.assert_allclose(scores.sum(-1), np.broadcast_to(rows[:, None], scores.shape[:-1]), rtol=1e-6)


def test_softmax_of_masked_scores_is_stable_in_float32():
    layer = MultiHeadAttention(num_heads=1, key_dim=2)
    q = normal(1, 2, 2, dtype="float32")
    layer(q, q)
    layer.set_weights([w * 0 + 1e3 for w in layer.get_weights()])  # scores of order 1e7
    out, scores = layer(q, q, value_mask=np.array([[1, 0]], bool), return_attention_scores=True)
    assert np.isfinite(out.numpy()).all() and np.isfinite(scores.numpy()).all()
    np.testing.assert_array_equal(scores.numpy()[..., 0], 1.0)


def test_output_mask_is_the_query_mask():
    layer = MultiHeadAttention(num_heads=1, key_dim=2)
    mask = np.array([[True, False]])
    assert layer.compute_mask([normal(1, 2, 3)], mask) is mask
    assert layer.supports_masking


# ------------------------------------------------------------------ PyTorch
def _torch_copy(layer, torch, embed, kdim, vdim, heads):
    ref = torch.nn.MultiheadAttention(embed, heads, kdim=kdim, vdim=vdim, batch_first=True, dtype=torch.float64)
    qk, qb, kk, kb, vk, vb, ok, ob = [w.astype("float64") for w in layer.get_weights()]
    with torch.no_grad():
        # Keras's kernels are (dim, heads, head_dim); PyTorch's weights are (heads * head_dim, dim).
        ref.q_proj_weight.copy_(torch.tensor(qk.reshape(qk.shape[0], -1).T))
        ref.k_proj_weight.copy_(torch.tensor(kk.reshape(kk.shape[0], -1).T))
        ref.v_proj_weight.copy_(torch.tensor(vk.reshape(vk.shape[0], -1).T))
        ref.in_proj_bias.copy_(torch.tensor(np.concatenate([qb.ravel(), kb.ravel(), vb.ravel()])))
        ref.out_proj.weight.copy_(torch.tensor(ok.reshape(-1, ok.shape[-1]).T))
        ref.out_proj.bias.copy_(torch.tensor(ob))
    return ref


@pytest.mark.parametrize("case", ["plain", "causal", "masks"])
def test_matches_torch_multihead_attention_outputs_weights_and_input_gradients(case):
    torch = pytest.importorskip("torch")
    heads, head_dim, kdim, vdim = 3, 4, 5, 7
    embed = heads * head_dim
    layer = MultiHeadAttention(num_heads=heads, key_dim=head_dim, dtype="float64")
    q, v, k = normal(2, 6, embed), normal(2, 5, vdim), normal(2, 5, kdim)
    layer(q, v, key=k)
    randomize(layer)
    ref = _torch_copy(layer, torch, embed, kdim, vdim, heads)
    kwargs, torch_kwargs = {}, {}
    if case == "causal":
        kwargs = dict(use_causal_mask=True)
        torch_kwargs = dict(attn_mask=torch.tensor(~np.tril(np.ones((6, 5), bool))))
    elif case == "masks":
        value_mask = np.array([[1, 1, 0, 1, 0], [1, 1, 1, 1, 1]], bool)
        attention_mask = RNG.random((2, 6, 5)) > 0.4
        attention_mask[..., 0] = True  # PyTorch gives NaN for a row with nothing to attend to
        kwargs = dict(value_mask=value_mask, attention_mask=attention_mask)
        torch_kwargs = dict(key_padding_mask=torch.tensor(~value_mask),
                            attn_mask=torch.tensor(np.repeat(~attention_mask, heads, axis=0)))
    tq, tv, tk = (Tensor(a, requires_grad=True, dtype="float64") for a in (q, v, k))
    out, scores = layer(tq, tv, key=tk, return_attention_scores=True, **kwargs)
    rq, rv, rk = (torch.tensor(a, requires_grad=True) for a in (q, v, k))
    ref_out, ref_scores = ref(rq, rk, rv, need_weights=True, average_attn_weights=False, **torch_kwargs)
    np.testing.assert_allclose(out.numpy(), ref_out.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(scores.numpy(), ref_scores.detach().numpy(), rtol=1e-10, atol=1e-12)
    _, averaged = ref(rq, rk, rv, need_weights=True, **torch_kwargs)
    np.testing.assert_allclose(scores.numpy().mean(1), averaged.detach().numpy(), rtol=1e-10, atol=1e-12)
    cotangent = normal(*out.shape)
    (out * Tensor(cotangent, dtype="float64")).sum().backward()
    (ref_out * torch.tensor(cotangent)).sum().backward()
    for mine, theirs in ((tq, rq), (tv, rv), (tk, rk)):
        np.testing.assert_allclose(mine.grad, theirs.grad.numpy(), rtol=1e-9, atol=1e-11)


def test_torch_requires_num_heads_to_divide_the_embedding_but_keras_and_tinyfit_do_not():
    torch = pytest.importorskip("torch")
    with pytest.raises(AssertionError, match="divisible"):
        torch.nn.MultiheadAttention(10, 3)
    layer = MultiHeadAttention(num_heads=3, key_dim=5)  # 15 != 10: key_dim is per head
    assert layer(normal(1, 2, 10, dtype="float32"), normal(1, 4, 10, dtype="float32")).shape == (1, 2, 10)


# ------------------------------------------------------------------ training, compiled
def _model(dropout):
    keras.utils.set_random_seed(3)
    tokens = keras.Input((6, 8))
    hidden = MultiHeadAttention(2, 4, dropout=dropout)(tokens, tokens, use_causal_mask=True)
    model = keras.Model(tokens, keras.layers.Dense(1)(keras.layers.Flatten()(hidden)))
    return model


@pytest.mark.parametrize("dropout", [0.0, 0.3])
def test_fit_compiled_equals_eager(dropout):
    x, y = normal(16, 6, 8, dtype="float32"), normal(16, 1, dtype="float32")
    histories = []
    weights = []
    for jit in (False, True):
        model = _model(dropout)
        model.compile(optimizer="adam", loss="mse", jit_compile=jit)
        histories.append(model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"])
        weights.append(model.get_weights())
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-5)
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-6)


def test_dropout_drops_attention_weights_in_training_only():
    layer = MultiHeadAttention(1, 2, dropout=0.5, seed=1)
    q = normal(1, 8, 3, dtype="float32")
    _, inference = layer(q, q, return_attention_scores=True)
    np.testing.assert_allclose(inference.numpy().sum(-1), 1, rtol=1e-6)
    a = layer(q, q, training=True).numpy()
    b = layer(q, q, training=True).numpy()
    assert not np.allclose(a, b) and not np.allclose(a, layer(q, q).numpy())


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("kwargs, message", [
    (dict(num_heads=0, key_dim=2), "num_heads must be an integer >= 1"),
    (dict(num_heads=2, key_dim=0), "key_dim must be an integer >= 1"),
    (dict(num_heads=2, key_dim=2.5), "key_dim must be an integer >= 1"),
    (dict(num_heads=2, key_dim=2, value_dim=-1), "value_dim must be an integer >= 1 or None"),
    (dict(num_heads=2, key_dim=2, dropout=1.0), r"dropout must be a number in \[0, 1\)"),
    (dict(num_heads=2, key_dim=2, output_shape="wide"), "output_shape must be an int or a tuple"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MultiHeadAttention(**kwargs)


def test_attention_axes_that_do_not_fit_and_step_masks_on_inputs_without_one_time_axis():
    assert MultiHeadAttention(2, 2, attention_axes=1).attention_axes == (1,)
    with pytest.raises(ValueError, match="attention_axes must be None, an int or a tuple of ints"):
        MultiHeadAttention(2, 2, attention_axes="rows")
    x = normal(2, 3, 4, 5, dtype="float32")
    for axes in [(3,), (0,), (1, 1), (-1,)]:
        with pytest.raises(ValueError, match=r"does not fit inputs of rank 4: each axis must be one of 1\.\.2"):
            MultiHeadAttention(2, 2, attention_axes=axes)(x, x)
    with pytest.raises(ValueError, match=r"query_mask, use_causal_mask describe the steps of \(batch, time, "
                                         r"features\) inputs, but these have shape \(2, 3, 4, 5\); give "
                                         r"attention_mask instead"):
        MultiHeadAttention(2, 2)(x, x, query_mask=np.ones((2, 3), bool), use_causal_mask=True)
    with pytest.raises(ValueError, match=r"attention_mask of shape \(2, 4, 3\) does not broadcast to the "
                                         r"attention scores .* = \(2, 3, 2, 4, 4\)"):
        MultiHeadAttention(2, 2, attention_axes=2)(x, x, attention_mask=np.ones((2, 4, 3), bool))
    with pytest.raises(ValueError, match=r"query \(2, 3, 4, 5\) and value \(2, 2, 4, 5\) must have one size "
                                         r"along the axes attention does not run over, \(0, 1\)"):
        MultiHeadAttention(2, 2, attention_axes=2)(x, normal(2, 2, 4, 5, dtype="float32"))


def test_attention_mask_that_does_not_broadcast_names_both_shapes_and_the_fix():
    layer = MultiHeadAttention(2, 3)
    q, v = normal(2, 4, 5, dtype="float32"), normal(2, 6, 5, dtype="float32")
    with pytest.raises(ValueError, match=r"attention_mask of shape \(2, 6, 4\) does not broadcast to the attention "
                                         r"scores \(batch, num_heads, T_q, T_v\) = \(2, 2, 4, 6\)\. Give it shape "
                                         r"\(batch, T_q, T_v\) = \(2, 4, 6\)"):
        layer(q, v, attention_mask=np.ones((2, 6, 4), bool))
    for fine in [(2, 4, 6), (4, 6), (1, 4, 6), (2, 1, 4, 6), (2, 2, 4, 6), (2, 4, 1)]:
        layer(q, v, attention_mask=np.ones(fine, bool))


@pytest.mark.parametrize("shapes, message", [
    (((2, 5), (2, 4, 5), None), r"query must have shape \(batch, time, features\), got shape \(2, 5\).*expand_dims"),
    (((2, 3, 5), (2, 5), None), r"value must have shape \(batch, time, features\)"),
    (((2, 3, 5), (2, 4, 5, 1), None), r"query \(2, 3, 5\), value \(2, 4, 5, 1\) and key \(2, 4, 5, 1\) must "
                                      r"have one rank"),
    (((2, 3, 5), (2, 4, 5), (2, 3, 5)), r"value \(2, 4, 5\) and key \(2, 3, 5\) must have one shape but for "
                                        r"the last axis"),
    (((2, 3, 5), (3, 4, 5), None), r"must have one batch size"),
])
def test_shapes_that_do_not_fit(shapes, message):
    layer = MultiHeadAttention(2, 3)
    q, v, k = (None if s is None else normal(*s, dtype="float32") for s in shapes)
    with pytest.raises(ValueError, match=message):
        layer(q, v, key=k)


def test_feature_size_other_than_the_first_calls_and_step_masks_of_the_wrong_shape():
    layer = MultiHeadAttention(2, 3)
    q = normal(2, 3, 5, dtype="float32")
    layer(q, q)
    with pytest.raises(ValueError, match=r"'query' projection: built for inputs ending in \(5,\), got inputs of "
                                         r"shape \(2, 3, 6\)"):
        layer(normal(2, 3, 6, dtype="float32"), q)
    with pytest.raises(ValueError, match=r"value_mask must have shape \(batch, time\) = \(2, 3\).*got shape \(2, 4\)"):
        layer(q, q, value_mask=np.ones((2, 4), bool))


def test_kernel_and_bias_regularizers_add_one_penalty_per_projection():
    layer = MultiHeadAttention(2, 3, kernel_regularizer=keras.regularizers.L2(0.1), bias_regularizer="l1")
    q = normal(2, 3, 4, dtype="float32")
    layer(q, q)
    layer.set_weights([np.full(w.shape, 0.5, "float32") for w in layer.get_weights()])
    layer(q, q)
    kernels = sum(w.size for w in layer.get_weights()[::2])
    biases = sum(w.size for w in layer.get_weights()[1::2])
    assert len(layer.losses) == 8
    np.testing.assert_allclose(sum(float(loss.numpy()) for loss in layer.losses),
                               0.1 * 0.25 * kernels + 0.01 * 0.5 * biases, rtol=1e-5)
    config = layer.get_config()
    assert config["kernel_regularizer"]["class_name"] == "L2" and config["bias_regularizer"]["class_name"] == "L1"

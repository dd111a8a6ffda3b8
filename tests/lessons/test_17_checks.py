"""Lesson 17's hand-built pieces work as a user drives them, and its exercise checks reject
typical wrong answers and accept right ones.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
with the answer cells stubbed as in the student release; each check is then called with
answers a student might write.
"""

from pathlib import Path

import numpy as np
import pytest

from tinyfit import layers, ops

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "17_attention_and_transformers.ipynb"


def test_the_lesson_ran(ns):
    history = ns["history"].history
    # The loss visibly falls: from above a uniform guess to well below it, on the held-out play too.
    assert ns["initial_loss"] > np.log(len(ns["vocabulary"])) - 0.5
    assert history["loss"][-1] < history["loss"][0] - 0.5
    assert history["val_loss"][-1] < ns["initial_loss"] - 1.5
    scores = ns["scores"]
    assert scores.shape == (ns["HEADS"], ns["WINDOW"], ns["WINDOW"])
    assert np.triu(scores, 1).max() == 0 and np.allclose(scores.sum(axis=-1), 1, atol=1e-5)


def test_multi_head_by_hand_matches_the_layer_on_other_shapes(ns):
    keras = ns["keras"]
    rng = np.random.default_rng(5)
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=3)
    x = rng.normal(size=(3, 5, 4)).astype("float32")
    want = mha(x, x).numpy()
    got, _ = ns["multi_head_by_hand"](keras.Tensor(x), mha.get_weights(), ns["attention"])
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-4, atol=1e-5)
    causal = mha(x, x, use_causal_mask=True).numpy()
    got, _ = ns["multi_head_by_hand"](x, mha.get_weights(), lambda q, k, v: ns["masked_attention_numpy"](
        q, k, v, ns["causal_mask"](q.shape[-2])))
    np.testing.assert_allclose(got, causal, rtol=1e-4, atol=1e-5)


def test_generate_is_seeded_and_stays_in_the_vocabulary(ns):
    model, prompt = ns["model"], ns["prompt"]
    first, again = ns["generate"](model, prompt, 12, seed=3), ns["generate"](model, prompt, 12, seed=3)
    assert first == again and len(first) >= 12 - first.count("")


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


@pytest.mark.parametrize("check, arguments", [("check_scaled_dot_product_attention", 1),
                                              ("check_split_and_merge_heads", 2), ("check_sample_next", 1)])
def test_a_check_says_an_untouched_exercise_is_not_done(ns, check, arguments):
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](*[_stub] * arguments)


def test_merge_heads_alone_unanswered_is_not_done(ns, run_solution):
    scratch = run_solution("def split_heads(")
    with pytest.raises(ns["checks"].NotDone, match="merge_heads"):
        ns["check_split_and_merge_heads"](scratch["split_heads"], _stub)


@pytest.mark.parametrize("marker", ["def scaled_dot_product_attention(", "def split_heads(", "def sample_next("])
def test_the_reference_solutions_pass(run_solution, marker, capsys):
    run_solution(marker)  # then its check cell
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 1
def _attention(q, k, v, mask=None, *, scale=lambda d: np.sqrt(d), axis=-1, hide=-1e9, zero_empty=True,
               invert=False, after=False, ignore_mask=False):
    scores = q @ ops.swapaxes(k, -1, -2) / scale(q.shape[-1])
    if mask is None or ignore_mask:
        weights = ops.softmax(scores, axis=axis)
    else:
        mask = ~np.asarray(mask) if invert else np.asarray(mask)
        if after:  # the softmax first, then the hidden weights set to 0
            weights = ops.where(mask, ops.softmax(scores, axis=axis), 0.0)
        else:
            weights = ops.softmax(ops.where(mask, scores, hide), axis=axis)
            if zero_empty:
                weights = ops.where(mask, weights, 0.0)
    return weights @ v, weights


WRONG_ATTENTION = {
    "no 1/sqrt(d)": dict(scale=lambda d: 1.0),
    "divided by d": dict(scale=lambda d: float(d)),
    "softmax over the queries": dict(axis=-2),
    "mask applied after the softmax": dict(after=True),
    "mask inverted": dict(invert=True),
    "mask ignored": dict(ignore_mask=True),
    "empty rows spread evenly": dict(zero_empty=False),
    "-inf for hidden scores": dict(hide=-np.inf),
    "-inf for hidden scores, empty rows left as they come": dict(hide=-np.inf, zero_empty=False),
}


@pytest.mark.parametrize("mistake", list(WRONG_ATTENTION))
def test_attention_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_scaled_dot_product_attention"](lambda q, k, v, mask=None: _attention(q, k, v, mask,
                                                                                         **WRONG_ATTENTION[mistake]))


def _naive_softmax(q, k, v, mask=None):  # exp() without taking the largest score off first
    scores = q @ ops.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])
    if mask is not None:
        scores = ops.where(mask, scores, -1e9)
    e = ops.exp(scores)
    weights = e / ops.sum(e, axis=-1, keepdims=True)
    if mask is not None:
        weights = ops.where(mask, weights, 0.0)
    return weights @ v, weights


def _numpy_results(q, k, v, mask=None):  # right numbers, but no graph for backward()
    output, weights = _attention(q, k, v, mask)
    return output.numpy(), weights.numpy()


def _detached(q, k, v, mask=None):  # right numbers rewrapped as new Tensors: the gradient stops
    keras = __import__("tinyfit")
    output, weights = _attention(*[keras.Tensor(t.numpy(), dtype=t.dtype) for t in (q, k, v)], mask)
    return keras.Tensor(output.numpy(), dtype=output.dtype), keras.Tensor(weights.numpy(), dtype=weights.dtype)


def _key_not_transposed(q, k, v, mask=None):  # right only when k happens to be symmetric
    weights = ops.softmax(q @ k / np.sqrt(q.shape[-1]), axis=-1)
    if mask is not None:
        weights = ops.where(mask, weights, 0.0)
    return weights @ v, weights


def _hard_coded_shapes(q, k, v, mask=None):  # the lesson's example: 4 queries, 6 keys, size 8
    if tuple(q.shape[-2:]) != (4, 8):
        raise ValueError("expected the lesson's shapes")
    return _attention(q, k, v, mask)


def _library_layer(q, k, v, mask=None):  # right, through MultiHeadAttention's own masked softmax
    from tinyfit.layers.attention import scores

    keep = None if mask is None else np.asarray(mask)
    weights = scores.softmax_zeroing_masked(q @ ops.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1]), keep)
    return weights @ v, weights


def _output_forgot_the_weights(q, k, v, mask=None):  # the weights right, the output the plain mean of v
    _, weights = _attention(q, k, v, mask)
    return ops.mean(v, axis=-2, keepdims=True) + weights[..., :1] * 0.0, weights


@pytest.mark.parametrize("wrong", [_naive_softmax, _numpy_results, _detached, _key_not_transposed,
                                   _hard_coded_shapes, _library_layer, _output_forgot_the_weights])
def test_attention_check_rejects_more(ns, wrong):
    with pytest.raises(AssertionError):
        ns["check_scaled_dot_product_attention"](wrong)


def test_attention_check_names_the_library_and_the_mask(ns):
    with pytest.raises(AssertionError, match="NaN or an infinity appeared"):
        ns["check_scaled_dot_product_attention"](lambda q, k, v, mask=None: _attention(q, k, v, mask, hide=-np.inf))
    with pytest.raises(AssertionError, match="backward\\(\\) can follow"):
        ns["check_scaled_dot_product_attention"](_detached)
    with pytest.raises(AssertionError, match="used tinyfit's"):
        ns["check_scaled_dot_product_attention"](_library_layer)
    with pytest.raises(AssertionError, match="True means the query may"):
        ns["check_scaled_dot_product_attention"](lambda q, k, v, mask=None: _attention(q, k, v, mask, invert=True))
    with pytest.raises(AssertionError, match="Tensors"):
        ns["check_scaled_dot_product_attention"](_numpy_results)


def test_attention_check_accepts_other_right_answers(ns, capsys):
    def with_einsum_and_a_bias(q, k, v, mask=None):
        scores = ops.einsum("...qd,...kd->...qk", q, k) * (1.0 / q.shape[-1] ** 0.5)
        if mask is not None:
            scores = scores + np.where(mask, 0.0, -1e9)           # a bias instead of where()
        e = ops.exp(scores - ops.max(scores, axis=-1, keepdims=True))
        weights = e / ops.sum(e, axis=-1, keepdims=True)
        if mask is not None:
            weights = weights * np.asarray(mask, dtype="float32")  # exactly 0 where hidden
        return ops.einsum("...qk,...kv->...qv", weights, v), weights

    ns["check_scaled_dot_product_attention"](with_einsum_and_a_bias)
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 2
def _split(x, heads):
    b, t, f = x.shape
    return ops.transpose(ops.reshape(x, (b, t, heads, f // heads)), (0, 2, 1, 3))


def _merge(x):
    b, h, t, d = x.shape
    return ops.reshape(ops.transpose(x, (0, 2, 1, 3)), (b, t, h * d))


def _split_by_reshape(x, heads):  # the right shape, the time axis mixed into the heads
    b, t, f = x.shape
    return ops.reshape(x, (b, heads, t, f // heads))


def _split_interleaved(x, heads):  # head h gets features h, h + heads, ...
    b, t, f = x.shape
    return ops.transpose(ops.reshape(x, (b, t, f // heads, heads)), (0, 3, 1, 2))


def _merge_by_reshape(x):
    b, h, t, d = x.shape
    return ops.reshape(x, (b, t, h * d))


def _merge_interleaved(x):
    b, h, t, d = x.shape
    return ops.reshape(ops.transpose(x, (0, 2, 3, 1)), (b, t, h * d))


def _split_in_numpy(x, heads):
    b, t, f = x.shape
    return x.numpy().reshape(b, t, heads, f // heads).transpose(0, 2, 1, 3)


def _split_detached(x, heads):
    return __import__("tinyfit").Tensor(_split(x, heads).numpy())


def _split_swapping_the_wrong_axes(x, heads):  # (batch, depth, T, heads) looks right when T == depth == heads
    b, t, f = x.shape
    return ops.swapaxes(ops.reshape(x, (b, t, heads, f // heads)), 1, 3)


@pytest.mark.parametrize("split, merge", [(_split_by_reshape, _merge), (_split_interleaved, _merge),
                                          (_split, _merge_by_reshape), (_split, _merge_interleaved),
                                          (_split_interleaved, _merge_interleaved),
                                          (_split_by_reshape, _merge_by_reshape), (_split_in_numpy, _merge),
                                          (_split_detached, _merge), (_split_swapping_the_wrong_axes, _merge)])
def test_heads_check_rejects(ns, split, merge):
    with pytest.raises(AssertionError):
        ns["check_split_and_merge_heads"](split, merge)


def test_heads_check_rejects_the_library_inside(ns):
    def split_through_the_layer(x, heads):
        ops.dot_product_attention(ops.expand_dims(x, 2), ops.expand_dims(x, 2), ops.expand_dims(x, 2))
        return _split(x, heads)

    with pytest.raises(AssertionError, match="used tinyfit's"):
        ns["check_split_and_merge_heads"](split_through_the_layer, _merge)


def test_heads_check_accepts_other_right_answers(ns, capsys):
    def split(x, heads):
        return ops.swapaxes(x.reshape((x.shape[0], x.shape[1], heads, -1)), 1, 2)

    def merge(x):
        return ops.reshape(ops.moveaxis(x, 1, 2), (x.shape[0], x.shape[2], -1))

    ns["check_split_and_merge_heads"](split, merge)
    assert "Well done" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 3
def _softmax(z):
    e = np.exp(z - z.max())
    return e / e.sum()


def _argmax(logits, temperature, rng):
    return int(np.argmax(logits))


def _temperature_ignored(logits, temperature, rng):
    return int(rng.choice(len(logits), p=_softmax(logits)))


def _temperature_multiplied(logits, temperature, rng):
    return int(rng.choice(len(logits), p=_softmax(logits * temperature)))


def _probabilities_to_the_temperature(logits, temperature, rng):
    p = _softmax(logits) ** temperature
    return int(rng.choice(len(logits), p=p / p.sum()))


def _global_random(logits, temperature, rng):
    return int(np.random.choice(len(logits), p=_softmax(logits / temperature)))


def _own_generator(logits, temperature, rng):
    return int(np.random.default_rng().choice(len(logits), p=_softmax(logits / temperature)))


def _fixed_seed(logits, temperature, rng):  # the same generator every call: the same token every time
    return int(np.random.default_rng(0).choice(len(logits), p=_softmax(logits / temperature)))


def _naive_exp(logits, temperature, rng):  # overflows for logits in the hundreds
    e = np.exp(logits / temperature)
    return int(rng.choice(len(logits), p=e / e.sum()))


def _in_place(logits, temperature, rng):
    logits /= temperature
    return int(rng.choice(len(logits), p=_softmax(logits)))


def _returns_the_probabilities(logits, temperature, rng):
    return _softmax(logits / temperature)


def _off_by_one(logits, temperature, rng):  # a token index counted from 1
    return int(rng.choice(len(logits), p=_softmax(logits / temperature))) + 1


def _lesson_sizes_only(logits, temperature, rng):  # draws only from the lesson's 49 tokens
    return int(rng.integers(49)) if len(logits) == 49 else int(np.argmax(logits))


@pytest.mark.parametrize("wrong", [_argmax, _temperature_ignored, _temperature_multiplied,
                                   _probabilities_to_the_temperature, _global_random, _own_generator, _fixed_seed,
                                   _naive_exp, _in_place, _returns_the_probabilities, _off_by_one,
                                   _lesson_sizes_only])
def test_sample_next_check_rejects(ns, wrong):
    with pytest.raises(AssertionError), np.errstate(all="ignore"):  # some overflow, as they would for a student
        ns["check_sample_next"](wrong)


def test_sample_next_check_names_the_generator(ns):
    with pytest.raises(AssertionError, match="rng given"):
        ns["check_sample_next"](_global_random)
    with pytest.raises(AssertionError, match="rng given"):
        ns["check_sample_next"](_own_generator)


def test_sample_next_check_rejects_tinyfit(ns):
    def with_tinyfit_softmax(logits, temperature, rng):
        p = ops.softmax(logits / temperature).numpy().astype("float64")
        return int(rng.choice(len(logits), p=p / p.sum()))

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_sample_next"](with_tinyfit_softmax)


@pytest.mark.parametrize("how", ["gumbel", "inverse cdf", "probabilities to 1/T"])
def test_sample_next_check_accepts_other_right_answers(ns, how, capsys):
    def sample(logits, temperature, rng):
        z = logits / temperature
        if how == "gumbel":  # the largest of z + Gumbel noise is a draw from softmax(z)
            return int(np.argmax(z + rng.gumbel(size=z.shape)))
        p = _softmax(z) if how == "inverse cdf" else _softmax(logits) ** (1 / temperature)
        p = p / p.sum()
        return int(min(np.searchsorted(np.cumsum(p), rng.random(), side="right"), len(p) - 1))

    ns["check_sample_next"](sample)
    assert "Well done" in capsys.readouterr().out

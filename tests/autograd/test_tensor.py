"""Tensor: construction and dtype policy, facts and conversions, repr, operators, and
backward (reused nodes, deep chains, accumulation, freeing the graph, errors)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tinyfit
from tinyfit import Tensor, backend

SETTINGS = settings(max_examples=20, deadline=None)


# ------------------------------------------------------------------ construction
@pytest.mark.parametrize("data", [1.5, 2, [1, 2, 3], [[1.0, 2.0]], np.float64(3.0), True and 1])
def test_python_numbers_and_lists_become_float32(data):
    t = Tensor(data)
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.numpy(), np.asarray(data, dtype=np.float32))


def test_float64_numpy_becomes_float32_unless_asked():
    a = np.array([1.0, 2.0])
    assert Tensor(a).dtype == np.float32
    assert Tensor(a, dtype="float64").dtype == np.float64
    assert Tensor(a, dtype=np.float64).dtype == np.float64
    assert Tensor([1, 2], dtype="float64").dtype == np.float64


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.bool_])
def test_integer_and_bool_numpy_arrays_keep_their_dtype(dtype):
    t = Tensor(np.array([0, 1, 1], dtype=dtype))
    assert t.dtype == dtype


def test_python_bools_stay_bool():
    assert Tensor([True, False]).dtype == np.bool_


def test_float16_is_kept_when_given():
    assert Tensor(np.ones(2, dtype=np.float16)).dtype == np.float16


def test_requires_grad_on_integers_is_a_type_error_with_the_fix():
    with pytest.raises(TypeError) as info:
        Tensor(np.array([1, 2]), requires_grad=True)
    message = str(info.value)
    assert "only floating-point tensors can require gradients" in message
    assert "int64" in message and "dtype='float32'" in message
    with pytest.raises(TypeError):
        Tensor([1, 2], dtype="int32", requires_grad=True)


def test_requires_grad_on_python_ints_is_fine_because_they_become_float():
    t = Tensor([1, 2], requires_grad=True)
    assert t.dtype == np.float32 and t.requires_grad


@pytest.mark.parametrize("dtype", ["float128", "flaot32", "complex64", "object", 3.5])
def test_unknown_dtype_names_it_and_lists_the_choices(dtype):
    with pytest.raises(TypeError) as info:
        Tensor([1.0], dtype=dtype)
    message = str(info.value)
    assert message.startswith(f"Tensor: unknown dtype {dtype!r}")
    assert "float32" in message and "float64" in message


@pytest.mark.parametrize("data", ["abc", None, object(), np.ones(2, dtype=complex)])
def test_unsupported_data_is_a_type_error(data):
    with pytest.raises(TypeError, match=r"^Tensor: "):
        Tensor(data)


def test_ragged_list_is_a_type_error_with_the_fix():
    with pytest.raises(TypeError, match=r"Tensor: cannot make a tensor from list data.*rectangular"):
        Tensor([[1.0, 2.0], [3.0]])


def test_tensor_from_tensor_shares_values_but_not_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match="cut off"):
        y = Tensor(x * 2)
    assert not y.requires_grad and y.is_leaf
    np.testing.assert_array_equal(y.numpy(), [2.0, 4.0])


# ------------------------------------------------------------------------- facts
def test_facts():
    t = Tensor(np.zeros((2, 3, 4)))
    assert t.shape == (2, 3, 4)
    assert t.ndim == 3
    assert t.size == 24
    assert t.dtype == np.float32
    assert t.device == "cpu"
    assert len(t) == 2
    assert isinstance(t.data, np.ndarray)
    assert t.grad is None and t.requires_grad is False and t.is_leaf


def test_len_of_0d_tensor_is_a_type_error():
    with pytest.raises(TypeError, match="0-d Tensor"):
        len(Tensor(1.0))


def test_numpy_array_item_float_int_bool():
    t = Tensor([[1.5]])
    assert isinstance(t.numpy(), np.ndarray)
    assert np.asarray(t).dtype == np.float32
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert np.array(t).shape == (1, 1)
    assert t.item() == 1.5 and float(t) == 1.5 and int(t) == 1 and bool(t)


def test_item_and_bool_of_many_elements_say_why_not():
    t = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match=r"item: only a one-element Tensor .* shape is \(2,\)"):
        t.item()
    with pytest.raises(ValueError, match=r"truth value of a Tensor of shape \(2,\) is ambiguous"):
        bool(t)


def test_numpy_functions_accept_tensors_through_array_protocol():
    t = Tensor([1.0, 4.0])
    assert np.sqrt(np.asarray(t)).tolist() == [1.0, 2.0]
    assert np.mean(np.asarray(t)) == 2.5


def test_detach_shares_data_but_cuts_the_graph():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert d.requires_grad is False and d.is_leaf
    assert d.data is y.data
    (d * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])  # no path through d


# -------------------------------------------------------------------------- repr
def test_repr_shows_values_dtype_and_grad_flag():
    assert repr(Tensor([1.0, 2.5])) == "Tensor([1. , 2.5], dtype=float32)"
    assert repr(Tensor([1.0], requires_grad=True)) == "Tensor([1.], dtype=float32, requires_grad=True)"
    assert repr(Tensor(3.0, dtype="float64")) == "Tensor(3., dtype=float64)"
    assert repr(Tensor(np.array([1, 2]))) == "Tensor([1, 2], dtype=int64)"


def test_repr_of_a_computed_tensor_is_eager():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    text = repr(x @ x)
    assert "7." in text and "22." in text  # the numbers, not a lazy description
    assert "\n" in text  # one row per line, like NumPy


# --------------------------------------------------------------------- operators
def test_every_arithmetic_operator_and_its_reflection():
    a_np, b_np = np.array([1.5, -2.0]), np.array([0.5, 4.0])
    a, b = Tensor(a_np, dtype="float64"), Tensor(b_np, dtype="float64")
    cases = {
        "a + b": (a + b, a_np + b_np),
        "a - b": (a - b, a_np - b_np),
        "a * b": (a * b, a_np * b_np),
        "a / b": (a / b, a_np / b_np),
        "b ** a": (b**a, b_np**a_np),
        "a ** 2": (a**2, a_np**2),
        "-a": (-a, -a_np),
        "2 + a": (2 + a, 2 + a_np),
        "2 - a": (2 - a, 2 - a_np),
        "2 * a": (2 * a, 2 * a_np),
        "2 / a": (2 / a, 2 / a_np),
        "2 ** a": (2**a, 2**a_np),
    }
    for name, (got, expected) in cases.items():
        assert isinstance(got, Tensor), name
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-15, err_msg=name)


def test_methods_match_numpy():
    a = np.array([[0.5, 1.0, 2.0], [3.0, 0.25, 1.5]])
    x = Tensor(a, dtype="float64")
    np.testing.assert_allclose(x.exp().numpy(), np.exp(a))
    np.testing.assert_allclose(x.log().numpy(), np.log(a))
    np.testing.assert_allclose((x - 1).relu().numpy(), np.maximum(a - 1, 0))
    np.testing.assert_allclose(x.sum(axis=0).numpy(), a.sum(axis=0))
    np.testing.assert_allclose(x.mean().numpy(), a.mean())
    np.testing.assert_allclose(x.max(axis=1).numpy(), a.max(axis=1))
    np.testing.assert_allclose(x.min().numpy(), a.min())
    np.testing.assert_allclose(x.reshape(3, 2).numpy(), a.reshape(3, 2))
    np.testing.assert_allclose(x.transpose().numpy(), a.T)
    np.testing.assert_allclose(x.T.numpy(), a.T)


def test_tensors_hash_by_identity_so_they_can_key_dicts():
    a, b = Tensor([1.0]), Tensor([1.0])
    seen = {a: "a", b: "b"}
    assert seen[a] == "a" and seen[b] == "b"


# ----------------------------------------------------------------------- backward
def test_backward_of_a_one_element_output_defaults_to_one():
    x = Tensor([2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [4.0, 6.0])
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == x.shape and x.grad.dtype == x.dtype


def test_backward_on_a_0d_leaf_gives_a_0d_array_grad():
    x = Tensor(3.0, requires_grad=True)
    (x * x).backward()
    assert isinstance(x.grad, np.ndarray) and x.grad.shape == ()
    assert float(x.grad) == 6.0
    (x * x).backward()
    assert isinstance(x.grad, np.ndarray) and float(x.grad) == 12.0


def test_backward_on_a_leaf_itself():
    x = Tensor([1.0, 2.0], requires_grad=True)
    x.backward(np.array([3.0, 4.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 4.0])


def test_backward_of_a_non_scalar_needs_grad_and_says_how():
    y = Tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(ValueError) as info:
        y.backward()
    message = str(info.value)
    assert "shape (2,)" in message and ".sum()" in message and "grad=" in message


def test_backward_with_explicit_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).backward(Tensor([1.0, 10.0]))
    np.testing.assert_array_equal(x.grad, [3.0, 30.0])
    x.grad = None
    (x * 3).backward([2.0, 0.0])
    np.testing.assert_array_equal(x.grad, [6.0, 0.0])


def test_backward_with_grad_of_the_wrong_shape_names_both_shapes():
    y = Tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(ValueError, match=r"backward: grad has shape \(3,\) but the tensor has shape \(2,\)"):
        y.backward(np.ones(3))


def test_backward_without_requires_grad_says_why():
    with pytest.raises(RuntimeError, match=r"does not require a gradient.*requires_grad=True"):
        (Tensor([1.0]) * 2).sum().backward()
    x = Tensor([1.0], requires_grad=True)
    with tinyfit.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match=r"no_grad"):
        y.backward()


def test_reused_node_x_plus_x():
    x = Tensor([3.0], requires_grad=True)
    (x + x).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0])


def test_reused_node_a_times_a_plus_a():
    a = Tensor([3.0, -1.0], requires_grad=True)
    (a * a + a).sum().backward()
    np.testing.assert_array_equal(a.grad, 2 * np.array([3.0, -1.0]) + 1)


def test_diamond_graph():
    #        x
    #      /   \
    #   b=2x   c=x^2
    #      \   /
    #     d = b * c  (= 2x^3, so dd/dx = 6x^2)
    x = Tensor([2.0], requires_grad=True)
    b = x * 2
    c = x * x
    (b * c).sum().backward()
    np.testing.assert_array_equal(x.grad, [24.0])


def test_diamond_through_intermediate_reused_many_times():
    x = Tensor([1.5], requires_grad=True, dtype="float64")
    h = x.exp()
    out = h * h + h.log() * h - h / h
    out.sum().backward()
    e = np.exp(1.5)
    # d/dx [e^{2x} + x e^x - 1] = 2 e^{2x} + e^x + x e^x
    np.testing.assert_allclose(x.grad, [2 * e**2 + e + 1.5 * e])


def test_reused_nodes_for_drawn_depths_and_fan_out():
    @SETTINGS
    @given(st.integers(1, 6), st.integers(1, 4))
    def check(depth, fan):
        # y_{k+1} = sum of `fan` copies of y_k, so dy/dx = fan ** depth
        x = Tensor([1.0], requires_grad=True, dtype="float64")
        y = x
        for _ in range(depth):
            total = y
            for _ in range(fan - 1):
                total = total + y
            y = total
        y.sum().backward()
        assert x.grad[0] == fan**depth

    check()


def test_twenty_thousand_op_chain_needs_no_recursion():
    x = Tensor([1.0], requires_grad=True, dtype="float64")
    y = x
    for _ in range(20_000):
        y = y * 1.0001
    y.sum().backward()
    np.testing.assert_allclose(x.grad, [1.0001**20_000], rtol=1e-9)


def test_leaf_gradients_accumulate_across_backward_calls():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    first = x.grad
    (x * x).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0 + 2.0, 3.0 + 4.0])
    np.testing.assert_array_equal(first, [3.0, 3.0])  # the earlier array was not changed in place
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad, [3.0, 3.0])


def test_intermediate_tensors_keep_grad_none():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    y = h.exp()
    y.sum().backward()
    assert h.grad is None and y.grad is None
    assert not h.is_leaf and not y.is_leaf


def test_leaf_grad_has_the_leaf_dtype_even_next_to_float64():
    w = Tensor([1.0, 2.0], requires_grad=True)
    x = Tensor([3.0, 4.0], dtype="float64")
    out = w * x
    assert out.dtype == np.float64  # NumPy's promotion for the value...
    out.sum().backward()
    assert w.grad.dtype == np.float32  # ...but the gradient matches the weight it updates
    np.testing.assert_array_equal(w.grad, [3.0, 4.0])
    (w * x).sum().backward()
    assert w.grad.dtype == np.float32


def test_leaf_grad_is_its_own_writable_array():
    x = Tensor([1.0, 2.0], requires_grad=True)
    g = np.array([5.0, 6.0], dtype=np.float32)
    x.backward(g)
    assert x.grad is not g
    x.grad *= 0  # an optimizer may zero it in place
    np.testing.assert_array_equal(g, [5.0, 6.0])


def test_leaves_given_one_gradient_array_each_get_their_own():
    # Add hands the same upstream array to both inputs; a leaf keeps an array
    # without copying only when nothing else holds it.
    a = Tensor([1.0, 2.0], requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    (a + b).backward(np.array([1.0, 1.0], dtype=np.float32))
    assert a.grad is not b.grad
    a.grad *= 0
    np.testing.assert_array_equal(b.grad, [1.0, 1.0])
    c = Tensor([[1.0, 2.0]], requires_grad=True)
    bias = Tensor([0.5, 0.5], requires_grad=True)
    (c + bias).sum().backward()
    assert bias.grad.shape == (2,) and bias.grad.flags.writeable and c.grad.flags.writeable
    np.testing.assert_array_equal(bias.grad, [1.0, 1.0])


def test_graph_is_freed_after_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError) as info:
        y.backward()
    assert "already freed" in str(info.value) and "retain_graph=True" in str(info.value)
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])  # the failed call added nothing


def test_backward_through_a_freed_intermediate_is_refused():
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    h.sum().backward()
    with pytest.raises(RuntimeError, match="already freed"):
        (h * 3).sum().backward()


@pytest.mark.parametrize("build", [lambda x, h: x * 3 + h, lambda x, h: h + x * 3])
def test_a_refused_backward_changes_no_gradient(build):
    # However the sort happens to reach the freed part, no leaf may have been updated first.
    x = Tensor([1.0, 2.0], requires_grad=True)
    h = x * x
    h.sum().backward()
    with pytest.raises(RuntimeError, match="already freed"):
        build(x, h).sum().backward()
    np.testing.assert_array_equal(x.grad, [2.0, 4.0])


def test_freeing_releases_saved_arrays():
    x = Tensor(np.ones(3), requires_grad=True)
    h = x * x
    y = h.sum()
    assert y._ctx is not None
    y.backward()
    # The op objects that held x's data for backward are gone from the graph.
    assert not hasattr(h._ctx, "a") and not hasattr(y._ctx, "parents")


def test_retain_graph_allows_a_second_backward():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 8.0])
    with pytest.raises(RuntimeError, match="already freed"):
        y.backward()


def test_independent_graphs_from_the_same_leaf():
    x = Tensor([2.0], requires_grad=True)
    a = (x * 3).sum()
    b = (x * x).sum()
    a.backward()
    b.backward()
    np.testing.assert_array_equal(x.grad, [7.0])


def test_only_leaves_that_require_grad_get_one():
    x = Tensor([1.0], requires_grad=True)
    c = Tensor([5.0])
    (x * c + c).sum().backward()
    assert c.grad is None


def test_gradients_sum_back_to_broadcast_operand_shapes():
    w = Tensor(np.ones((1, 3)), requires_grad=True)
    b = Tensor(2.0, requires_grad=True)
    x = Tensor(np.ones((4, 3)))
    (x * w + b).sum().backward()
    assert w.grad.shape == (1, 3) and b.grad.shape == ()
    np.testing.assert_array_equal(w.grad, [[4.0, 4.0, 4.0]])
    assert float(b.grad) == 12.0


# --------------------------------------------------------------------------- GPU
gpu = pytest.mark.skipif(not backend.gpu_available(), reason=backend.gpu_unavailable_reason() or "GPU present")


@pytest.mark.gpu
@gpu
def test_gpu_tensor_facts_repr_and_numpy():
    x = Tensor([1.0, 2.0], requires_grad=True).to("gpu")
    assert x.device == "gpu" and x.dtype == np.float32
    assert "device=gpu" in repr(x) and "1." in repr(x)
    assert isinstance(x.numpy(), np.ndarray)
    np.testing.assert_array_equal(np.asarray(x), [1.0, 2.0])


@pytest.mark.gpu
@gpu
def test_gpu_mlp_step_matches_cpu():
    rng = np.random.default_rng(13)
    data = {"x": rng.standard_normal((8, 5)), "w1": rng.standard_normal((5, 4)), "b1": rng.standard_normal(4),
            "w2": rng.standard_normal((4, 3))}
    results = {}
    for device in ("cpu", "gpu"):
        xp = backend.module_for(device)
        ts = {k: Tensor(xp.asarray(v), requires_grad=k != "x") for k, v in data.items()}
        assert all(t.device == device for t in ts.values())
        h = (ts["x"] @ ts["w1"] + ts["b1"]).relu()
        loss = ((h @ ts["w2"]) ** 2).mean()
        loss.backward()
        results[device] = (float(loss), {k: backend.to_numpy(t.grad) for k, t in ts.items() if k != "x"})
    assert results["gpu"][0] == pytest.approx(results["cpu"][0], rel=1e-5)
    for name, cpu_grad in results["cpu"][1].items():
        np.testing.assert_allclose(results["gpu"][1][name], cpu_grad, rtol=1e-4, atol=1e-5, err_msg=name)


@pytest.mark.gpu
@gpu
def test_gpu_gradients_flow_back_through_to_into_cpu_leaves():
    rng = np.random.default_rng(14)
    x_np, w_np = rng.standard_normal((8, 5)), rng.standard_normal((5, 3))
    cpu_w = Tensor(w_np, requires_grad=True)
    ((Tensor(x_np) @ cpu_w).tanh() ** 2).mean().backward()
    moved_w = Tensor(w_np, requires_grad=True)
    ((Tensor(x_np).to("gpu") @ moved_w.to("gpu")).tanh() ** 2).mean().backward()
    assert isinstance(moved_w.grad, np.ndarray)  # the leaf is on the CPU, so is its gradient
    np.testing.assert_allclose(moved_w.grad, cpu_w.grad, rtol=1e-4, atol=1e-6)


@pytest.mark.gpu
@gpu
def test_gpu_backend_creates_new_tensors_on_the_gpu():
    previous = backend.get_backend()
    backend.set_backend("cupy")
    try:
        x = Tensor([1.0, 2.0], requires_grad=True)
        assert x.device == "gpu"
        (x * x).sum().backward()
        assert backend.device_of(x.grad) == "gpu"
        np.testing.assert_array_equal(backend.to_numpy(x.grad), [2.0, 4.0])
    finally:
        backend.set_backend(previous)


def test_scalar_and_tensor_share_one_graph_walk():
    # STYLE: one traversal serves both engines; a reused node appears once, after its parents.
    from tinyfit.autograd.graph import topological_order

    parents = {"y": ("a", "b"), "b": ("a",), "a": ()}
    order = topological_order("y", lambda n: parents[n])
    assert order == ["a", "b", "y"]


def test_wrapping_a_tensor_that_needs_a_gradient_warns_that_the_graph_is_cut():
    t = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.warns(UserWarning, match=r"cut off from t's graph.*t.detach\(\)"):
        u = Tensor(t * 2)
    assert not u.requires_grad and u.is_leaf
    Tensor(t.detach())  # an explicit cut says nothing


def test_variable_repr_is_one_line():
    from tinyfit import Variable

    v = Variable(np.zeros(3), name="bias")
    assert repr(v) == "<Variable path=bias, shape=(3,), dtype=float32, trainable=True, value=[0., 0., 0.]>"
    assert "\n" not in repr(Variable(np.zeros((30, 30)), name="kernel"))

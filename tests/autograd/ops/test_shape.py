"""Movement ops: reshape, transpose, indexing (slices, integer arrays with repeats,
boolean masks), concatenate, pad and device moves; values, gradients, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tinyfit import Tensor, backend
from tinyfit.autograd.gradcheck import gradcheck
from tinyfit.autograd.ops.shape import Concatenate, Pad, Reshape, Transpose, concatenate

SETTINGS = settings(max_examples=20, deadline=None)
seeds = st.integers(0, 2**32 - 1)
shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)


def t64(a):
    return Tensor(a, dtype="float64")


# ------------------------------------------------------------------------ reshape
@st.composite
def reshapes(draw):
    """A shape and another with the same element count, maybe with one -1."""
    shape = draw(shapes)
    size = int(np.prod(shape))
    target = []
    rest = size
    while rest > 1 and len(target) < 3:
        divisors = [d for d in range(1, rest + 1) if rest % d == 0]
        d = draw(st.sampled_from(divisors))
        target.append(d)
        rest //= d
    if rest > 1:
        target.append(rest)
    target += [1] * draw(st.integers(0, 1))
    target = draw(st.permutations(target))
    if target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = -1
    return shape, tuple(target)


def test_reshape_gradcheck_and_values():
    @SETTINGS
    @given(reshapes(), seeds)
    def check(case, seed):
        shape, target = case
        a = np.random.default_rng(seed).standard_normal(shape)
        assert gradcheck(lambda x: x.reshape(target), [a])
        np.testing.assert_array_equal(t64(a).reshape(target).numpy(), a.reshape(target))

    check()


def test_reshape_accepts_a_tuple_or_separate_ints():
    x = Tensor(np.arange(6.0))
    assert x.reshape(2, 3).shape == (2, 3)
    assert x.reshape((3, 2)).shape == (3, 2)
    assert x.reshape([-1, 1]).shape == (6, 1)
    assert x.flatten().shape == (6,)


def test_reshape_error_names_both_shapes_and_counts():
    with pytest.raises(ValueError) as info:
        Tensor(np.ones((2, 3))).reshape(4, 2)
    message = str(info.value)
    assert message.startswith("reshape: cannot reshape (2, 3) (6 elements) into (4, 2)")
    assert "element counts must match" in message and "-1" in message


def test_reshape_error_with_two_unknown_sizes():
    with pytest.raises(ValueError, match=r"reshape: cannot reshape \(2, 3\) \(6 elements\) into \(-1, -1\)"):
        Reshape.apply(Tensor(np.ones((2, 3))), shape=(-1, -1))


# ---------------------------------------------------------------------- transpose
@st.composite
def permuted(draw):
    shape = draw(shapes)
    axes = draw(st.permutations(range(len(shape))))
    # Negative axes name the same axes.
    axes = tuple(a - len(shape) if draw(st.booleans()) else a for a in axes)
    return shape, axes


def test_transpose_gradcheck_and_values():
    @SETTINGS
    @given(permuted(), seeds)
    def check(case, seed):
        shape, axes = case
        a = np.random.default_rng(seed).standard_normal(shape)
        assert gradcheck(lambda x: x.transpose(axes), [a])
        np.testing.assert_array_equal(t64(a).transpose(axes).numpy(), a.transpose(axes))

    check()


def test_transpose_default_and_T_reverse_the_axes():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(a, requires_grad=True)
    assert x.T.shape == (4, 3, 2)
    assert x.transpose().shape == (4, 3, 2)
    assert x.transpose(1, 0, 2).shape == (3, 2, 4)
    (x.T * Tensor(a.T)).sum().backward()
    np.testing.assert_array_equal(x.grad, a)


@pytest.mark.parametrize("axes", [(0, 0), (0,), (0, 1, 2), (0, 2), (1, -1)])
def test_transpose_error_names_axes_and_shape(axes):
    with pytest.raises(ValueError) as info:
        Tensor(np.ones((2, 3))).transpose(axes)
    assert str(info.value).startswith(
        f"transpose: axes {axes} are not a permutation of the 2 axes of a tensor of shape (2, 3)"
    )


# ----------------------------------------------------------------------- indexing
INDICES = {
    "int": 1,
    "negative int": -1,
    "slice": slice(1, 3),
    "negative step": slice(None, None, -1),
    "step 2 from the end": slice(-1, None, -2),
    "tuple of slices": (slice(None), slice(0, 2)),
    "int and slice": (0, slice(1, None)),
    "ellipsis": (Ellipsis, 0),
    "new axis": (None, slice(None), None),
    "ellipsis and new axis": (Ellipsis, None),
    "repeated int array": np.array([0, 0, 2, 0]),
    "repeated list": [2, 2, 1],
    "2-D int array": np.array([[0, 1], [1, 1]]),
    "int arrays per axis": (np.array([0, 0, 2]), np.array([1, 1, 3])),
    "slice then int array": (slice(None), [3, 3, 0]),
    "negative int array": np.array([-1, -1, 0]),
    "boolean mask rows": np.array([True, False, True]),
    "boolean mask all": "mask",
}


def index_for(name, a):
    index = INDICES[name]
    if isinstance(index, str):
        return a > 0
    return index


@pytest.mark.parametrize("name", sorted(INDICES))
def test_indexing_values_and_gradcheck(name):
    a = np.random.default_rng(8).standard_normal((3, 4))
    index = index_for(name, a)
    np.testing.assert_array_equal(t64(a)[index].numpy(), a[index])
    assert gradcheck(lambda x: x[index], [a])


@pytest.mark.parametrize("name", sorted(INDICES))
def test_indexing_gradient_counts_each_use(name):
    """The gradient of sum(x[index]) counts how often each element was picked."""
    a = np.random.default_rng(9).standard_normal((3, 4))
    index = index_for(name, a)
    x = Tensor(a, requires_grad=True)
    x[index].sum().backward()
    expected = np.zeros((3, 4))
    np.add.at(expected, index if not isinstance(index, list) else np.array(index), 1.0)
    np.testing.assert_array_equal(x.grad, expected)


def test_repeated_indices_accumulate_like_scatter_add():
    x = Tensor([10.0, 20.0, 30.0], requires_grad=True)
    picked = x[[0, 0, 0, 2]]
    np.testing.assert_array_equal(picked.numpy(), [10.0, 10.0, 10.0, 30.0])
    (picked * Tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [6.0, 0.0, 4.0])  # not [3, 0, 4]: every repeat counts


def test_embedding_style_lookup_with_integer_tensor_index():
    table = Tensor(np.arange(12.0).reshape(4, 3), requires_grad=True)
    ids = Tensor(np.array([[1, 1], [3, 1]]))
    rows = table[ids]
    assert rows.shape == (2, 2, 3)
    rows.sum().backward()
    np.testing.assert_array_equal(table.grad[:, 0], [0.0, 3.0, 0.0, 1.0])


def test_boolean_tensor_mask():
    x = Tensor([-1.0, 2.0, -3.0, 4.0], requires_grad=True)
    positive = x[x > 0]
    np.testing.assert_array_equal(positive.numpy(), [2.0, 4.0])
    positive.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0, 1.0])


def test_indexing_a_1d_tensor_to_0d_gives_a_0d_array():
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = x[1]
    assert y.shape == () and isinstance(y.data, np.ndarray)
    y.backward()
    np.testing.assert_array_equal(x.grad, [0.0, 1.0])


def test_iterating_a_tensor_yields_rows_with_gradient():
    x = Tensor(np.ones((3, 2)), requires_grad=True)
    rows = list(x)
    assert len(rows) == 3 and rows[0].shape == (2,)
    (rows[0] + rows[2] * 2).sum().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 1.0], [0.0, 0.0], [2.0, 2.0]])


@pytest.mark.parametrize(
    "index, shown",
    [
        (5, "5"),
        (-4, "-4"),
        ((0, 7), "(0, 7)"),
        ((0, 0, 0), "(0, 0, 0)"),
        (np.array([0, 3]), "<int64 array of shape (2,)>"),
        ([1, 9], "<int64 array of shape (2,)>"),
        (np.array([True, False]), "<bool array of shape (2,)>"),
    ],
)
def test_index_out_of_range_names_index_and_shape(index, shown):
    x = Tensor(np.ones((3, 2)))
    with pytest.raises(IndexError) as info:
        x[index]
    message = str(info.value)
    assert message.startswith(f"getitem: index {shown} does not fit a tensor of shape (3, 2)")
    # More than NumPy's bare message: it says which tensor and which index.
    assert "(3, 2)" in message


def test_float_index_is_a_type_error_naming_it():
    with pytest.raises(TypeError, match=r"getitem: index 1\.0 is a float"):
        Tensor([1.0, 2.0])[1.0]


def test_float_tensor_index_is_refused_with_its_dtype():
    with pytest.raises(IndexError, match=r"getitem: index <float32 array of shape \(1,\)> does not fit"):
        Tensor([1.0, 2.0])[Tensor([0.0])]


def test_item_assignment_explains_why_it_is_refused():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(TypeError) as info:
        x[0] = 5.0
    message = str(info.value)
    assert "does not support item assignment" in message
    assert "gradients" in message and "t.data" in message
    np.testing.assert_array_equal(x.numpy(), [1.0, 2.0])


# --------------------------------------------------------------------- concatenate
@st.composite
def concat_cases(draw):
    shape = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    count = draw(st.integers(1, 3))
    parts = []
    for _ in range(count):
        part = list(shape)
        part[axis] = draw(st.integers(1, 3))
        parts.append(tuple(part))
    return parts, axis


def test_concatenate_gradcheck_and_values():
    @SETTINGS
    @given(concat_cases(), seeds)
    def check(case, seed):
        parts, axis = case
        rng = np.random.default_rng(seed)
        arrays = [rng.standard_normal(s) for s in parts]
        assert gradcheck(lambda *xs: concatenate(list(xs), axis=axis), arrays)
        out = concatenate([t64(a) for a in arrays], axis=axis)
        np.testing.assert_array_equal(out.numpy(), np.concatenate(arrays, axis=axis))

    check()


def test_concatenate_only_some_inputs_need_grad():
    a = Tensor(np.ones((2, 2)), requires_grad=True)
    b = Tensor(np.ones((1, 2)))
    (concatenate([a, b]) * 3.0).sum().backward()
    np.testing.assert_array_equal(a.grad, np.full((2, 2), 3.0))
    assert b.grad is None


def test_concatenating_one_tensor_with_itself_adds_both_gradients():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (concatenate([x, x * 2, x]) * Tensor([1.0, 1.0, 10.0, 10.0, 100.0, 100.0])).sum().backward()
    np.testing.assert_array_equal(x.grad, [121.0, 121.0])


def test_concatenate_shape_mismatch_names_both_shapes_and_axis():
    with pytest.raises(ValueError) as info:
        concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones((2, 4)))], axis=0)
    message = str(info.value)
    assert message.startswith("concatenate: shapes (2, 3) and (2, 4) differ outside axis 0")
    assert "joining axis" in message


def test_concatenate_rank_mismatch_is_named():
    with pytest.raises(ValueError, match=r"concatenate: shapes \(2, 3\) and \(3,\) differ outside axis 0"):
        concatenate([Tensor(np.ones((2, 3))), Tensor(np.ones(3))])


def test_concatenate_other_errors():
    with pytest.raises(ValueError, match=r"concatenate: needs at least one tensor"):
        concatenate([])
    with pytest.raises(ValueError, match=r"concatenate: 0-d tensors have no axis"):
        concatenate([Tensor(1.0), Tensor(2.0)])
    with pytest.raises(ValueError, match=r"concatenate: axis 2 is out of range for 2-d tensors"):
        Concatenate.apply(Tensor(np.ones((2, 2))), Tensor(np.ones((2, 2))), axis=2)


# --------------------------------------------------------------------------- pad
PAD_WIDTHS = [1, (1, 2), [(0, 1), (2, 0)], ((1, 1),), ((3,), (0,)), 0]


@pytest.mark.parametrize("pad_width", PAD_WIDTHS, ids=str)
def test_pad_values_and_gradcheck(pad_width):
    a = np.random.default_rng(10).standard_normal((2, 3))
    out = Pad.apply(t64(a), pad_width=pad_width)
    np.testing.assert_array_equal(out.numpy(), np.pad(a, pad_width))
    assert gradcheck(lambda x: Pad.apply(x, pad_width=pad_width), [a])


def test_pad_gradcheck_for_drawn_shapes_and_widths():
    @SETTINGS
    @given(shapes.filter(len), seeds, st.data())
    def check(shape, seed, data):
        width = [(data.draw(st.integers(0, 2)), data.draw(st.integers(0, 2))) for _ in shape]
        a = np.random.default_rng(seed).standard_normal(shape)
        out = Pad.apply(t64(a), pad_width=width, constant_values=1.5)
        np.testing.assert_array_equal(out.numpy(), np.pad(a, width, constant_values=1.5))
        assert gradcheck(lambda x: Pad.apply(x, pad_width=width), [a])

    check()


@pytest.mark.parametrize("pad_width", [-1, (1, -1), [(1, 1)] * 3, "a", (1.5, 1), ((1, 2, 3), (0, 0))], ids=str)
def test_pad_width_errors_name_width_shape_and_fix(pad_width):
    with pytest.raises(ValueError) as info:
        Pad.apply(Tensor(np.ones((2, 3))), pad_width=pad_width)
    message = str(info.value)
    assert message.startswith(f"pad: pad_width {pad_width!r} does not fit a tensor of shape (2, 3)")
    assert "2 pairs" in message


# ----------------------------------------------------------------- device moves
def test_to_the_same_device_returns_the_tensor_itself():
    x = Tensor([1.0], requires_grad=True)
    assert x.to("cpu") is x


def test_to_an_unknown_device_lists_the_choices():
    with pytest.raises(ValueError, match=r"to: unknown device 'cuda'; choose one of \('cpu', 'gpu'\)"):
        Tensor([1.0]).to("cuda")


@pytest.mark.skipif(backend.gpu_available(), reason="checks the message shown where there is no GPU")
def test_to_gpu_without_cupy_says_how_to_get_it():
    with pytest.raises(RuntimeError, match=r"'cupy' backend is unavailable"):
        Tensor([1.0]).to("gpu")


gpu = pytest.mark.skipif(not backend.gpu_available(), reason=backend.gpu_unavailable_reason() or "GPU present")


@pytest.mark.gpu
@gpu
def test_gpu_to_moves_gradients_back_across_devices():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.to("gpu")
    assert y.device == "gpu" and y.requires_grad
    z = (y * y).to("cpu")
    assert z.device == "cpu"
    z.sum().backward()
    assert x.device == "cpu" and x.grad is not None
    assert isinstance(x.grad, np.ndarray)  # the gradient came home
    np.testing.assert_allclose(x.grad, [2.0, 4.0, 6.0])


@pytest.mark.gpu
@gpu
def test_gpu_leaf_gets_a_gpu_gradient_through_cpu_ops():
    cp = backend.module_for("gpu")
    w = Tensor(cp.asarray([1.0, -2.0]), requires_grad=True)
    (w.to("cpu") * Tensor([3.0, 4.0])).sum().backward()
    assert backend.device_of(w.grad) == "gpu"
    np.testing.assert_allclose(backend.to_numpy(w.grad), [3.0, 4.0])


@pytest.mark.gpu
@gpu
def test_gpu_repeated_indices_scatter_add():
    leaf = Tensor(backend.module_for("gpu").asarray([10.0, 20.0, 30.0]), requires_grad=True)
    idx = backend.module_for("gpu").asarray([0, 0, 0, 2, 2])
    picked = leaf[idx]
    np.testing.assert_array_equal(picked.numpy(), [10.0, 10.0, 10.0, 30.0, 30.0])
    picked.sum().backward()
    np.testing.assert_array_equal(backend.to_numpy(leaf.grad), [3.0, 0.0, 2.0])
    # And with a plain list index and a 2-D table, as an embedding would.
    table = Tensor(backend.module_for("gpu").asarray(np.ones((4, 2))), requires_grad=True)
    table[[1, 1, 3, 1]].sum().backward()
    np.testing.assert_array_equal(backend.to_numpy(table.grad), [[0, 0], [3, 3], [0, 0], [1, 1]])


@pytest.mark.gpu
@gpu
@pytest.mark.parametrize("name", sorted(INDICES))
def test_gpu_indexing_matches_cpu(name):
    a = np.random.default_rng(11).standard_normal((3, 4))
    index = index_for(name, a)
    cp = backend.module_for("gpu")
    gpu_index = cp.asarray(index) if isinstance(index, np.ndarray) else index
    if isinstance(index, tuple):
        gpu_index = tuple(cp.asarray(i) if isinstance(i, np.ndarray) else i for i in index)
    cpu_x = Tensor(a, requires_grad=True)
    gpu_x = Tensor(cp.asarray(a), requires_grad=True)
    cpu_x[index].sum().backward()
    gpu_x[gpu_index].sum().backward()
    np.testing.assert_allclose(backend.to_numpy(gpu_x.grad), cpu_x.grad)


@pytest.mark.gpu
@gpu
def test_gpu_index_array_on_the_wrong_device_is_named():
    with pytest.raises(ValueError, match=r"getitem: an index array on cpu was used on a Tensor on gpu"):
        Tensor([1.0, 2.0]).to("gpu")[np.array([0])]


@pytest.mark.gpu
@gpu
def test_gpu_concatenate_and_pad_match_cpu():
    a = np.random.default_rng(12).standard_normal((2, 3))
    cp = backend.module_for("gpu")
    for device_x in (Tensor(a, requires_grad=True), Tensor(cp.asarray(a), requires_grad=True)):
        out = Pad.apply(concatenate([device_x, device_x * 2.0], axis=1), pad_width=1)
        np.testing.assert_allclose(out.numpy(), np.pad(np.concatenate([a, 2 * a], axis=1), 1), rtol=1e-6)
        out.sum().backward()
        np.testing.assert_allclose(backend.to_numpy(device_x.grad), np.full((2, 3), 3.0))


def test_reshape_error_with_an_int_shape_names_both_shapes():
    from tinyfit.autograd.ops.shape import Reshape

    with pytest.raises(ValueError, match=r"reshape: cannot reshape \(6,\) \(6 elements\) into \(5,\)"):
        Reshape.apply(Tensor(np.ones(6)), shape=5)

"""TextVectorization: strings in, token ids (or token counts) out, with a vocabulary from `adapt(data)`.

    layer = TextVectorization(max_tokens=1000, output_sequence_length=20)
    layer.adapt(train_texts)                 # the most frequent words, most frequent first
    ids = layer(["The cat sat.", "A dog"])   # int64 Tensor of shape (2, 20), 0 = padding, 1 = unknown

Each string goes through three steps, all on the CPU in plain Python:
1. standardize: lowercase and strip ASCII punctuation (or one of them, nothing, or a function);
2. split: on whitespace (runs of it count as one), into characters, not at all, or by a function;
3. look up: each token's index in the vocabulary; index 0 is padding ("") and
   1 is "[UNK]" for tokens the vocabulary does not hold (in "int" mode).

The vocabulary is data: `get_config()` holds it as a list of strings, so
`model.save` / `load_model` keep it and a saved file holds no code.
"""

from __future__ import annotations

import collections
import os
import re
import string
from typing import Any, Callable, Iterable

import numpy

from ..autograd.tensor import Tensor
from .layer import Layer
from .symbolic import KerasTensor, any_symbolic

PAD, OOV = "", "[UNK]"
STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = ("whitespace", "character")
OUTPUT_MODES = ("int", "multi_hot", "count")
# Keras's set: the 32 ASCII punctuation characters (string.punctuation).
_PUNCTUATION = re.compile(f"[{re.escape(string.punctuation)}]")


class TextVectorization(Layer):
    """Turns strings into sequences of token indices (or per-string token counts).

    Args:
        max_tokens: the most entries the vocabulary may have, the special tokens
            ("" and "[UNK]" in "int" mode, "[UNK]" otherwise) included. None: no limit.
        standardize: "lower_and_strip_punctuation" (the default), "lower",
            "strip_punctuation", None, or a function that takes a NumPy array of
            str and returns one of the same shape. Lowercasing is Python's
            `str.lower` (Unicode); punctuation is the ASCII set Keras strips.
        split: "whitespace" (the default), "character", None (each string is one
            token), or a function that takes a 1-D NumPy array of str and returns
            one list of tokens per string.
        output_mode: "int" (token indices), "multi_hot" (1 where a token occurs)
            or "count" (how often it occurs); the last two give one row of
            vocabulary_size() float32 values per string.
        output_sequence_length: in "int" mode, pad with 0 or truncate every
            sequence to this length. None: pad to the longest in the batch.
        pad_to_max_tokens: in "multi_hot" and "count" modes, give max_tokens
            columns whatever the vocabulary's size.
        vocabulary: a list (or 1-D array) of tokens, most useful first, or the
            path of a UTF-8 text file with one token per line. Without it, call
            `adapt(data)` before use.
        encoding: how bytes inputs are decoded.
    """
    supports_masking = False

    def __init__(self, max_tokens: int | None = None, standardize: Any = "lower_and_strip_punctuation",
                 split: Any = "whitespace", ngrams: Any = None, output_mode: str = "int",
                 output_sequence_length: int | None = None, pad_to_max_tokens: bool = False,
                 vocabulary: Any = None, idf_weights: Any = None, sparse: bool = False, ragged: bool = False,
                 encoding: str = "utf-8", vocabulary_size: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)  # vocabulary_size: in Keras's config, for information only
        _refuse_unsupported(ngrams=ngrams, idf_weights=idf_weights, sparse=sparse, ragged=ragged,
                            output_mode=output_mode)
        _check_choice("standardize", standardize, STANDARDIZE)
        _check_choice("split", split, SPLIT)
        if output_mode == "binary":  # Keras's old name
            output_mode = "multi_hot"
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"TextVectorization: output_mode must be one of {', '.join(map(repr, OUTPUT_MODES))}, "
                             f"got {output_mode!r}.")
        if max_tokens is not None and (not _is_int(max_tokens) or max_tokens <= 1):
            raise ValueError(f"TextVectorization: max_tokens must be an integer greater than 1 or None, "
                             f"got {max_tokens!r}.")
        if output_sequence_length is not None:
            if output_mode != "int":
                raise ValueError(f"TextVectorization: output_sequence_length applies to output_mode='int' only; "
                                 f"got output_mode={output_mode!r}. Leave it None.")
            if not _is_int(output_sequence_length) or output_sequence_length < 1:
                raise ValueError(f"TextVectorization: output_sequence_length must be a positive integer or None, "
                                 f"got {output_sequence_length!r}.")
        if pad_to_max_tokens and (output_mode == "int" or max_tokens is None):
            raise ValueError("TextVectorization: pad_to_max_tokens=True needs output_mode 'multi_hot' or 'count' "
                             f"and max_tokens set; got output_mode={output_mode!r}, max_tokens={max_tokens!r}.")
        self.max_tokens = max_tokens
        self.standardize = standardize
        self.split = split
        self.output_mode = output_mode
        self.output_sequence_length = output_sequence_length
        self.pad_to_max_tokens = bool(pad_to_max_tokens)
        self.encoding = encoding
        self._specials = [PAD, OOV] if output_mode == "int" else [OOV]
        self._tokens: list[str] = []  # the vocabulary without its special tokens
        self._index: dict[str, int] = {}
        self._has_input_vocabulary = vocabulary is not None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary)
        self.built = True

    # ------------------------------------------------------------ the vocabulary
    def get_vocabulary(self, include_special_tokens: bool = True) -> list[str]:
        """The vocabulary, in index order: "" and "[UNK]" first ("[UNK]" alone outside "int" mode)."""
        return (self._specials if include_special_tokens else []) + list(self._tokens)

    def vocabulary_size(self) -> int:
        """The number of entries, special tokens included: the `input_dim` an Embedding after it needs."""
        return len(self._specials) + len(self._tokens)

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Replaces the vocabulary: a list or 1-D array of tokens, or a text file's path (one token a line).

        The special tokens may lead the list, in their order ("", "[UNK]" in "int" mode);
        anywhere else, or repeated tokens, are an error.
        """
        _refuse_unsupported(idf_weights=idf_weights)
        tokens = _read_vocabulary(vocabulary, self.encoding)
        if tokens[:len(self._specials)] == self._specials:
            tokens = tokens[len(self._specials):]
        for special in self._specials:
            if special in tokens:
                raise ValueError(
                    f"TextVectorization: the vocabulary holds the special token {special!r} at index "
                    f"{tokens.index(special)}; special tokens may only lead it, in this order: {self._specials}."
                )
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(f"TextVectorization: the vocabulary repeats {repeated[:10]}; each token must be "
                             "listed once.")
        if self.max_tokens is not None and len(tokens) + len(self._specials) > self.max_tokens:
            raise ValueError(
                f"TextVectorization: a vocabulary of {len(tokens) + len(self._specials)} entries (special tokens "
                f"included) is larger than max_tokens={self.max_tokens}; raise max_tokens or shorten the vocabulary."
            )
        self._set_tokens(tokens)

    def _set_tokens(self, tokens: list[str]) -> None:
        self._tokens = tokens
        self._index = {t: i for i, t in enumerate(self.get_vocabulary())}

    def adapt(self, data: Any, batch_size: int | None = None, steps: int | None = None) -> None:
        """Learns the vocabulary from `data`: every token seen, most frequent first; tokens seen equally
        often are ordered as Keras orders them, later strings (in code-point order) first; then cut
        to max_tokens.

        Args:
            data: strings: a list or NumPy array of them, or batches of them (a tinyfit
                Dataset, or any iterable of lists or arrays; an (x, y) batch uses x).
            batch_size: unused (the strings are counted one batch at a time as given).
            steps: read at most this many batches.
        """
        if self._has_input_vocabulary:
            raise ValueError(
                f"TextVectorization {self.name!r} was given its vocabulary; adapt() would replace it. Make the "
                "layer without vocabulary= to learn one from data, or call set_vocabulary()."
            )
        counts: collections.Counter = collections.Counter()
        for i, batch in enumerate(_batches(data)):
            if steps is not None and i >= steps:
                break
            for tokens in self._tokenize(_as_strings(batch, self.encoding))[0]:
                counts.update(tokens)
        for special in (PAD, OOV):
            counts.pop(special, None)
        ordered = sorted(counts.items(), key=lambda item: (item[1], item[0]), reverse=True)
        if self.max_tokens is not None:
            ordered = ordered[:self.max_tokens - len(self._specials)]
        self._set_tokens([token for token, _ in ordered])

    # ------------------------------------------------------------ the call
    def __call__(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        if any_symbolic(inputs):
            return super().__call__(inputs, *args, **kwargs)
        kwargs.pop("training", None)
        return self.call(inputs)

    def call(self, inputs: Any) -> Tensor:
        """The token indices (int64) or counts (float32) of `inputs`, as a Tensor."""
        return Tensor(self.vectorize(inputs))

    def vectorize(self, inputs: Any) -> numpy.ndarray:
        """What `call` computes, as a NumPy array."""
        strings = _as_strings(inputs, self.encoding)
        token_lists, shape = self._tokenize(strings)
        if self.output_mode == "int":
            return self._indices(token_lists, shape)
        return self._counts(token_lists)

    def _tokenize(self, strings: numpy.ndarray) -> tuple[list[list[str]], tuple]:
        """One list of tokens per sample, and the shape the samples came in."""
        strings = self._standardized(strings)
        if self.split is None:
            if strings.ndim == 0:
                return [[strings.item()]], ()
            rows = strings.reshape(-1, strings.shape[-1]) if strings.ndim > 1 else strings.reshape(-1, 1)
            return [list(row) for row in rows], strings.shape
        if strings.ndim > 1:
            if strings.shape[-1] != 1:
                raise ValueError(
                    f"TextVectorization: to split strings, inputs must be 1-D or have a last axis of size 1; got "
                    f"shape {strings.shape}. Pass one string per sample, or split=None for tokens given one by one."
                )
            strings = strings[..., 0]
        flat = strings.reshape(-1)
        if self.split == "whitespace":
            tokens = [s.split() for s in flat]
        elif self.split == "character":
            tokens = [list(s) for s in flat]
        else:
            tokens = [[str(t) for t in row] for row in self.split(flat)]
            if len(tokens) != len(flat):
                raise ValueError(f"TextVectorization: the split function returned {len(tokens)} token lists for "
                                 f"{len(flat)} strings; it must return one list per string.")
        return tokens, strings.shape + (None,)

    def _standardized(self, strings: numpy.ndarray) -> numpy.ndarray:
        if self.standardize is None:
            return strings
        if callable(self.standardize):
            out = numpy.asarray(self.standardize(strings.astype(str) if strings.size else strings))
            if out.shape != strings.shape:
                raise ValueError(f"TextVectorization: the standardize function turned strings of shape "
                                 f"{strings.shape} into shape {out.shape}; it must keep the shape.")
            return _as_strings(out, self.encoding)
        lower = self.standardize in ("lower", "lower_and_strip_punctuation")
        strip = self.standardize in ("strip_punctuation", "lower_and_strip_punctuation")

        def one(s: str) -> str:
            s = s.lower() if lower else s
            return _PUNCTUATION.sub("", s) if strip else s

        return numpy.frompyfunc(one, 1, 1)(strings).astype(object) if strings.ndim else numpy.asarray(
            one(strings.item()), dtype=object)

    def _indices(self, token_lists: list[list[str]], shape: tuple) -> numpy.ndarray:
        index = self._index
        ids = [[index.get(t, 1) for t in tokens] for tokens in token_lists]
        if self.split is None and self.output_sequence_length is None:
            return numpy.asarray(ids, dtype=numpy.int64).reshape(shape)
        length = self.output_sequence_length
        if length is None:
            length = max((len(row) for row in ids), default=0)
        out = numpy.zeros((len(ids), length), dtype=numpy.int64)
        for row, values in zip(out, ids):
            values = values[:length]
            row[:len(values)] = values
        outer = shape[:-1] if shape else ()
        return out.reshape(outer + (length,)) if shape else out[0]

    def _counts(self, token_lists: list[list[str]]) -> numpy.ndarray:
        width = self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size()
        out = numpy.zeros((len(token_lists), width), dtype=numpy.float32)
        for row, tokens in zip(out, token_lists):
            numpy.add.at(row, [self._index.get(t, 0) for t in tokens], 1)
        if self.output_mode == "multi_hot":
            numpy.minimum(out, 1, out=out)
        return out

    # ------------------------------------------------------------ models and saving
    def compute_output_shape(self, input_shape: Any) -> tuple:
        batch = tuple(input_shape)[:1] or (None,)
        if self.output_mode != "int":
            return batch + (self.max_tokens if self.pad_to_max_tokens else self.vocabulary_size(),)
        if self.split is None and self.output_sequence_length is None:
            return tuple(input_shape)
        return batch + (self.output_sequence_length,)

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> KerasTensor:
        dtype = "int64" if self.output_mode == "int" else "float32"
        return KerasTensor(self.compute_output_shape(inputs.shape), dtype=dtype)

    def get_config(self) -> dict[str, Any]:
        for what in ("standardize", "split"):
            if callable(getattr(self, what)):
                raise ValueError(
                    f"TextVectorization {self.name!r}: a {what} function cannot be saved (saved files hold no code); "
                    f"use one of the named choices, or save the weights and remake the layer with the function."
                )
        config = super().get_config()
        config.update({
            "max_tokens": self.max_tokens, "standardize": self.standardize, "split": self.split,
            "ngrams": None, "output_mode": self.output_mode, "output_sequence_length": self.output_sequence_length,
            "pad_to_max_tokens": self.pad_to_max_tokens, "sparse": False, "ragged": False,
            "vocabulary": list(self._tokens) if self._tokens or self._has_input_vocabulary else None,
            "idf_weights": None, "encoding": self.encoding, "vocabulary_size": self.vocabulary_size(),
        })
        return config


# ------------------------------------------------------------------ helpers
def _is_int(value: Any) -> bool:
    return isinstance(value, (int, numpy.integer)) and not isinstance(value, bool)


def _check_choice(name: str, value: Any, choices: tuple) -> None:
    if value is None or callable(value) or value in choices:
        return
    raise ValueError(f"TextVectorization: {name} must be one of {', '.join(map(repr, choices))}, None or a "
                     f"function; got {value!r}.")


def _refuse_unsupported(ngrams: Any = None, idf_weights: Any = None, sparse: bool = False, ragged: bool = False,
                        output_mode: str = "int") -> None:
    given = {"ngrams": ngrams, "idf_weights": idf_weights, "sparse": sparse or None, "ragged": ragged or None}
    if output_mode in ("tf_idf", "tf-idf", "one_hot"):
        given["output_mode"] = output_mode
    for name, value in given.items():
        if value is not None:
            raise NotImplementedError(
                f"TextVectorization: tinyfit does not implement {name}={value!r}. Supported: output_mode "
                f"{', '.join(map(repr, OUTPUT_MODES))}, dense outputs (sparse=False, ragged=False), single "
                "tokens (ngrams=None), no idf_weights."
            )


def _as_strings(data: Any, encoding: str) -> numpy.ndarray:
    """`data` (a str, bytes, nested lists of them, or a NumPy array) as an object array of str."""
    if isinstance(data, Tensor):
        raise TypeError("TextVectorization: got a Tensor of numbers; it takes strings (a list or NumPy array of "
                        "str).")
    array = numpy.asarray(data, dtype=object) if not isinstance(data, numpy.ndarray) else data
    if array.dtype.kind in "US" or array.size == 0:
        array = array.astype(object)
    elif array.dtype.kind != "O":
        raise TypeError(f"TextVectorization: expected strings, got an array of dtype {array.dtype}.")
    out = numpy.empty(array.shape, dtype=object)
    for i, value in enumerate(array.flat):
        if isinstance(value, bytes):
            value = value.decode(encoding)
        elif not isinstance(value, str):
            raise TypeError(f"TextVectorization: expected strings, got {type(value).__name__} {value!r}.")
        out.flat[i] = value
    return out


def _batches(data: Any) -> Iterable[Any]:
    """The batches of strings in `data`: itself when it is one batch, else each element it yields."""
    if isinstance(data, (str, bytes, numpy.ndarray)):
        yield data
        return
    if isinstance(data, (list, tuple)) and all(isinstance(s, (str, bytes)) for s in data):
        yield data
        return
    if not hasattr(data, "__iter__"):
        raise TypeError(f"TextVectorization.adapt: expected strings (a list or NumPy array) or an iterable of "
                        f"batches of them, got {type(data).__name__}.")
    for batch in data:
        if isinstance(batch, tuple) and batch and not isinstance(batch[0], (str, bytes)):
            batch = batch[0]  # (x, y) or (x, y, sample_weight)
        yield batch


def _read_vocabulary(vocabulary: Any, encoding: str) -> list[str]:
    if isinstance(vocabulary, (str, os.PathLike)):
        path = os.fspath(vocabulary)
        if not os.path.isfile(path):
            raise ValueError(f"TextVectorization: the vocabulary file {path!r} does not exist; pass a list of "
                             "tokens or the path of a text file with one token a line.")
        with open(path, encoding=encoding, newline="") as f:
            return [line.rstrip("\r\n") if line.endswith("\n") else line for line in f]
    strings = _as_strings(vocabulary, encoding)
    if strings.ndim != 1:
        raise ValueError(f"TextVectorization: a vocabulary is a 1-D list of tokens, got shape {strings.shape}.")
    return list(strings)

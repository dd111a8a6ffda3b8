"""Attention layers with Keras 3's semantics.

    multi_head_attention.py  MultiHeadAttention
    projection.py            the query, key, value and output maps inside it (Keras's kernel shapes)
    axes.py                  attention over chosen axes, laid out as (groups, heads, steps, features)
    attention.py             Attention (dot-product, Luong-style)
    additive_attention.py    AdditiveAttention (Bahdanau-style)
    scores.py                what they share: masks, the masked softmax, dropout of the weights
"""

from .additive_attention import AdditiveAttention
from .attention import Attention
from .multi_head_attention import MultiHeadAttention

__all__ = ["Attention", "AdditiveAttention", "MultiHeadAttention"]

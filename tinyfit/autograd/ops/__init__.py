"""The tensor engine's ops, one Function (forward + backward) per primitive.

    elementwise  add, subtract, multiply, divide, power, maximum, minimum, where,
                 negative, exp, log, sqrt, abs, tanh, sigmoid, relu, softplus, clip, cast
    special      erf, sin, cos, log1p, expm1, and sign/round/floor/ceil (zero gradient)
    reduce       sum, max, min, prod, cumsum (and mean, var, std, logsumexp built from them)
    linalg       matmul, einsum
    shape        reshape, transpose, getitem, concatenate, pad, device moves
    gather       take_along_axis, segment_sum, segment_max
    nn           softmax, log_softmax, the fused cross-entropies, conv, pooling
    recurrent    one time step of SimpleRNN, LSTM and GRU, each fused (forward and backward)
"""

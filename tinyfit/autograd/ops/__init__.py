"""The tensor engine's ops, one Function (forward + backward) per primitive.

    elementwise  add, subtract, multiply, divide, power, maximum, minimum, where,
                 negative, exp, log, sqrt, abs, tanh, sigmoid, relu, softplus, clip, cast
    reduce       sum, max, min (and mean, var, std, logsumexp built from them)
    linalg       matmul
    shape        reshape, transpose, getitem, concatenate, pad, device moves
    nn           softmax, log_softmax, the fused cross-entropies, conv, pooling
"""

"""Recurrent layers: a cell computes one time step; RNN runs a cell over a sequence.

    cell.py          RecurrentCell: the arguments, weights, dropout masks and fused sequence of the built-in cells
    rnn.py           RNN, which runs any cell (Keras's cell protocol), masks and initial states
    simple_rnn.py    SimpleRNNCell, SimpleRNN
    lstm.py          LSTMCell, LSTM
    gru.py           GRUCell, GRU
    bidirectional.py Bidirectional, a recurrent layer run forwards and backwards
"""

from .bidirectional import Bidirectional
from .gru import GRU, GRUCell
from .lstm import LSTM, LSTMCell
from .rnn import RNN
from .simple_rnn import SimpleRNN, SimpleRNNCell

__all__ = ["RNN", "SimpleRNN", "SimpleRNNCell", "LSTM", "LSTMCell", "GRU", "GRUCell", "Bidirectional"]

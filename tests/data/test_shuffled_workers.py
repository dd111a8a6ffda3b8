"""fit(shuffle=True) on a PyDataset with workers: every batch once per epoch, in the order drawn, any queue size."""

import threading

import numpy as np
import pytest

import tinyfit as keras

EPOCHS = 4


# Datasets live at module level: worker processes must be able to find their class.
class Indexed(keras.utils.PyDataset):
    """Batch i is x = y = [[i]]: what reaches training says which batch it was."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return np.array([[float(index)]]), np.array([[float(index)]])


class Asked(Indexed):
    """Also notes every index asked for; worker threads share the list, so a lock guards it."""

    def __init__(self, n, **kwargs):
        super().__init__(n, **kwargs)
        self.asked = []
        self._lock = threading.Lock()

    def __getitem__(self, index):
        with self._lock:
            self.asked.append(index)
        return super().__getitem__(index)


class OrderSeen(keras.Sequential):
    """Notes, epoch by epoch, which batch each training step received."""

    def train_step(self, data):
        self.epochs[-1].append(int(np.asarray(data[0].numpy())[0, 0]))
        return super().train_step(data)


def fit_and_watch(ds, seed):
    keras.utils.set_random_seed(seed)
    model = OrderSeen([keras.Input(shape=(1,)), keras.layers.Dense(1)])
    model.epochs = []
    model.compile(optimizer="sgd", loss="mse")
    new_epoch = keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: model.epochs.append([]))
    model.fit(ds, epochs=EPOCHS, shuffle=True, verbose=0, callbacks=[new_epoch])
    return model.epochs


def check_epochs(epochs, n, max_queue_size, seed):
    """Each epoch fed every batch exactly once, shuffled, in the order drawn; the epochs differ."""
    assert len(epochs) == EPOCHS
    # The same seed without workers (batches read one by one, in the order drawn) feeds the same orders.
    assert epochs == fit_and_watch(Indexed(n), seed)
    for order in epochs:
        assert sorted(order) == list(range(n)), f"an epoch fed batches {order}, not each of 0..{n - 1} once"
    if n >= 4:
        assert any(order != list(range(n)) for order in epochs) and epochs[0] != epochs[1]
    if n > 2 * max_queue_size:
        # What makes the case: a drawn order that puts batch 0 beyond the first requests sent.
        assert any(order.index(0) >= max_queue_size for order in epochs), "no epoch put batch 0 past the look-ahead"


@pytest.mark.parametrize("max_queue_size", [1, 2, 3, 4])
@pytest.mark.parametrize("workers", [1, 2, 3])
def test_worker_threads_fetch_every_batch_once_per_epoch_in_the_drawn_order(workers, max_queue_size):
    for n in (1, 3, 3 * max_queue_size + 2):
        ds = Asked(n, workers=workers, max_queue_size=max_queue_size)
        epochs = fit_and_watch(ds, seed=n)
        check_epochs(epochs, n, max_queue_size, seed=n)
        asked = [ds.asked[e * n:(e + 1) * n] for e in range(EPOCHS)]
        assert len(ds.asked) == EPOCHS * n, f"{len(ds.asked)} requests for {EPOCHS} epochs of {n} batches"
        for order, requests in zip(epochs, asked):
            assert sorted(requests) == list(range(n))
            if workers == 1:  # one worker takes the requests one by one, as they were drawn
                assert requests == order


@pytest.mark.parametrize("workers, max_queue_size", [(1, 1), (2, 3), (3, 2), (3, 4)])
def test_worker_processes_fetch_every_batch_once_per_epoch_in_the_drawn_order(workers, max_queue_size):
    for n in (2, 3 * max_queue_size + 2):
        ds = Indexed(n, workers=workers, use_multiprocessing=True, max_queue_size=max_queue_size)
        check_epochs(fit_and_watch(ds, seed=n), n, max_queue_size, seed=n)

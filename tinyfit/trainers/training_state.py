"""TrainingState: where a running fit() stands, given to a backup and taken back to resume it.

Weights (`get_weights`), the optimizer's slots (`optimizer.variables`) and the random
states (`tinyfit.utils.random`) are public already. What else a fit must know to go on
exactly where an interrupted one stopped lives inside the trainer, so the model hands it
out, and takes it back, through two methods. They are tinyfit extensions (Keras has no
such methods; its BackupAndRestore reads the trainer's own fields):

    state = model.get_training_state()   # during fit(), e.g. in a callback's on_train_batch_end
    ...                                  # a new process, the same script, the same data
    model.set_training_state(state, step=batches_done)   # fit() does this with a backup's state

The state is plain data and NumPy arrays, so any archive can hold it:

    "data"     where the data's current pass stands: the random states just before it
               opened (they decided its shuffling order) and how many batches it gave;
               None between passes and outside fit()
    "metrics"  the epoch's running metric values so far (the variables of `model.metrics`)
    "threads"  the BLAS thread counts chosen by timing: a resumed run on another count
               would differ in the results' last bits
"""

from __future__ import annotations

from typing import Any


class TrainingState:
    """The position of a running fit(), mixed into the Trainer (see the module's docstring)."""

    # The running fit's epoch iterator (set by fit, None outside it): where the data's pass stands.
    _train_batches = None

    def get_training_state(self) -> dict[str, Any]:
        """Where the running fit() stands, beyond weights, optimizer and callbacks (a tinyfit extension).

        Returns:
            {"data": the data's pass (None between passes and outside fit),
             "metrics": the running metric values (a list of arrays, copies),
             "threads": the BLAS thread counts chosen so far (a dict)}.
            Hand it back with `set_training_state` to continue from here.
        """
        batches = self._train_batches
        return {
            "data": batches.state() if batches is not None else None,
            "metrics": [variable.numpy().copy() for variable in _metric_variables(self)],  # later steps move them on
            "threads": dict(self.__dict__.get("_blas_thread_choices", {})),
        }

    def set_training_state(self, state: dict[str, Any], step: int = 0) -> None:
        """Takes back what `get_training_state` gave, so that fit() goes on from there (a tinyfit extension).

        fit() calls it before its first epoch when a callback offers a resume point
        (BackupAndRestore's backup). Everything is checked before anything is assigned.

        Args:
            state: a dict as `get_training_state` returns it ("data", "metrics", "threads").
            step: the batch of the epoch the run continues at. With 0 a new epoch starts:
                the running metric values start afresh and `state["metrics"]` is not used;
                otherwise they are the epoch's results so far.
        """
        variables = _metric_variables(self)
        metrics = state["metrics"] if step else []
        if step and len(metrics) != len(variables):
            raise ValueError(f"fit: the backup holds {len(metrics)} metric values but the model's metrics have "
                             f"{len(variables)}; resume with the same compile() arguments, or delete the backup "
                             "folder to start afresh.")
        if state.get("data") is not None and self._train_batches is None:
            raise ValueError("set_training_state: the state records a position in the data, which only a running "
                             "fit() can take. Pass the backup to fit() (callbacks=[BackupAndRestore(...)]).")
        self.reset_metrics()
        for variable, array in zip(variables, metrics):
            variable.assign(array)
        # The thread counts the interrupted run chose: another would change the results' last bits.
        self.__dict__["_blas_thread_choices"] = dict(state.get("threads") or {})
        if self._train_batches is not None:
            self._train_batches.resume(state.get("data"), step)


def _metric_variables(model: Any) -> list:
    return [variable for metric in model.metrics for variable in metric.variables]

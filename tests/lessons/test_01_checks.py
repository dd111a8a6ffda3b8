"""Lesson 01's exercise checks reject typical wrong answers and accept right ones.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
with the answer cells stubbed as in the student release. The exercises add methods to the
lesson's `Node` class, so each test puts the class back as it found it.
"""

import math
import random
import threading
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "lessons" / "01_scalar_autograd.ipynb"


@pytest.fixture
def Node(ns, restored_class):
    """The lesson's Node class, restored after the test (answers are attached to it)."""
    return restored_class(ns["Node"])


def test_the_network_trained_and_its_gradients_were_checked(ns):
    assert ns["worst"] < 1e-7  # finite differences
    assert ns["losses"][-1] < 0.5 * ns["losses"][0] and ns["accuracy"] == 1.0
    assert len(ns["model"].parameters()) == 67
    # The prose says the learned band is not the quarters: (0.9, 0.1) is +1 by the rule, -1 for the model.
    assert ns["model"]((0.9, 0.1)).data < 0


def test_the_network_classes_build_from_any_number_class(ns):
    twin = ns["MLP"](2, [3, 1], random.Random(5), number=ns["Scalar"])
    assert all(type(p) is ns["Scalar"] for p in twin.parameters()) and len(twin.parameters()) == 13


def _stub(*args, **kwargs):  # what the student release holds until the exercise is done
    raise NotImplementedError()


@pytest.mark.parametrize("check", ["check_exp", "check_division", "check_layer"])
def test_a_check_says_an_untouched_exercise_is_not_done(Node, ns, check):
    with pytest.raises(ns["checks"].NotDone, match="not done yet"):
        ns[check](_stub if check == "check_layer" else Node)


def test_division_says_which_half_is_not_done(Node, ns):
    Node.__truediv__ = lambda self, other: self * ns["as_node"](other) ** -1
    with pytest.raises(ns["checks"].NotDone, match="__rtruediv__ still raises"):
        ns["check_division"](Node)


@pytest.mark.parametrize("marker", ["def exp(self):", "def __truediv__(self, other):", "def train_layer("])
def test_the_reference_solutions_pass(Node, run_solution, marker, capsys):
    run_solution(marker)
    assert "correct" in capsys.readouterr().out


def test_the_layer_check_leaves_layer_data_as_it_was(ns):
    before = list(ns["layer_data"])
    with pytest.raises(AssertionError):
        ns["check_layer"](lambda layer: [0.0])
    assert ns["layer_data"] == before


# ------------------------------------------------------------ exercise 1: exp
def _exp(Node, assign=False, times_out_grad=True, parents=True, slope_from_input=False, attach=True,
         copy_parent=False):
    def exp(self):
        e = math.exp(self.data)
        parent = Node(self.data) if copy_parent else self
        out = Node(e, (parent,) if parents else (), "exp")

        def _backward():
            slope = self.data if slope_from_input else e
            change = slope * out.grad if times_out_grad else slope
            if assign:
                parent.grad = change
            else:
                parent.grad += change

        if attach:
            out._backward = _backward
        return out

    return exp


def _exp_in_place(self):
    self.data = math.exp(self.data)  # turns the input itself into the result
    return self


def _exp_by_scalar(ns):
    Node, Scalar = ns["Node"], ns["Scalar"]

    def exp(self):
        inner = Scalar(self.data).exp()
        out = Node(inner.data, (self,), "exp")

        def _backward():
            self.grad += inner.data * out.grad

        out._backward = _backward
        return out

    return exp


def _exp_by_scalar_in_a_thread(ns):
    Node, Scalar = ns["Node"], ns["Scalar"]

    def exp(self):
        box = {}
        worker = threading.Thread(target=lambda: box.setdefault("value", Scalar(self.data).exp().data))
        worker.start()
        worker.join()
        out = Node(box["value"], (self,), "exp")

        def _backward():
            self.grad += box["value"] * out.grad

        out._backward = _backward
        return out

    return exp


def _exp_by_series(terms):
    """e ** x as the first `terms` terms of its series, built from the lesson's + and *: right only near 0."""
    def exp(self):
        out = term = self * 0.0 + 1.0
        for k in range(1, terms):
            term = term * self * (1.0 / k)
            out = out + term
        return out

    return exp


def _exp_cached_by_value(Node):
    """Keeps each result by the input's value: a second node of the same value gets the first one's graph."""
    cache = {}
    right = _exp(Node)

    def exp(self):
        if self.data not in cache:
            cache[self.data] = right(self)
        return cache[self.data]

    return exp


WRONG_EXPS = {
    "a series of 17 terms": lambda Node, ns: _exp_by_series(17),
    "a series of 40 terms": lambda Node, ns: _exp_by_series(40),
    "results kept by the input's value": lambda Node, ns: _exp_cached_by_value(Node),
    "= instead of +=": lambda Node, ns: _exp(Node, assign=True),
    "out.grad forgotten": lambda Node, ns: _exp(Node, times_out_grad=False),
    "no parent recorded": lambda Node, ns: _exp(Node, parents=False),
    "a copy of the input as the parent": lambda Node, ns: _exp(Node, copy_parent=True),
    "the slope of x, not of exp(x)": lambda Node, ns: _exp(Node, slope_from_input=True),
    "_backward never attached": lambda Node, ns: _exp(Node, attach=False),
    "a float, not a Node": lambda Node, ns: lambda self: math.exp(self.data),
    "the input changed in place": lambda Node, ns: _exp_in_place,
    "tinyfit's Scalar inside": lambda Node, ns: _exp_by_scalar(ns),
    "tinyfit's Scalar in a thread": lambda Node, ns: _exp_by_scalar_in_a_thread(ns),
    "e to the power of 1/x": lambda Node, ns: lambda self: (self ** -1) * 0.0 + math.e ** (1 / self.data),
}


@pytest.mark.parametrize("mistake", list(WRONG_EXPS))
def test_exp_check_rejects(Node, ns, mistake):
    Node.exp = WRONG_EXPS[mistake](Node, ns)
    with pytest.raises(AssertionError):
        ns["check_exp"](Node)


@pytest.mark.parametrize("mistake, message", [
    ("= instead of +=", r"\(\+=\) or overwrite it \(=\)"),
    ("no parent recorded", r"record its input as its parent"),
    ("a float, not a Node", "not a Node"),
    ("the input changed in place", "changed the data of a node it was given"),
    ("tinyfit's Scalar in a thread", r"called tinyfit .*from thread"),
])
def test_exp_check_names_the_mistake(Node, ns, mistake, message):
    Node.exp = WRONG_EXPS[mistake](Node, ns)
    with pytest.raises(AssertionError, match=message):
        ns["check_exp"](Node)


def test_exp_check_accepts_another_correct_form(Node, ns, capsys):
    def exp(self):
        out = Node(math.e**self.data, (self,), "exp")

        def _backward():
            self.grad = self.grad + out.data * out.grad

        out._backward = _backward
        return out

    Node.exp = exp
    ns["check_exp"](Node)
    assert "Exercise 1: correct" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 2: division
def _own_division(ns, sign=-1.0, assign=False, constant_divisor=False, wrap=True):
    Node, as_node = ns["Node"], ns["as_node"]

    def truediv(self, other):
        other = as_node(other) if wrap else other
        parents = (self,) if constant_divisor else (self, other)
        out = Node(self.data / other.data, parents, "/")

        def _backward():
            self.grad += out.grad / other.data
            change = sign * out.grad * self.data / other.data**2
            if constant_divisor:
                return
            if assign:
                other.grad = change
            else:
                other.grad += change

        out._backward = _backward
        return out

    return truediv


def _reflected(ns):
    return lambda self, other: ns["as_node"](other) * self**-1


WRONG_DIVISIONS = {
    "a forward without gradient": lambda ns: (lambda self, other: ns["Node"](self.data / ns["as_node"](other).data),
                                              lambda self, other: ns["Node"](ns["as_node"](other).data / self.data)),
    "the reflected division the wrong way round": lambda ns: (_own_division(ns),
                                                              lambda self, other: self * ns["as_node"](other) ** -1),
    "the sign of d/db lost": lambda ns: (_own_division(ns, sign=1.0), _reflected(ns)),
    "= instead of += for the divisor": lambda ns: (_own_division(ns, assign=True), _reflected(ns)),
    "the divisor treated as a constant": lambda ns: (_own_division(ns, constant_divisor=True), _reflected(ns)),
    "plain numbers not wrapped": lambda ns: (_own_division(ns, wrap=False), _reflected(ns)),
    "__rtruediv__ left out": lambda ns: (_own_division(ns), None),
    "the divisor's value frozen in a new leaf": lambda ns: (
        lambda self, other: self * ns["Node"](1 / ns["as_node"](other).data), _reflected(ns)),
}


@pytest.mark.parametrize("mistake", list(WRONG_DIVISIONS))
def test_division_check_rejects(Node, ns, mistake):
    truediv, rtruediv = WRONG_DIVISIONS[mistake](ns)
    Node.__truediv__ = truediv
    if rtruediv is None:
        del Node.__rtruediv__
    else:
        Node.__rtruediv__ = rtruediv
    with pytest.raises(AssertionError):
        ns["check_division"](Node)


@pytest.mark.parametrize("mistake, message", [("the reflected division the wrong way round", "plain number on top"),
                                              ("the sign of d/db lost", "-a/b"),
                                              ("__rtruediv__ left out", "raised TypeError")])
def test_division_check_names_the_mistake(Node, ns, mistake, message):
    truediv, rtruediv = WRONG_DIVISIONS[mistake](ns)
    Node.__truediv__ = truediv
    if rtruediv is None:
        del Node.__rtruediv__
    else:
        Node.__rtruediv__ = rtruediv
    with pytest.raises(AssertionError, match=message):
        ns["check_division"](Node)


def test_division_check_accepts_its_own_backward(Node, ns, capsys):
    truediv = _own_division(ns)
    Node.__truediv__ = truediv
    Node.__rtruediv__ = lambda self, other: truediv(ns["as_node"](other), self)
    ns["check_division"](Node)
    assert "Exercise 2: correct" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 3: training a layer
def _trainer(ns, sign=1.0, only_first_target=False, record_after=False, update=True, reset=True,
             steps=100, learning_rate=0.05, mean=False, data=None, new_nodes=False, drop_last=False):
    def train_layer(layer):
        losses = []
        for _ in range(steps):
            def total():
                points = data if data is not None else ns["layer_data"]
                loss = sum((out - (targets[0] if only_first_target else target)) ** 2
                           for (x1, x2), targets in points
                           for out, target in zip(layer([x1, x2]), targets))
                return loss * (1 / (2 * len(points))) if mean else loss

            loss = total()
            if reset:
                for p in layer.parameters():
                    p.grad = 0.0
            loss.backward()
            if update and new_nodes:
                for neuron in layer.neurons:
                    neuron.w = [ns["Node"](w.data - learning_rate * w.grad) for w in neuron.w]
                    neuron.b = ns["Node"](neuron.b.data - learning_rate * neuron.b.grad)
            elif update:
                for p in layer.parameters():
                    p.data -= sign * learning_rate * p.grad
            losses.append(total().data if record_after else loss.data)
        return losses[:-1] if drop_last else losses

    return train_layer


def test_layer_check_rejects_a_function_that_does_nothing(ns):
    with pytest.raises(AssertionError, match="list of losses"):
        ns["check_layer"](lambda layer: 0.0)


def test_layer_check_rejects_a_made_up_history(ns):
    with pytest.raises(AssertionError):
        ns["check_layer"](lambda layer: [ns["layer_loss"](layer), 0.05])


def _a_global_layer(ns):
    other = ns["Layer"](2, 2, random.Random(0))
    trainer = _trainer(ns)
    return lambda layer: trainer(other)  # trains a layer of its own, not the one it was given


WRONG_TRAINERS = {
    "a step up the gradient": lambda ns: _trainer(ns, sign=-1.0),
    "both neurons trained on the first target": lambda ns: _trainer(ns, only_first_target=True),
    "losses recorded after each update": lambda ns: _trainer(ns, record_after=True),
    "the parameters never updated": lambda ns: _trainer(ns, update=False),
    "too few steps": lambda ns: _trainer(ns, steps=3),
    "gradients never reset": lambda ns: _trainer(ns, reset=False, learning_rate=0.01, steps=300),
    "the mean, not the sum, of the squared errors": lambda ns: _trainer(ns, mean=True, learning_rate=0.6),
    "the lesson's data copied into the function": lambda ns: _trainer(ns, data=list(ns["layer_data"])),
    "new Nodes instead of an update in place": lambda ns: _trainer(ns, new_nodes=True),
    "a layer of its own trained": _a_global_layer,
    "the last step's loss left out": lambda ns: _trainer(ns, drop_last=True),
}


@pytest.mark.parametrize("mistake", list(WRONG_TRAINERS))
def test_layer_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_layer"](WRONG_TRAINERS[mistake](ns))


@pytest.mark.parametrize("mistake, message", [
    ("gradients never reset", "against the gradient"),
    ("losses recorded after each update", "before that step's update"),
    ("new Nodes instead of an update in place", "never moved"),
    ("too few steps", "after training"),
    ("the last step's loss left out", "one loss per step"),
])
def test_layer_check_names_the_mistake(ns, mistake, message):
    with pytest.raises(AssertionError, match=message):
        ns["check_layer"](WRONG_TRAINERS[mistake](ns))


def test_layer_check_rejects_tinyfit_inside(ns):
    Scalar = ns["Scalar"]

    def train_layer(layer):
        losses = []
        for _ in range(100):
            loss = sum((out - target) ** 2 for (x1, x2), targets in ns["layer_data"]
                       for out, target in zip(layer([x1, x2]), targets))
            for p in layer.parameters():
                p.grad = 0.0
            loss.backward()
            for p in layer.parameters():
                p.data = (Scalar(p.data) - 0.05 * p.grad).data
            losses.append(loss.data)
        return losses

    with pytest.raises(AssertionError, match="called tinyfit"):
        ns["check_layer"](train_layer)


def test_layer_check_accepts_another_correct_form(ns, capsys):
    Node = ns["Node"]

    def train_layer(layer, steps=150):
        params, losses = layer.parameters(), []
        while len(losses) < steps:
            learning_rate = 0.08 / (1 + len(losses) / 100)  # a learning rate that decays
            total = Node(0.0)
            for (x1, x2), targets in ns["layer_data"]:
                for out, target in zip(layer([x1, x2]), targets):
                    total = total + (out + (-target)) ** 2
            for p in params:
                p.grad = 0.0
            total.backward()
            for p in params:
                p.data = p.data - learning_rate * p.grad
            losses.append(total)  # Nodes are accepted too
        return losses

    ns["check_layer"](train_layer)
    assert "Exercise 3: correct" in capsys.readouterr().out

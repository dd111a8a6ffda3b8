"""Lesson 01's exercise checks reject typical wrong answers and accept right ones.

The lesson's code cells run in one namespace (conftest.py), as a student would run them,
except the folded reference solutions. The exercises add methods to the lesson's `Node`
class, so each test puts the class back as it found it.
"""

import math
import random
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


@pytest.mark.parametrize("check, name", [("check_exp", "Node"), ("check_division", "Node"),
                                         ("check_layer", None)])
def test_a_check_waits_for_an_answer(Node, ns, check, name, capsys):
    ns[check](Node if name else None)
    assert "waiting for you" in capsys.readouterr().out


@pytest.mark.parametrize("marker", ["def exp(self):", "Node.__truediv__ =", "def train_layer("])
def test_the_reference_solutions_pass(Node, run_solution, marker, capsys):
    run_solution(marker)
    assert "correct" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 1: exp
def _exp(Node, assign=False, times_out_grad=True, parents=True, slope_from_input=False):
    def exp(self):
        e = math.exp(self.data)
        out = Node(e, (self,) if parents else (), "exp")

        def _backward():
            slope = self.data if slope_from_input else e
            change = slope * out.grad if times_out_grad else slope
            if assign:
                self.grad = change
            else:
                self.grad += change

        out._backward = _backward
        return out

    return exp


WRONG_EXPS = {
    "= instead of +=": dict(assign=True),
    "out.grad forgotten": dict(times_out_grad=False),
    "no parent recorded": dict(parents=False),
    "the slope of x, not of exp(x)": dict(slope_from_input=True),
}


@pytest.mark.parametrize("mistake", list(WRONG_EXPS))
def test_exp_check_rejects(Node, ns, mistake):
    Node.exp = _exp(Node, **WRONG_EXPS[mistake])
    with pytest.raises(AssertionError):
        ns["check_exp"](Node)


def test_exp_check_names_the_overwrite(Node, ns):
    Node.exp = _exp(Node, assign=True)
    with pytest.raises(AssertionError, match=r"\(\+=\) or overwrite it \(=\)"):
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
def test_division_check_rejects_a_forward_without_gradient(Node, ns):
    as_node = ns["as_node"]
    Node.__truediv__ = lambda self, other: Node(self.data / as_node(other).data)
    Node.__rtruediv__ = lambda self, other: Node(as_node(other).data / self.data)
    with pytest.raises(AssertionError):
        ns["check_division"](Node)


def test_division_check_rejects_a_reflected_division_the_wrong_way_round(Node, ns):
    as_node = ns["as_node"]
    Node.__truediv__ = lambda self, other: self * as_node(other) ** -1
    Node.__rtruediv__ = lambda self, other: self * as_node(other) ** -1  # b / 1, not 1 / b
    with pytest.raises(AssertionError, match="plain number on top"):
        ns["check_division"](Node)


def test_division_check_rejects_a_wrong_quotient_rule(Node, ns):
    as_node = ns["as_node"]

    def truediv(self, other):
        other = as_node(other)
        out = Node(self.data / other.data, (self, other), "/")

        def _backward():
            self.grad += out.grad / other.data
            other.grad += self.data / other.data**2 * out.grad  # sign lost

        out._backward = _backward
        return out

    Node.__truediv__ = truediv
    with pytest.raises(AssertionError, match="-a/b"):
        ns["check_division"](Node)


def test_division_check_accepts_its_own_backward(Node, ns, capsys):
    as_node = ns["as_node"]

    def truediv(self, other):
        other = as_node(other)
        out = Node(self.data / other.data, (self, other), "/")

        def _backward():
            self.grad += out.grad / other.data
            other.grad -= out.grad * self.data / (other.data * other.data)

        out._backward = _backward
        return out

    Node.__truediv__ = truediv
    Node.__rtruediv__ = lambda self, other: truediv(as_node(other), self)
    ns["check_division"](Node)
    assert "Exercise 2: correct" in capsys.readouterr().out


# ------------------------------------------------------------ exercise 3: training a layer
def _trainer(ns, sign=1.0, only_first_target=False, record_after=False, update=True, reset=True,
             steps=100, learning_rate=0.05):
    def train_layer(layer):
        losses = []
        for _ in range(steps):
            def total():
                return sum((out - (targets[0] if only_first_target else target)) ** 2
                           for (x1, x2), targets in ns["layer_data"]
                           for out, target in zip(layer([x1, x2]), targets))

            loss = total()
            if reset:
                for p in layer.parameters():
                    p.grad = 0.0
            loss.backward()
            if update:
                for p in layer.parameters():
                    p.data -= sign * learning_rate * p.grad
            losses.append(total().data if record_after else loss.data)
        return losses

    return train_layer


def test_layer_check_rejects_a_function_that_does_nothing(ns):
    with pytest.raises(AssertionError, match="list of losses"):
        ns["check_layer"](lambda layer: 0.0)


def test_layer_check_rejects_a_made_up_history(ns):
    with pytest.raises(AssertionError):
        ns["check_layer"](lambda layer: [ns["layer_loss"](layer), 0.05])


WRONG_TRAINERS = {
    "a step up the gradient": dict(sign=-1.0),
    "both neurons trained on the first target": dict(only_first_target=True),
    "losses recorded after each update": dict(record_after=True),
    "the parameters never updated": dict(update=False),
    "too few steps": dict(steps=3),
}


@pytest.mark.parametrize("mistake", list(WRONG_TRAINERS))
def test_layer_check_rejects(ns, mistake):
    with pytest.raises(AssertionError):
        ns["check_layer"](_trainer(ns, **WRONG_TRAINERS[mistake]))


def test_layer_check_accepts_another_correct_form(ns, capsys):
    Node = ns["Node"]

    def train_layer(layer, steps=300, learning_rate=0.02):
        params, losses = layer.parameters(), []
        while len(losses) < steps:
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

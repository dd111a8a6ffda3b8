"""Layer.supports_jit: a layer says in its own class body whether call() runs the same ops
whatever the values, so that fit() may record one step and replay it (jit_compile="auto").
Every public layer of tinyfit says so but Lambda, which runs its user's function, and
TextVectorization, which works on strings."""

import tinyfit as keras
from tinyfit import layers


def public_layer_classes():
    found = {}
    for name in dir(layers):
        value = getattr(layers, name)
        if isinstance(value, type) and issubclass(value, layers.Layer):
            found.setdefault(value, name)  # aliases (MaxPool2D, Convolution2D) are one class
    return found


def test_every_public_layer_but_lambda_declares_it_in_its_own_body():
    undeclared = sorted(name for cls, name in public_layer_classes().items()
                        if vars(cls).get("supports_jit") is not True)
    # TextVectorization works on strings, before the engine: there is nothing of it to record.
    assert undeclared == ["Lambda", "Layer", "TextVectorization"]


def test_the_base_says_no_and_a_subclass_does_not_inherit_a_yes():
    class OwnDense(layers.Dense):
        pass

    class Declared(layers.Layer):
        supports_jit = True

    assert layers.Layer.supports_jit is False
    # A functional or Sequential model runs its graph of layers; a subclass of Model writes call() itself.
    assert vars(keras.Model)["supports_jit"] is True and vars(keras.Sequential)["supports_jit"] is True

    class Subclassed(keras.Model):
        def call(self, x):
            return x

    assert "supports_jit" not in vars(Subclassed)
    assert "supports_jit" not in vars(OwnDense) and vars(Declared)["supports_jit"] is True

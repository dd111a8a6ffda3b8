"""Lists and dicts that tell the layers holding them when they change.

A layer records its weights and sub-layers when they are assigned to its
attributes (tracking.py). A list or dict can change after it was assigned
(`self.blocks = []`, then `self.blocks.append(Dense(3))`), so, as Keras does,
the attribute keeps a TrackedList or TrackedDict in its place: a list or dict in
every way, with the same items, that tells each layer holding it to record its
attributes again after every change. Lists and dicts inside it are tracked
too, and so are those inside a tuple (the tuple is rebuilt around them).

The attribute holds the tracked copy, not the object that was assigned: change
the list through the attribute (`self.blocks.append(...)`), not through another
name for the original.
"""

from __future__ import annotations

import weakref
from typing import Any


def tracked(value: Any) -> Any:
    """`value` with every list and dict in it (inside tuples too) replaced by a tracked one."""
    if isinstance(value, (TrackedList, TrackedDict)):
        return value
    if isinstance(value, list):
        return TrackedList(value)
    if isinstance(value, dict):
        return TrackedDict(value)
    if type(value) is tuple or (isinstance(value, tuple) and hasattr(value, "_fields")):  # a namedtuple
        items = [tracked(item) for item in value]
        if all(new is old for new, old in zip(items, value)):
            return value
        return type(value)(*items) if hasattr(value, "_fields") else tuple(items)
    return value


def adopt(value: Any, owner: Any) -> None:
    """From now on `owner` hears of every change to the tracked lists and dicts inside `value`."""
    if isinstance(value, (TrackedList, TrackedDict)):
        value._adopt(owner)
    elif isinstance(value, tuple):
        for item in value:
            adopt(item, owner)


def _then_changed(base: type, name: str) -> Any:
    """base's method `name`, followed by telling the owners (for methods that add nothing to track)."""
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        result = getattr(base, name)(self, *args, **kwargs)
        self._changed()
        return result
    method.__name__ = name
    method.__doc__ = getattr(base, name).__doc__
    return method


class _Owned:
    """What TrackedList and TrackedDict share: the layers that hold them (weakly) and telling them."""

    _owners: list

    def _adopt(self, owner: Any) -> None:
        if any(ref() is owner for ref in self._owners):
            return  # also ends the recursion through a container that holds itself
        self._owners.append(weakref.ref(owner))
        for item in self._items():
            adopt(item, owner)

    def _take(self, item: Any) -> Any:
        """A new item as this container keeps it: tracked, and adopted by every layer holding it."""
        item = tracked(item)
        for ref in self._owners:
            owner = ref()
            if owner is not None:
                adopt(item, owner)
        return item

    def _changed(self) -> None:
        # A layer that no longer holds this container records again and finds nothing new:
        # harmless, and cheaper than untangling which attributes still hold it.
        for ref in list(self._owners):
            owner = ref()
            if owner is not None:
                owner._record()

    def _items(self) -> Any:
        raise NotImplementedError

    def __reduce_ex__(self, protocol: Any) -> Any:
        # A copy (copy, deepcopy, pickle) is a plain list or dict: it belongs to no layer yet.
        return self._plain, (self._plain(self),)


class TrackedList(_Owned, list):
    """A list kept by a layer's attribute; changing it updates the layer's weights and sub-layers."""

    _plain = list

    def __init__(self, items: Any = ()):
        super().__init__(tracked(item) for item in items)
        self._owners = []

    def _items(self) -> Any:
        return list(self)

    def append(self, item: Any) -> None:
        super().append(self._take(item))
        self._changed()

    def extend(self, items: Any) -> None:
        super().extend([self._take(item) for item in items])
        self._changed()

    def insert(self, index: Any, item: Any) -> None:
        super().insert(index, self._take(item))
        self._changed()

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            value = [self._take(item) for item in value]
        else:
            value = self._take(value)
        super().__setitem__(index, value)
        self._changed()

    def __iadd__(self, items: Any) -> "TrackedList":
        self.extend(items)
        return self

    def __imul__(self, times: Any) -> "TrackedList":
        super().__imul__(times)
        self._changed()
        return self

    # What only removes or reorders items: nothing new to track.
    pop = _then_changed(list, "pop")
    remove = _then_changed(list, "remove")
    clear = _then_changed(list, "clear")
    sort = _then_changed(list, "sort")
    reverse = _then_changed(list, "reverse")
    __delitem__ = _then_changed(list, "__delitem__")


class TrackedDict(_Owned, dict):
    """A dict kept by a layer's attribute; changing it updates the layer's weights and sub-layers."""

    _plain = dict

    def __init__(self, items: Any = ()):
        super().__init__((key, tracked(value)) for key, value in dict(items).items())
        self._owners = []

    def _items(self) -> Any:
        return list(self.values())

    def __setitem__(self, key: Any, value: Any) -> None:
        super().__setitem__(key, self._take(value))
        self._changed()

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, value in dict(*args, **kwargs).items():
            super().__setitem__(key, self._take(value))
        self._changed()

    def setdefault(self, key: Any, default: Any = None) -> Any:
        if key not in self:
            self[key] = default
        return self[key]

    def __ior__(self, items: Any) -> "TrackedDict":
        self.update(items)
        return self

    # What only removes items: nothing new to track.
    pop = _then_changed(dict, "pop")
    popitem = _then_changed(dict, "popitem")
    clear = _then_changed(dict, "clear")
    __delitem__ = _then_changed(dict, "__delitem__")

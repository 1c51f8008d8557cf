"""A fitted model as data: JSON for its structure, NumPy arrays beside it, no pickle.

`to_state(obj)` turns a fitted object into a JSON-able tree plus a dict of arrays; `from_state`
rebuilds it. Only known types are ever built: the model's own classes, named by a stable key
(their class name, never their module, so moving a module keeps every stored model readable),
and scikit-learn, NumPy and SciPy classes, named by their import path. Objects are taken apart
the way pickle would take them (`__reduce_ex__`, `__getstate__`), but the parts are written as
data, and loading names no function outside that list.
"""

from __future__ import annotations

import datetime as dt
import importlib
import math
import types
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from smartcart.engine.errors import ModelError

# Libraries whose classes (and reconstructors) a stored model may name.
TRUSTED_LIBRARIES = ("sklearn", "numpy", "scipy")
# Plain Python helpers pickle's protocol 2 names for ordinary objects.
TRUSTED_GLOBALS = {"copyreg.__newobj__", "copyreg._reconstructor", "builtins.object"}


# Parts of a library object that a fitted model never uses and that do not fit as data: Birch
# keeps its whole CF-tree (a doubly linked list of nodes) for partial_fit; predict needs none of it.
DROPPED_STATE = {"sklearn.cluster._birch.Birch": ("root_", "dummy_leaf_")}
FUNCTION_TYPES = (types.FunctionType, types.BuiltinFunctionType, np.ufunc, type)


@dataclass
class StateWriter:
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    seen: dict[int, int] = field(default_factory=dict)  # id(object) -> its reference number
    keep_alive: list = field(default_factory=list)

    def array(self, value: np.ndarray) -> dict:
        if value.dtype.hasobject:
            items = [self.encode(v) for v in value.ravel()]
            return {"$objects": items, "shape": list(value.shape)}
        key = f"a{len(self.arrays)}"
        self.arrays[key] = value
        return {"$array": key}

    def encode(self, value: Any) -> Any:
        if value is None or type(value) in (bool, str, int):
            return value
        if type(value) is float:
            return value if math.isfinite(value) else {"$float": str(value)}
        if isinstance(value, np.ndarray):
            return self.array(value)
        if isinstance(value, np.generic):
            return {"$scalar": value.dtype.str, "value": self.encode(value.item())}
        if isinstance(value, np.dtype):
            return {"$dtype": self.encode(np.lib.format.dtype_to_descr(value))}
        if isinstance(value, list):
            return [self.encode(v) for v in value]
        if isinstance(value, tuple):
            return {"$tuple": [self.encode(v) for v in value]}
        if isinstance(value, dict):
            return {"$dict": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if isinstance(value, set | frozenset):
            return {"$set": [self.encode(v) for v in sorted(value, key=repr)]}
        if isinstance(value, slice):
            return {"$slice": [self.encode(value.start), self.encode(value.stop), value.step]}
        if isinstance(value, dt.datetime | dt.date):
            kind = "datetime" if isinstance(value, dt.datetime) else "date"
            return {"$" + kind: value.isoformat()}
        if isinstance(value, FUNCTION_TYPES):
            return {"$global": global_name(value)}
        if id(value) in self.seen:
            return {"$ref": self.seen[id(value)]}
        self.seen[id(value)] = len(self.seen)
        self.keep_alive.append(value)
        return self.instance(value)

    def instance(self, value: Any) -> dict:
        cls = type(value)
        number = self.seen[id(value)]
        if OWN_CLASSES.get(cls.__name__) is cls:
            return {"$own": cls.__name__, "id": number, "state": self.encode(own_state(value))}
        reduced = value.__reduce_ex__(2)
        if isinstance(reduced, str):  # a module-level singleton
            return {"$global": f"{cls.__module__}.{reduced}"}
        maker, args, *rest = reduced
        state = rest[0] if rest else None
        dropped = DROPPED_STATE.get(f"{cls.__module__}.{cls.__qualname__}", ())
        if dropped and isinstance(state, dict):
            state = {k: v for k, v in state.items() if k not in dropped}
        return {
            "$reduce": global_name(maker),
            "id": number,
            "args": self.encode(tuple(args)),
            "state": self.encode(state),
        }


def own_state(value: Any) -> dict:
    return value.__getstate__() if hasattr(value, "__getstate__") else dict(value.__dict__)


def global_name(value: Any) -> str:
    name = f"{value.__module__}.{value.__qualname__}"
    check_trusted(name)
    return name


def check_trusted(name: str) -> None:
    if name in TRUSTED_GLOBALS or name.split(".")[0] in TRUSTED_LIBRARIES:
        return
    raise ModelError(f"model state names {name}, which is not a type a model may hold")


def resolve_global(name: str) -> Any:
    check_trusted(name)
    module, _, qualname = name.rpartition(".")
    while module:
        try:
            target: Any = importlib.import_module(module)
            break
        except ModuleNotFoundError:
            module, _, outer = module.rpartition(".")
            qualname = f"{outer}.{qualname}"
    else:
        raise ModelError(f"model state names {name}, which this installation does not have")
    for part in qualname.split("."):
        target = getattr(target, part)
    return target


@dataclass
class StateReader:
    arrays: dict[str, np.ndarray]
    built: dict[int, Any] = field(default_factory=dict)

    def decode(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.decode(v) for v in value]
        if not isinstance(value, dict):
            return value
        ((tag, body), *rest) = value.items()
        decoder = getattr(self, "decode_" + tag.lstrip("$"), None)
        if decoder is None:
            raise ModelError(f"model state has an unknown entry {tag!r}")
        return decoder(body, dict(rest))

    def decode_array(self, key: str, _: dict) -> np.ndarray:
        return self.arrays[key]

    def decode_objects(self, items: list, extra: dict) -> np.ndarray:
        out = np.empty(len(items), dtype=object)
        out[:] = [self.decode(v) for v in items]
        return out.reshape(extra["shape"])

    def decode_float(self, text: str, _: dict) -> float:
        return float(text)

    def decode_scalar(self, dtype: str, extra: dict) -> np.generic:
        return np.dtype(dtype).type(self.decode(extra["value"]))

    def decode_dtype(self, descr: Any, _: dict) -> np.dtype:
        return np.lib.format.descr_to_dtype(self.decode(descr))

    def decode_slice(self, parts: list, _: dict) -> slice:
        return slice(*(self.decode(p) for p in parts))

    def decode_ref(self, number: int, _: dict) -> Any:
        return self.built[number]

    def decode_tuple(self, items: list, _: dict) -> tuple:
        return tuple(self.decode(v) for v in items)

    def decode_dict(self, pairs: list, _: dict) -> dict:
        return {self.decode(k): self.decode(v) for k, v in pairs}

    def decode_set(self, items: list, _: dict) -> set:
        return {self.decode(v) for v in items}

    def decode_date(self, text: str, _: dict) -> dt.date:
        return dt.date.fromisoformat(text)

    def decode_datetime(self, text: str, _: dict) -> dt.datetime:
        return dt.datetime.fromisoformat(text)

    def decode_global(self, name: str, _: dict) -> Any:
        return resolve_global(name)

    def decode_own(self, name: str, extra: dict) -> Any:
        if name not in OWN_CLASSES:
            raise ModelError(f"model state has a {name}, which this version does not know")
        cls = OWN_CLASSES[name]
        obj = self.built[extra["id"]] = cls.__new__(cls)
        restore(obj, self.decode(extra["state"]))
        return obj

    def decode_reduce(self, name: str, extra: dict) -> Any:
        maker = resolve_global(name)
        obj = self.built[extra["id"]] = maker(*self.decode(extra["args"]))
        state = self.decode(extra["state"])
        if state is not None:
            restore(obj, state)
        return obj


def restore(obj: Any, state: Any) -> None:
    if hasattr(obj, "__setstate__"):
        obj.__setstate__(state)
    else:
        obj.__dict__.update(state)


# The model's own classes, by the stable key a stored model names them with (`register_own`).
OWN_CLASSES: dict[str, type] = {}


def register_own(*classes: type) -> None:
    for cls in classes:
        OWN_CLASSES[cls.__name__] = cls


def to_state(obj: Any) -> tuple[Any, dict[str, np.ndarray]]:
    writer = StateWriter()
    return writer.encode(obj), writer.arrays


def from_state(tree: Any, arrays: dict[str, np.ndarray]) -> Any:
    return StateReader(arrays).decode(tree)

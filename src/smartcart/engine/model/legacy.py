"""Models written by release 0.1 (artifact format 2: a joblib pickle), read once to convert them.

The pickle names its classes by the module paths of that release (`segmentation.features...`),
which no longer exist. It is read with an unpickler that builds only the model's own classes
(found by class name, wherever they live now) and scikit-learn, NumPy and SciPy types, and
refuses anything else, so converting a stored model runs no code the file names.
"""

from __future__ import annotations

import io
import zlib
from pathlib import Path
from typing import Any

from joblib.numpy_pickle import NumpyUnpickler

from smartcart.engine.errors import ModelError
from smartcart.engine.model.state import OWN_CLASSES, TRUSTED_GLOBALS, TRUSTED_LIBRARIES

LEGACY_FORMAT = 2
LEGACY_SUFFIX = ".joblib"
# Packages whose classes a format 2 artifact names (release 0.1; this layout, in tests).
LEGACY_PACKAGES = ("segmentation", "bot", "smartcart")
# Besides the trusted libraries: what a joblib pickle of a model names for plain values.
PLAIN_GLOBALS = TRUSTED_GLOBALS | {
    "builtins.slice",
    "builtins.set",
    "builtins.frozenset",
    "builtins.complex",
    "collections.OrderedDict",
    "datetime.date",
    "datetime.datetime",
    "joblib.numpy_pickle.NumpyArrayWrapper",
}
ZLIB_HEADER = b"\x78"


class LegacyUnpickler(NumpyUnpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module.split(".")[0] in LEGACY_PACKAGES:
            if name in OWN_CLASSES:
                return OWN_CLASSES[name]
            raise ModelError(f"names {module}.{name}, which this version does not have")
        if module.split(".")[0] in TRUSTED_LIBRARIES or f"{module}.{name}" in PLAIN_GLOBALS:
            return super().find_class(module, name)
        raise ModelError(f"names {module}.{name}, which is not a type a model may hold")


def read_legacy_payload(path: Path) -> dict:
    """The format 2 payload (`format`, `versions`, `model`) of a release 0.1 artifact."""
    raw = Path(path).read_bytes()
    if raw[:1] == ZLIB_HEADER:
        raw = zlib.decompress(raw)
    unpickler = LegacyUnpickler(str(path), io.BytesIO(raw), ensure_native_byte_order=True)
    try:
        payload = unpickler.load()
    except ModelError as error:
        raise ModelError(f"{path}: cannot convert this model artifact: it {error}") from None
    except Exception as error:  # a damaged or foreign pickle raises many types
        raise ModelError(
            f"{path}: cannot read this model artifact ({type(error).__name__}); "
            "it was written by an incompatible version: retrain with `smartcart train`"
        ) from None
    if not isinstance(payload, dict) or payload.get("format") != LEGACY_FORMAT:
        found = payload.get("format") if isinstance(payload, dict) else "unknown"
        raise ModelError(
            f"{path}: artifact format {found}, this version reads formats {LEGACY_FORMAT} "
            "(converting it) and 3; retrain with `smartcart train`"
        )
    return payload

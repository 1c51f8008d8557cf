"""The segmentation engine, a library with no chat client in it. Rooms by pipeline stage, each with
one door (its `__init__`): data -> model -> scoring -> store, and beside them marketing, history
and reports. `service` and `training` (local and Dask) orchestrate the rooms."""

from smartcart.engine.errors import DataError, ModelError, SegmentationError

__all__ = [
    "DataError",
    "ModelError",
    "SegmentService",
    "SegmentationError",
    "TrainingOptions",
    "train_dataset",
]


def __getattr__(name: str) -> object:
    """The orchestrators are imported when first asked for: they bring in every room (and
    scikit-learn, matplotlib...), which a command reading only data or orders does not need."""
    if name == "SegmentService":
        from smartcart.engine.service import SegmentService

        return SegmentService
    if name == "TrainingOptions":
        from smartcart.engine.training import TrainingOptions

        return TrainingOptions
    if name == "train_dataset":
        from smartcart.engine.training_dask import train_dataset

        return train_dataset
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

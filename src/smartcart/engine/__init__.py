"""The segmentation engine, a library with no chat client in it. Rooms by pipeline stage, each with
one door (its `__init__`): data -> model -> scoring -> store, and beside them marketing, history
and reports. `service` and `training` (local and Dask) orchestrate the rooms."""

from smartcart.engine.errors import DataError, ModelError, SegmentationError
from smartcart.engine.service import SegmentService
from smartcart.engine.training import TrainingOptions
from smartcart.engine.training_dask import train_dataset

__all__ = [
    "DataError",
    "ModelError",
    "SegmentService",
    "SegmentationError",
    "TrainingOptions",
    "train_dataset",
]

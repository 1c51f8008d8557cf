"""The model: features, clustering candidates and selection, personas, propensity, card, artifact."""

from smartcart.engine.model import selection
from smartcart.engine.model.artifact import (
    SegmentModel,
    atomic_write,
    live_version,
    load_live_model,
    make_live,
    model_path,
    save_model,
    upgrade_models,
)
from smartcart.engine.model.assignment import feature_builder, segment_pipeline
from smartcart.engine.model.candidates import Candidate, Progress, evaluate_candidates, no_progress
from smartcart.engine.model.card import (
    EngineRun,
    Evaluation,
    Metrics,
    ModelCard,
    Requested,
    ResponseFigures,
    RowCounts,
    TrainingData,
)
from smartcart.engine.model.clusterer import ALGORITHMS, SegmentClusterer
from smartcart.engine.model.drift import feature_bin_counts, psi_of_feature_counts
from smartcart.engine.model.features import PROFILE_FEATURES, build_preprocessor, cluster_inputs
from smartcart.engine.model.naming import is_unmatched, missing_personas
from smartcart.engine.model.order_features import ORDER_PROFILE_FEATURES
from smartcart.engine.model.persona_files import check_features, read_persona_file
from smartcart.engine.model.persona_report import (
    SegmentCheck,
    description_warnings,
    distinguishing_figures,
    segment_checks,
    segment_profiles,
)
from smartcart.engine.model.persona_rules import Check
from smartcart.engine.model.persona_sets import (
    ALL_PERSONAS_BY_ID,
    ORDER_PERSONAS,
    PERSONA_SETS,
    PersonaSet,
    builtin_set,
    personas_of,
)
from smartcart.engine.model.personas import (
    PERSONAS,
    PERSONAS_BY_ID,
    Persona,
    SegmentName,
    choices,
    resolve_persona,
)
from smartcart.engine.model.propensity import (
    ResponseModel,
    add_propensity,
    fit_response_model,
    likelihood_words,
    report_section,
    segment_expectations,
    summary_line,
)
from smartcart.engine.model.selection import STABLE_ARI, choose_candidate, elbow_k, select

__all__ = [
    "ALGORITHMS",
    "ALL_PERSONAS_BY_ID",
    "ORDER_PERSONAS",
    "ORDER_PROFILE_FEATURES",
    "PERSONA_SETS",
    "personas_of",
    "Check",
    "PersonaSet",
    "SegmentCheck",
    "builtin_set",
    "check_features",
    "description_warnings",
    "distinguishing_figures",
    "is_unmatched",
    "read_persona_file",
    "segment_checks",
    "segment_profiles",
    "Candidate",
    "TrainingData",
    "EngineRun",
    "Evaluation",
    "Metrics",
    "ModelCard",
    "PERSONAS",
    "PERSONAS_BY_ID",
    "PROFILE_FEATURES",
    "Persona",
    "Progress",
    "Requested",
    "ResponseFigures",
    "ResponseModel",
    "RowCounts",
    "STABLE_ARI",
    "SegmentClusterer",
    "SegmentModel",
    "SegmentName",
    "add_propensity",
    "atomic_write",
    "build_preprocessor",
    "choices",
    "choose_candidate",
    "cluster_inputs",
    "elbow_k",
    "evaluate_candidates",
    "feature_builder",
    "feature_bin_counts",
    "fit_response_model",
    "likelihood_words",
    "live_version",
    "load_live_model",
    "make_live",
    "missing_personas",
    "model_path",
    "no_progress",
    "psi_of_feature_counts",
    "report_section",
    "resolve_persona",
    "save_model",
    "segment_expectations",
    "segment_pipeline",
    "select",
    "selection",
    "summary_line",
    "upgrade_models",
]

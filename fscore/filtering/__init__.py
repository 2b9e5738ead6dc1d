"""Filtering image-caption data (Part III): a web-like pool, filters that score pairs, and the DataComp protocol.

CLIP-score filtering and data filtering networks (Fang et al., ICLR 2024) in a DataComp-style harness (Gadre et al.,
NeurIPS 2023). The contrastive model itself is shared model code: :mod:`fscore.nn.contrastive`.
"""
from fscore.filtering.filters import (check_fraction, clip_score, dfn_training_indices, keep_top_fraction,
                                      random_scores, text_filter_scores)
from fscore.filtering.pool import (FASHION_CLASSES, KINDS, Corruption, Experiment, Pairs, Sources, check_pairs,
                                   clean_pairs, corrupt, load_sources, make_experiment)
from fscore.filtering.protocol import (Benchmark, Encoded, ModelSpec, evaluate, make_benchmark, retrieval_recall, train_and_evaluate, train_model,
                                       zero_shot_accuracy)

__all__ = ["Benchmark", "Corruption", "Encoded", "Experiment", "FASHION_CLASSES", "KINDS", "ModelSpec", "Pairs", "Sources",
           "check_fraction", "check_pairs", "clean_pairs", "clip_score", "corrupt", "dfn_training_indices", "evaluate", "keep_top_fraction",
           "load_sources", "make_benchmark", "make_experiment", "random_scores",
           "retrieval_recall", "text_filter_scores", "train_and_evaluate", "train_model", "zero_shot_accuracy"]

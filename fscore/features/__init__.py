"""Selecting features: score each feature, pick by a rule, check what the picks are worth."""
from fscore.features._base import FeatureSelector
from fscore.features._linear import explained_variance, least_squares_fit
from fscore.features.attention import LinearSequentialAttention, OneShotAttention, attention_mask
from fscore.features.best_subset import BestSubset, best_subset, greedy_bounds, restricted_min_eigenvalue
from fscore.features.lasso import SequentialLasso
from fscore.features.omp import OMP, ForwardRegression
from fscore.features.neural import (ForwardSelectionNet, GroupLassoNet, OMPNet, OneShotAttentionNet, RandomSubset,
                                    SequentialAttentionNet, SequentialLassoNet)

__all__ = ["BestSubset", "FeatureSelector", "ForwardRegression", "LinearSequentialAttention", "OMP",
           "OneShotAttention", "SequentialLasso", "attention_mask", "best_subset", "explained_variance",
           "greedy_bounds", "least_squares_fit", "restricted_min_eigenvalue"]
__all__ += ["ForwardSelectionNet", "GroupLassoNet", "OMPNet", "OneShotAttentionNet", "RandomSubset",
            "SequentialAttentionNet", "SequentialLassoNet"]

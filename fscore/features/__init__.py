"""Part I — selecting features: score each feature, pick by a rule, check what the picks are worth.

One module a method family, the linear and the neural version side by side (CONTRIBUTING.md):
:mod:`~fscore.features.attention` (Sequential Attention, one-shot attention), :mod:`~fscore.features.omp` (OMP,
forward regression, neural OMP, forward selection of networks), :mod:`~fscore.features.lasso` (Sequential LASSO,
Group LASSO), :mod:`~fscore.features.best_subset` (the exhaustive yardstick), :mod:`~fscore.features.baselines`
(random), and :mod:`~fscore.features.evaluation` (the select-then-retrain protocol).
"""
from fscore.features._base import FeatureSelector
from fscore.features._linear import explained_variance, least_squares_fit
from fscore.features._neural import pick_steps, top_two_gap
from fscore.features.attention import (AttentionTieError, AttentionTieWarning, LinearSequentialAttention,
                                       OneShotAttention, OneShotAttentionNet, SequentialAttentionNet, attention_mask,
                                       train_attention)
from fscore.features.baselines import RandomSubset
from fscore.features.best_subset import BestSubset, best_subset, greedy_bounds, restricted_min_eigenvalue
from fscore.features.evaluation import evaluate_subset, evaluate_subsets, fit_subsets
from fscore.features.lasso import GroupLassoNet, SequentialLasso, SequentialLassoNet
from fscore.features.omp import OMP, ForwardRegression, ForwardSelectionNet, OMPNet

__all__ = ["AttentionTieError", "AttentionTieWarning", "BestSubset", "FeatureSelector", "ForwardRegression",
           "ForwardSelectionNet", "GroupLassoNet", "LinearSequentialAttention", "OMP", "OMPNet", "OneShotAttention",
           "OneShotAttentionNet", "RandomSubset", "SequentialAttentionNet", "SequentialLasso", "SequentialLassoNet",
           "attention_mask", "best_subset", "evaluate_subset", "evaluate_subsets", "explained_variance", "fit_subsets",
           "greedy_bounds", "least_squares_fit", "pick_steps", "restricted_min_eigenvalue", "top_two_gap",
           "train_attention"]

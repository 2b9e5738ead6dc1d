"""Part IV — scoring inputs and representations: out-of-distribution scores (Chapter 14) and representation scores."""
from fscore.inputs.hvcm import HVCMHead, HVCMNet, class_group_weights, hvcm_loss
from fscore.inputs.metrics import check_scores, ood_metrics, roc_points
from fscore.inputs.ood import (ClassMixtureScore, GroupedGaussianScore, KNNScore, MahalanobisScore, energy,
                               max_softmax)
from fscore.inputs.protocol import SUPERCLASS_SPLIT, Split, class_folds, far_ood_sets, load_split
from fscore.inputs.rankme import (EPSILON, alpha_req, check_embeddings, default_rtol, numerical_rank,
                                  participation_ratio, rankme, rankme_from_singular_values, singular_values,
                                  spectrum_scores)

__all__ = ["ClassMixtureScore", "GroupedGaussianScore", "HVCMHead", "HVCMNet", "KNNScore", "MahalanobisScore",
           "SUPERCLASS_SPLIT", "Split", "check_scores", "class_folds", "class_group_weights", "energy",
           "far_ood_sets", "hvcm_loss", "load_split", "max_softmax", "ood_metrics", "roc_points"]
__all__ += ["EPSILON", "alpha_req", "check_embeddings", "default_rtol", "numerical_rank", "participation_ratio",
            "rankme", "rankme_from_singular_values", "singular_values", "spectrum_scores"]

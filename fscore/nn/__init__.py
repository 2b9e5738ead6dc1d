"""Shared model code: networks and training loops that more than one Part uses (CONTRIBUTING.md)."""
from fscore.nn.cnn import SmallCNN
from fscore.nn.mlp import MLP, EnsembleLinear, check_hidden
from fscore.nn.training import (batched, check_training, copy_losses, encode_labels, ensemble_loss, fit_classifier,
                                n_steps, predict, train, zscore_stats)

__all__ = ["EnsembleLinear", "MLP", "SmallCNN", "batched", "check_hidden", "check_training", "copy_losses",
           "encode_labels", "ensemble_loss", "fit_classifier", "n_steps", "predict", "train", "zscore_stats"]

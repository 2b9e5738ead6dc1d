"""Shared model code: networks and training loops that more than one Part uses (CONTRIBUTING.md)."""
from fscore.nn.cnn import SmallCNN
from fscore.nn.contrastive import (BagOfTokens, CaptionTokenizer, TwoTower, clip_loss, embed_images, embed_texts,
                                   train_clip)
from fscore.nn.mlp import MLP, EnsembleLinear, check_hidden
from fscore.nn.training import (batched, check_training, copy_losses, encode_labels, ensemble_loss, fit_classifier,
                                n_steps, predict, train, zscore_stats)
from fscore.nn.ssl import (ImageAugment, JointEmbedding, MLPBackbone, info_nce_loss, ssl_loss, train_ssl, vicreg_loss,
                           vicreg_terms)

__all__ = ["BagOfTokens", "CaptionTokenizer", "EnsembleLinear", "MLP", "SmallCNN", "TwoTower", "clip_loss",
           "embed_images", "embed_texts", "train_clip", "batched", "check_hidden", "check_training", "copy_losses",
           "encode_labels", "ensemble_loss", "fit_classifier", "n_steps", "predict", "train", "zscore_stats"]
__all__ += ["ImageAugment", "JointEmbedding", "MLPBackbone", "info_nce_loss", "ssl_loss", "train_ssl", "vicreg_loss",
            "vicreg_terms"]

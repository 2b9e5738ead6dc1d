"""Selecting language-model training data: DSIR (Xie et al., NeurIPS 2023), its baselines and metrics."""
from fscore.training_data.baselines import HeuristicClassification, RandomSelection
from fscore.training_data.dsir import DSIR
from fscore.training_data.hashing import HashedNgrams, tokenize
from fscore.training_data.metrics import bag_of_ngrams, kl_divergence, kl_reduction
from fscore.training_data.ngram_lm import BigramLM, build_vocabulary
from fscore.training_data.resampling import gumbel_top_k, random_subset
from fscore.training_data.streaming import (fit_shards, read_texts, resample_shards, select_shards, weigh_shards,
                                            write_pool)

__all__ = ["DSIR", "BigramLM", "HashedNgrams", "HeuristicClassification", "RandomSelection", "bag_of_ngrams",
           "build_vocabulary", "fit_shards", "gumbel_top_k", "kl_divergence", "kl_reduction", "random_subset",
           "read_texts", "resample_shards", "select_shards", "tokenize", "weigh_shards", "write_pool"]

"""Selecting language-model training data: DSIR (Xie et al., NeurIPS 2023), its baselines and metrics."""
from fscore.data_selection.baselines import HeuristicClassification, RandomSelection
from fscore.data_selection.dsir import DSIR
from fscore.data_selection.hashing import HashedNgrams, tokenize
from fscore.data_selection.metrics import bag_of_ngrams, kl_divergence, kl_reduction
from fscore.data_selection.ngram_lm import BigramLM, build_vocabulary
from fscore.data_selection.resampling import gumbel_top_k, random_subset
from fscore.data_selection.streaming import fit_shards, read_texts, resample_shards, weigh_shards, write_pool

__all__ = ["DSIR", "BigramLM", "HashedNgrams", "HeuristicClassification", "RandomSelection", "bag_of_ngrams",
           "build_vocabulary", "fit_shards", "gumbel_top_k", "kl_divergence", "kl_reduction", "random_subset",
           "read_texts", "resample_shards", "tokenize", "weigh_shards", "write_pool"]

"""Named data sets with provenance, licence and checksums, and the book's synthetic generators."""
from fscore.datasets.registry import (REGISTRY, ChecksumMismatch, Dataset, DatasetNotFound, get, info, load,
                                      register)
from fscore.datasets.fashion_mnist import load_fashion_mnist
from fscore.datasets.text_corpus import load_text_corpus
from fscore.datasets.tabular import load_dna, load_khan, load_musk, load_table
from fscore.datasets.twemoji import Twemoji, load_twemoji
from fscore.datasets.synthetic import (correlated_design, load_digits_data, make_madelon, make_redundant_regression,
                                       make_regression_on_design, make_sparse_regression)

__all__ = ["REGISTRY", "ChecksumMismatch", "Dataset", "DatasetNotFound", "correlated_design", "get", "info", "load",
           "load_digits_data", "load_fashion_mnist", "make_madelon", "make_redundant_regression",
           "make_regression_on_design", "make_sparse_regression", "register", "Twemoji", "load_twemoji"]

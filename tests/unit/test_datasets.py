import gzip

import numpy as np
import pytest

from fscore import datasets
from fscore.datasets import fashion_mnist
from fscore.datasets.__main__ import main as datasets_cli


def test_registry_lists_provenance_and_licence():
    table = datasets.info()
    assert {"fashion-mnist", "digits", "madelon", "sparse-regression"} <= set(table["name"])
    assert table["licence"].str.len().min() > 0 and table["provenance"].str.len().min() > 0
    with pytest.raises(KeyError, match="unknown data set 'nope'"):
        datasets.load("nope")


def test_missing_fashion_mnist_names_the_command_that_fetches_it(tmp_path, monkeypatch):
    monkeypatch.setattr(fashion_mnist, "candidate_folders", lambda: [tmp_path])
    with pytest.raises(datasets.DatasetNotFound, match="apt-get install dataset-fashion-mnist"):
        fashion_mnist.locate()


def test_a_corrupted_file_fails_its_checksum(tmp_path, monkeypatch):
    for name in fashion_mnist.FILES:
        with gzip.open(tmp_path / name, "wb") as handle:
            handle.write(b"not the data")
    monkeypatch.setattr(fashion_mnist, "candidate_folders", lambda: [tmp_path])
    with pytest.raises(datasets.ChecksumMismatch, match="sha256"):
        fashion_mnist._verified(fashion_mnist.locate())


def test_fashion_mnist_loads_and_subsamples_stratified():
    X, y = datasets.load_fashion_mnist("test", n=1000, random_state=0)
    assert X.shape == (1000, 784) and X.dtype == np.float32 and 0 <= X.min() and X.max() <= 1
    assert np.bincount(y).tolist() == [100] * 10
    with pytest.raises(ValueError, match="split"):
        datasets.load_fashion_mnist("validation")
    with pytest.raises(ValueError, match="out of range"):
        datasets.load_fashion_mnist("test", n=0)


def test_cli_verifies_what_it_fetches(capsys):
    assert datasets_cli(["fetch", "fashion-mnist"]) == 0
    assert "verified" in capsys.readouterr().out


def test_sparse_regression_has_the_requested_support_and_correlation():
    X, y, w, support = datasets.make_sparse_regression(5000, 10, 3, correlation=0.6, noise=0.0, random_state=0)
    assert np.flatnonzero(w).tolist() == support.tolist() and len(support) == 3
    assert np.allclose(X @ w, y)
    C = np.corrcoef(X, rowvar=False)
    assert abs(C[0, 1] - 0.6) < 0.05 and abs(C[0, 2] - 0.36) < 0.05  # Toeplitz rho^|i-j|
    E = datasets.correlated_design(5000, 4, 0.5, "equicorrelated", random_state=0)
    assert abs(np.corrcoef(E, rowvar=False)[0, 3] - 0.5) < 0.05
    with pytest.raises(ValueError, match="n_informative=11 is out of range"):
        datasets.make_sparse_regression(10, 10, 11)
    with pytest.raises(ValueError, match="correlation"):
        datasets.correlated_design(10, 3, 1.0)


def test_madelon_marks_its_relevant_columns():
    X, y, relevant = datasets.make_madelon(n_samples=400, random_state=0)
    assert X.shape == (400, 500) and len(relevant) == 20 and set(np.unique(y)) == {0, 1}
    from sklearn.feature_selection import f_classif

    scores = np.nan_to_num(f_classif(X, y)[0])
    assert len(set(np.argsort(-scores)[:10]) & set(relevant)) >= 5  # relevant columns carry the signal


def test_redundant_regression_roles():
    X, y, roles = datasets.make_redundant_regression(n_copies=2, n_noise=3, random_state=0)
    assert roles.tolist() == ["strong", "copy", "copy", "complement", "noise", "noise", "noise"]
    assert np.corrcoef(X[:, 0], X[:, 1])[0, 1] > 0.99

"""RankMe (Garrido et al., ICML 2023, Eq. 1) and the spectrum scores beside it; Chapter 15's selection harness."""
import numpy as np
import pandas as pd
import pytest
import torch
from scipy.stats import ortho_group

from fscore.inputs import (EPSILON, alpha_req, check_embeddings, default_rtol, numerical_rank, participation_ratio,
                           rankme, rankme_from_singular_values, singular_values, spectrum_scores)
from fscore.inputs.rankme import alpha_from_eigenvalues
from fscore.inputs.ssl_selection import SSLRun, SSLTask, linear_probe_accuracy, run_grid, select
from fscore.nn.ssl import ImageAugment


def direct_rankme(Z, eps=EPSILON):
    """Eq. (1) written out with numpy's SVD, the reference every test compares against."""
    s = np.linalg.svd(np.asarray(Z, dtype=np.float64), compute_uv=False)
    p = s / s.sum() + eps
    return np.exp(-np.sum(p * np.log(p)))


def test_rank_one_matrix_scores_one():
    rng = np.random.default_rng(0)
    Z = np.outer(rng.standard_normal(500), rng.standard_normal(20))
    assert rankme(Z) == pytest.approx(1.0, abs=1e-4)  # eps adds about D * eps * |log eps| to the entropy
    assert numerical_rank(Z) == 1
    assert participation_ratio(Z) == pytest.approx(1.0)


def test_isotropic_gaussian_with_many_more_rows_than_columns_scores_close_to_D():
    rng = np.random.default_rng(1)
    for D in (8, 64):
        Z = rng.standard_normal((200 * D, D))
        assert D * 0.98 < rankme(Z) <= D
        assert numerical_rank(Z) == D
        assert D * 0.95 < participation_ratio(Z) <= D


def test_k_equal_directions_score_k():
    """k orthogonal directions of equal strength: the normalised spectrum is uniform on k values."""
    rng = np.random.default_rng(2)
    Q = np.linalg.qr(rng.standard_normal((400, 10)))[0]
    Z = Q[:, :4] @ ortho_group.rvs(10, random_state=3)[:4]
    assert rankme(Z) == pytest.approx(4.0, rel=1e-4)
    assert numerical_rank(Z) == 4


def test_invariant_to_orthogonal_transforms_and_scaling():
    rng = np.random.default_rng(4)
    Z = rng.standard_normal((300, 12)) @ np.diag(np.linspace(0.1, 3, 12))
    U = ortho_group.rvs(300, random_state=5)
    V = ortho_group.rvs(12, random_state=6)
    base = rankme(Z)
    for other in (U @ Z, Z @ V, 1e-3 * Z, 250.0 * Z):
        assert rankme(other) == pytest.approx(base, rel=1e-9)
        assert participation_ratio(other @ np.eye(12)) == pytest.approx(participation_ratio(other), rel=1e-12)
    assert participation_ratio(Z @ V) == pytest.approx(participation_ratio(Z), rel=1e-9)
    assert alpha_req(7.0 * Z @ V) == pytest.approx(alpha_req(Z), rel=1e-6)


def test_agrees_with_numpy_svd_and_torch_svdvals_well_and_ill_conditioned():
    rng = np.random.default_rng(7)
    well = rng.standard_normal((1000, 50))
    ill = well @ np.diag(np.logspace(0, -9, 50))  # singular values over nine decades: the SVD fallback
    for Z in (well, ill):
        s_np = np.linalg.svd(Z, compute_uv=False)
        s_torch = torch.linalg.svdvals(torch.as_tensor(Z)).numpy()
        assert np.allclose(singular_values(Z), s_np, rtol=1e-9, atol=1e-12 * s_np[0])
        assert np.allclose(s_np, s_torch, rtol=1e-9, atol=1e-12 * s_np[0])
        assert rankme(Z) == pytest.approx(direct_rankme(Z), rel=1e-10)
        assert rankme(torch.as_tensor(Z, dtype=torch.float32)) == pytest.approx(direct_rankme(Z), rel=1e-5)
    assert rankme_from_singular_values([3.0, 0.0]) == pytest.approx(direct_rankme(np.diag([3.0, 0.0])))


def test_eps_is_the_papers_constant_and_zero_matrix_has_rank_zero():
    s = np.array([2.0, 1.0, 1.0])
    p = s / s.sum()
    assert rankme_from_singular_values(s, eps=0) == pytest.approx(np.exp(-np.sum(p * np.log(p))))
    assert rankme_from_singular_values(s) != rankme_from_singular_values(s, eps=0)
    assert rankme_from_singular_values([5.0, 0.0, 0.0], eps=0) == 1.0  # 0 log 0 = 0: exactly one direction
    assert rankme(np.zeros((5, 3))) == 0.0
    assert numerical_rank(np.zeros((5, 3))) == 0


def test_numerical_rank_follows_numpy_and_its_tolerance():
    rng = np.random.default_rng(8)
    Z = rng.standard_normal((200, 6)) @ np.diag([1, 1, 1, 1e-4, 1e-8, 0.0])
    assert numerical_rank(Z) == np.linalg.matrix_rank(Z) == 5
    assert numerical_rank(Z.astype(np.float32)) == 4  # float32's epsilon is about 1e-7
    assert numerical_rank(Z, rtol=1e-3) == 3
    assert default_rtol(torch.zeros(10, 2)) == pytest.approx(10 * np.finfo(np.float32).eps)


def test_alpha_recovers_a_power_law_and_rejects_bad_ranges():
    k = np.arange(1, 101, dtype=float)
    assert alpha_from_eigenvalues(k ** -1.5) == pytest.approx(1.5)
    assert alpha_from_eigenvalues(3 * k ** -0.7, fit_range=(5, 60)) == pytest.approx(0.7)
    with pytest.raises(ValueError, match="fit_range"):
        alpha_from_eigenvalues(k ** -1.0, fit_range=(50, 200))
    with pytest.raises(ValueError, match="all zero"):
        alpha_from_eigenvalues(np.zeros(10))


def test_spectrum_scores_agree_with_the_single_scores():
    rng = np.random.default_rng(9)
    Z = rng.standard_normal((400, 16)) @ np.diag(np.linspace(0.2, 2, 16)) + 1.0
    scores = spectrum_scores(Z)
    assert scores["rankme"] == pytest.approx(rankme(Z))
    assert scores["centred_rankme"] == pytest.approx(rankme(Z - Z.mean(axis=0)))
    assert scores["centred_rankme"] > scores["rankme"]  # the offset of 1.0 is one strong extra direction
    assert scores["numerical_rank"] == numerical_rank(Z)
    assert scores["participation_ratio"] == pytest.approx(participation_ratio(Z))
    assert scores["alpha"] == pytest.approx(alpha_req(Z))
    assert np.allclose(scores["covariance_eigenvalues"], np.linalg.eigvalsh(np.cov(Z.T))[::-1])


@pytest.mark.parametrize("bad, message", [
    (np.ones(10), "2-D matrix"),
    (np.ones((2, 3, 4)), "2-D matrix"),
    (np.array([[1.0, np.nan], [0.0, 1.0], [2.0, 3.0]]), "non-finite"),
    (np.array([[1.0, np.inf], [0.0, 1.0], [2.0, 3.0]]), "non-finite"),
    (np.ones((5, 8)), "at least as many embeddings as dimensions"),
    (np.ones((1, 1)), "at least 2 embeddings"),
])
def test_bad_embeddings_get_clear_errors(bad, message):
    for score in (rankme, numerical_rank, participation_ratio, alpha_req, spectrum_scores):
        with pytest.raises(ValueError, match=message):
            score(bad)
    with pytest.raises(ValueError, match=message):
        check_embeddings(torch.as_tensor(bad))


def test_linear_probe_and_selection():
    rng = np.random.default_rng(10)
    y = rng.integers(0, 3, 300)
    X = np.eye(3)[y] + 0.1 * rng.standard_normal((300, 3))
    assert linear_probe_accuracy(X[:200], y[:200], X[200:], y[200:]) > 0.95
    table = pd.DataFrame({"method": ["a", "a", "b", "b"], "score": [1.0, 3.0, 2.0, 2.0], "acc": [0.1, 0.2, 0.3, 0.4]})
    chosen = select(table, "score")
    assert chosen.loc["a", "acc"] == 0.2 and chosen.loc["b", "acc"] == 0.3  # a tie goes to the first run
    with pytest.raises(KeyError):
        select(table, "missing")


def test_ssl_run_declares_its_expected_collapse():
    assert SSLRun("vicreg", 1e-3, 8, variance=0.0).collapse == "complete"
    assert SSLRun("vicreg", 1e-3, 8, covariance=0.0).collapse == "dimensional"
    assert SSLRun("vicreg", 1e-3, 8).collapse == "none" and SSLRun("simclr", 1e-3, 8).collapse == "none"
    assert SSLRun("simclr", 1e-3, 8, temperature=0.2).setting == "T=0.2"
    assert SSLRun("vicreg", 1e-3, 8).setting == "25/25/1"
    with pytest.raises(ValueError, match="method"):
        SSLRun("byol", 1e-3, 8)


def tiny_task(**kwargs):
    rng = np.random.default_rng(11)
    y = rng.integers(0, 2, 90)
    images = rng.random((90, 1, 8, 8)).astype(np.float32) * 0.3
    images[y == 1, :, :, :4] += 0.7
    return SSLTask(images[:60], y[:60], images[60:], y[60:], embed_dim=8, hidden=(16,), epochs=2, batch_size=32,
                   augment=ImageAugment(), **kwargs)


def test_grid_rows_are_reproducible_and_independent_of_the_worker_count():
    task = tiny_task(n_rank=40)
    runs = [SSLRun("simclr", 1e-2, 4, temperature=0.5), SSLRun("vicreg", 1e-2, 4, covariance=0.0)]
    one, spectra = run_grid(task, runs, n_jobs=1)
    two, _ = run_grid(task, runs, n_jobs=2)
    pd.testing.assert_frame_equal(one, two)
    assert list(one["collapse"]) == ["none", "dimensional"]
    assert {"probe_accuracy", "backbone_rankme", "projector_rankme", "backbone_alpha"} <= set(one.columns)
    assert spectra[0]["backbone"].shape == (8,) and spectra[0]["projector"].shape == (4,)
    assert (one["backbone_rankme"] <= 8).all() and (one["projector_rankme"] <= 4).all()


def test_task_checks_its_data():
    task = tiny_task()
    with pytest.raises(ValueError, match="square grey images"):
        SSLTask(task.train_images[:, 0], task.train_labels, task.test_images, task.test_labels)
    with pytest.raises(ValueError, match="same number of rows"):
        SSLTask(task.train_images, task.train_labels[:-1], task.test_images, task.test_labels)
    with pytest.raises(ValueError, match="n_rank"):
        tiny_task(n_rank=1000)
    with pytest.raises(ValueError, match="backbone"):
        tiny_task(backbone="resnet")
    with pytest.raises(ValueError, match="grid has no runs"):
        run_grid(task, [])

"""Chapter 14: OOD metrics against scikit-learn, scores against brute-force formulas, bad input, HVCM, pytorch-ood."""
import warnings

import numpy as np
import pytest
import torch
from scipy.special import logsumexp
from scipy.stats import multivariate_normal
from sklearn.metrics import average_precision_score, roc_auc_score, roc_curve

from fscore.datasets import DatasetNotFound
from fscore.inputs import (SUPERCLASS_SPLIT, ClassMixtureScore, GroupedGaussianScore, HVCMNet, KNNScore,
                           MahalanobisScore, Split, class_folds, class_group_weights, energy, far_ood_sets, hvcm_loss,
                           load_split, max_softmax, ood_metrics, roc_points)
from fscore.inputs.reference import load_pytorch_ood
from fscore.nn import fit_classifier


def two_sets(seed=0, n_in=300, n_out=200, ties=False):
    rng = np.random.default_rng(seed)
    s_in, s_out = rng.normal(1.0, 1.0, n_in), rng.normal(0.0, 1.0, n_out)
    if ties:  # many tied scores, across and within the two sets
        s_in, s_out = np.round(s_in, 1), np.round(s_out, 1)
    return s_in, s_out


def labelled_clusters(seed=0, n=200, d=4, C=3):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(C), n)
    Z = rng.normal(size=(C * n, d)) @ rng.normal(size=(d, d)) + 3 * rng.normal(size=(C, d))[y]
    return Z, y


# --- metrics -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("ties", [False, True])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_match_scikit_learn(seed, ties):
    s_in, s_out = two_sets(seed, ties=ties)
    labels = np.r_[np.ones_like(s_in), np.zeros_like(s_out)]
    scores = np.r_[s_in, s_out]
    m = ood_metrics(s_in, s_out)
    assert m["auroc"] == pytest.approx(roc_auc_score(labels, scores), abs=1e-12)
    assert m["aupr_in"] == pytest.approx(average_precision_score(labels, scores), abs=1e-12)
    assert m["aupr_out"] == pytest.approx(average_precision_score(1 - labels, -scores), abs=1e-12)
    fpr, tpr, thresholds = roc_curve(labels, scores, drop_intermediate=False)
    assert m["fpr95"] == pytest.approx(fpr[np.argmax(tpr >= 0.95)], abs=1e-12)
    ours = roc_points(s_in, s_out)
    for a, b in zip(ours, (fpr, tpr, thresholds)):
        np.testing.assert_allclose(a[1:], b[1:])


def test_metrics_extremes_and_direction():
    assert ood_metrics([2.0, 3.0], [0.0, 1.0]) == {"auroc": 1.0, "aupr_in": 1.0, "aupr_out": 1.0, "fpr95": 0.0}
    flipped = ood_metrics([0.0, 1.0], [2.0, 3.0])
    assert flipped["auroc"] == 0.0 and flipped["fpr95"] == 1.0
    assert ood_metrics([1.0, 1.0], [1.0, 1.0])["auroc"] == 0.5


@pytest.mark.parametrize("s_in, s_out, message", [
    ([0.1, np.nan, 0.3], [0.0], "NaN"),
    ([0.1, 0.2], [np.inf], "NaN or infinite"),
    ([], [0.0], "empty"),
    ([[0.1, 0.2]], [0.0], "one-dimensional"),
    (["a", "b"], [0.0], "numbers"),
])
def test_metrics_refuse_bad_scores(s_in, s_out, message):
    with pytest.raises((ValueError, TypeError), match=message):
        ood_metrics(s_in, s_out)


# --- logit scores ----------------------------------------------------------------------------------------------

def test_logit_scores_match_their_formulas():
    logits = np.random.default_rng(0).normal(size=(50, 5)) * 3
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(max_softmax(logits), p.max(1))
    np.testing.assert_allclose(energy(logits), torch.logsumexp(torch.as_tensor(logits), 1).numpy())
    np.testing.assert_allclose(energy(logits, temperature=2.0), 2 * logsumexp(logits / 2, axis=1))
    with pytest.raises(ValueError, match="temperature"):
        energy(logits, temperature=0)


# --- feature scores against brute force ------------------------------------------------------------------------

def test_mahalanobis_matches_brute_force():
    Z, y = labelled_clusters()
    Zt = np.random.default_rng(5).normal(size=(40, Z.shape[1])) * 3
    score = MahalanobisScore(reg=1e-2).fit(Z, y)
    means = np.stack([Z[y == c].mean(0) for c in range(3)])
    S = sum((Z[y == c] - means[c]).T @ (Z[y == c] - means[c]) for c in range(3)) / len(Z)
    S = S + 1e-2 * np.trace(S) / S.shape[0] * np.eye(S.shape[0])
    P = np.linalg.inv(S)
    brute = np.array([min((z - m) @ P @ (z - m) for m in means) for z in Zt])
    np.testing.assert_allclose(score.score(Zt), -brute, rtol=1e-9, atol=1e-9)


def test_knn_matches_brute_force():
    rng = np.random.default_rng(1)
    Z, Zt = rng.normal(size=(100, 6)), rng.normal(size=(20, 6))
    k = 7
    unit = lambda A: A / np.linalg.norm(A, axis=1, keepdims=True)
    d = np.linalg.norm(unit(Zt)[:, None] - unit(Z)[None], axis=-1)
    np.testing.assert_allclose(KNNScore(k).fit(Z).score(Zt), -np.sort(d, axis=1)[:, k - 1])


def test_one_gaussian_per_class_is_the_class_conditional_density():
    Z, y = labelled_clusters(seed=2)
    Zt = np.random.default_rng(3).normal(size=(30, Z.shape[1])) * 2
    reg = 1e-3
    score = ClassMixtureScore(1, reg=reg).fit(Z, y)
    ridge = reg * Z.var(0).mean()
    parts = []
    for c in range(3):
        Zc = Z[y == c]
        cov = np.cov(Zc, rowvar=False, bias=True) + ridge * np.eye(Z.shape[1])
        parts.append(np.log(len(Zc) / len(Z)) + multivariate_normal(Zc.mean(0), cov).logpdf(Zt))
    np.testing.assert_allclose(score.score(Zt), logsumexp(np.stack(parts, 1), axis=1), rtol=1e-6)


def test_mixture_sees_the_gap_in_a_bimodal_class():
    """One class is two clouds; points between them are OOD: two Gaussians per class see it, one cannot."""
    rng = np.random.default_rng(0)
    modes = np.array([[-4.0, 0.0], [4.0, 0.0]])
    Z = np.concatenate([rng.normal(size=(400, 2)) * 0.5 + modes[0], rng.normal(size=(400, 2)) * 0.5 + modes[1]])
    y = np.zeros(len(Z), dtype=int)
    Z_in = np.concatenate([rng.normal(size=(100, 2)) * 0.5 + m for m in modes])
    Z_gap = rng.normal(size=(200, 2)) * 0.5
    aurocs = {K: ood_metrics(*(ClassMixtureScore(K).fit(Z, y).score(A) for A in (Z_in, Z_gap)))["auroc"]
              for K in (1, 2)}
    assert aurocs[2] > 0.95 and aurocs[1] < 0.5, aurocs


def test_grouped_score_matches_brute_force():
    Z, y = labelled_clusters(seed=4, d=6)
    Zt = np.random.default_rng(6).normal(size=(25, 6)) * 2
    G, reg = 3, 1e-2
    w = np.random.default_rng(7).uniform(0.1, 1, size=(3, G))
    score = GroupedGaussianScore(G, reg).fit(Z, y, weights=w)
    w = w / w.sum(1, keepdims=True)
    D = np.zeros((len(Zt), 3, G))
    for c in range(3):
        for g in range(G):
            block = Z[y == c][:, 2 * g: 2 * g + 2]
            S = np.cov(block, rowvar=False)
            S = S + reg * np.trace(S) / 2 * np.eye(2)
            diff = Zt[:, 2 * g: 2 * g + 2] - block.mean(0)
            D[:, c, g] = 0.5 * np.einsum("ni,ij,nj->n", diff, np.linalg.inv(S), diff)
    np.testing.assert_allclose(score.distances(Zt), D, rtol=1e-9)
    np.testing.assert_allclose(score.score(Zt), -(D * w).sum(-1).min(1), rtol=1e-9)
    np.testing.assert_allclose(score.group_scores(Zt), -D.min(1), rtol=1e-9)


def test_one_group_with_unit_weight_is_half_the_class_mahalanobis_distance():
    Z, y = labelled_clusters(seed=8)
    Zt = np.random.default_rng(9).normal(size=(10, Z.shape[1]))
    score = GroupedGaussianScore(1, 1e-3).fit(Z, y)
    covs = [np.cov(Z[y == c], rowvar=False) for c in range(3)]
    covs = [S + 1e-3 * np.trace(S) / len(S) * np.eye(len(S)) for S in covs]
    D = np.stack([[0.5 * (z - Z[y == c].mean(0)) @ np.linalg.inv(covs[c]) @ (z - Z[y == c].mean(0)) for c in range(3)]
                  for z in Zt])
    np.testing.assert_allclose(score.score(Zt), -D.min(1), rtol=1e-9)


# --- bad input -------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("make", [lambda: MahalanobisScore(), lambda: ClassMixtureScore(1),
                                  lambda: GroupedGaussianScore(2)])
def test_class_scores_refuse_bad_labels_and_shapes(make):
    Z, y = labelled_clusters(n=30)
    with pytest.raises(ValueError, match=r"class\(es\) \[1\] have no training samples"):
        make().fit(Z[y != 1], y[y != 1])  # labels 0 and 2: class 1 missing
    with pytest.raises(ValueError, match="have no training samples"):
        make().fit(Z, y, n_classes=4)
    with pytest.raises(ValueError, match="one label per row"):
        make().fit(Z, y[:-1])
    with pytest.raises(ValueError, match="NaN"):
        make().fit(np.where(np.arange(Z.size).reshape(Z.shape) == 5, np.nan, Z), y)
    with pytest.raises(TypeError, match="integer class codes"):
        make().fit(Z, y.astype(float))
    fitted = make().fit(Z, y)
    with pytest.raises(ValueError, match="features but the score was fitted on"):
        fitted.score(Z[:, :2])
    with pytest.raises(ValueError, match="NaN"):
        fitted.score(np.full((2, Z.shape[1]), np.nan))


def test_fewer_samples_than_dimensions_is_regularised_with_a_warning():
    rng = np.random.default_rng(0)
    Z, y = rng.normal(size=(40, 30)), np.repeat([0, 1], 20)
    with pytest.warns(UserWarning, match=r"class\(es\) \[0, 1\] have \[20, 20\] samples for 30 dimensions"):
        score = ClassMixtureScore(1, reg=0.1).fit(Z, y)
    s = score.score(rng.normal(size=(50, 30)))
    assert np.all(np.isfinite(s))
    assert np.isfinite(ood_metrics(score.score(Z), s)["auroc"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # enough samples: no warning
        ClassMixtureScore(1).fit(rng.normal(size=(200, 5)), np.repeat([0, 1], 100))


def test_more_components_than_samples_and_bad_parameters_are_errors():
    Z, y = labelled_clusters(n=3)
    with pytest.raises(ValueError, match="fewer than the 4 this score needs"):
        ClassMixtureScore(4).fit(Z, y)
    for bad in (lambda: ClassMixtureScore(0), lambda: MahalanobisScore(reg=0), lambda: KNNScore(0),
                lambda: GroupedGaussianScore(0), lambda: ClassMixtureScore(1, reg=-1.0)):
        with pytest.raises(ValueError):
            bad()
    with pytest.raises(ValueError, match="equal groups"):
        GroupedGaussianScore(3).fit(*labelled_clusters(d=4))
    with pytest.raises(ValueError, match="weights must be"):
        GroupedGaussianScore(2).fit(*labelled_clusters(d=4), weights=np.ones((2, 2)))
    with pytest.raises(ValueError, match="larger than"):
        KNNScore(50).fit(np.ones((10, 2)))


# --- joint training (HVCM) -------------------------------------------------------------------------------------

def test_hvcm_network_loss_and_weights():
    torch.manual_seed(0)
    X = torch.rand(64, 1, 28, 28)
    y = torch.arange(64) % 3
    X[y == 1] *= 0.2  # give the classes something to tell them apart
    X[y == 2, :, :14] = 1.0
    model = HVCMNet(3, n_groups=4, group_dim=4, widths=(4, 8), embed_dim=16, bottleneck=8, seed=0)
    assert model(X).shape == (64, 3) and model.attributes(X).shape == (64, 16)
    before = float(hvcm_loss(model, X, y).detach())
    history = fit_classifier(model, X, y, epochs=15, batch_size=32, lr=1e-2, loss_fn=hvcm_loss)
    assert np.isfinite(history).all() and float(hvcm_loss(model, X, y).detach()) < before
    w = class_group_weights(model, X, y, 3)
    assert w.shape == (3, 4) and torch.allclose(w.sum(1), torch.ones(3))
    with pytest.raises(ValueError, match="every class"):
        class_group_weights(model, X[y != 1], y[y != 1], 3)


# --- protocol --------------------------------------------------------------------------------------------------

def test_splits_partition_the_classes():
    folds = class_folds(2, seed=0)
    assert sorted(c for f in folds for g in f.groups for c in g) == list(range(10))
    for f in folds:
        assert set(f.near) == set(range(10)) - {c for g in f.groups for c in g}
    assert {c for g in SUPERCLASS_SPLIT.groups for c in g}.isdisjoint(SUPERCLASS_SPLIT.near)
    with pytest.raises(ValueError, match="disjoint"):
        Split(names=("a", "b"), groups=((0, 1), (1,)), near=(2,))
    with pytest.raises(ValueError, match="n_folds"):
        class_folds(1)


def test_protocol_sets_have_the_right_shapes():
    try:
        data = load_split(SUPERCLASS_SPLIT, 200, 50, 40, 30, seed=0)
    except DatasetNotFound as missing:
        pytest.skip(str(missing))
    X, y, fine = data["train"]
    assert X.shape == (200, 1, 28, 28) and set(y.tolist()) <= {0, 1, 2, 3}
    assert set(np.unique(fine)) <= {0, 1, 4, 5, 8, 9}
    assert data["near"][0].shape == (40, 1, 28, 28) and set(np.unique(data["near"][1])) <= {2, 3, 6, 7}
    far = far_ood_sets(data["spare_in"], 30, data["pixel_mean_std"], twemoji=False)
    assert set(far) == {"digits", "gaussian noise", "uniform noise", "inverted", "rotated", "blurred"}
    for images in far.values():
        assert images.shape == (30, 1, 28, 28) and float(images.min()) >= 0 and float(images.max()) <= 1
    torch.testing.assert_close(far["inverted"], 1 - data["spare_in"][:30])


# --- the reference implementation ------------------------------------------------------------------------------

def test_pytorch_ood_gives_the_same_auroc():
    detector, metrics, note = load_pytorch_ood()
    if detector is None:
        pytest.skip(note)
    t = lambda a: torch.as_tensor(a, dtype=torch.float64)
    Z, y = labelled_clusters(seed=11, n=150, d=5)
    rng = np.random.default_rng(12)
    Z_in, Z_out = Z[::3] + 0.1 * rng.normal(size=Z[::3].shape), rng.normal(size=(120, 5)) * 4
    logits_in, logits_out = rng.normal(size=(100, 4)) * 3, rng.normal(size=(80, 4))
    pairs = {
        "msp": ((max_softmax(logits_in), max_softmax(logits_out)),
                [-detector.MaxSoftmax(None).predict_logits(t(L)).numpy() for L in (logits_in, logits_out)]),
        "energy": ((energy(logits_in), energy(logits_out)),
                   [-detector.EnergyBased(None).predict_logits(t(L)).numpy() for L in (logits_in, logits_out)]),
    }
    knn = KNNScore(5).fit(Z)
    knn_ref = detector.KNN(None, k=5).fit_features(t(Z), torch.as_tensor(y))
    pairs["knn"] = ((knn.score(Z_in), knn.score(Z_out)), [-knn_ref.predict_features(t(A)).numpy() for A in (Z_in, Z_out)])
    ridge = 1e-3 * Z.var(0).mean()
    gauss = ClassMixtureScore(1, reg=1e-3).fit(Z, y)
    gauss_ref = detector.GMM(None, reg=ridge).fit_features(t(Z), torch.as_tensor(y))
    pairs["gmm"] = ((gauss.score(Z_in), gauss.score(Z_out)),
                    [-gauss_ref.predict_features(t(A)).numpy() for A in (Z_in, Z_out)])
    # its ridge is 1e-6 on the unnormalised scatter matrix (n times our covariance): the same ridge for ours
    scatter = MahalanobisScore(1e-3).fit(Z, y)
    S = (scatter.covariance_ - 1e-3 * np.trace(scatter.covariance_) / 5 / (1 + 1e-3) * np.eye(5))
    maha = MahalanobisScore(1e-6 / (len(Z) * np.trace(S) / 5)).fit(Z, y)
    maha_ref = detector.Mahalanobis(None).fit_features(torch.as_tensor(Z, dtype=torch.float32), torch.as_tensor(y))
    pairs["mahalanobis"] = ((maha.score(Z_in), maha.score(Z_out)),
                            [-maha_ref.predict_features(torch.as_tensor(A, dtype=torch.float32)).double().numpy()
                             for A in (Z_in, Z_out)])
    for name, (ours, theirs) in pairs.items():
        assert abs(ood_metrics(*ours)["auroc"] - ood_metrics(*theirs)["auroc"]) <= 1e-6, name
    # its metrics: OOD inputs are its positives and its scores are outlier scores
    s_in, s_out = two_sets(3)
    reference = metrics.OODMetrics()
    reference.update(torch.as_tensor(-np.r_[s_in, s_out]), torch.as_tensor(np.r_[np.zeros(len(s_in)), -np.ones(len(s_out))]))
    assert abs(reference.compute()["AUROC"] - ood_metrics(s_in, s_out)["auroc"]) <= 1e-6

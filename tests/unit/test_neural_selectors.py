"""Chapter 2's neural selectors, the batched MLP ensemble and the retrain-on-selected protocol.

Every selector trains a small MLP on a problem where 3 of 12 features decide the class; the tests check
that each finds them, that the pick schedules are laid out as documented, that the batched ensemble
trains each copy exactly as it would train alone, and that bad inputs fail with a clear message.
"""
import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline

from fscore.features import (ForwardSelectionNet, GroupLassoNet, OMPNet, OneShotAttentionNet, RandomSubset,
                             SequentialAttentionNet, SequentialLassoNet)
from fscore.features import pick_steps
from fscore.features._neural import top_two_gap
from fscore.features.attention import SCHEDULES
from fscore.features import evaluate_subsets, fit_subsets
from fscore.nn import MLP, ensemble_loss, n_steps, train

INFORMATIVE = [1, 6, 9]
FAST = dict(hidden=(16,), epochs=30, batch_size=64)


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/unit/conftest.py


def make_problem(n=400, d=12, seed=0):
    """Three informative features (a linear and a threshold rule, 4 classes), the rest noise."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    a, b, c = (X[:, j] for j in INFORMATIVE)
    y = (a + b > 0).astype(int) + 2 * (c > 0).astype(int)
    return X, y


@pytest.fixture(scope="module")
def problem():
    return make_problem()


# ------------------------------------------------------------------------------------------- schedules
def test_pick_steps_paper_layout_ends_each_of_k_equal_phases():
    steps = pick_steps(100, 5, *SCHEDULES["paper"])
    assert steps == [20, 40, 60, 80, 100]


def test_pick_steps_official_layout_starts_each_phase_after_a_10_percent_warm_up():
    steps = pick_steps(100, 5, *SCHEDULES["official"])
    assert steps == [10, 28, 46, 64, 82]
    assert SCHEDULES["official"] == (0.1, "start")


@pytest.mark.parametrize("total,k,warmup,at", [(100, 7, 0.1, "end"), (1000, 50, 0.0, "start"), (64, 64, 0.0, "end")])
def test_pick_steps_are_increasing_distinct_and_inside_the_run(total, k, warmup, at):
    steps = pick_steps(total, k, warmup, at)
    assert len(steps) == k and len(set(steps)) == k and steps == sorted(steps)
    assert round(warmup * total) <= steps[0] and steps[-1] <= total


@pytest.mark.parametrize("args,match", [((100, 5, 1.0, "end"), "warmup"), ((100, 5, -0.1, "end"), "warmup"),
                                        ((100, 5, 0.1, "middle"), "at must"), ((10, 20, 0.0, "end"), "phases")])
def test_pick_steps_rejects_impossible_layouts(args, match):
    with pytest.raises(ValueError, match=match):
        pick_steps(*args)


def test_sequential_attention_records_the_schedule_it_used(problem):
    X, y = problem
    total = n_steps(len(y), FAST["batch_size"], FAST["epochs"])
    for schedule in ("paper", "official"):
        sa = SequentialAttentionNet(k=3, schedule=schedule, random_state=0, **FAST).fit(X, y)
        assert sa.pick_steps_ == pick_steps(total, 3, *SCHEDULES[schedule])


def test_official_schedule_picks_first_from_untrained_logits_and_paper_schedule_does_not(problem):
    X, y = problem

    def spread(weights):
        weights = weights[np.isfinite(weights)]
        return (weights.max() - weights.min()) / weights.mean()

    official = SequentialAttentionNet(k=3, schedule="official", random_state=0, **FAST).fit(X, y)
    paper = SequentialAttentionNet(k=3, schedule="paper", random_state=0, **FAST).fit(X, y)
    assert spread(official.scores_path_[0]) < 1e-3  # the N(0, 1e-10) initial noise only
    assert spread(paper.scores_path_[0]) > 0.1
    assert paper.ranking_[0] in INFORMATIVE


@pytest.mark.parametrize("scores,gap", [([0.5, 0.3, 0.2], 0.4),  # (0.5 - 0.3) / 0.5
                                        ([0.2, -np.inf, 0.5, 0.3], 0.4),  # selected features (-inf) are out
                                        ([0.25, 0.5, 0.25], 0.5),
                                        ([0.3, 0.3], 0.0),  # a tie
                                        ([-np.inf, 0.7], 1.0),  # one candidate left: nothing to beat
                                        ([0.0, 0.0], 0.0)])
def test_top_two_gap_by_hand(scores, gap):
    assert top_two_gap(scores) == pytest.approx(gap, rel=1e-12, abs=1e-15)


def test_top_two_gap_needs_a_candidate():
    with pytest.raises(ValueError, match="already selected"):
        top_two_gap([-np.inf, -np.inf])


def test_attention_gaps_record_how_clearly_each_pick_won(problem):
    X, y = problem
    official = SequentialAttentionNet(k=3, schedule="official", random_state=0, **FAST).fit(X, y)
    paper = SequentialAttentionNet(k=3, schedule="paper", random_state=0, **FAST).fit(X, y)
    for sa in (official, paper):
        assert sa.attention_gaps_.shape == (3,)
        assert np.all((sa.attention_gaps_ >= 0) & (sa.attention_gaps_ <= 1))
        assert sa.attention_gaps_.tolist() == [top_two_gap(w) for w in sa.scores_path_]
    assert official.attention_gaps_[0] < 1e-3  # untrained logits: a pick decided by the initial noise
    assert paper.attention_gaps_[0] > 1e-2  # a phase of training first: a clear winner


# ------------------------------------------------------------------------------ every selector finds them
SELECTORS = {
    "SA paper": lambda: SequentialAttentionNet(k=3, random_state=0, **FAST),
    "SA official": lambda: SequentialAttentionNet(k=4, schedule="official", random_state=0, **FAST),
    "LLY": lambda: OneShotAttentionNet(k=3, random_state=0, **FAST),
    "Sequential LASSO": lambda: SequentialLassoNet(k=3, random_state=0, **FAST),
    "Group LASSO": lambda: GroupLassoNet(k=3, random_state=0, **FAST),
    "OMP": lambda: OMPNet(k=3, random_state=0, **FAST),
    # each candidate network must train long enough for its validation loss to tell the features apart
    "forward selection": lambda: ForwardSelectionNet(k=3, random_state=0, **{**FAST, "epochs": 100}),
}


@pytest.mark.parametrize("name", SELECTORS)
def test_each_selector_recovers_the_informative_features(problem, name):
    X, y = problem
    selector = SELECTORS[name]().fit(X, y)
    # the official schedule's first pick is a coin toss, so it gets one pick more
    assert set(INFORMATIVE) <= set(selector.ranking_.tolist()), selector.ranking_
    assert len(set(selector.ranking_.tolist())) == selector.k


@pytest.mark.parametrize("name", ["SA paper", "LLY", "Sequential LASSO", "Group LASSO", "OMP"])
def test_same_random_state_gives_the_same_picks(problem, name):
    X, y = problem
    a, b = SELECTORS[name]().fit(X, y), SELECTORS[name]().fit(X, y)
    assert a.ranking_.tolist() == b.ranking_.tolist()


def test_random_subset_is_reproducible_distinct_and_in_range(problem):
    X, y = problem
    a = RandomSubset(k=5, random_state=3).fit(X, y).ranking_
    assert a.tolist() == RandomSubset(k=5, random_state=3).fit(X, y).ranking_.tolist()
    assert len(set(a.tolist())) == 5 and a.min() >= 0 and a.max() < X.shape[1]


def test_paths_hold_a_score_per_feature_before_each_pick(problem):
    X, y = problem
    sa = SequentialAttentionNet(k=3, random_state=0, **FAST).fit(X, y)
    assert sa.scores_path_.shape == (3, X.shape[1])
    for t, j in enumerate(sa.ranking_):
        assert sa.scores_path_[t, j] == np.nanmax(sa.scores_path_[t])  # the pick is the largest weight
        assert np.all(np.isneginf(sa.scores_path_[t, sa.ranking_[:t]]))  # selected features are out
        free = np.isfinite(sa.scores_path_[t])
        assert sa.scores_path_[t, free].sum() == pytest.approx(1.0, abs=1e-5)  # a softmax over the rest
    lly = OneShotAttentionNet(k=3, random_state=0, **FAST).fit(X, y)
    assert lly.attention_.sum() == pytest.approx(1.0, abs=1e-5)
    fs = ForwardSelectionNet(k=2, random_state=0, **FAST).fit(X, y)
    assert fs.val_loss_path_.shape == (2, X.shape[1]) and np.isinf(fs.val_loss_path_[1, fs.ranking_[0]])


def test_attention_learning_rate_is_the_logits_own(problem):
    X, y = problem
    for attention_lr in (None, 0.1):
        sa = SequentialAttentionNet(k=3, attention_lr=attention_lr, random_state=0, **FAST).fit(X, y)
        assert set(sa.ranking_.tolist()) == set(INFORMATIVE)


# --------------------------------------------------------------------------------- the batched ensemble
def _single(ensemble: MLP, m: int) -> MLP:
    """Copy ``m`` of an ensemble as a one-copy MLP with the same weights."""
    single = MLP(ensemble.layers[0].weight.shape[1], ensemble.layers[-1].weight.shape[2],
                 tuple(layer.weight.shape[2] for layer in ensemble.layers[:-1]), n_models=1)
    with torch.no_grad():
        for mine, theirs in zip(single.layers, ensemble.layers):
            mine.weight.copy_(theirs.weight[m:m + 1])
            mine.bias.copy_(theirs.bias[m:m + 1])
    return single


@pytest.mark.parametrize("shared_inputs", [True, False])
def test_batched_ensemble_trains_each_copy_exactly_as_alone(problem, shared_inputs):
    X, y = problem
    X, y = torch.as_tensor(X), torch.as_tensor(y)
    M = 3
    ensemble = MLP(X.shape[1], 4, (8, 5), n_models=M, seed=1)
    alone = [_single(ensemble, m) for m in range(M)]
    inputs = X if shared_inputs else torch.stack([X * (m + 1) for m in range(M)])  # (M, n, d): own inputs
    train(ensemble, inputs, y, epochs=3, batch_size=50, lr=1e-2, seed=5)
    for m, single in enumerate(alone):
        train(single, X if shared_inputs else inputs[m], y, epochs=3, batch_size=50, lr=1e-2, seed=5)
        for mine, theirs in zip(single.layers, ensemble.layers):
            torch.testing.assert_close(mine.weight[0], theirs.weight[m], atol=1e-5, rtol=1e-4)
            torch.testing.assert_close(mine.bias[0], theirs.bias[m], atol=1e-5, rtol=1e-4)


def test_ensemble_loss_is_the_sum_of_each_copys_mean_cross_entropy():
    logits, y = torch.randn(3, 7, 4), torch.randint(0, 4, (7,))
    expected = sum(torch.nn.functional.cross_entropy(logits[m], y) for m in range(3))
    torch.testing.assert_close(ensemble_loss(logits, y), expected)


def test_shared_and_per_copy_inputs_give_the_same_outputs():
    mlp = MLP(6, 3, (5,), n_models=4, seed=2)
    x = torch.randn(10, 6)
    torch.testing.assert_close(mlp(x), mlp(x.expand(4, 10, 6).contiguous()))


# --------------------------------------------------------------------------------------- the protocol
def test_evaluate_subsets_ranks_informative_features_above_noise(problem):
    X, y = problem
    X_train, X_test, y_train, y_test = X[:300], X[300:], y[:300], y[300:]
    subsets = [INFORMATIVE, [0, 2, 3], [0, 2, 3, 4, 5], INFORMATIVE[:2]]
    accuracy, correct = evaluate_subsets(X_train, y_train, X_test, y_test, subsets, hidden=(16,), epochs=60,
                                         batch_size=64, return_correct=True)
    assert accuracy.shape == (4,) and correct.shape == (4, 100) and correct.dtype == bool
    np.testing.assert_allclose(accuracy, correct.mean(axis=1))
    assert accuracy[0] > 0.85 and accuracy[1] < 0.5 and accuracy[0] > accuracy[3] > accuracy[1]
    again = evaluate_subsets(X_train, y_train, X_test, y_test, subsets, hidden=(16,), epochs=60, batch_size=64)
    np.testing.assert_array_equal(accuracy, again)  # the same seed retrains the same networks


def test_evaluate_subsets_accepts_string_labels(problem):
    X, y = problem
    labels = np.array(["a", "b", "c", "d"])[y]
    accuracy = evaluate_subsets(X[:300], labels[:300], X[300:], labels[300:], [INFORMATIVE], hidden=(16,), epochs=40,
                                batch_size=64)
    assert accuracy[0] > 0.8


@pytest.mark.parametrize("subsets,match", [([[0, 12]], "distinct feature indices"), ([[1, 1]], "distinct"),
                                           ([[]], "distinct"), ([], "empty"), ([[-1]], "distinct")])
def test_evaluate_subsets_rejects_bad_subsets(problem, subsets, match):
    X, y = problem
    with pytest.raises(ValueError, match=match):
        evaluate_subsets(X[:300], y[:300], X[300:], y[300:], subsets)


def test_evaluate_subsets_rejects_test_labels_unseen_in_training(problem):
    X, y = problem
    with pytest.raises(ValueError, match="not in y_train"):
        evaluate_subsets(X[:300], y[:300], X[300:], y[300:] + 10, [INFORMATIVE])


def test_fit_subsets_needs_equally_long_subsets(problem):
    X, y = problem
    with pytest.raises(ValueError, match="subsets"):
        fit_subsets(X, y, [[0, 1], [2]])


# -------------------------------------------------------------------------------------------- bad inputs
@pytest.mark.parametrize("make", [lambda: SequentialAttentionNet(k=2, **FAST), lambda: OneShotAttentionNet(k=2, **FAST),
                                  lambda: SequentialLassoNet(k=2, **FAST), lambda: GroupLassoNet(k=2, **FAST),
                                  lambda: OMPNet(k=2, **FAST), lambda: ForwardSelectionNet(k=2, **FAST),
                                  lambda: RandomSubset(k=2)])
def test_bad_data_gets_a_clear_error(problem, make):
    X, y = problem
    with pytest.raises(ValueError, match="NaN"):
        bad = X.copy()
        bad[3, 2] = np.nan
        make().fit(bad, y)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        make().fit(X, y[:-1])
    with pytest.raises(ValueError, match="2D array"):
        make().fit(X[:, 0], y)
    with pytest.raises(ValueError, match="constant column"):
        bad = X.copy()
        bad[:, 4] = 1.0
        make().fit(bad, y)
    with pytest.raises(ValueError, match="single class"):
        make().fit(X, np.zeros_like(y))


@pytest.mark.parametrize("k,error", [(0, ValueError), (13, ValueError), (2.5, TypeError), (True, TypeError)])
def test_k_out_of_range_is_rejected(problem, k, error):
    X, y = problem
    with pytest.raises(error, match="k"):
        SequentialAttentionNet(k=k, **FAST).fit(X, y)


@pytest.mark.parametrize("make,match", [
    (lambda: SequentialAttentionNet(k=2, schedule="greedy", **FAST), "schedule"),
    (lambda: SequentialAttentionNet(k=2, attention_lr=0.0, **FAST), "attention_lr"),
    (lambda: OneShotAttentionNet(k=2, attention_lr=-1.0, **FAST), "attention_lr"),
    (lambda: SequentialLassoNet(k=2, penalty=0.0, **FAST), "penalty"),
    (lambda: GroupLassoNet(k=2, penalty=-0.1, **FAST), "penalty"),
    (lambda: SequentialAttentionNet(k=2, hidden=(), epochs=5), "hidden"),
    (lambda: OMPNet(k=2, hidden=(16, 0), epochs=5), "hidden"),
    (lambda: OneShotAttentionNet(k=2, attention_hidden=(0,), epochs=5), "hidden"),
    (lambda: SequentialAttentionNet(k=2, epochs=0), "epochs"),
    (lambda: SequentialLassoNet(k=2, batch_size=0), "batch_size"),
    (lambda: GroupLassoNet(k=2, lr=0.0, epochs=5), "lr"),
    (lambda: ForwardSelectionNet(k=2, validation_fraction=1.0, **FAST), "validation_fraction"),
    (lambda: SequentialAttentionNet(k=12, epochs=1, batch_size=400), "phases"),
])
def test_bad_settings_get_a_clear_error(problem, make, match):
    X, y = problem
    with pytest.raises(ValueError, match=match):
        make().fit(X, y)


# ------------------------------------------------------------------------------------------ scikit-learn
def test_selector_works_in_a_pipeline_and_clones(problem):
    X, y = problem
    selector = SequentialAttentionNet(k=3, random_state=0, **FAST)
    pipe = Pipeline([("select", selector), ("model", LogisticRegression(max_iter=500))])
    pipe.fit(X[:300], y[:300])
    fitted = pipe.named_steps["select"]
    assert fitted.get_support().sum() == 3 and fitted.get_support(indices=True).tolist() == sorted(INFORMATIVE)
    assert fitted.transform(X[300:]).shape == (100, 3)
    assert pipe.score(X[300:], y[300:]) > 0.6
    copy = clone(selector)
    assert copy.get_params() == selector.get_params() and not hasattr(copy, "ranking_")


def test_transform_before_fit_is_an_error(problem):
    X, _ = problem
    with pytest.raises(Exception, match="not fitted"):
        SequentialAttentionNet(k=2).transform(X)

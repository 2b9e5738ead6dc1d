"""Chapter 17: linear self-attention as gradient descent (von Oswald et al., ICML 2023) and GPICL tasks (Kirsch et al.)."""
import math

import numpy as np
import pytest
import torch

from fscore.nn.transformer import CausalTransformer, LinearSelfAttention, LinearSelfAttentionStack
from fscore.queries.gpicl import UNSEEN_OFFSET, TaskFamily, accuracy_by_position, draw_tasks, meta_train, plateau_length
from fscore.queries.in_context import (RegressionTasks, aligned_weights, constructed_stack, construction_distance,
                                       cosine, gd_construction, gd_loss, gd_predictions, line_search, lsa_predictions,
                                       prediction_sensitivities, regression_loss, regression_tasks, tokens, train_lsa)


def tasks64(n_tasks, n_context, dim, seed=0, input_range=2.0):
    return regression_tasks(n_tasks, n_context, dim, torch.Generator().manual_seed(seed), input_range=input_range,
                            dtype=torch.float64)


def explicit_gd(tasks, eta, steps):
    """GD on L(w) = 1/(2N) sum_i (w.x_i - y_i)^2 from w = 0, one task at a time in numpy (the reference)."""
    out = np.zeros((steps, tasks.X.shape[0]))
    for b in range(tasks.X.shape[0]):
        X, y, w = tasks.X[b].numpy(), tasks.y[b].numpy(), np.zeros(tasks.dim)
        for k in range(steps):
            w = w - eta * X.T @ (X @ w - y) / len(y)
            out[k, b] = w @ tasks.x_query[b].numpy()
    return out


@pytest.mark.parametrize("n_context,dim,eta", [(1, 1, 0.3), (10, 10, 1.0), (7, 3, 2.5), (25, 16, 0.05), (3, 12, 4.0)])
def test_constructed_layer_is_one_gd_step(n_context, dim, eta):
    tasks = tasks64(64, n_context, dim, seed=n_context + dim)
    lsa = lsa_predictions(constructed_stack(dim, n_context, eta, 1), tasks)[0].detach().numpy()
    assert np.abs(lsa - explicit_gd(tasks, eta, 1)[0]).max() < 1e-6
    assert np.abs(gd_predictions(tasks, eta, 1)[0].numpy() - explicit_gd(tasks, eta, 1)[0]).max() < 1e-9


@pytest.mark.parametrize("n_context,dim,eta,K", [(10, 10, 0.8, 4), (5, 3, 1.5, 3), (20, 6, 0.4, 2)])
def test_k_constructed_layers_are_k_gd_steps(n_context, dim, eta, K):
    tasks = tasks64(32, n_context, dim, seed=K)
    lsa = lsa_predictions(constructed_stack(dim, n_context, eta, K), tasks).detach().numpy()
    assert lsa.shape == (K, 32)
    assert np.abs(lsa - explicit_gd(tasks, eta, K)).max() < 1e-6


def test_construction_with_nonzero_initial_weights_steps_from_w0():
    """With W_0 in the value matrix, the query's last entry becomes -Delta W x_q, Delta W = -eta grad L(W_0)."""
    tasks, eta = tasks64(16, 8, 4, seed=3), 0.7
    W0 = torch.randn(4, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    layer = LinearSelfAttention(5).double().set_weights(*gd_construction(4, 8, eta, W0=W0))
    delta = -layer(tokens(tasks))[:, -1, -1]
    grad = torch.einsum("bn,bnd->bd", torch.einsum("bnd,d->bn", tasks.X, W0) - tasks.y, tasks.X) / 8
    expected = ((-eta * grad) * tasks.x_query).sum(-1)
    assert torch.allclose(delta, expected, atol=1e-10)


def test_line_search_minimises_the_loss_on_its_grid():
    tasks = tasks64(500, 10, 10, seed=4)
    grid = np.logspace(-2, 1.5, 41)
    for steps in (1, 3):
        eta, loss = line_search(tasks, steps, grid)
        grid_losses = [gd_loss(tasks, e, steps) for e in grid]
        assert loss <= min(grid_losses) + 1e-12
        assert loss == pytest.approx(gd_loss(tasks, eta, steps))
        assert grid[0] <= eta <= grid[-1]
    with pytest.raises(ValueError, match="three finite positive"):
        line_search(tasks, 1, [0.1, 0.2])


def test_task_generator_is_seeded_and_validates_its_inputs():
    a = regression_tasks(4, 3, 2, torch.Generator().manual_seed(0))
    b = regression_tasks(4, 3, 2, torch.Generator().manual_seed(0))
    assert torch.equal(a.X, b.X) and torch.equal(a.y_query, b.y_query)
    assert torch.allclose(a.y, torch.einsum("bnd,bd->bn", a.X, a.w))
    assert a.X.abs().max() <= 0.5
    for kwargs, message in [(dict(n_context=0), "n_context"), (dict(dim=0), "dim"), (dict(n_tasks=2.5), "n_tasks"),
                            (dict(input_range=float("nan")), "input_range"), (dict(weight_scale=-1), "weight_scale")]:
        args = dict(n_tasks=4, n_context=3, dim=2, generator=torch.Generator())
        args.update(kwargs)
        with pytest.raises(ValueError, match=message):
            regression_tasks(**args)
    with pytest.raises(ValueError, match="NaN"):
        RegressionTasks(a.X * float("nan"), a.y, a.x_query, a.y_query, a.w)
    with pytest.raises(ValueError, match="N >= 1"):
        RegressionTasks(a.X[:, :0], a.y[:, :0], a.x_query, a.y_query, a.w)
    with pytest.raises(ValueError, match="eta"):
        gd_predictions(a, eta=0.0)


def test_lsa_layer_checks_shapes_and_excludes_the_query_from_keys():
    layer = LinearSelfAttention(3, generator=torch.Generator().manual_seed(0))
    E = torch.randn(2, 5, 3)
    moved = E.clone()
    moved[:, -1] += 1.0
    # the query token is no key or value: moving it changes only its own output
    assert torch.allclose(layer(E)[:, :-1], layer(moved)[:, :-1])
    with pytest.raises(ValueError, match="tokens of shape"):
        layer(torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match="no context"):
        layer(torch.zeros(2, 1, 3))
    with pytest.raises(ValueError, match="must be 3 x 3"):
        layer.set_weights(torch.eye(2), torch.eye(3), torch.eye(3), torch.eye(3))


def test_alignment_removes_the_symmetries_of_the_layer():
    dim, N, eta = 4, 6, 0.9
    layer = LinearSelfAttention(dim + 1).double().set_weights(*gd_construction(dim, N, eta))
    assert construction_distance(layer, dim, N, eta) < 1e-12
    M = torch.randn(dim + 1, dim + 1, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    W_Q, W_K, W_V, P = gd_construction(dim, N, eta)
    c = -3.0   # key/query mixing by M, and (c A, b / c): the same layer
    moved = LinearSelfAttention(dim + 1).double().set_weights(torch.linalg.inv(M).T @ W_Q * c, M @ W_K, W_V, P / c)
    tasks = tasks64(8, N, dim)
    assert torch.allclose(moved(tokens(tasks)), layer(tokens(tasks)), atol=1e-10)
    assert construction_distance(moved, dim, N, eta) < 1e-10
    A, b = aligned_weights(moved, dim)
    assert A.shape == (dim + 1, dim) and b.shape == (dim + 1,)
    assert construction_distance(layer, dim, N, 2 * eta) == pytest.approx(0.5)


def test_trained_single_layer_approaches_one_gd_step():
    torch.manual_seed(0)
    model, losses = train_lsa(1, 3, 10, steps=300, batch_size=256, lr=1e-2, seed=0)
    assert losses[-20:].mean() < 0.7 * losses[:5].mean()
    test = regression_tasks(4000, 10, 3, torch.Generator().manual_seed(9))
    eta, gd = line_search(test, 1)
    with torch.no_grad():
        trained = float(regression_loss(lsa_predictions(model, test)[0], test.y_query))
    assert trained < 1.2 * gd
    sens = prediction_sensitivities(lambda t: lsa_predictions(model, t)[0], test)
    sens_gd = prediction_sensitivities(lambda t: gd_predictions(t, eta, 1)[0], test)
    assert cosine(sens, sens_gd).mean() > 0.9
    again, losses_again = train_lsa(1, 3, 10, steps=300, batch_size=256, lr=1e-2, seed=0)
    assert np.array_equal(losses, losses_again)


def test_gd_sensitivities_are_the_learned_weights():
    tasks, eta = tasks64(16, 5, 3, seed=5), 0.6
    sens = prediction_sensitivities(lambda t: gd_predictions(t, eta, 1)[0], tasks)
    delta = eta / 5 * torch.einsum("bn,bnd->bd", tasks.y, tasks.X)
    assert torch.allclose(sens, delta, atol=1e-12)


def test_causal_transformer_is_causal_and_validates():
    model = CausalTransformer(6, 4, d_model=16, n_layers=2, n_heads=2, max_len=12, seed=0)
    x = torch.randn(3, 10, 6)
    changed = x.clone()
    changed[:, 7:] = torch.randn(3, 3, 6)
    out, out_changed = model(x), model(changed)
    assert out.shape == (3, 10, 4)
    assert torch.allclose(out[:, :7], out_changed[:, :7], atol=1e-6)
    assert not torch.allclose(out[:, 7:], out_changed[:, 7:])
    assert torch.equal(CausalTransformer(6, 4, d_model=16, seed=0)(x), CausalTransformer(6, 4, d_model=16, seed=0)(x))
    with pytest.raises(ValueError, match="divisible"):
        CausalTransformer(6, 4, d_model=10, n_heads=4)
    with pytest.raises(ValueError, match="longer than max_len"):
        model(torch.zeros(1, 13, 6))
    with pytest.raises(ValueError, match="tokens of shape"):
        model(torch.zeros(1, 5, 5))
    with pytest.raises(ValueError, match="n_layers"):
        CausalTransformer(6, 4, n_layers=0)


def toy_family(pair_tokens=False):
    rng = np.random.default_rng(0)
    y = np.arange(60) % 3
    X = rng.standard_normal((60, 5)) + 3 * np.eye(5)[y]
    return TaskFamily(X, y, seed=1, pair_tokens=pair_tokens)


def test_gpicl_tasks_project_permute_and_shift_labels():
    family = toy_family()
    A, perm = family.task(7)
    A_again, perm_again = family.task(7)
    assert torch.equal(A, A_again) and torch.equal(perm, perm_again)
    assert sorted(perm.tolist()) == [0, 1, 2]
    assert not torch.equal(family.task(8)[0], A)
    big = TaskFamily(np.random.default_rng(0).standard_normal((10, 400)), np.arange(10) % 2)
    assert big.task(0)[0].var().item() == pytest.approx(1 / 400, rel=0.05)   # entries N(0, 1/d)

    g = torch.Generator().manual_seed(0)
    tok, labels = family.sequences([7, 7, 8], 9, g)
    assert tok.shape == (3, 9, family.n_in) == (3, 9, 5 + 3) and labels.shape == (3, 9)
    assert torch.all(tok[:, 0, 5:] == 0)
    assert torch.equal(tok[:, 1:, 5:].argmax(-1), labels[:, :-1])            # the previous label, one-hot
    assert torch.all(tok[:, 1:, 5:].sum(-1) == 1)
    # inputs are the projected, standardised images: recover them and their (permuted) labels
    rows = [int(torch.nonzero(torch.all(torch.isclose(family._X @ A.T, tok[0, t, :5], atol=1e-5), dim=1))[0])
            for t in range(9)]
    assert [int(perm[family._y[r]]) for r in rows] == labels[0].tolist()

    paired = toy_family(pair_tokens=True)
    tok, labels = paired.sequences([3], 6, torch.Generator().manual_seed(0))
    assert tok.shape == (1, 6, 5 + 3 + 5)
    assert torch.equal(tok[0, 1:, 8:], tok[0, :-1, :5]) and torch.all(tok[0, 0, 8:] == 0)


def test_gpicl_validation_and_task_draws():
    with pytest.raises(ValueError, match="classes 0..C-1"):
        TaskFamily(np.zeros((4, 2)), np.array([0, 2, 2, 0]))
    with pytest.raises(ValueError, match="NaN"):
        TaskFamily(np.full((4, 2), np.nan), np.array([0, 1, 1, 0]))
    with pytest.raises(ValueError, match="one label per row"):
        TaskFamily(np.zeros((4, 2)), np.array([0, 1, 1]))
    with pytest.raises(ValueError, match="length"):
        toy_family().sequences([0], 0, torch.Generator())
    g = torch.Generator().manual_seed(0)
    assert draw_tasks(4, 100, g).max() < 4
    assert draw_tasks(None, 100, g).unique().numel() == 100
    with pytest.raises(ValueError, match="n_tasks"):
        draw_tasks(0, 3, g)
    assert UNSEEN_OFFSET > 2 ** 30


def test_plateau_length():
    losses = np.r_[np.full(100, 2.3), np.linspace(2.3, 1.0, 50), np.full(50, 1.0)]
    assert 100 < plateau_length(losses, 2.0, window=10) < 150
    assert plateau_length(np.full(60, 2.3), 2.0, window=10) == 60
    with pytest.raises(ValueError, match="window"):
        plateau_length([1.0, 2.0], 1.5, window=10)


def test_meta_training_memorises_one_task():
    family = toy_family()
    model = CausalTransformer(family.n_in, 3, d_model=16, n_layers=1, n_heads=2, max_len=10, seed=0)
    losses = meta_train(model, family, 1, steps=150, batch_size=16, length=10, lr=1e-2, seed=0)
    assert losses[-10:].mean() < 0.5 * math.log(3)
    acc = accuracy_by_position(model, family, [0] * 64, 10, torch.Generator().manual_seed(1))
    assert acc.shape == (10,) and acc.mean() > 0.8

"""Shared model code: the small CNN and the plain classifier loop."""
import pytest
import torch

from fscore.nn import SmallCNN, batched, fit_classifier


def blobs(n=256, seed=0):
    """Two classes of 28x28 images: a bright left half or a bright right half, plus noise."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    X = torch.randn(n, 1, 28, 28, generator=g) * 0.3
    X[y == 0, :, :, :14] += 1.0
    X[y == 1, :, :, 14:] += 1.0
    return X, y


def test_small_cnn_learns_a_separable_task_and_is_reproducible():
    X, y = blobs()
    results = []
    for _ in range(2):
        torch.manual_seed(0)
        model = SmallCNN(widths=(4, 8), embed_dim=16, n_out=2)
        history = fit_classifier(model, X, y, epochs=3, batch_size=64, lr=3e-3, seed=1)
        results.append((history, batched(model, X)))
    assert results[0][0][-1] < results[0][0][0]
    assert (results[0][1].argmax(1) == y).float().mean() > 0.95
    assert results[0][0] == results[1][0] and torch.equal(results[0][1], results[1][1])


def test_small_cnn_embedding_shape_and_bad_input():
    model = SmallCNN(in_channels=3, image_size=32, widths=(4, 8), embed_dim=10)
    assert model(torch.zeros(5, 3, 32, 32)).shape == (5, 10)
    with pytest.raises(ValueError, match="expected images of shape"):
        model(torch.zeros(5, 1, 32, 32))
    with pytest.raises(ValueError, match="divisible by 4"):
        SmallCNN(image_size=30)


def test_fit_classifier_refuses_mismatched_rows():
    with pytest.raises(ValueError, match="rows"):
        fit_classifier(SmallCNN(n_out=2), torch.zeros(4, 1, 28, 28), torch.zeros(3, dtype=torch.long), epochs=1,
                       batch_size=2)

"""Joint-embedding self-supervised learning (fscore.nn.ssl): augmentations, SimCLR and VICReg losses, training."""
import math

import pytest
import torch
import torch.nn.functional as F

from fscore.nn import SmallCNN
from fscore.nn.ssl import (ImageAugment, JointEmbedding, MLPBackbone, info_nce_loss, ssl_loss, train_ssl,
                           vicreg_loss, vicreg_terms)


def reference_nt_xent(z1, z2, temperature):
    """NT-Xent written as SimCLR's Algorithm 1: a loop over the 2B anchors."""
    z = F.normalize(torch.cat([z1, z2]), dim=1)
    B = z1.shape[0]
    total = 0.0
    for i in range(2 * B):
        partner = (i + B) % (2 * B)
        sims = torch.stack([z[i] @ z[k] for k in range(2 * B) if k != i]) / temperature
        total += -(z[i] @ z[partner]) / temperature + torch.logsumexp(sims, 0)
    return total / (2 * B)


def test_info_nce_matches_the_papers_algorithm_and_its_bounds():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(6, 5, generator=g), torch.randn(6, 5, generator=g)
    for tau in (0.1, 0.5, 2.0):
        assert info_nce_loss(z1, z2, tau).item() == pytest.approx(reference_nt_xent(z1, z2, tau).item(), rel=1e-5)
    # identical, well-separated views at a low temperature: each picks its partner, the loss goes to zero
    eye = torch.eye(6) * 10
    assert info_nce_loss(eye, eye, 0.05).item() < 1e-6
    # a complete collapse (every embedding equal) gives log(2B - 1) at any temperature
    same = torch.ones(6, 5)
    assert info_nce_loss(same, same, 0.3).item() == pytest.approx(math.log(11), rel=1e-6)


def test_vicreg_terms_follow_the_paper():
    g = torch.Generator().manual_seed(1)
    z1 = torch.randn(512, 4, generator=g) * 2
    s, v, c = vicreg_terms(z1, z1)
    assert s.item() == 0.0
    assert v.item() == 0.0  # every standard deviation is about 2 > 1: the hinge is off
    # independent dimensions: each off-diagonal covariance is noise of variance 16/511, about 0.19 in all
    assert c.item() < 0.5
    collapsed = torch.ones(512, 4)
    s, v, c = vicreg_terms(collapsed, collapsed)
    assert v.item() == pytest.approx(2 * (1 - math.sqrt(1e-4)), rel=1e-6)  # both views, every dimension at std 0
    copies = torch.randn(512, 1, generator=g).repeat(1, 4)  # four copies of one feature: dimensional collapse
    _, _, c = vicreg_terms(copies, copies)
    var = copies[:, 0].var().item()
    assert c.item() == pytest.approx(2 * 12 * var ** 2 / 4, rel=1e-4)
    assert vicreg_loss(z1, z1 + 1, 25, 25, 1).item() == pytest.approx(25.0 + vicreg_loss(z1, z1 + 1, 0, 25, 1).item(),
                                                                      rel=1e-5)
    with pytest.raises(ValueError, match="non-negative"):
        vicreg_loss(z1, z1, variance=-1)


def test_losses_refuse_bad_views():
    with pytest.raises(ValueError, match="same shape"):
        info_nce_loss(torch.zeros(4, 3), torch.zeros(5, 3))
    with pytest.raises(ValueError, match="B >= 2"):
        vicreg_terms(torch.zeros(1, 3), torch.zeros(1, 3))
    with pytest.raises(ValueError, match="temperature"):
        info_nce_loss(torch.zeros(4, 3), torch.zeros(4, 3), 0.0)
    with pytest.raises(ValueError, match="method"):
        ssl_loss("byol")


def test_augmentations_are_random_reproducible_and_keep_shape():
    x = torch.rand(16, 1, 8, 8)
    aug = ImageAugment(flip=True)
    a = aug(x, torch.Generator().manual_seed(0))
    b = aug(x, torch.Generator().manual_seed(0))
    c = aug(x, torch.Generator().manual_seed(1))
    assert a.shape == x.shape and torch.equal(a, b) and not torch.equal(a, c)
    identity = ImageAugment(min_scale=1, max_rotation=0, max_shift=0, contrast=0, brightness=0, noise=0, erase=0)
    assert torch.allclose(identity(x, torch.Generator().manual_seed(0)), x, atol=1e-5)
    flip_only = ImageAugment(min_scale=1, max_rotation=0, max_shift=0, flip=True, contrast=0, brightness=0, noise=0,
                             erase=0)
    flipped = flip_only(x, torch.Generator().manual_seed(2))
    assert all(torch.allclose(f, x[i], atol=1e-5) or torch.allclose(f, x[i].flip(-1), atol=1e-5)
               for i, f in enumerate(flipped))
    erased = ImageAugment(min_scale=1, max_rotation=0, max_shift=0, contrast=0, brightness=0, noise=0, erase=0.5)
    assert ((erased(torch.ones(4, 1, 8, 8), torch.Generator().manual_seed(3)) == 0).sum(dim=(1, 2, 3)) == 16).all()
    with pytest.raises(ValueError, match="min_scale"):
        ImageAugment(min_scale=0)
    with pytest.raises(ValueError, match="erase"):
        ImageAugment(erase=1.0)
    with pytest.raises(ValueError, match="B, C, H, W"):
        aug(torch.rand(4, 64), torch.Generator())


def two_clusters(n=128, seed=0):
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, 2, (n,), generator=g)
    x = torch.rand(n, 1, 8, 8, generator=g) * 0.2
    x[y == 1, :, 2:6, 2:6] += 0.8
    return x, y


@pytest.mark.parametrize("method, params", [("simclr", {"temperature": 0.5}), ("vicreg", {})])
def test_training_lowers_the_loss_and_is_reproducible(method, params):
    x, _ = two_clusters()
    histories, outputs = [], []
    for _ in range(2):
        torch.manual_seed(0)
        model = JointEmbedding(MLPBackbone(64, 16, (32,), seed=0), 16, 8)
        histories.append(train_ssl(model, x, ssl_loss(method, **params), ImageAugment(), epochs=6, batch_size=32,
                                   lr=3e-3, seed=1))
        outputs.append(model(x))
    assert histories[0][-1] < histories[0][0]
    assert histories[0] == histories[1] and torch.equal(outputs[0], outputs[1])


def test_joint_embedding_with_the_small_cnn_and_bad_batches():
    model = JointEmbedding(SmallCNN(1, 8, (4, 8), 12), 12, 6)
    x = torch.rand(10, 1, 8, 8)
    assert model.represent(x).shape == (10, 12) and model(x).shape == (10, 6)
    assert (model.represent(x) >= 0).all()  # ReLU features, like the MLP backbone's
    with pytest.raises(ValueError, match="batch of one image"):
        train_ssl(model, torch.rand(33, 1, 8, 8), ssl_loss("simclr"), ImageAugment(), epochs=1, batch_size=32, lr=1e-3)
    with pytest.raises(ValueError, match="pixels"):
        MLPBackbone(64).embed(torch.rand(3, 1, 4, 4))
    with pytest.raises(ValueError, match="positive"):
        JointEmbedding(MLPBackbone(64), 64, 0)


def test_a_diverging_run_raises():
    x, _ = two_clusters(64)
    model = JointEmbedding(MLPBackbone(64, 8, (16,)), 8, 4)

    def exploding(z1, z2):
        return (z1 - z2).pow(2).sum() * float("inf")

    with pytest.raises(FloatingPointError, match="diverged"):
        train_ssl(model, x, exploding, ImageAugment(), epochs=1, batch_size=32, lr=1e-3)

"""Joint representation learning and density estimation (Li et al., ICCV 2023, "HVCM"), on the book's small CNN.

A projection head maps the backbone's features to ``n_groups`` groups of ``group_dim`` *attributes*; each class
:math:`c` has a learnable centre :math:`m_{cg}` per group. Training pulls the softmax of each attribute group towards
the softmax of its class's centre with a symmetric pair of KL divergences, so that the attributes of a class
concentrate around one point per group — the representation is learned to suit the class-conditional Gaussians that
score it afterwards (:class:`fscore.inputs.ood.GroupedGaussianScore`). A second output gives each input a weight per
group; its training term rewards weight on the groups whose attributes fit best, and the class's mixture weights are
the average of those weights over the class.

We follow the authors' code (github.com/Jarvisgivemeasuit/hvcm_ood, ``hvcm_cifar10/utils.py``: ``HVCMhead``,
``HVCMLoss``; ``train.py``; ``ind_acc.py``), read to get the method right, and rewritten here:

* head: linear to a bottleneck, L2 normalisation, then a weight-normalised linear map without bias whose rows have
  norm one (their ``weight_norm`` with the gain fixed at 1) gives the attributes; a linear map gives the group weights;
* loss: :math:`\\alpha\\,\\mathrm{KL}(\\sigma(m_{y g}) \\,\\|\\, \\sigma(a_g))` with the centre held fixed, plus
  :math:`\\beta\\,\\mathrm{KL}(\\sigma(a_g) \\,\\|\\, \\sigma(m_{y g}))` with the attributes held fixed, per group,
  clamped to ``[1e-5, 1e5]`` and averaged; plus the mean of the first (held fixed) times the softmax of the group
  weights; :math:`\\alpha = 1, \\beta = 0.1` as in their ``train.sh``; no cross-entropy term (their ``train.py``
  back-propagates the HVCM loss only);
* classification: the class whose flattened centre has the largest cosine similarity with the attributes (their
  ``ind_acc.py``).

Where we differ, and why: their class weights are an exponential moving average (rate ``1e-4``) of the batch
means of the softmaxed group weights over 200 epochs; with a few hundred steps such an average would not move from
its random start, so :func:`class_group_weights` computes the average it tracks directly, over the class's training
inputs, after training. We train with Adam (the book's shared loop) rather than SGD at learning rate 0.1.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from fscore.nn import SmallCNN, batched


class HVCMHead(nn.Module):
    """Bottleneck, L2 normalisation, unit-norm attribute map (``n_groups * group_dim`` outputs) and group weights."""

    def __init__(self, in_dim: int, n_groups: int, group_dim: int, bottleneck: int = 64):
        super().__init__()
        if min(in_dim, n_groups, group_dim, bottleneck) < 1:
            raise ValueError("in_dim, n_groups, group_dim and bottleneck must be positive")
        self.bottleneck = nn.Linear(in_dim, bottleneck)
        self.attribute_weight = nn.Parameter(torch.empty(n_groups * group_dim, bottleneck))
        nn.init.trunc_normal_(self.bottleneck.weight, std=0.02)
        nn.init.zeros_(self.bottleneck.bias)
        nn.init.kaiming_uniform_(self.attribute_weight, a=5 ** 0.5)
        self.group_weight = nn.Linear(bottleneck, n_groups, bias=False)
        self.n_groups, self.group_dim = n_groups, group_dim

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Group-weight logits ``(B, G)`` and attributes ``(B, G * group_dim)``."""
        u = F.normalize(self.bottleneck(h), dim=-1)
        return self.group_weight(u), u @ F.normalize(self.attribute_weight, dim=1).T


class HVCMNet(nn.Module):
    """The book's :class:`~fscore.nn.SmallCNN` (without its linear head) with an :class:`HVCMHead` and class centres.

    ``forward`` returns the cosine similarity of the attributes to each class's flattened centre, ``(B, C)``: its
    argmax is the predicted class, as in the authors' ``ind_acc.py``.
    """

    def __init__(self, n_classes: int, n_groups: int = 8, group_dim: int = 8, widths=(16, 32), embed_dim: int = 64,
                 bottleneck: int = 64, seed: int = 0):
        super().__init__()
        torch.manual_seed(int(seed))
        self.backbone = SmallCNN(widths=widths, embed_dim=embed_dim)
        self.head = HVCMHead(embed_dim, n_groups, group_dim, bottleneck)
        self.centres = nn.Parameter(torch.randn(n_classes, n_groups, group_dim))

    def weights_and_attributes(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.head(self.backbone.embed(x))

    def attributes(self, x: torch.Tensor) -> torch.Tensor:
        """The ``(B, G * group_dim)`` features that the grouped Gaussians score."""
        return self.weights_and_attributes(x)[1]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.cosine_similarity(self.attributes(x)[:, None, :], self.centres.flatten(1)[None], dim=-1)


def hvcm_loss(model: HVCMNet, x: torch.Tensor, y: torch.Tensor, alpha: float = 1.0, beta: float = 0.1) -> torch.Tensor:
    """The HVCM training loss of a batch (the authors' ``HVCMLoss.forward``; see the module docstring)."""
    weight_logits, attributes = model.weights_and_attributes(x)
    a = attributes.view(len(x), model.head.n_groups, model.head.group_dim)
    m = model.centres[y]
    kl_a = F.kl_div(F.log_softmax(a, -1), F.softmax(m.detach(), -1), reduction="none").sum(-1) * alpha
    kl_m = F.kl_div(F.log_softmax(m, -1), F.softmax(a.detach(), -1), reduction="none").sum(-1) * beta
    weight_term = (kl_a.detach() * F.softmax(weight_logits, -1)).mean()
    return weight_term + torch.clamp(kl_a + kl_m, 1e-5, 1e5).mean()


@torch.no_grad()
def class_group_weights(model: HVCMNet, X: torch.Tensor, y: torch.Tensor, n_classes: int) -> torch.Tensor:
    """Each class's mixture weights ``(C, G)``: the mean softmaxed group weights over its training inputs."""
    counts = torch.bincount(y, minlength=n_classes)
    if len(counts) > n_classes or (counts == 0).any():
        raise ValueError(f"y must hold every class 0..{n_classes - 1} and no other, got counts {counts.tolist()}")
    soft = batched(lambda xb: F.softmax(model.weights_and_attributes(xb)[0], -1), X)
    return torch.stack([soft[y == c].mean(0) for c in range(n_classes)])

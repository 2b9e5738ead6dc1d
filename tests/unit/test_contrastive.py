"""The shared two-tower contrastive model: tokenizer, towers, the CLIP loss and its training loop."""
import math

import numpy as np
import pytest
import torch

from fscore.nn import SmallCNN
from fscore.nn.contrastive import (MAX_LOGIT_SCALE, CaptionTokenizer, TwoTower, clip_loss, embed_images, embed_texts,
                                   train_clip)


def test_tokenizer_vocabulary_padding_unknown_and_truncation():
    tok = CaptionTokenizer(max_tokens=4).fit(["a red t-shirt", "a blue coat", "a coat"])
    assert tok.vocabulary_["a"] == 2 and tok.vocabulary_["coat"] == 3  # most frequent first, ids from 2
    assert "t-shirt" in tok.vocabulary_ and "shirt" not in tok.vocabulary_  # hyphenated words stay whole
    ids = tok.transform(["A Red COAT!", "", "one two three four five", "purple coat"])
    assert ids.dtype == torch.int64 and ids.shape == (4, 4)
    assert ids[0].tolist() == [2, tok.vocabulary_["red"], 3, 0]
    assert ids[1].tolist() == [0, 0, 0, 0]
    assert ids[2].tolist() == [1, 1, 1, 1]  # unknown words, truncated to max_tokens
    assert ids[3].tolist() == [1, 3, 0, 0]
    assert tok.vocab_size == len(tok.vocabulary_) + 2


@pytest.mark.parametrize("call, error, match", [
    (lambda: CaptionTokenizer().transform(["a"]), RuntimeError, "not fitted"),
    (lambda: CaptionTokenizer().fit("a single caption"), ValueError, "single string"),
    (lambda: CaptionTokenizer().fit(["ok", 3]), TypeError, "must be a string"),
    (lambda: CaptionTokenizer(max_tokens=0), ValueError, "max_tokens"),
])
def test_tokenizer_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


def reference_clip_loss(U, V, scale):
    """The CLIP paper's pseudo-code (Radford et al. 2021, Fig. 3) in NumPy: symmetric cross-entropy over the batch."""
    logits = scale * U @ V.T
    rows = logits - logits.max(1, keepdims=True)
    cols = logits - logits.max(0, keepdims=True)
    log_p_text = rows - np.log(np.exp(rows).sum(1, keepdims=True))
    log_p_image = cols - np.log(np.exp(cols).sum(0, keepdims=True))
    return -0.5 * (np.diag(log_p_text).mean() + np.diag(log_p_image).mean())


def test_clip_loss_matches_the_papers_pseudo_code_and_rewards_alignment():
    g = torch.Generator().manual_seed(0)
    U = torch.nn.functional.normalize(torch.randn(8, 5, generator=g), dim=1)
    V = torch.nn.functional.normalize(torch.randn(8, 5, generator=g), dim=1)
    loss = clip_loss(U, V, torch.tensor(3.0))
    assert float(loss) == pytest.approx(reference_clip_loss(U.numpy(), V.numpy(), 3.0), rel=1e-5)
    assert float(clip_loss(V, U, torch.tensor(3.0))) == pytest.approx(float(loss), rel=1e-6)  # symmetric
    aligned = clip_loss(U, U, torch.tensor(MAX_LOGIT_SCALE))
    assert float(aligned) < 0.05 < float(loss)
    with pytest.raises(ValueError, match="differ in shape"):
        clip_loss(U, V[:4], torch.tensor(1.0))


def test_two_tower_reuses_the_small_cnn_and_embeds_on_the_unit_sphere():
    model = TwoTower(vocab_size=10, image_size=12, widths=(2, 4), width=8, dim=3).eval()
    assert isinstance(model.image_tower, SmallCNN)
    images, tokens = torch.rand(5, 1, 12, 12), torch.randint(0, 10, (5, 4))
    u, v = model(images, tokens)
    assert u.shape == v.shape == (5, 3)
    assert torch.allclose(u.norm(dim=1), torch.ones(5)) and torch.allclose(v.norm(dim=1), torch.ones(5))
    assert float(model.scale.detach()) == pytest.approx(1 / 0.07, rel=1e-5)
    with torch.no_grad():
        model.log_scale.fill_(10.0)
    assert float(model.scale.detach()) == MAX_LOGIT_SCALE  # clipped at 100 as in CLIP
    empty = torch.zeros(2, 4, dtype=torch.long)
    assert torch.allclose(embed_texts(model, empty)[0], embed_texts(model, empty)[1])
    assert torch.allclose(embed_images(model, images, batch_size=2), u, atol=1e-6)
    with pytest.raises(ValueError, match="expected images of shape"):
        model.encode_images(torch.rand(5, 1, 16, 16))


def toy_pairs(n=192, seed=0):
    """Images bright on the left or the right, captioned "left ..." or "right ..."."""
    g = torch.Generator().manual_seed(seed)
    side = torch.randint(0, 2, (n,), generator=g)
    images = torch.rand(n, 1, 12, 12, generator=g) * 0.2
    images[side == 0, :, :, :6] += 0.8
    images[side == 1, :, :, 6:] += 0.8
    captions = [("left" if s == 0 else "right") + " side picture" for s in side.tolist()]
    return images, captions, side


def test_train_clip_takes_exactly_the_budget_learns_the_pairing_and_is_reproducible():
    images, captions, side = toy_pairs()
    tok = CaptionTokenizer().fit(captions)
    tokens = tok.transform(captions)
    runs = []
    for _ in range(2):
        torch.manual_seed(0)
        model = TwoTower(tok.vocab_size, image_size=12, widths=(4, 8), width=16, dim=8)
        history = train_clip(model, images, tokens, steps=70, batch_size=50, lr=5e-3, seed=3)
        runs.append((history, [p.detach().clone() for p in model.parameters()]))
    history = runs[0][0]
    assert len(history) == 70  # 70 steps whatever the 3 full batches an epoch
    assert runs[0][0] == runs[1][0] and all(torch.equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))
    assert np.mean(history[-10:]) < np.mean(history[:10])
    prompts = embed_texts(model, tok.transform(["left side picture", "right side picture"]))
    predicted = (embed_images(model, images) @ prompts.T).argmax(1)
    assert float((predicted == side).float().mean()) > 0.95
    assert not model.training


def test_train_clip_refuses_what_cannot_train():
    images, captions, _ = toy_pairs(8)
    tokens = CaptionTokenizer().fit(captions).transform(captions)
    model = TwoTower(10, image_size=12, widths=(2, 4), width=8, dim=4)
    with pytest.raises(ValueError, match="pairs do not match"):
        train_clip(model, images, tokens[:5], steps=1, batch_size=4)
    with pytest.raises(ValueError, match="at least 2 pairs"):
        train_clip(model, images[:1], tokens[:1], steps=1, batch_size=4)
    with pytest.raises(ValueError, match="positive integer"):
        train_clip(model, images, tokens, steps=0, batch_size=4)
    assert math.isfinite(train_clip(model, images, tokens, steps=2, batch_size=100)[-1])  # batch capped at n

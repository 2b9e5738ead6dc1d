"""The DataComp protocol in miniature (Gadre et al., NeurIPS 2023 Datasets and Benchmarks, Sec. 3).

A fixed pool of image-caption pairs; a filter keeps part of it; the *same* contrastive model is trained on what was
kept for the *same* number of steps (the compute budget is fixed, whatever the size of the kept set); the model is
evaluated on clean held-out data by zero-shot classification from class-name prompts and by image-to-text and
text-to-image retrieval (recall@1 and @5). Only the filter changes from one run to the next, so the evaluation
scores the filter's *induced dataset*.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from fscore.filtering.pool import (EMOJI_CATEGORY_WORDS, EMOJI_PROMPTS, FASHION_CLASSES, FASHION_PROMPTS, Pairs)
from fscore.nn.contrastive import CaptionTokenizer, TwoTower, embed_images, embed_texts, train_clip


@dataclass(frozen=True)
class ModelSpec:
    """A contrastive model and its training budget (DataComp fixes both for a scale; only the data change).

    ``widths`` and ``width`` size the towers (:class:`~fscore.nn.contrastive.TwoTower`), ``dim`` the shared space;
    ``steps`` AdamW steps of ``batch_size`` pairs at learning rate ``lr`` are the compute budget.
    """

    widths: tuple = (16, 32)
    width: int = 64
    dim: int = 32
    steps: int = 300
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 1e-4

    def build(self, vocab_size: int, image_size: int, seed: int) -> TwoTower:
        """A freshly initialised model; ``seed`` fixes the initialisation without touching the global RNG."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(seed))
            return TwoTower(vocab_size, image_size=image_size, widths=tuple(self.widths), width=self.width,
                            dim=self.dim)


@dataclass
class Encoded:
    """Pairs ready for a model: ``(n, 1, S, S)`` images and ``(n, L)`` token ids on one device."""

    images: torch.Tensor
    tokens: torch.Tensor
    vocab_size: int

    @classmethod
    def from_pairs(cls, pairs: Pairs, tokenizer: CaptionTokenizer, device="cpu") -> "Encoded":
        images = torch.from_numpy(np.ascontiguousarray(pairs.images)).unsqueeze(1).to(device)
        return cls(images, tokenizer.transform(pairs.captions).to(device), tokenizer.vocab_size)

    def subset(self, index) -> "Encoded":
        index = torch.as_tensor(np.asarray(index), dtype=torch.long, device=self.images.device)
        return Encoded(self.images[index], self.tokens[index], self.vocab_size)

    def __len__(self) -> int:
        return len(self.images)

    def concat(self, other: "Encoded") -> "Encoded":
        """These pairs followed by ``other``'s (same vocabulary)."""
        if other.vocab_size != self.vocab_size:
            raise ValueError("the two sets of pairs were tokenised with different vocabularies")
        return Encoded(torch.cat([self.images, other.images]), torch.cat([self.tokens, other.tokens]),
                       self.vocab_size)


def train_model(spec: ModelSpec, data: Encoded, seed: int, desc: str | None = None) -> TwoTower:
    """A model of ``spec`` trained with the CLIP loss on ``data`` for exactly ``spec.steps`` steps."""
    model = spec.build(data.vocab_size, data.images.shape[-1], seed).to(data.images.device)
    train_clip(model, data.images, data.tokens, steps=spec.steps, batch_size=spec.batch_size, lr=spec.lr,
               weight_decay=spec.weight_decay, seed=seed, desc=desc)
    return model


@dataclass
class Benchmark:
    """The clean held-out evaluation: garments for zero-shot classification, emoji for zero-shot categories, and
    for retrieval, per source (``"fashion"``, ``"emoji"``), the images with their reference captions and tokens."""

    fashion_images: torch.Tensor
    fashion_labels: np.ndarray
    fashion_prompts: torch.Tensor
    emoji_images: torch.Tensor
    emoji_labels: np.ndarray
    emoji_prompts: torch.Tensor
    retrieval: dict = field(repr=False)
    n_prompts: tuple = (len(FASHION_PROMPTS), len(EMOJI_PROMPTS))


def prompts(class_names, templates) -> list[str]:
    """Every template filled with every class name, class-major: ``len(class_names) * len(templates)`` prompts."""
    return [t.format(name) for name in class_names for t in templates]


EMOJI_CATEGORIES = tuple(EMOJI_CATEGORY_WORDS)


def make_benchmark(pairs: Pairs, tokenizer: CaptionTokenizer, device="cpu") -> Benchmark:
    """The evaluation suite from clean held-out pairs (garments with labels, emoji with categories)."""
    if (pairs.kind != "clean").any():
        raise ValueError("the evaluation pairs must all be clean")
    garment = pairs.source == "fashion"
    emoji = (pairs.source == "emoji") & np.isin(pairs.category, EMOJI_CATEGORIES)
    if not garment.any() or not emoji.any():
        raise ValueError("the evaluation needs garments and emoji")
    images = torch.from_numpy(np.ascontiguousarray(pairs.images)).unsqueeze(1).to(device)
    category_index = {c: i for i, c in enumerate(EMOJI_CATEGORIES)}
    return Benchmark(
        fashion_images=images[torch.from_numpy(garment).to(device)], fashion_labels=pairs.label[garment],
        fashion_prompts=tokenizer.transform(prompts(FASHION_CLASSES, FASHION_PROMPTS)).to(device),
        emoji_images=images[torch.from_numpy(emoji).to(device)],
        emoji_labels=np.array([category_index[c] for c in pairs.category[emoji]]),
        emoji_prompts=tokenizer.transform(prompts(EMOJI_CATEGORY_WORDS.values(), EMOJI_PROMPTS)).to(device),
        retrieval={source: (images[torch.from_numpy(pairs.source == source).to(device)],
                            pairs.reference[pairs.source == source].astype(str),
                            tokenizer.transform(pairs.reference[pairs.source == source]).to(device))
                   for source in ("fashion", "emoji")})


@torch.no_grad()
def zero_shot_accuracy(model: TwoTower, images: torch.Tensor, labels, prompt_tokens: torch.Tensor,
                       n_templates: int) -> float:
    """Accuracy of classifying by the nearest class embedding, each the normalised mean of the class's prompt
    embeddings (CLIP's zero-shot classifier with prompt ensembling)."""
    image_embeddings, text = embed_images(model, images), embed_texts(model, prompt_tokens)
    classes = torch.nn.functional.normalize(text.view(-1, n_templates, text.shape[-1]).mean(1), dim=-1)
    predicted = (image_embeddings @ classes.T).argmax(1).cpu().numpy()
    return float(np.mean(predicted == np.asarray(labels)))


def retrieval_recall(similarity: np.ndarray, image_captions, candidate_captions, ks=(1, 5)) -> dict[str, float]:
    """Image-to-text and text-to-image recall@k when captions repeat.

    ``similarity[i, j]`` compares image ``i`` with the distinct caption ``candidate_captions[j]``; image ``i``'s
    true caption is ``image_captions[i]``. Image-to-text: the share of images whose true caption is among their
    ``k`` most similar captions. Text-to-image: the share of distinct captions with at least one of their images
    among their ``k`` most similar images.
    """
    image_captions = np.asarray(image_captions, dtype=object)
    candidate_captions = np.asarray(candidate_captions, dtype=object)
    position = {c: j for j, c in enumerate(candidate_captions)}
    truth = np.array([position[c] for c in image_captions])
    out = {}
    text_rank = np.argsort(-similarity, axis=1, kind="stable")
    image_rank = np.argsort(-similarity, axis=0, kind="stable")
    for k in ks:
        out[f"i2t_r{k}"] = float(np.mean((text_rank[:, :k] == truth[:, None]).any(1)))
        hits = truth[image_rank[:k]] == np.arange(len(candidate_captions))[None, :]
        out[f"t2i_r{k}"] = float(np.mean(hits.any(0)))
    return out


@torch.no_grad()
def evaluate(model: TwoTower, benchmark: Benchmark) -> dict[str, float]:
    """Zero-shot accuracy (garments; emoji categories) and retrieval.

    Retrieval is scored on each source apart (garments against their ``"a <shade> <class>"`` references, emoji
    against their names) and each recall is the mean of the two sources; ``retrieval`` is the mean of image-to-text
    and text-to-image recall@5, and ``retrieval_fashion`` / ``retrieval_emoji`` the same for each source.
    """
    n_fashion, n_emoji = benchmark.n_prompts
    scores = {"zeroshot": zero_shot_accuracy(model, benchmark.fashion_images, benchmark.fashion_labels,
                                             benchmark.fashion_prompts, n_fashion),
              "emoji_zeroshot": zero_shot_accuracy(model, benchmark.emoji_images, benchmark.emoji_labels,
                                                   benchmark.emoji_prompts, n_emoji)}
    per_source = {}
    for source, (images, captions, tokens) in benchmark.retrieval.items():
        candidates, first = np.unique(captions, return_index=True)
        similarity = (embed_images(model, images) @ embed_texts(model, tokens[torch.as_tensor(first)]).T).cpu()
        per_source[source] = retrieval_recall(similarity.numpy(), captions, candidates)
    for key in per_source["fashion"]:
        scores[key] = float(np.mean([recalls[key] for recalls in per_source.values()]))
    scores["retrieval"] = 0.5 * (scores["i2t_r5"] + scores["t2i_r5"])
    for source, recalls in per_source.items():
        scores[f"retrieval_{source}"] = 0.5 * (recalls["i2t_r5"] + recalls["t2i_r5"])
    return scores


def train_and_evaluate(pool: Encoded, kept, spec: ModelSpec, benchmark: Benchmark, seed: int,
                       desc: str | None = None) -> dict[str, float]:
    """One DataComp run: train ``spec`` on the kept pairs of the pool for its fixed budget, then evaluate it."""
    kept = np.asarray(kept)
    if kept.ndim != 1 or len(kept) < 2:
        raise ValueError(f"a filter must keep at least 2 pairs to train on, kept {len(kept)}")
    return evaluate(train_model(spec, pool.subset(kept), seed, desc=desc), benchmark)

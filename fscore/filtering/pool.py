"""A web-like pool of image-caption pairs from real images, corrupted as web data are.

The images are Fashion-MNIST garments (Xiao et al., 2017) and Twemoji pictures (npm ``emoji-datasource-twitter``,
:func:`fscore.datasets.load_twemoji`), all grey ``S x S`` on a black background. A clean garment's caption comes
from varied templates, a synonym of its class and a word for how light the garment is (read off its pixels, so the
caption describes the image); an emoji's caption is its Unicode name in a template, sometimes with its category.

The pool is then corrupted the ways DataComp's CommonPool is (Gadre et al., 2023, Sec. 3), with proportions as
parameters (:class:`Corruption`):

* **random caption** -- the caption of another, random pair (alt-text that has nothing to do with the image);
* **class swap** -- systematically wrong pairs: garments of a few classes described as another, fixed class
  (spurious pairs, the same error over and over, as a mislabelled product feed makes);
* **boilerplate** -- an empty or generic caption ("click here", "IMG_0412.jpg");
* **near-duplicate** -- many slightly perturbed copies of a few pairs (banners, stock photos, memes).
"""
from __future__ import annotations

from dataclasses import dataclass, field, fields

import numpy as np

KINDS = ("clean", "random caption", "class swap", "boilerplate", "near-duplicate")

#: Fashion-MNIST classes: the class name (used in zero-shot prompts) first, then synonyms used in captions.
FASHION_NOUNS = (("t-shirt", "tee", "top"), ("trousers", "pants", "jeans"), ("pullover", "sweater", "jumper"),
                 ("dress", "gown", "frock"), ("coat", "jacket", "parka"), ("sandal", "sandals", "flip-flop"),
                 ("shirt", "blouse", "button-down"), ("sneaker", "trainer", "running shoe"),
                 ("bag", "handbag", "purse"), ("ankle boot", "boot", "bootie"))
FASHION_CLASSES = tuple(nouns[0] for nouns in FASHION_NOUNS)
FASHION_TEMPLATES = ("a photo of a {shade} {noun}", "{shade} {noun}", "{noun} for sale, {shade}", "my new {noun}",
                     "a {noun} in a {shade} tone", "close-up of a {shade} {noun}", "{shade} {noun} on a black background",
                     "buy this {noun}")
#: Zero-shot prompts (CLIP's prompt ensembling, Radford et al. 2021, Sec. 3.1.4), filled with the class name.
FASHION_PROMPTS = ("a photo of a {}", "a {}", "a photo of the {}", "a {} for sale")
#: Shade words by the mean intensity of the garment's inked pixels: the tertiles of the Fashion-MNIST training split.
SHADES = ((0.56, "dark"), (0.72, "mid-tone"), (np.inf, "light"))
INK = 0.1  # a pixel above this intensity belongs to the garment

EMOJI_CATEGORY_WORDS = {"Smileys & Emotion": "smiley", "People & Body": "person", "Animals & Nature": "nature",
                        "Food & Drink": "food", "Travel & Places": "travel", "Activities": "activity",
                        "Objects": "object", "Symbols": "symbol", "Flags": "flag"}
EMOJI_TEMPLATES = ("{name}", "{name} emoji", "an emoji of {name}", "{category} emoji: {name}", "{name}, a {category}")
EMOJI_PROMPTS = ("a {} emoji", "an emoji of a {}", "{} emoji")

BOILERPLATE = ("", "image", "photo", "click here", "untitled", "download now", "stock photo", "view image",
               "see more", "buy now", "thumbnail", "home")


def shade_word(image: np.ndarray) -> str:
    """``"dark"``, ``"mid-tone"`` or ``"light"`` from the mean intensity of the pixels above :data:`INK`."""
    ink = image > INK
    level = float(image[ink].mean()) if ink.any() else 0.0
    return next(word for bound, word in SHADES if level < bound)


def fashion_caption(label: int, image: np.ndarray, rng: np.random.Generator) -> str:
    """A web-like caption of a garment: a random template, a synonym of its class, its shade."""
    template = FASHION_TEMPLATES[rng.integers(len(FASHION_TEMPLATES))]
    noun = FASHION_NOUNS[label][rng.integers(len(FASHION_NOUNS[label]))]
    return template.format(noun=noun, shade=shade_word(image))


def fashion_reference(label: int, image: np.ndarray) -> str:
    """The canonical caption retrieval is scored against: ``"a <shade> <class name>"``."""
    return f"a {shade_word(image)} {FASHION_CLASSES[label]}"


def emoji_caption(name: str, category: str, rng: np.random.Generator) -> str:
    template = EMOJI_TEMPLATES[rng.integers(len(EMOJI_TEMPLATES))]
    return template.format(name=name, category=EMOJI_CATEGORY_WORDS.get(category, "symbol"))


def boilerplate_caption(rng: np.random.Generator) -> str:
    """A generic caption; one in four is a camera file name such as ``IMG_0412.jpg``."""
    if rng.random() < 0.25:
        return f"IMG_{rng.integers(10000):04d}.jpg"
    return BOILERPLATE[rng.integers(len(BOILERPLATE))]


@dataclass(frozen=True)
class Corruption:
    """Shares of the pool that are corrupted, by kind (the rest is clean).

    Parameters
    ----------
    random_caption, class_swap, boilerplate, near_duplicate : float
        Each a share of the pool in [0, 1); together below 1.
    swap_classes : int
        How many garment classes have their pairs swapped (each towards one other, fixed class); the ``class_swap``
        share is drawn from those classes only, so the error is systematic.
    duplicate_sources : int
        How many distinct pairs the near-duplicates copy.
    """

    random_caption: float = 0.25
    class_swap: float = 0.15
    boilerplate: float = 0.10
    near_duplicate: float = 0.15
    swap_classes: int = 4
    duplicate_sources: int = 20

    SHARES = ("random_caption", "class_swap", "boilerplate", "near_duplicate")

    def __post_init__(self):
        for name in self.SHARES:
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise ValueError(f"{name} must be a share in [0, 1), got {value!r}")
        if sum(getattr(self, n) for n in self.SHARES) >= 1:
            raise ValueError(f"the corrupted shares add up to {self.corrupted:.3g}: they must leave some pairs clean")
        if not 1 <= self.swap_classes <= len(FASHION_CLASSES) - 1:
            raise ValueError(f"swap_classes must be between 1 and {len(FASHION_CLASSES) - 1}, got {self.swap_classes}")
        if self.duplicate_sources < 1:
            raise ValueError(f"duplicate_sources must be at least 1, got {self.duplicate_sources}")

    @property
    def corrupted(self) -> float:
        return float(sum(getattr(self, n) for n in self.SHARES))

    def scaled(self, factor: float) -> "Corruption":
        """The same mix with every share multiplied by ``factor``."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update({n: getattr(self, n) * factor for n in self.SHARES})
        return Corruption(**values)


def check_pairs(images, captions) -> np.ndarray:
    """Validate a set of image-caption pairs; returns the images as a float32 ``(n, S, S)`` array.

    Raises a ``ValueError`` naming the problem for an empty set, a count of images different from the count of
    captions, images that are not grey squares ``(n, S, S)`` (or ``(n, 1, S, S)``) of floats in [0, 1], or captions
    that are not strings.
    """
    if isinstance(captions, (str, bytes)):
        raise ValueError("captions must be a sequence of strings, got a single string")
    images = np.asarray(images)
    n_captions = len(captions)
    if images.ndim == 0 or len(images) == 0 or n_captions == 0:
        raise ValueError(f"the pool is empty ({0 if images.ndim == 0 else len(images)} images, {n_captions} "
                         f"captions): there is nothing to filter")
    if len(images) != n_captions:
        raise ValueError(f"{len(images)} images but {n_captions} captions: each image needs exactly one caption")
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3 or images.shape[1] != images.shape[2]:
        raise ValueError(f"images must be grey squares of shape (n, S, S) or (n, 1, S, S), got {images.shape}")
    if images.dtype.kind != "f":
        raise ValueError(f"images must be floats in [0, 1], got dtype {images.dtype}"
                         + (" (divide 8-bit images by 255)" if images.dtype == np.uint8 else ""))
    if not np.isfinite(images).all() or images.min() < 0 or images.max() > 1:
        raise ValueError("images must be finite floats in [0, 1]")
    bad = next((c for c in captions if not isinstance(c, str)), None)
    if bad is not None or any(isinstance(c, np.generic) and not isinstance(c, np.str_) for c in captions):
        raise ValueError(f"every caption must be a string, got {bad!r} ({type(bad).__name__})")
    return images.astype(np.float32, copy=False)


@dataclass
class Pairs:
    """Image-caption pairs with their provenance: a pool, a clean training set or an evaluation set.

    ``kind`` says how each pair was made (one of :data:`KINDS`), ``source`` whether the image is a ``"fashion"``
    garment or an ``"emoji"``, ``label`` the garment class (-1 for an emoji), ``category`` the emoji category
    (``""`` for a garment), ``reference`` the canonical caption of the image that retrieval is scored against,
    ``group`` the original pair a near-duplicate copies (its own index otherwise).
    """

    images: np.ndarray
    captions: np.ndarray
    kind: np.ndarray
    source: np.ndarray
    label: np.ndarray
    category: np.ndarray
    reference: np.ndarray
    group: np.ndarray = field(default=None)

    def __post_init__(self):
        self.images = check_pairs(self.images, self.captions)
        self.captions = np.asarray(self.captions, dtype=object)
        n = len(self.images)
        if self.group is None:
            self.group = np.arange(n)
        for name in ("kind", "source", "label", "category", "reference", "group"):
            value = np.asarray(getattr(self, name))
            if len(value) != n:
                raise ValueError(f"{name} has {len(value)} entries for {n} pairs")
            setattr(self, name, value)
        unknown = set(self.kind.tolist()) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown kinds {sorted(unknown)}; known: {KINDS}")

    def __len__(self) -> int:
        return len(self.images)

    def subset(self, index) -> "Pairs":
        index = np.asarray(index)
        return Pairs(self.images[index], self.captions[index], self.kind[index], self.source[index],
                     self.label[index], self.category[index], self.reference[index], self.group[index])

    def mix(self) -> dict[str, float]:
        """Share of each kind of pair (every kind listed, zero included)."""
        return {k: float(np.mean(self.kind == k)) for k in KINDS}


def clean_pairs(fashion_images, fashion_labels, emoji_images, emoji_names, emoji_categories,
                rng: np.random.Generator) -> Pairs:
    """Correctly captioned pairs of garments and emoji (the material of a pool, a clean set or an evaluation set)."""
    fashion_images = np.asarray(fashion_images, dtype=np.float32)
    emoji_images = np.asarray(emoji_images, dtype=np.float32)
    labels = np.asarray(fashion_labels, dtype=int)
    if len(fashion_images) != len(labels):
        raise ValueError(f"{len(fashion_images)} garment images but {len(labels)} labels")
    if not len(emoji_images) == len(emoji_names) == len(emoji_categories):
        raise ValueError(f"{len(emoji_images)} emoji images, {len(emoji_names)} names, "
                         f"{len(emoji_categories)} categories: they must match")
    if len(fashion_images) and len(emoji_images) and fashion_images.shape[1:] != emoji_images.shape[1:]:
        raise ValueError(f"garment images {fashion_images.shape[1:]} and emoji {emoji_images.shape[1:]} differ in size")
    captions = [fashion_caption(y, x, rng) for x, y in zip(fashion_images, labels)]
    captions += [emoji_caption(n, c, rng) for n, c in zip(emoji_names, emoji_categories)]
    n_f, n_e = len(fashion_images), len(emoji_images)
    shape = fashion_images.shape[1:] if n_f else emoji_images.shape[1:]
    images = np.concatenate([fashion_images.reshape(n_f, *shape), emoji_images.reshape(n_e, *shape)])
    return Pairs(images=images, captions=np.array(captions, dtype=object), kind=np.full(n_f + n_e, "clean", dtype="<U16"),
                 source=np.array(["fashion"] * n_f + ["emoji"] * n_e), label=np.concatenate([labels, -np.ones(n_e, int)]),
                 category=np.array([""] * n_f + list(emoji_categories)),
                 reference=np.array([fashion_reference(y, x) for x, y in zip(fashion_images, labels)]
                                    + list(emoji_names), dtype=object))


def swap_map(n_classes: int, rng: np.random.Generator) -> dict[int, int]:
    """Which garment class is described as which: ``n_classes`` source classes, each to a different class."""
    sources = rng.choice(len(FASHION_CLASSES), size=n_classes, replace=False)
    return {int(c): int(rng.choice([t for t in range(len(FASHION_CLASSES)) if t != c])) for c in sources}


def corrupt(pairs: Pairs, corruption: Corruption, rng: np.random.Generator) -> tuple[Pairs, dict[int, int]]:
    """Corrupt a share of clean pairs in place of a web pool; returns the pool and the class-swap map.

    The corrupted pairs are disjoint random subsets of the given sizes (rounded); class swaps are drawn from the
    garments of the swapped classes only (an error if there are too few of them).
    """
    n = len(pairs)
    counts = {name: int(round(getattr(corruption, name) * n)) for name in Corruption.SHARES}
    pool = pairs.subset(np.arange(n))
    mapping = swap_map(corruption.swap_classes, rng)
    free = np.ones(n, dtype=bool)

    swappable = np.flatnonzero(np.isin(pool.label, list(mapping)))
    if counts["class_swap"] > len(swappable):
        raise ValueError(f"class_swap={corruption.class_swap} asks for {counts['class_swap']} swapped pairs but the "
                         f"{corruption.swap_classes} swapped classes have only {len(swappable)} garments in the pool")
    chosen = rng.choice(swappable, size=counts["class_swap"], replace=False)
    for i in chosen:
        pool.captions[i] = fashion_caption(mapping[int(pool.label[i])], pool.images[i], rng)
    pool.kind[chosen] = "class swap"
    free[chosen] = False

    def take(count):
        picked = rng.choice(np.flatnonzero(free), size=count, replace=False)
        free[picked] = False
        return picked

    chosen = take(counts["near_duplicate"])
    if len(chosen):
        sources = rng.choice(np.flatnonzero(free), size=min(corruption.duplicate_sources, int(free.sum())),
                             replace=False)
        copies = sources[rng.integers(len(sources), size=len(chosen))]
        for i, j in zip(chosen, copies):
            shifted = np.roll(pool.images[j], shift=tuple(rng.integers(-1, 2, size=2)), axis=(0, 1))
            pool.images[i] = np.clip(shifted + rng.normal(0, 0.03, shifted.shape), 0, 1)
        for name in ("captions", "source", "label", "category", "reference", "group"):
            getattr(pool, name)[chosen] = getattr(pool, name)[copies]
        pool.kind[chosen] = "near-duplicate"

    chosen = take(counts["random_caption"])
    others = (chosen + rng.integers(1, n, size=len(chosen))) % n  # never the pair's own caption
    pool.captions[chosen] = pairs.captions[others]
    pool.kind[chosen] = "random caption"

    chosen = take(counts["boilerplate"])
    pool.captions[chosen] = [boilerplate_caption(rng) for _ in chosen]
    pool.kind[chosen] = "boilerplate"
    return pool, mapping


@dataclass
class Experiment:
    """One draw of the DataComp-style set-up: the corrupted ``pool``, a small ``clean`` high-quality set (never in
    the pool), the clean held-out ``evaluation`` pairs, and the class-swap map ``swap`` used to corrupt the pool."""

    pool: Pairs
    clean: Pairs
    evaluation: Pairs
    swap: dict


def _resize(images: np.ndarray, size: int) -> np.ndarray:
    """Square grey images resampled to ``size`` (antialiased bilinear), unchanged at their own size."""
    if images.shape[-1] == size:
        return images
    import torch

    tensor = torch.from_numpy(images).unsqueeze(1)
    return torch.nn.functional.interpolate(tensor, size=(size, size), mode="bilinear", antialias=True,
                                           align_corners=False)[:, 0].clamp(0, 1).numpy()


@dataclass(frozen=True)
class Sources:
    """The images the experiments draw from, loaded once: Fashion-MNIST's two splits (``(n, S, S)`` floats and
    labels) and the Twemoji pictures outside the "Component" category (grey, on black), all at one size."""

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    emoji: object


def load_sources(image_size: int = 28) -> Sources:
    """Load Fashion-MNIST and Twemoji as grey ``image_size`` squares (:func:`fscore.datasets.load_fashion_mnist`,
    :func:`fscore.datasets.load_twemoji`); raises the loaders' errors, which name the command that fetches them."""
    from fscore.datasets import load_fashion_mnist, load_twemoji

    if isinstance(image_size, bool) or not isinstance(image_size, (int, np.integer)) or not 8 <= image_size <= 64:
        raise ValueError(f"image_size must be an integer between 8 and 64, got {image_size!r}")
    X, y = load_fashion_mnist("train")
    X_test, y_test = load_fashion_mnist("test")
    emoji = load_twemoji(size=image_size, grey=True, background=0.0, categories=list(EMOJI_CATEGORY_WORDS))
    return Sources(_resize(X.reshape(-1, 28, 28), image_size), y, _resize(X_test.reshape(-1, 28, 28), image_size),
                   y_test, emoji)


def make_experiment(sources: Sources, n_pool: int, n_clean: int, n_eval: int, corruption: Corruption, seed: int,
                    n_emoji=(1100, 300, 500)) -> Experiment:
    """Draw a pool, a clean set and an evaluation set from Fashion-MNIST and Twemoji, and corrupt the pool.

    Parameters
    ----------
    sources : Sources
        The images (:func:`load_sources`).
    n_pool, n_clean : int
        Garments (from Fashion-MNIST's training split) in the pool and in the clean set; disjoint.
    n_eval : int
        Garments in the evaluation set (from the test split).
    corruption : Corruption
        How the pool is corrupted.
    seed : int
        Fixes the draws, the captions and the corruption.
    n_emoji : (int, int, int)
        Emoji (of the 1,906 outside the "Component" category; disjoint) in the pool, the clean set and the evaluation.
    """
    rng = np.random.default_rng(seed)
    X, y, X_test, y_test, emoji = (sources.train_images, sources.train_labels, sources.test_images,
                                   sources.test_labels, sources.emoji)
    for name, value, available in (("n_pool + n_clean", n_pool + n_clean, len(y)), ("n_eval", n_eval, len(y_test))):
        if not 1 <= value <= available:
            raise ValueError(f"{name}={value} garments are asked for but Fashion-MNIST has {available}")
    if len(n_emoji) != 3 or sum(n_emoji) > len(emoji) or min(n_emoji) < 1:
        raise ValueError(f"n_emoji={n_emoji} must be three positive counts adding up to at most {len(emoji)}")
    garments = rng.permutation(len(y))[:n_pool + n_clean]
    tests = rng.permutation(len(y_test))[:n_eval]
    emoji_order = rng.permutation(len(emoji))
    cuts = np.cumsum(n_emoji)
    emoji_parts = np.split(emoji_order[:cuts[-1]], cuts[:-1])

    def pairs(images, labels, emoji_index):
        return clean_pairs(images, labels, emoji.images[emoji_index], emoji.names[emoji_index],
                           emoji.categories[emoji_index], rng)

    pool = pairs(X[garments[:n_pool]], y[garments[:n_pool]], emoji_parts[0])
    clean = pairs(X[garments[n_pool:]], y[garments[n_pool:]], emoji_parts[1])
    evaluation = pairs(X_test[tests], y_test[tests], emoji_parts[2])
    pool, swap = corrupt(pool, corruption, rng)
    return Experiment(pool=pool, clean=clean, evaluation=evaluation, swap=swap)

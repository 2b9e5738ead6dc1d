"""The Twemoji loader: checksum, names, categories, sizes, grey conversion and bad arguments."""
import numpy as np
import pytest

from fscore import datasets
from fscore.datasets import twemoji


def test_registered_with_licence_and_fetch():
    entry = datasets.get("twemoji")
    assert "CC-BY 4.0" in entry.licence and entry.fetch is not None


def test_missing_folder_names_the_fetch_command(tmp_path, monkeypatch):
    monkeypatch.setattr(twemoji, "candidate_folders", lambda: [tmp_path])
    with pytest.raises(datasets.DatasetNotFound, match="fetch twemoji"):
        twemoji.locate()


def test_altered_picture_fails_the_checksum(tmp_path):
    source = twemoji.locate()
    (tmp_path / "64").mkdir()
    (tmp_path / "emoji.json").write_bytes((source / "emoji.json").read_bytes())
    for entry in twemoji._entries(source):
        (tmp_path / "64" / entry["image"]).write_bytes((source / "64" / entry["image"]).read_bytes())
    first = sorted(e["image"] for e in twemoji._entries(source))[0]
    (tmp_path / "64" / first).write_bytes(b"not a png")
    with pytest.raises(datasets.ChecksumMismatch, match="content sha256"):
        twemoji._verified.__wrapped__(tmp_path)


def test_loads_every_emoji_with_names_and_categories():
    data = datasets.load_twemoji()
    assert len(data) == twemoji.N_EMOJI == 1911
    assert data.images.shape == (1911, 64, 64, 3) and data.images.dtype == np.float32
    assert 0.0 <= data.images.min() and data.images.max() <= 1.0
    assert data.names[0] == "grinning face" and data.codes[0] == "1F600"
    assert set(data.categories) == set(twemoji.CATEGORIES)
    assert len(set(data.codes)) == 1911


def test_grey_resized_subset_on_black():
    flags = datasets.load_twemoji(size=28, grey=True, background=0.0, categories="Flags")
    assert flags.images.shape == (270, 28, 28) and set(flags.categories) == {"Flags"}
    # the corners of a picture are transparent: on a black background they are dark
    assert np.median(datasets.load_twemoji(grey=True, background=0.0).images[:, 0, 0]) == 0.0
    # a fresh copy each call: changing it does not change the next load
    flags.images[:] = 0.5
    assert datasets.load_twemoji(size=28, grey=True, background=0.0, categories="Flags").images.max() > 0.5


@pytest.mark.parametrize("kwargs, match", [({"size": 100}, "size"), ({"size": 2.5}, "size"),
                                           ({"background": 2.0}, "background"),
                                           ({"categories": ["Cats"]}, "unknown categories")])
def test_bad_arguments_name_the_problem(kwargs, match):
    with pytest.raises(ValueError, match=match):
        datasets.load_twemoji(**kwargs)

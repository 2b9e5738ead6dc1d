"""The ways into the book: `make` on Debian/Ubuntu, conda elsewhere (environment.yml), and the data step they share.

The conda path fetches the data with ``python -m fscore.datasets fetch --all``: on a machine without Debian's
package, Fashion-MNIST is downloaded into ``~/.cache/fscore`` and every file checked against its sha256. These
tests drive that command with a stand-in for the download (no network in the tests): it verifies what it
downloads, refuses a corrupt copy, and when nothing can be had names the data set and the command that gets it.
"""
import gzip
import hashlib
import re
import subprocess
import tomllib
import urllib.request
from pathlib import Path

import pytest
import yaml

from fscore.datasets import fashion_mnist
from fscore.datasets.__main__ import main as datasets_cli

ROOT = Path(__file__).resolve().parents[2]


# ---------------------------------------------------------------------------------- environment.yml
def test_environment_yml_installs_the_project_with_the_cpu_build_of_torch():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert "-e .[dev]" in pip, "the conda environment must install the project with its test and book extras"
    assert "--extra-index-url https://download.pytorch.org/whl/cpu" in pip
    conda = [d.split("=")[0].split(">")[0].split("<")[0] for d in env["dependencies"] if isinstance(d, str)]
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    core = {d.split(">")[0].split("<")[0].split("=")[0] for d in project["dependencies"]} - {"torch"}
    assert core <= set(conda), f"environment.yml lacks {core - set(conda)}"
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    minimum = project["requires-python"].removeprefix(">=")
    assert tuple(map(int, python.split("=")[1].split("."))) >= tuple(map(int, minimum.split(".")))


def test_the_readme_gives_the_conda_path_and_the_torch_knob():
    readme = (ROOT / "README.md").read_text()
    for command in ("conda env create -f environment.yml", "python -m fscore.datasets fetch --all",
                    "bash scripts/fetch-mathjax", "make book PY=python", "TORCH_CPU=1",
                    "pip install --no-deps pytorch-ood==0.4.0"):
        assert command in readme, f"README.md does not say `{command}`"
    makefile = (ROOT / "Makefile").read_text()
    assert "TORCH_CPU" in makefile and "download.pytorch.org/whl/cpu" in makefile
    # what `make setup` installs beyond the environment's packages, the conda path installs by hand
    extra = re.findall(r'pip install -q --no-deps "([^"]+)"', makefile)
    assert all(f"pip install --no-deps {spec}" in readme for spec in extra), extra


def test_make_book_installs_no_browser_and_make_test_does():
    listed = lambda group: subprocess.run(["bash", str(ROOT / "scripts" / "system-packages"), "--list", group],
                                          capture_output=True, text=True, check=True).stdout.split()
    assert "dataset-fashion-mnist" in listed("data") and not {"chromium", "chromium-driver"} & set(listed("data"))
    assert {"chromium", "chromium-driver"} <= set(listed("test"))
    dry = lambda target: subprocess.run(["make", "-n", "-C", str(ROOT), target, "PY=python"], capture_output=True,
                                        text=True, check=True).stdout
    assert "system-packages data" in dry("book") and "system-packages test" not in dry("book")
    assert "system-packages test" in dry("test")
    assert "FSCORE_PROGRESS=0" in dry("book") and "TQDM_DISABLE=1" in dry("book")


# --------------------------------------------------------------------------------- the data step
@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """A machine without Debian's package or any copy of Fashion-MNIST; the download is a stand-in."""
    home = tmp_path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("FSCORE_DATA", raising=False)
    monkeypatch.setattr(fashion_mnist, "candidate_folders", lambda: [home / ".cache" / "fscore" / "fashion-mnist"])
    fashion_mnist._verified.cache_clear()
    contents = {name: f"idx content of {name}".encode() for name in fashion_mnist.FILES}
    monkeypatch.setattr(fashion_mnist, "FILES", {n: hashlib.sha256(c).hexdigest() for n, c in contents.items()})
    yield contents
    fashion_mnist._verified.cache_clear()


def serve(monkeypatch, contents, corrupt=()):
    """``urlretrieve`` stand-in: writes each file gzip-compressed, ``corrupt`` ones with other content."""
    def download(url, target):
        name = url.rsplit("/", 1)[1]
        assert url == fashion_mnist.URL + name
        with gzip.open(target, "wb") as handle:
            handle.write(b"tampered" if name in corrupt else contents[name])
    monkeypatch.setattr(urllib.request, "urlretrieve", download)


def test_the_data_step_downloads_and_verifies(elsewhere, monkeypatch, capsys):
    serve(monkeypatch, elsewhere)
    assert datasets_cli(["fetch", "fashion-mnist"]) == 0
    assert "fashion-mnist: verified at" in capsys.readouterr().out
    assert sorted(p.name for p in (Path.home() / ".cache" / "fscore" / "fashion-mnist").iterdir()) == sorted(
        fashion_mnist.FILES)


def test_the_data_step_refuses_a_corrupt_download(elsewhere, monkeypatch, capsys):
    serve(monkeypatch, elsewhere, corrupt={"t10k-labels-idx1-ubyte.gz"})
    assert datasets_cli(["fetch", "fashion-mnist"]) == 1
    err = capsys.readouterr().err
    assert "fashion-mnist" in err and "t10k-labels-idx1-ubyte.gz" in err and "sha256" in err
    assert "python -m fscore.datasets fetch fashion-mnist" in err  # and how to get it again


def test_the_data_step_refuses_a_corrupt_local_copy(elsewhere, monkeypatch, capsys):
    folder = Path.home() / ".cache" / "fscore" / "fashion-mnist"
    folder.mkdir(parents=True)
    for name in fashion_mnist.FILES:
        with gzip.open(folder / name, "wb") as handle:
            handle.write(b"an old copy")
    assert datasets_cli(["fetch", "fashion-mnist"]) == 1
    err = capsys.readouterr().err
    assert "sha256" in err and "delete the file and fetch it again" in err and "Traceback" not in err


def test_without_network_the_data_step_names_what_is_missing_and_the_command(elsewhere, monkeypatch, capsys):
    def offline(url, target):
        raise OSError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlretrieve", offline)
    assert datasets_cli(["fetch", "--all"]) == 1
    err = capsys.readouterr().err
    assert "fashion-mnist: Fashion-MNIST is not on this machine" in err
    assert "python -m fscore.datasets fetch fashion-mnist" in err and "apt-get install dataset-fashion-mnist" in err
    assert "network is unreachable" in err


def test_the_readme_documents_every_fscore_environment_variable():
    sources = [*(ROOT / "fscore").rglob("*.py"), *(ROOT / "scripts").iterdir(), ROOT / "Makefile"]
    used = {name for path in sources if path.is_file()
            for name in re.findall(r"\bFSCORE_[A-Z_]+[A-Z]\b", path.read_text(errors="ignore"))}
    documented = set(re.findall(r"^\| `(FSCORE_[A-Z_]+)` \|", (ROOT / "README.md").read_text(), re.M))
    assert {"FSCORE_SCALE", "FSCORE_PROGRESS"} <= used
    assert used <= documented, f"README.md's table of environment variables lacks {sorted(used - documented)}"

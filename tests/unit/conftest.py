"""Fixtures shared by the unit tests."""
import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    """Torch on one thread for a module's tests: their networks are tiny, and threads only add overhead."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

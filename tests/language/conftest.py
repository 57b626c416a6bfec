"""The session's trained tiny language model (≤ 30 s on 2 cores), shared by every LM test."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
pytest.importorskip("transformers")


@pytest.fixture(scope="session")
def tiny_lm(tmp_path_factory: pytest.TempPathFactory):
    """A :class:`zoo.language.train.TrainedLM` of the ``"tiny"`` recipe, saved in a temp folder.
    Tests that change the model must deep-copy it (the zoo's methods do)."""
    from zoo.language.train import prepare_lm

    return prepare_lm("tiny", tmp_path_factory.mktemp("tiny-lm"))

"""core.embeddings.positions: tiny-gpt's learned positions beside the paper's sinusoidal table."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core import models
from core.embeddings import cosine_matrix, positions
from core.embeddings.space import embedding_space


def _space():
    lm = models.load_causal_lm("tiny-gpt")
    return lm, embedding_space("tiny-gpt", lm.model, lm.tokenizer)


def test_learned_positions_nearby_look_alike_and_adding_position_moves_a_token():
    lm, sp = _space()
    r = positions.positions(
        sp, lm.model, positions.PositionConfig(n_positions=300, d_model=64), word="cat"
    )
    assert r.learned is not None and r.learned.table.shape == (256, 192)  # cut at its 256
    assert any("256 positions" in n for n in r.notes)
    assert r.sinusoidal.table.shape == (300, 64)
    assert r.learned.near > r.learned.far + 0.1  # measured: neighbours alike, far ones less
    assert r.sinusoidal.near > r.sinusoidal.far
    wpe = lm.model.transformer.wpe.weight.detach().numpy()
    assert np.allclose(r.learned.table, wpe)
    assert np.allclose(r.learned.cosine, cosine_matrix(wpe), atol=1e-6)
    vec = sp.vector("cat")[0]
    summed = vec + wpe  # (P, d)
    want = summed @ vec / np.linalg.norm(summed, axis=1) / np.linalg.norm(vec)
    assert np.allclose(r.token_cos, want, atol=1e-5) and (r.token_cos < 0.999).all()
    assert r.token_pos.shape == (256, 256)
    d = positions.by_distance(r.learned.cosine)
    assert d[0] == pytest.approx(np.diagonal(r.learned.cosine, 1).mean())


def test_positions_of_a_model_without_a_table():
    lm, sp = _space()

    class NoTable(torch.nn.Module):
        pass

    r = positions.positions(sp, NoTable())
    assert r.learned is None and "no learned position table" in r.notes[0]

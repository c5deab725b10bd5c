"""core.quantization.schemes: layer conversion, missing kernels reported, unknown names refused."""

from __future__ import annotations

import pytest
import torch

from core import quantization as q
from core.quantization import schemes as schemes_mod
from tests.core.quantization.samples import TINY_RUN


def test_conv1d_to_linear_computes_the_same_function(tiny):
    x = torch.randint(0, tiny.model.config.vocab_size, (2, 16))
    base = q.prepare_base(tiny.model)
    with torch.no_grad():
        a, b = tiny.model(input_ids=x).logits, base(input_ids=x).logits
    assert torch.allclose(a, b, atol=1e-4)
    assert not any(type(m).__name__ == "Conv1D" for m in base.modules())


# --- unsupported schemes ------------------------------------------------------------------------
def test_missing_int8_kernels_are_reported_not_raised(tiny, monkeypatch):
    monkeypatch.setattr(schemes_mod, "quantized_engines", lambda: [])
    res = q.compare(tiny, ("fp32", "int8-dynamic"), q.causal_eval_data(4), config=TINY_RUN)
    dyn = next(r for r in res if r.scheme == "int8-dynamic")
    assert not dyn.supported and "kernels" in dyn.reason
    assert res[0].supported


def test_unknown_scheme_is_a_value_error():
    with pytest.raises(ValueError, match="unknown scheme"):
        q.get_scheme("int3")

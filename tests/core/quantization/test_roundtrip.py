"""core.quantization.roundtrip: a layer's weights snap onto the scheme's grid, as quanto's do."""

from __future__ import annotations

import pytest
import torch

from core import quantization as q


# --- round trip ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "scheme, levels", [("int8-dynamic", 256), ("int8", 256), ("int4", 16), ("int2", 4)]
)
def test_roundtrip_values_snap_onto_the_grid(tiny, scheme, levels):
    layer = q.layer_names(tiny.model)[0]
    rt = q.roundtrip_layer(tiny.model, layer, scheme, row=5)
    assert len(rt.grid) == levels
    grid = torch.tensor(rt.grid)
    deq = torch.tensor(rt.dequantized)
    assert (deq[:, None] - grid[None]).abs().min(1).values.max() < 1e-5
    assert len(rt.original) == len(rt.dequantized) == rt.cols[1] - rt.cols[0]


def test_roundtrip_error_grows_as_bits_shrink(tiny):
    layer = q.layer_names(tiny.model)[2]
    err = [q.roundtrip_layer(tiny.model, layer, s).rmse for s in ("fp16", "int8", "int4", "int2")]
    assert err == sorted(err) and err[0] > 0


def test_roundtrip_int4_equals_quantos_model_weights(tiny):
    from optimum import quanto

    layer = q.layer_names(tiny.model)[0]
    model = q.apply_scheme(q.prepare_base(tiny.model), "int4")
    qw = model.get_submodule(layer).weight.dequantize()  # (out, in)
    rt = q.roundtrip_layer(tiny.model, layer, "int4", row=3)
    assert isinstance(model.get_submodule(layer), quanto.QLinear)
    assert torch.allclose(qw[3, : rt.cols[1]], torch.tensor(rt.dequantized), atol=1e-6)


@pytest.mark.parametrize(
    "layer, scheme, row, error",
    [
        ("nope", "int4", 0, ValueError),
        (None, "fp32", 0, ValueError),
        (None, "int4", 10**6, ValueError),
    ],
)
def test_roundtrip_rejects_bad_requests(tiny, layer, scheme, row, error):
    layer = layer or q.layer_names(tiny.model)[0]
    with pytest.raises(error):
        q.roundtrip_layer(tiny.model, layer, scheme, row=row)

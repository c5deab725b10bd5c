"""core.quantization: sizes shrink with the bits, quality is measured (and differs), fp32 is its
own reference, unsupported schemes are reported, the calculator matches accelerate and peft."""

from __future__ import annotations

import statistics

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from core import models
from core import quantization as q
from core.evaluation import token_windows
from core.quantization import measure as compare_mod
from core.quantization import schemes as schemes_mod

ALL = q.DEFAULT_SCHEMES
TINY_RUN = q.QuantConfig(n_eval=4, seq_len=32, latency_runs=1, max_new_tokens=1)


@pytest.fixture(scope="module")
def tiny():
    return models.load_causal_lm("tiny-gpt")


@pytest.fixture(scope="module")
def causal_results(tiny):
    cfg = q.QuantConfig(
        model="tiny-gpt", schemes=ALL, n_eval=8, seq_len=64, latency_runs=1, max_new_tokens=3
    )
    data = q.causal_eval_data(8)
    return {r.scheme: r for r in q.compare(tiny, ALL, data, config=cfg)}


# --- config -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"schemes": ()}, "at least one"),
        ({"schemes": ("fp32", "int3")}, "unknown scheme"),
        ({"schemes": ("int4", "int4")}, "once"),
        ({"n_eval": 2}, "n_eval"),
        ({"seq_len": 4}, "seq_len"),
        ({"latency_runs": 0}, "latency_runs"),
        ({"max_new_tokens": 500}, "max_new_tokens"),
        ({"model": "  "}, "model"),
    ],
)
def test_config_rejects_bad_values_with_a_plain_message(kwargs, message):
    with pytest.raises(ValueError, match=message):
        q.QuantConfig(**kwargs)


def test_fp32_is_always_measured_first():
    assert q.QuantConfig(schemes=("int4", "fp16")).ordered_schemes == ("fp32", "fp16", "int4")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"kind": "seq2seq", "texts": ("a",), "prompt": "p"}, "causal LMs and encoders"),
        ({"kind": "causal-lm", "texts": ("  ",), "prompt": "p"}, "empty"),
        ({"kind": "encoder", "texts": ("a",), "prompt": "p", "labels": ()}, "one label"),
        (
            {
                "kind": "encoder",
                "texts": ("a",),
                "prompt": "p",
                "labels": ("x",),
                "train_texts": ("b", "c"),
                "train_labels": ("x", "x"),
            },
            "two classes",
        ),
    ],
)
def test_eval_data_rejects_hostile_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        q.EvalData(**kwargs)


# --- the causal LM comparison -------------------------------------------------------------------
def test_sizes_shrink_as_the_bits_do(causal_results):
    r = causal_results
    disk = [r[s].disk_bytes for s in ("fp32", "fp16", "int8", "int4", "int2")]
    assert disk == sorted(disk, reverse=True) and len(set(disk)) == len(disk)
    mem = [r[s].param_bytes for s in ("fp32", "bf16", "int8", "int4", "int2")]
    assert mem == sorted(mem, reverse=True) and len(set(mem)) == len(mem)
    assert r["fp16"].param_bytes == r["bf16"].param_bytes == r["fp32"].param_bytes // 2
    assert r["fp32"].bits_per_weight == pytest.approx(32.0)


@pytest.mark.parametrize("scheme, bits", [("int8", 8), ("fp8", 8), ("int4", 4), ("int2", 2)])
def test_quantized_layers_cost_their_bits_plus_scales(causal_results, scheme, bits):
    qb = causal_results[scheme].quantized_bits_per_weight
    assert bits < qb < bits + 1.5  # scales (and int4/int2 shifts) add a little


def test_fp32_is_its_own_reference(causal_results):
    fp32 = causal_results["fp32"]
    assert fp32.kl_from_fp32 == 0.0
    assert fp32.top1_agreement == 1.0


def test_quality_is_measured_and_differs_between_schemes(causal_results):
    r = causal_results
    kls = [r[s].kl_from_fp32 for s in ALL if s != "fp32"]
    assert all(k > 0 for k in kls)
    assert len({round(k, 10) for k in kls}) == len(kls)
    assert r["int8"].kl_from_fp32 < r["int4"].kl_from_fp32 < r["int2"].kl_from_fp32
    assert r["int2"].top1_agreement < r["int8"].top1_agreement <= 1.0
    assert r["int2"].perplexity > r["fp32"].perplexity > 1.0
    assert len({round(r[s].perplexity, 8) for s in ALL}) >= len(ALL) - 1
    assert all(r[s].latency_ms > 0 and len(r[s].latency_runs_ms) == 1 for s in ALL)


def test_perplexity_equals_the_models_own_loss(tiny, causal_results):
    windows = token_windows(tiny.tokenizer, q.causal_eval_data(8).texts, 64, max_windows=2)
    with torch.no_grad():  # transformers shifts the labels itself: the same T predictions
        loss = tiny.model(input_ids=windows, labels=windows).loss
    assert causal_results["fp32"].perplexity == pytest.approx(float(loss.exp()), rel=1e-4)


def test_every_scheme_answers_the_prompt(causal_results):
    assert all(isinstance(r.sample, str) for r in causal_results.values())
    assert causal_results["fp32"].sample.strip()


def test_the_cached_model_is_never_mutated(tiny, causal_results):
    assert tiny.model.transformer.h[0].attn.c_attn.weight.dtype == torch.float32
    assert type(tiny.model.transformer.h[0].attn.c_attn).__name__ == "Conv1D"


def test_conv1d_to_linear_computes_the_same_function(tiny):
    x = torch.randint(0, tiny.model.config.vocab_size, (2, 16))
    base = q.prepare_base(tiny.model)
    with torch.no_grad():
        a, b = tiny.model(input_ids=x).logits, base(input_ids=x).logits
    assert torch.allclose(a, b, atol=1e-4)
    assert not any(type(m).__name__ == "Conv1D" for m in base.modules())


def test_fp32_size_equals_the_tensors_and_the_file(tiny, causal_results):
    base = q.prepare_base(tiny.model)
    expected = sum(t.numel() * t.element_size() for t in base.state_dict().values()) - (
        base.lm_head.weight.numel() * 4  # tied to the token embedding: stored once
    )
    assert q.state_bytes(base) == expected == causal_results["fp32"].param_bytes
    disk = causal_results["fp32"].disk_bytes
    assert expected < disk < expected + 64_000  # safetensors adds a JSON header only


# --- unsupported schemes ------------------------------------------------------------------------
def test_missing_int8_kernels_are_reported_not_raised(tiny, monkeypatch):
    monkeypatch.setattr(schemes_mod, "quantized_engines", lambda: [])
    res = q.compare(tiny, ("fp32", "int8-dynamic"), q.causal_eval_data(4), config=TINY_RUN)
    dyn = next(r for r in res if r.scheme == "int8-dynamic")
    assert not dyn.supported and "kernels" in dyn.reason
    assert res[0].supported


def test_a_scheme_failing_at_run_time_is_reported(tiny, monkeypatch):
    real = compare_mod.apply_scheme

    def broken(model, name):
        if name == "bf16":
            raise RuntimeError("no bf16 kernel on this CPU")
        return real(model, name)

    monkeypatch.setattr(compare_mod, "apply_scheme", broken)
    res = q.compare(tiny, ("bf16",), q.causal_eval_data(4), config=TINY_RUN)
    assert [r.scheme for r in res] == ["fp32", "bf16"]
    assert not res[1].supported and "no bf16 kernel" in res[1].reason


def test_unknown_scheme_is_a_value_error():
    with pytest.raises(ValueError, match="unknown scheme"):
        q.get_scheme("int3")


# --- KL -----------------------------------------------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000))
def test_kl_matches_torch_and_is_zero_on_itself(seed):
    g = torch.Generator().manual_seed(seed)
    a, b = torch.randn(2, 3, 7, generator=g), torch.randn(2, 3, 7, generator=g)
    kl, _ = q.kl_top1(a, b)
    ref = (
        torch.nn.functional.kl_div(
            torch.log_softmax(b, -1), torch.log_softmax(a, -1), log_target=True, reduction="none"
        )
        .sum(-1)
        .mean()
    )
    assert kl == pytest.approx(float(ref), abs=1e-5)
    assert q.kl_top1(a, a) == (0.0, 1.0)


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


# --- memory calculator --------------------------------------------------------------------------
def test_memory_estimate_matches_accelerate_and_peft(tiny):
    from accelerate.utils import calculate_maximum_sizes
    from peft import LoraConfig, get_peft_model

    est = q.estimate_memory("tiny-gpt", lora_rank=4)
    assert est.n_params == tiny.n_params
    assert est.total_bytes == calculate_maximum_sizes(tiny.model)[0]
    assert est.adam_total == 4 * est.total_bytes  # weights + grads + 2 Adam moments, fp32
    assert est.weights["int4"] == est.total_bytes / 8
    fresh = models.load_causal_lm("tiny-gpt", fresh=True).model
    peft_model = get_peft_model(fresh, LoraConfig(r=4, target_modules="all-linear"))
    assert est.lora_params == peft_model.get_nb_trainable_parameters()[0]
    assert est.lora_total("int4") < est.adam_total


def test_memory_estimate_for_a_hub_id_offline_is_a_clear_error():
    with pytest.raises(models.ModelUnavailableError, match="no network"):
        q.estimate_memory("Qwen/Qwen2.5-7B")


@pytest.mark.parametrize("rank", [0, 1000])
def test_memory_estimate_rejects_bad_ranks(rank):
    with pytest.raises(ValueError, match="rank"):
        q.estimate_memory("tiny-gpt", lora_rank=rank)


# --- the encoder comparison ---------------------------------------------------------------------
def test_encoder_cosine_and_accuracy_are_measured():
    enc = models.load_encoder("minilm")
    full = q.encoder_eval_data(12, seed=1)
    data = q.EvalData(
        "encoder",
        full.texts,
        full.prompt,
        full.labels,
        full.train_texts[:30],
        full.train_labels[:30],
    )
    cfg = q.QuantConfig(model="minilm", n_eval=12, seq_len=32, latency_runs=1)
    before = enc.model.embeddings.word_embeddings.weight[:3].detach().clone()
    res = {r.scheme: r for r in q.compare(enc, ("int8", "int2"), data, config=cfg)}
    assert res["fp32"].cosine_to_fp32 == pytest.approx(1.0, abs=1e-6)
    assert 1.0 > res["int8"].cosine_to_fp32 > res["int2"].cosine_to_fp32
    assert all(0.0 <= r.accuracy <= 1.0 for r in res.values())
    assert res["fp32"].sample.split()[0] in {"positive", "negative"}
    assert torch.equal(before, enc.model.embeddings.word_embeddings.weight[:3])


# --- latency verdicts and the shared, single-flight result store --------------------------------
@pytest.mark.parametrize(
    ("a", "b", "verdict"),
    [
        ([4.0, 4.1, 4.2, 4.0, 4.3], [5.0, 5.2, 5.1, 5.3, 5.0], "faster"),  # bf16 faster: say so
        ([9.0, 9.5, 9.1, 9.9, 9.2], [5.0, 5.2, 5.1, 5.3, 5.0], "slower"),
        ([4.0, 6.0, 4.5, 5.5, 5.1], [5.0, 5.2, 5.1, 5.3, 5.0], "noise"),  # overlapping runs
        ([4.0, 4.1, 4.2], [5.0, 5.2, 5.1], "too few runs"),  # p = 2/20 even if separated
        ([1.0], [9.0], "too few runs"),
        ([4.0, 4.1, 4.2, 4.0], [5.0, 5.2, 5.1, 5.3], "faster"),  # 4 and 4: p = 2/70 < 0.05
    ],
)
def test_latency_verdicts_need_every_run_on_one_side(a, b, verdict):
    c = q.compare_latency(a, b)
    assert c.verdict == verdict
    assert c.spread_a == (min(a), max(a)) and c.spread_b == (min(b), max(b))
    assert c.ratio == pytest.approx(statistics.median(a) / statistics.median(b))
    if verdict in ("faster", "slower"):
        assert c.p_value is not None and c.p_value < 0.05
    if verdict == "noise":
        assert c.p_value is None


def test_latency_comparison_rejects_empty_runs():
    with pytest.raises(ValueError):
        q.compare_latency([], [1.0])


def test_identical_concurrent_requests_are_computed_once():
    import threading
    import time

    store = q.SharedResults(max_entries=4)
    calls, seen = [], []
    started = threading.Event()

    def compute(report):
        calls.append(1)
        started.set()
        for i in range(3):
            report(i, 3, f"step {i}")
            time.sleep(0.1)
        return ["result"]

    out: list = []

    def ask(progress):
        out.append(store.get_or_compute("same config", compute, on_progress=progress, poll_s=0.02))

    first = threading.Thread(target=ask, args=(None,))
    first.start()
    started.wait(5)
    others = [threading.Thread(target=ask, args=(lambda *p: seen.append(p),)) for _ in range(2)]
    for t in others:
        t.start()
    for t in [first, *others]:
        t.join(10)
    assert len(calls) == 1 and store.computed == 1  # three sessions, one computation
    assert sorted(computed for _, computed in out) == [False, False, True]
    assert all(value == ["result"] for value, _ in out)
    assert seen and all(p[1] == 3 for p in seen)  # the waiters saw the first one's progress


def test_a_failed_computation_is_not_stored_and_runs_again():
    store = q.SharedResults()

    def boom(report):
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError):
        store.get_or_compute("cfg", boom)
    assert store.get("cfg") is None and store.running("cfg") is None
    assert store.get_or_compute("cfg", lambda report: 7) == (7, True)


def test_shared_results_is_a_bounded_lru():
    store = q.SharedResults(max_entries=2)
    for key in ("a", "b"):
        store.get_or_compute(key, lambda report, k=key: k)
    store.get("a")  # now the most recent
    store.get_or_compute("c", lambda report: "c")
    assert (store.get("a"), store.get("b"), store.get("c"), len(store)) == ("a", None, "c", 2)
    assert q.shared_results() is q.shared_results()

"""core.lora: settings and dataset validation tables, and short real runs on the embedded models.

The runs are tiny (a few dozen rows, a few steps, short sequences) and shared by module-scoped
fixtures, so the whole file trains only a handful of times.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core import lora
from core.lora import DatasetError, LoraConfigSpec, parse_dataset, split_dataset
from core.lora.train import diverged_loss, encode

SENT = dict(model="minilm", task="classification", target_modules=("query", "value"))
GPT = dict(model="tiny-gpt", task="causal-lm", target_modules=("c_attn",))


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    import torch

    old = torch.get_num_threads()
    torch.set_num_threads(1)  # 2 shared cores: one thread is faster than two fighting
    yield
    torch.set_num_threads(old)


# --- settings ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("r", 0, "rank r"),
        ("r", 300, "rank r"),
        ("alpha", 0, "alpha"),
        ("dropout", 1.0, "dropout"),
        ("dropout", -0.1, "dropout"),
        ("target_modules", (), "target module"),
        ("lr", 0.0, "learning rate"),
        ("lr", float("nan"), "learning rate"),
        ("lr", -1e-3, "learning rate"),
        ("epochs", 0, "epochs"),
        ("batch_size", 0, "batch size"),
        ("max_length", 4, "max length"),
        ("val_fraction", 0.9, "validation share"),
        ("seed", -1, "seed"),
        ("task", "translation", "task"),
        ("model", " ", "base model"),
    ],
)
def test_spec_rejects_bad_values_with_a_plain_message(field, value, message):
    with pytest.raises(ValueError, match=message):
        LoraConfigSpec(**{field: value})


def test_spec_defaults_are_the_documented_data_point():
    spec = LoraConfigSpec()
    assert (spec.r, spec.target_modules, spec.batch_size, spec.max_length, spec.epochs) == (
        8, ("query", "value"), 16, 64, 5,
    )  # fmt: skip
    assert spec.scaling == 2.0


@pytest.mark.parametrize("name", ["run1", "sentiment-r8", "A_b-9", "x" * 64])
def test_valid_run_names(name, tmp_path):
    assert lora.validate_run_name(name) == name
    assert lora.run_dir(name, tmp_path).parent == tmp_path.resolve()


@pytest.mark.parametrize(
    "name", ["", " ", "..", "../evil", "a/b", "a\\b", "a b", ".hidden", "a..b", "x" * 65, "é"]
)
def test_run_names_with_path_tricks_are_rejected(name, tmp_path):
    with pytest.raises(ValueError, match="not a valid run name"):
        lora.run_dir(name, tmp_path)


def test_memory_estimate_counts_adam_twice_and_lora_saves():
    m = lora.memory_estimate(1_000_000, 10_000)
    assert m.full_optimizer == 2 * m.full_grads == 8_000_000
    assert m.lora_grads == 40_000 and m.lora_weights == m.full_weights
    assert m.full_total == 16_000_000 and m.saving > 3.5
    with pytest.raises(ValueError):
        lora.memory_estimate(10, 11)


# --- datasets ------------------------------------------------------------------------------------
GOOD_CSV = "text,label\n" + "".join(f"review {i},{'pos' if i % 2 else 'neg'}\n" for i in range(10))
GOOD_JSONL = "".join(
    json.dumps({"prompt": f"p{i}", "completion": f" c{i}"}) + "\n" for i in range(9)
)


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (b"", "x.csv", "empty"),
        (b"  \n\n ", "x.csv", "empty"),
        (b"\x00\x01\x02PK", "x.csv", "binary"),
        ("text,label\nbon,é\n".encode("latin-1") * 5, "x.csv", "not UTF-8"),
        (b"x" * 2_000_001, "x.csv", "too big"),
        (b"text,label\n", "x.csv", "no rows"),
        (b"name,score\nA,1\nB,2\n", "x.csv", "needs the columns"),
        (b"text,label\n" + b"same text,pos\n" * 20, "x.csv", "at least two different labels"),
        (b"text,label\na,pos\nb,neg\n", "x.csv", "at least 8"),
        (b"text,label\n" + b"a,b,c\n" * 10, "x.csv", "more cells than the header"),
        (b'{"prompt": "a", "completion": "b"}\n{"prompt": oops}\n', "x.jsonl", "Line 2"),
        (b'{"prompt": "a", "completion": "b"}\n[1, 2]\n', "x.jsonl", "JSON object"),
        (b"[1, 2, 3]", "x.json", "objects"),
        (b'[{"text": 1', "x.json", "malformed"),
        ("text,label\n" + "".join(f"t{i},L{i}\n" for i in range(30)), "x.csv", "different labels"),
        ("text,label\n" + "t,a\n" * 5001, "x.csv", "more than 5000 rows"),
        ("text,label\n" + ",pos\n,neg\n" * 10 + "a,pos\n", "x.csv", "usable row"),
    ],
)
def test_bad_uploads_say_what_is_wrong(data, filename, message):
    with pytest.raises(DatasetError, match=message):
        parse_dataset(data, filename)


@pytest.mark.parametrize(
    ("data", "filename", "task", "n", "labels"),
    [
        (GOOD_CSV, "r.csv", "classification", 10, ("neg", "pos")),
        ("\ufeff" + GOOD_CSV.replace("text,label", "Text , LABEL"), "r.csv", "classification", 10,
         ("neg", "pos")),
        (GOOD_JSONL, "f.jsonl", "causal-lm", 9, ()),
        (json.dumps([{"text": f"t{i}", "label": i % 2} for i in range(8)]), "l.json",
         "classification", 8, ("0", "1")),
        (GOOD_CSV + ",pos\n\n", "r.csv", "classification", 10, ("neg", "pos")),
    ],
)  # fmt: skip
def test_good_uploads_parse(data, filename, task, n, labels):
    ds = parse_dataset(data.encode() if isinstance(data, str) else data, filename)
    assert (ds.task, len(ds), ds.labels, ds.name) == (task, n, labels, filename)


def test_skipped_rows_and_odd_unicode_are_noted_not_fatal():
    data = GOOD_CSV + ",pos\n" + "lone \ud800 surrogate ok,neg\n"
    ds = parse_dataset(
        data.encode("utf-8", "surrogatepass").replace(b"\xed\xa0\x80", b"?"), "u.csv"
    )
    assert any("skipped" in n for n in ds.notes)
    assert len(ds) == 11


def test_shipped_recipe_datasets_are_valid():
    sent, fmt = lora.load_recipe_dataset("sentiment"), lora.load_recipe_dataset("format")
    assert (sent.task, len(sent), sent.labels) == ("classification", 300, ("negative", "positive"))
    assert fmt.task == "causal-lm" and len(fmt) >= 100
    assert all(p.endswith(" =>") and c.startswith(" ") for p, c in fmt.rows)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(8, 200), frac=st.floats(0.05, 0.5), seed=st.integers(0, 10_000))
def test_split_is_a_stratified_partition(n, frac, seed):
    ds = parse_dataset(GOOD_CSV.split("\n")[0] + "\n" + "".join(
        f"row {i},{'pos' if i % 3 else 'neg'}\n" for i in range(n)))  # fmt: skip
    train, val = split_dataset(ds, frac, seed)
    assert sorted(train.rows + val.rows) == sorted(ds.rows)
    assert {y for _, y in train.rows} == {y for _, y in val.rows} == {"pos", "neg"}
    assert split_dataset(ds, frac, seed) == (train, val)


def test_causal_encoding_scores_only_the_completion_and_keeps_it_when_truncating():
    from core import models

    tok = models.load_tokenizer("tiny-gpt")
    rows = [("capital of France =>", " Paris"), ("word " * 80, " answer")]
    enc = encode(rows, tok, "causal-lm", 16)
    for ids, labels, (_, c) in zip(enc.ids, enc.labels, rows, strict=True):
        assert len(ids) == len(labels) <= 16
        scored = [t for t in labels if t != -100]
        assert scored[-1] == tok.eos_token_id
        assert tok.decode(scored[:-1]) == c
        assert labels[0] == -100


@pytest.mark.parametrize(
    ("loss", "reference", "expected"),
    [(float("nan"), 0.7, True), (float("inf"), 0.7, True), (770.0, 0.7, True), (5.0, 0.7, False),
     (0.1, 0.7, False), (30.0, 4.0, False), (60.0, 4.0, True)],
)  # fmt: skip
def test_divergence_rule(loss, reference, expected):
    assert diverged_loss(loss, reference) is expected


# --- real runs -----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sentiment_run(tmp_path_factory):
    """MiniLM, 24 reviews (16 train / 8 held out), 3 epochs of batch 8 at length 32: 6 steps."""
    spec = LoraConfigSpec(**SENT, lr=1e-2, epochs=3, batch_size=8, max_length=32, seed=3,
                          val_fraction=0.33)  # fmt: skip
    out = tmp_path_factory.mktemp("runs") / "sent-test"
    data = lora.load_recipe_dataset("sentiment").subset(24)
    return lora.train_lora(spec, data, out_dir=str(out))


@pytest.fixture(scope="module")
def format_runs():
    """tiny-gpt on 48 facts in the new format: twice with one seed (determinism), once stopped."""
    spec = LoraConfigSpec(**GPT, r=8, alpha=16, lr=3e-3, epochs=2, batch_size=8, max_length=32,
                          val_fraction=0.25, seed=5)  # fmt: skip
    data = lora.load_recipe_dataset("format").subset(48)
    steps = []
    a = lora.train_lora(spec, data, on_step=steps.append)
    b = lora.train_lora(spec, data, compare=False)
    c_steps: list = []
    c = lora.train_lora(spec, data, should_stop=lambda: len(c_steps) >= 2, on_step=c_steps.append,
                        compare=False)  # fmt: skip
    return spec, a, b, c, steps


def test_sentiment_lora_lowers_the_loss(sentiment_run):
    res = sentiment_run
    assert not res.diverged and res.steps_done == res.total_steps == 6
    assert res.val_losses[-1][1] < res.val_losses[0][1]
    assert res.comparison.adapter_loss < res.comparison.base_loss
    assert min(res.train_losses[-2:]) < res.train_losses[0]


def test_trainable_count_equals_peft_and_the_grad_flags(sentiment_run):
    res = sentiment_run
    trainable, total = res.model.get_nb_trainable_parameters()
    grads = sum(p.numel() for p in res.model.parameters() if p.requires_grad)
    assert res.params == lora.ParamCount(trainable, total)
    assert res.n_trainable == grads
    assert lora.count_trainable(res.spec, res.labels) == res.params  # meta-device count agrees
    assert 0.2 < res.params.percent < 0.5  # the documented 0.33% for r=8 on query/value


def test_target_modules_come_from_the_real_model():
    assert lora.target_module_choices("minilm", "classification") == [
        "query", "key", "value", "dense",
    ]  # fmt: skip
    assert lora.target_module_choices("tiny-gpt", "causal-lm") == ["c_attn", "c_proj", "c_fc"]
    with pytest.raises(ValueError, match="target modules"):
        lora.count_trainable(LoraConfigSpec(**{**SENT, "target_modules": ("nope",)}))


def test_saved_adapter_reloads_with_identical_outputs(sentiment_run):
    import torch

    res = sentiment_run
    runs = lora.list_runs(res.adapter_path.rsplit("/", 1)[0])
    assert [r.name for r in runs] == ["sent-test"] and runs[0].spec == res.spec
    run, model, tok = lora.load_run("sent-test", runs[0].path.rsplit("/", 1)[0])
    enc = tok(list(res.comparison.inputs), padding=True, return_tensors="pt")
    with torch.no_grad():
        assert torch.equal(model(**enc).logits, res.model(**enc).logits)
        with model.disable_adapter(), res.model.disable_adapter():
            assert torch.equal(model(**enc).logits, res.model(**enc).logits)
    assert run.meta["adapter_accuracy"] == res.comparison.adapter_accuracy
    with pytest.raises(ValueError, match="no saved LoRA run"):
        lora.load_run("missing", runs[0].path.rsplit("/", 1)[0])


def test_merge_on_a_copy_gives_the_same_outputs(sentiment_run):
    res = sentiment_run
    m = lora.merge_check(res.model, res.tokenizer, "classification", list(res.comparison.inputs))
    assert m.same_outputs and m.max_abs_diff < 1e-4
    assert m.params_merged == m.params_adapter - res.n_trainable  # A, B and the head copy gone
    assert any("lora_A" in n for n, _ in res.model.named_parameters())  # original untouched


def test_forgetting_check_on_the_encoder(sentiment_run):
    res = sentiment_run
    f = lora.forgetting_check(res.model, res.tokenizer, "classification", n_items=20)
    assert 0.0 <= f.adapter <= 1.0 and 0.0 <= f.base <= 1.0 and f.higher_is_better
    assert 0.5 < f.extra["embedding cosine before/after"] <= 1.0 + 1e-6


def test_a_huge_learning_rate_is_stopped_and_said(tmp_path):
    data = lora.load_recipe_dataset("sentiment").subset(24)
    spec = LoraConfigSpec(**SENT, lr=100.0, epochs=2, batch_size=8, max_length=16)
    res = lora.train_lora(spec, data, out_dir=str(tmp_path / "never"))
    assert res.diverged and res.steps_done < res.total_steps
    assert "diverged" in res.message and "too high" in res.message
    assert res.comparison is None and res.adapter_path is None and not (tmp_path / "never").exists()


def test_format_run_is_deterministic_and_learns(format_runs):
    _, a, b, _, steps = format_runs
    assert a.train_losses == b.train_losses and a.val_losses == b.val_losses
    assert [s.step for s in steps] == list(range(1, a.total_steps + 1))
    assert a.val_losses[-1][1] < a.val_losses[0][1] - 0.5
    assert a.comparison.adapter_loss < a.comparison.base_loss
    assert len(a.comparison.base_outputs) == a.n_val


def test_stop_keeps_what_was_learned(format_runs):
    from core.lora.train import encode, mean_loss

    _, a, _, c, _ = format_runs
    assert c.stopped and c.steps_done == 2 < c.total_steps and "Stopped" in c.message
    assert c.train_losses == a.train_losses[:2]
    rows = list(zip(a.comparison.inputs, a.comparison.targets, strict=True))
    enc = encode(rows, c.tokenizer, "causal-lm", 32)
    pad = c.tokenizer.pad_token_id
    with c.model.disable_adapter():
        base = mean_loss(c.model, enc, pad, "causal-lm")
    assert mean_loss(c.model, enc, pad, "causal-lm") < base  # the two steps were kept


def test_forgetting_base_equals_the_untouched_model(format_runs):
    from core import models
    from core.lora.evaluate import _corpus_perplexity

    _, a, _, _, _ = format_runs
    f = lora.forgetting_check(a.model, a.tokenizer, "causal-lm", n_items=10)
    base = models.load_causal_lm("tiny-gpt")
    from core.corpus import CorpusConfig, generate_corpus

    texts = generate_corpus(CorpusConfig(n_docs=10, seed=1337, heldout=True))
    assert math.isclose(f.base, _corpus_perplexity(base.model, base.tokenizer, texts, 128),
                        rel_tol=1e-5)  # fmt: skip
    assert f.adapter != f.base and not f.higher_is_better


def test_job_runs_in_a_thread_and_reports(format_runs):
    spec, *_ = format_runs
    data = lora.load_recipe_dataset("format").subset(16)
    seen: list[lora.JobSnapshot] = []
    job = lora.LoraJob(replace(spec, epochs=1), data, forgetting=False).start()
    while not (snap := job.snapshot()).finished:
        seen.append(snap)
        job.join(timeout=0.05)
    assert snap.state == "done" and snap.fraction == 1.0 and snap.remaining == 0
    assert snap.train_losses == snap.result.train_losses and len(snap.train_losses) == 2
    assert {s.state for s in seen} <= {"queued", "loading", "training", "evaluating"}
    stopped = lora.LoraJob(spec, data, forgetting=False)
    stopped.stop()
    assert stopped.start().join(timeout=60).message == "Stopped before training started."


def test_dataset_and_task_must_match():
    with pytest.raises(ValueError, match="causal-lm rows"):
        lora.train_lora(LoraConfigSpec(**SENT), lora.load_recipe_dataset("format"))


@pytest.mark.parametrize(
    ("output", "target", "same"),
    [(" Paris", " Paris", True), (" paris \nrome => Roma", " Paris", True),
     (" Rome", " Paris", False), ("", " Paris", False), ("\n\n", " Paris", False),
     (" Paris is big", " Paris", False), ("a\nb", "a\nb", True)],
)  # fmt: skip
def test_exact_match_reads_the_first_line_of_a_one_line_answer(output, target, same):
    from core.lora.evaluate import _same_answer

    assert _same_answer(output, target) is same


def test_batched_generation_equals_one_by_one():
    from core import models
    from core.lora.evaluate import generate_completion, generate_completions

    lm = models.load_causal_lm("tiny-gpt")
    prompts = ["capital of France =>", "A cat says", "Q: What color is the sky?\nA:"]
    batch = generate_completions(lm.model, lm.tokenizer, prompts, max_new_tokens=8)
    assert batch == [
        generate_completion(lm.model, lm.tokenizer, p, max_new_tokens=8) for p in prompts
    ]

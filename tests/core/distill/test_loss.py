"""core.distill.loss: the distillation loss against hand-computed values and autograd, and the
teacher's softened distribution."""

from __future__ import annotations

import math

import pytest
import torch

from core.distill import distillation_loss, softened


def _softmax(xs: list[float], t: float = 1.0) -> list[float]:
    m = max(xs)
    e = [math.exp((x - m) / t) for x in xs]
    return [v / sum(e) for v in e]


def test_the_loss_equals_a_hand_computed_value():
    s = [[1.0, 0.0, -1.0], [0.5, 0.5, 2.0], [9.0, 9.0, 9.0]]  # the last position predicts nothing
    t = [[2.0, 1.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 0.0]]
    labels = [7, 0, 2]  # position 0 predicts 0, position 1 predicts 2 (labels[0] is never a target)
    temp, alpha = 2.0, 0.3
    kl = 0.0
    for si, ti in zip(s[:2], t[:2], strict=True):
        p, q = _softmax(ti, temp), _softmax(si, temp)
        kl += sum(pi * math.log(pi / qi) for pi, qi in zip(p, q, strict=True))
    kl /= 2
    ce = (-math.log(_softmax(s[0])[0]) - math.log(_softmax(s[1])[2])) / 2
    want = alpha * temp**2 * kl + (1 - alpha) * ce

    labels_t = torch.tensor([labels])
    labels_t[0, 0] = 0  # any id: the first label is never a target
    r = distillation_loss(
        torch.tensor([s]), torch.tensor([t]), labels_t, temperature=temp, alpha=alpha
    )
    assert float(r.kl) == pytest.approx(kl, rel=1e-6)
    assert float(r.ce) == pytest.approx(ce, rel=1e-6)
    assert float(r.total) == pytest.approx(want, rel=1e-6)
    assert r.n_positions == 2 and r.loss is r.total


def test_labels_of_minus_100_count_in_neither_part():
    torch.manual_seed(0)
    s, t = torch.randn(2, 5, 7), torch.randn(2, 5, 7)
    labels = torch.randint(0, 7, (2, 5))
    masked = labels.clone()
    masked[1, 3:] = -100  # row 1 keeps only the targets of positions 0 and 1
    r = distillation_loss(s, t, masked, temperature=1.5, alpha=0.4)
    kept = [(0, 0), (0, 1), (0, 2), (0, 3), (1, 0), (1, 1)]  # (row, position) still scored
    kls, ces = [], []
    for b, i in kept:
        p, q = torch.softmax(t[b, i] / 1.5, -1), torch.softmax(s[b, i] / 1.5, -1)
        kls.append(float((p * (p / q).log()).sum()))
        ces.append(-float(torch.log_softmax(s[b, i], -1)[labels[b, i + 1]]))
    assert r.n_positions == 6
    assert float(r.kl) == pytest.approx(sum(kls) / 6, rel=1e-5)
    assert float(r.ce) == pytest.approx(sum(ces) / 6, rel=1e-5)


def test_alpha_0_is_exactly_the_models_own_cross_entropy():
    from transformers import GPT2Config, GPT2LMHeadModel

    torch.manual_seed(1)
    cfg = GPT2Config(n_layer=1, n_head=2, n_embd=16, n_positions=12, vocab_size=19)
    cfg.bos_token_id = cfg.eos_token_id = 0
    model = GPT2LMHeadModel(cfg)
    x = torch.randint(0, 19, (3, 12))
    out = model(input_ids=x, labels=x)
    r = distillation_loss(out.logits, torch.randn_like(out.logits), x, temperature=3.0, alpha=0.0)
    assert torch.equal(r.total, r.ce)
    assert float(r.total.detach()) == pytest.approx(float(out.loss.detach()), abs=1e-6)
    assert float(r.kl) > 0  # the KL is still measured, only not trained on


@pytest.mark.parametrize("temp", [1.0, 3.0])
def test_at_alpha_1_the_gradient_is_the_kl_gradient(temp):
    torch.manual_seed(2)
    t = torch.randn(2, 6, 11)
    labels = torch.randint(0, 11, (2, 6))
    s1 = torch.randn(2, 6, 11, requires_grad=True)
    s2 = s1.detach().clone().requires_grad_(True)
    distillation_loss(s1, t, labels, temperature=temp, alpha=1.0).total.backward()
    # the reference: torch's own KL, mean over the 2 * 5 scored positions, times T^2
    ref = torch.nn.functional.kl_div(
        torch.log_softmax(s2[:, :-1].reshape(-1, 11) / temp, -1),
        torch.log_softmax(t[:, :-1].reshape(-1, 11) / temp, -1),
        log_target=True,
        reduction="batchmean",
    )
    (temp**2 * ref).backward()
    assert s1.grad is not None and s2.grad is not None
    torch.testing.assert_close(s1.grad, s2.grad, rtol=1e-5, atol=1e-7)
    assert float(s1.grad[:, -1].abs().max()) == 0.0  # the last position predicts nothing


def test_the_teacher_gets_no_gradient():
    t = torch.randn(1, 4, 5, requires_grad=True)
    s = torch.randn(1, 4, 5, requires_grad=True)
    distillation_loss(
        s, t, torch.zeros(1, 4, dtype=torch.long), temperature=2, alpha=0.5
    ).total.backward()
    assert t.grad is None and s.grad is not None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(temperature=0.0, alpha=0.5), "temperature must be above 0"),
        (dict(temperature=-1.0, alpha=0.5), "temperature must be above 0"),
        (dict(temperature=float("nan"), alpha=0.5), "finite"),
        (dict(temperature=1.0, alpha=-0.1), "between 0 and 1"),
        (dict(temperature=1.0, alpha=1.5), "between 0 and 1"),
    ],
)
def test_hostile_settings_raise_clear_errors(kwargs, message):
    x = torch.zeros(1, 3, 4)
    with pytest.raises(ValueError, match=message):
        distillation_loss(x, x, torch.zeros(1, 3, dtype=torch.long), **kwargs)


def test_hostile_shapes_raise_clear_errors():
    y = torch.zeros(1, 3, dtype=torch.long)
    with pytest.raises(ValueError, match="same shape"):
        distillation_loss(torch.zeros(1, 3, 4), torch.zeros(1, 3, 5), y, temperature=1, alpha=1)
    with pytest.raises(ValueError, match="labels"):
        distillation_loss(
            torch.zeros(1, 3, 4), torch.zeros(1, 3, 4), y[:, :2], temperature=1, alpha=1
        )
    with pytest.raises(ValueError, match="no position is scored"):
        distillation_loss(
            torch.zeros(1, 3, 4), torch.zeros(1, 3, 4), y - 100, temperature=1, alpha=1
        )


def test_softened_keeps_the_order_and_spreads_the_mass_as_t_rises():
    torch.manual_seed(3)
    logits = torch.randn(50) * 3
    r = softened(logits, (1.0, 2.0, 5.0), top=10)
    assert r.temperatures == (1.0, 2.0, 5.0) and r.vocab_size == 50 and len(r.token_ids) == 10
    assert list(r.token_ids) == torch.argsort(logits, descending=True)[:10].tolist()
    for probs, rest in zip(r.probs, r.rest, strict=True):
        assert list(probs) == sorted(probs, reverse=True)
        assert sum(probs) + rest == pytest.approx(1.0, abs=1e-6)
    for t, probs in zip(r.temperatures, r.probs, strict=True):
        want = torch.softmax(logits / t, -1)[list(r.token_ids)]
        assert probs == pytest.approx(want.tolist(), rel=1e-5)
    assert r.entropy[0] < r.entropy[1] < r.entropy[2] < math.log(50)
    assert r.probs[0][0] > r.probs[1][0] > r.probs[2][0]  # the top token gives mass away
    assert r.rest[0] < r.rest[1] < r.rest[2]  # ... to the dark knowledge of the other tokens


def test_softened_clips_top_and_rejects_hostile_input():
    assert len(softened([1.0, 2.0], (1.0,), top=10).token_ids) == 2
    with pytest.raises(ValueError, match="temperature must be above 0"):
        softened([1.0, 2.0], (1.0, 0.0))
    with pytest.raises(ValueError, match="one position"):
        softened(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="at least one temperature"):
        softened([1.0], ())
    with pytest.raises(ValueError, match="top must be"):
        softened([1.0], top=0)

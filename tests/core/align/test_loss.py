"""core.align.loss: the DPO loss against the paper's formula by hand and against TRL's
DPOTrainer on the same batch; the reward loss against its formula; plain refusals."""

from __future__ import annotations

import math

import pytest
import torch

from core.align.logps import PairTensors, completion_logps
from core.align.loss import dpo_loss, reward_loss


def _logsig(x: float) -> float:
    return -math.log1p(math.exp(-x))


def test_dpo_loss_is_the_papers_formula_on_a_hand_checked_batch():
    pc, pr = torch.tensor([-1.0, -4.0, -2.0]), torch.tensor([-3.0, -1.0, -2.0])
    rc, rr = torch.tensor([-2.0, -3.0, -1.0]), torch.tensor([-2.0, -2.0, -3.0])
    beta = 0.5
    # h = (pc - rc) - (pr - rr): (1 - (-1)), (-1 - 1), (-1 - 1) = 2, -2, -2
    want = -(_logsig(1.0) + _logsig(-1.0) + _logsig(-1.0)) / 3
    r = dpo_loss(pc, pr, rc, rr, beta=beta)
    assert float(r.loss) == pytest.approx(want, rel=1e-6)
    assert r.chosen_rewards.tolist() == pytest.approx([0.5, -0.5, -0.5])
    assert r.rejected_rewards.tolist() == pytest.approx([-0.5, 0.5, 0.5])
    assert r.margins.tolist() == pytest.approx([1.0, -1.0, -1.0])
    assert r.accuracy == pytest.approx(1 / 3)


def test_dpo_loss_gradient_pushes_chosen_up_and_rejected_down():
    pc = torch.tensor([-2.0], requires_grad=True)
    pr = torch.tensor([-2.0], requires_grad=True)
    z = torch.zeros(1)
    dpo_loss(pc, pr, z, z, beta=0.1).loss.backward()
    assert pc.grad.item() == pytest.approx(-0.05)  # -beta * sigmoid(0)
    assert pr.grad.item() == pytest.approx(0.05)


@pytest.mark.parametrize("beta", [0.0, -0.1, float("nan")])
def test_beta_zero_or_less_is_refused_plainly(beta):
    z = torch.zeros(2)
    with pytest.raises(ValueError, match="beta must be above 0"):
        dpo_loss(z, z, z, z, beta=beta)


def test_shapes_must_match():
    with pytest.raises(ValueError, match="one shape"):
        dpo_loss(torch.zeros(2), torch.zeros(3), torch.zeros(2), torch.zeros(2), beta=0.1)


def test_reward_loss_is_minus_logsigmoid_of_the_margin():
    c, r = torch.tensor([1.0, -0.5]), torch.tensor([0.0, 0.5])
    want = -(_logsig(1.0) + _logsig(-1.0)) / 2
    assert float(reward_loss(c, r)) == pytest.approx(want, rel=1e-6)
    with pytest.raises(ValueError):
        reward_loss(torch.zeros(2), torch.zeros(3))


def test_dpo_loss_equals_trls_dpotrainer_on_the_same_batch(tmp_path):
    trl = pytest.importorskip("trl")
    datasets = pytest.importorskip("datasets")
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    from core.models import tiny_gpt_path

    torch.manual_seed(0)
    cfg = GPT2Config(n_layer=1, n_head=2, n_embd=16, vocab_size=64, n_positions=32)
    cfg.bos_token_id = cfg.eos_token_id = 0
    policy, ref = GPT2LMHeadModel(cfg), GPT2LMHeadModel(cfg)
    tok = AutoTokenizer.from_pretrained(str(tiny_gpt_path()))
    tok.pad_token = tok.eos_token
    ds = datasets.Dataset.from_dict({"prompt": ["a"], "chosen": [" b"], "rejected": [" c"]})
    beta = 0.3
    args = trl.DPOConfig(output_dir=str(tmp_path), beta=beta, report_to=[], use_cpu=True)
    trainer = trl.DPOTrainer(
        model=policy, ref_model=ref, args=args, train_dataset=ds, processing_class=tok
    )
    # two pairs: rows [chosen_0, chosen_1, rejected_0, rejected_1], right-padded with 0
    batch = PairTensors(
        torch.tensor([[5, 6, 7, 8, 9], [5, 6, 11, 0, 0], [5, 6, 7, 10, 0], [5, 6, 12, 13, 14]]),
        torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0], [1, 1, 1, 1, 0], [1, 1, 1, 1, 1]]),
        torch.tensor([[0, 0, 0, 1, 1], [0, 0, 1, 0, 0], [0, 0, 0, 1, 0], [0, 0, 1, 1, 1]]),
    )
    theirs = trainer.compute_loss(
        trainer.model,
        {
            "input_ids": batch.input_ids,
            "attention_mask": batch.attention_mask,
            "completion_mask": batch.completion_mask,
        },
    )
    with torch.no_grad():
        pi, _ = completion_logps(policy, batch)
        rf, _ = completion_logps(ref, batch)
    ours = dpo_loss(pi[:2], pi[2:], rf[:2], rf[2:], beta=beta)
    assert float(ours.loss) == pytest.approx(float(theirs.detach()), abs=1e-6)
    assert float(ours.loss) != pytest.approx(math.log(2), abs=1e-4)  # two different models

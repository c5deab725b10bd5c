"""core.align.compare, runs and job: a fresh policy answers as its reference does; the "no
leash" run (beta near 0) measurably degenerates where beta 0.1 does not; a DPO job through the
shared queue saves an adapter that reloads to the same outputs."""

from __future__ import annotations

import pytest
import torch

from core.align import (
    DPOConfig,
    PreferenceConfig,
    before_after,
    dpo_job,
    list_runs,
    load_run,
    preference_set,
    train_dpo,
)
from core.align.dpo import build_policy
from core.training import JobQueue

SMALL = PreferenceConfig(n_train=48, n_heldout=12, seed=7)


def test_a_fresh_policy_answers_exactly_as_its_reference():
    model, tok = build_policy(DPOConfig())
    ba = before_after(model, tok, preference_set(SMALL).heldout[:6], reward=None)
    assert [a.reference for a in ba.answers] == [a.policy for a in ba.answers]
    assert ba.reference_ppl == pytest.approx(ba.policy_ppl)
    assert ba.win_rate is None and 1 < ba.reference_ppl < 20


@pytest.mark.slow
def test_no_leash_degenerates_measurably_where_the_leash_holds():
    data = preference_set()
    runs = {b: train_dpo(DPOConfig(beta=b), data) for b in (0.1, 0.001)}
    cmp = {b: before_after(r.model, r.tokenizer, data.heldout[:12]) for b, r in runs.items()}
    assert runs[0.001].after.kl > runs[0.1].after.kl
    assert cmp[0.001].policy_ppl > 2 * cmp[0.1].policy_ppl  # forgetting: the general text
    assert cmp[0.1].reference_ppl == pytest.approx(cmp[0.001].reference_ppl)


def test_a_dpo_job_runs_in_the_queue_saves_and_reloads(tmp_path):
    job = dpo_job(
        DPOConfig(epochs=1, batch_size=16),
        preference_set(SMALL),
        name="polite-1",
        owner="me",
        runs_dir=tmp_path,
    )
    status = JobQueue(workers=1).submit(job).join(240)
    assert status.state == "done", status.message
    out = status.result
    assert out.saved is not None and out.saved.name == "polite-1"
    assert out.compared is not None and len(out.compared.answers) == 12
    assert [r.name for r in list_runs(tmp_path, owner="me")] == ["polite-1"]
    run, model, tok = load_run("polite-1", tmp_path)
    assert run.meta["steps_done"] == 3
    ids = torch.tensor([tok("Q: What color is snow?\nA:")["input_ids"]])
    with torch.no_grad():
        same = torch.allclose(model(ids).logits, out.run.model(ids).logits, atol=1e-5)
    assert same
    with pytest.raises(ValueError, match="no saved align run"):
        load_run("nothing-here", tmp_path)

"""The Align page's state, cached engine calls and the two training jobs' live panels.

Results are drawn by :mod:`ui.align_results`; figures by :mod:`ui.align_charts`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from core import align, models, training
from core.align import DPOConfig, Pair, PreferenceConfig, PreferenceSet, RewardConfig
from core.training import Job
from ui import align_charts as charts
from ui.jobs import OWNER_GRACE_S, session_alive, session_owner
from ui.lora_view import fmt_secs

REWARD_JOB = "align_reward_job"  # session keys of this session's jobs and data
DPO_JOB = "align_dpo_job"
OWN_PAIRS = "align_own_pairs"
UPLOADED = "align_uploaded"
SAMPLES = "align_samples"
DRAWS = "align_draws"  # how many times this session sampled: each click draws new seeds
BEST_OF_N = "align_bon"
POLICY_MODELS = ("tiny-gpt", "smollm2-135m-instruct", "qwen2.5-0.5b-instruct")
NO_LEASH_BETA = 0.001
# the form's widget key (and URL parameter) of each DPOConfig field it sets
DPO_KEYS = {"beta": "align_beta", "lr": "align_lr", "epochs": "align_epochs"}
BETA_RANGE = (NO_LEASH_BETA, 1.0)  # the slider's (the engine takes up to 5)
TRAIN_N_RANGE = (30, 600)  # the page's stops for the shipped set's size (the engine takes more)
LRS = [1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 1e-2, 3e-2]


# --- cached engine calls -----------------------------------------------------------------------
@st.cache_data(show_spinner=False)
def shipped_pairs(n_train: int, n_heldout: int, seed: int) -> PreferenceSet:
    return align.preference_set(PreferenceConfig(n_train=n_train, n_heldout=n_heldout, seed=seed))


@st.cache_data(show_spinner=False)
def check_model(name: str) -> list[str]:
    """The model's adaptable layers; raises ModelUnavailableError (offline hub model...)."""
    from core import lora

    return lora.target_module_choices(name, "causal-lm")


@st.cache_data(show_spinner=False)
def policy_params(config: DPOConfig) -> tuple[int, int]:
    """(trainable, total) parameters of the policy with its adapter, as peft counts them."""
    from core import lora
    from core.align.dpo import policy_spec

    count = lora.count_trainable(policy_spec(config))
    return count.trainable, count.total


def show_policy_size(config: DPOConfig) -> None:
    """PEFT for the policy: how few weights DPO trains, and the memory that saves."""
    from core import lora

    trainable, total = policy_params(config)
    mem = lora.memory_estimate(total, trainable)
    st.caption(
        f"The policy trains a LoRA adapter of {trainable:,} weights "
        f"({100 * trainable / total:.2f}% of {total:,}); the reference is the same model "
        "with the adapter off. Training memory "
        f"{mem.saving:.1f}x less than full fine-tuning (weights, gradients, AdamW state)."
    )


def training_set(base: PreferenceSet) -> PreferenceSet:
    """The shipped (or uploaded) training pairs plus the learner's own, and the held-out ones."""
    up = st.session_state.get(UPLOADED)
    train = up.pairs if up is not None else base.train
    return PreferenceSet(tuple(train) + tuple(st.session_state.get(OWN_PAIRS, ())), base.heldout)


def pairs_table(pairs: tuple[Pair, ...], height: int = 240) -> None:
    rows = [
        {"kind": p.kind, "prompt": p.prompt, "chosen": p.chosen, "rejected": p.rejected}
        for p in pairs
    ]
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        height=height,
        width="stretch",
        column_config={
            "kind": st.column_config.TextColumn(width="small"),
            "prompt": st.column_config.TextColumn(width="large"),
        },
    )


def upload_panel(source: str, where: Any) -> None:
    """The learner's own file of pairs when one parses, else the shipped set (re-read on every
    run from the uploader, so the pairs trained on are the ones the page shows)."""
    st.session_state.pop(UPLOADED, None)  # the set trained on is the one shown now
    if source == "shipped":
        return
    up = where.file_uploader(
        "CSV or JSONL: prompt, chosen, rejected", type=["csv", "jsonl", "json"], key="align_upload"
    )
    if up is None:
        return
    try:
        got = st.session_state[UPLOADED] = align.parse_pairs(up.getvalue(), up.name)
    except align.PairError as e:
        where.error(f"{e}. Training uses the shipped pairs.", icon=":material/error:")
        return
    skipped = f", {got.skipped} skipped ({got.reasons[0]})" if got.skipped else ""
    where.success(f"{len(got.pairs):,} pairs read{skipped}")


def show_training_set(data: PreferenceSet) -> None:
    own = len(st.session_state.get(OWN_PAIRS, []))
    st.caption(
        f"{len(data.train):,} training pairs ({own} of them yours), "
        f"{len(data.heldout)} held-out pairs never trained on."
    )
    pairs_table(data.train)


# --- your own ranking ----------------------------------------------------------------------------
def sample_completions(prompt: str, n: int = 4, seed: int = 0) -> list[str]:
    """``n`` samples of tiny-gpt, seeds ``seed .. seed + n - 1`` (the cached model is only
    read)."""
    from core.generation import encode_prompt, generate
    from core.sampling import SamplingConfig

    lm = models.load_causal_lm("tiny-gpt")
    tok = lm.tokenizer
    ids = encode_prompt(tok, prompt, max_tokens=200).ids
    stops = {tok.eos_token_id, *tok("\n")["input_ids"]}
    out = []
    for k in range(n):
        g = generate(
            lm.model,
            ids,
            SamplingConfig(temperature=1.0, seed=seed + k),
            max_new_tokens=12,
            stop_token_ids=stops,
            n_alternatives=0,
        )
        out.append(tok.decode(list(g.token_ids), skip_special_tokens=True).rstrip("\n"))
    return out


def ranking_panel() -> None:
    """Sample 4 completions of a prompt, rank them, see them become N choose 2 pairs."""
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    st.session_state.setdefault("align_rank_prompt", "Once upon a time, there was a")
    prompt = c1.text_input("A prompt for tiny-gpt", key="align_rank_prompt", max_chars=500)
    if c2.button("Sample 4 completions", key="align_sample", icon=":material/casino:"):
        try:
            st.session_state[SAMPLES] = (
                prompt,
                sample_completions(prompt, seed=4 * st.session_state.get(DRAWS, 0)),
            )
            st.session_state[DRAWS] = st.session_state.get(DRAWS, 0) + 1
        except ValueError as e:
            st.error(str(e), icon=":material/error:")
    stored = st.session_state.get(SAMPLES)
    if not stored or stored[0] != prompt:
        st.caption(
            "Sample, then pick the completions best first: each ordered pair is one preference."
        )
        return
    texts = list(dict.fromkeys(stored[1]))
    ranked = st.multiselect("Your ranking, best first", texts, key="align_ranking")
    if len(ranked) < 2:
        st.caption(f"{len(texts)} different completions: pick at least two, best first.")
        return
    pairs = align.pairs_from_ranking(prompt, ranked)
    st.caption(
        f"{len(ranked)} ranked -> {len(ranked)} choose 2 = {len(pairs)} pairs, preferred first"
    )
    pairs_table(tuple(pairs), height=min(240, 40 + 35 * len(pairs)))
    if st.button(
        "Add these pairs to the training set", key="align_add_pairs", icon=":material/add:"
    ):
        st.session_state[OWN_PAIRS] = [*st.session_state.get(OWN_PAIRS, []), *pairs]
        st.session_state.pop(SAMPLES, None)
        st.rerun()


# --- jobs -----------------------------------------------------------------------------------------
def current(key: str) -> Job | None:
    return st.session_state.get(key)


def busy() -> bool:
    """Whether one of this session's runs is waiting or training (one at a time)."""
    return any(
        j is not None and not j.snapshot().finished for j in map(current, (REWARD_JOB, DPO_JOB))
    )


def submit(key: str, build: Callable[[str, Callable[[], bool]], Job]) -> str | None:
    """Queue a job built by ``build(owner, owner_alive)``; an error message to show, or None."""
    owner = session_owner()
    # import transformers and peft here, before a worker thread does: two threads importing
    # them at once can each see the other's half-initialised module (an ImportError)
    check_model("tiny-gpt")
    try:
        st.session_state[key] = training.default_queue().submit(build(owner, session_alive(owner)))
    except (ValueError, training.QueueError) as e:
        return str(e)
    return None


def start_button(
    label: str, key: str, start: Callable[[], str | None], where: Any = st, width: str = "content"
) -> None:
    """A primary button, off while this session has a run, that calls ``start`` (an error
    message, or None once the job is queued: then the page redraws with its panel)."""
    if where.button(
        label,
        key=key,
        type="primary",
        icon=":material/play_arrow:",
        disabled=busy(),
        width=width,
    ):
        problem = start()
        if problem is None:
            st.rerun()
        st.error(problem, icon=":material/error:")


def start_reward(config: RewardConfig, data: PreferenceSet) -> str | None:
    return submit(
        REWARD_JOB,
        lambda owner, alive: align.reward_job(
            config, data, owner=owner, owner_alive=alive, grace_s=OWNER_GRACE_S
        ),
    )


def start_dpo(config: DPOConfig, data: PreferenceSet, reward: Any, name: str) -> str | None:
    run_name = name.strip() or training.suggest_name(
        f"dpo-{config.model}-b{config.beta:g}-{time.strftime('%Y%m%d-%H%M%S')}".replace(".", "_")
    )
    return submit(
        DPO_JOB,
        lambda owner, alive: align.dpo_job(
            config,
            data,
            reward=reward,
            name=run_name,
            owner=owner,
            owner_alive=alive,
            grace_s=OWNER_GRACE_S,
        ),
    )


def job_panel(key: str, what: str) -> None:
    """A waiting or training job: place in line or progress, live curves, and Stop (which keeps
    what was learned). Polls every second in a fragment; the page redraws once when it ends."""
    job = current(key)
    if job is None or job.snapshot().finished:
        return

    @st.fragment(run_every=1.0)
    def panel() -> None:
        status = job.snapshot()
        if status.finished:
            st.rerun()
        p = status.progress
        if status.state == "queued":
            where = status.place.describe() if status.place else "Starting..."
            st.info(
                f"Your {what} is waiting for a free training slot: {where}",
                icon=":material/schedule:",
            )
        else:
            frac = p.fraction if p is not None else 0.0
            st.progress(frac, text=f"{status.message} ({fmt_secs(status.elapsed)})")
        st.button(
            "Stop",
            key=f"{key}_stop",
            icon=":material/stop_circle:",
            on_click=job.stop,
            disabled=job.stop_requested,
            help="Stops after the current step and keeps what was learned",
        )
        if p is not None and p.steps:
            st.plotly_chart(charts.dpo_figure(p.steps, p.evals, p.total_steps), key=f"{key}_live")
        elif p is not None and p.losses:
            st.plotly_chart(
                charts.loss_figure(p.losses, p.total_steps, f"{what}: loss per step"),
                key=f"{key}_live",
            )

    panel()


def finished(key: str) -> Any:
    """The result of this session's finished job under ``key`` (None otherwise), showing a
    failure or a cancellation plainly."""
    job = current(key)
    if job is None:
        return None
    status = job.snapshot()
    if not status.finished:
        return None
    if status.state == "error":
        st.error(f"The run failed: {status.message}", icon=":material/error:")
        return None
    if status.state == "cancelled" or status.result is None:
        st.info(status.message, icon=":material/cancel:")
        return None
    return status.result

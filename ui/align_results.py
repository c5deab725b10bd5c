"""The Align page's finished results: reward model, best-of-n, DPO before/after, saved policies,
the recipe card, and "what to notice" with its predict-then-reveal question."""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from core import align, models
from core.align import BestOfNConfig, DPOConfig, DPOOutcome, PreferenceSet, RewardResult
from core.settings import get_settings
from ui import align_charts as charts
from ui.align_view import BEST_OF_N, NO_LEASH_BETA
from ui.jobs import session_owner
from ui.lora_view import fmt_secs
from ui.render import predict_then_reveal, what_to_notice

CARD = "align/recipe_card.json"  # written by bench/bench_align.py
FORGOT = 2.0  # perplexity on general text this many times the reference's: said as a warning


def reward_result(res: RewardResult) -> None:
    """Held-out pairwise accuracy before/after, the reward distributions, a scoring box."""
    c = st.columns(4)
    c[0].metric("Held-out accuracy, untrained head", f"{res.before.accuracy:.0%}")
    c[1].metric(
        "Held-out accuracy, trained",
        f"{res.after.accuracy:.0%}",
        f"{100 * (res.after.accuracy - res.before.accuracy):+.0f} points",
    )
    c[2].metric("Steps", f"{len(res.losses)} / {res.total_steps}")
    c[3].metric("Time", fmt_secs(res.seconds))
    if res.stopped:
        st.warning("Stopped early: the reward model keeps what it learned so far.")
    a, b = st.columns(2)
    a.plotly_chart(charts.loss_figure(res.losses, res.total_steps, "Reward-model loss"))
    b.plotly_chart(charts.reward_histogram(res.after))
    st.markdown("**Score any text**")
    p1, p2 = st.columns(2)
    prompt = p1.text_area(
        "Prompt",
        "Mia asks: What is the capital of Spain?\nA:",
        key="align_score_prompt",
        max_chars=1000,
    )
    text = p2.text_area(
        "Completion", " Madrid, glad you asked.", key="align_score_text", max_chars=1000
    )
    score = align.score_texts(res.model, res.tokenizer, prompt, [text])[0]
    st.metric("Reward", f"{score:+.2f}", help="The scalar head's output at the last token")


def best_of_n_panel(res: RewardResult, data: PreferenceSet) -> None:
    """Sample n completions of held-out prompts with tiny-gpt, keep the reward model's pick."""
    a, b = st.columns([3, 1], vertical_alignment="bottom")
    from ui import knobs

    n = knobs.slider(BestOfNConfig, "n", key="align_n", label="n (samples per prompt)", where=a)
    if b.button("Sample and pick", key="align_bon_go", icon=":material/casino:"):
        lm = models.load_causal_lm("tiny-gpt")
        prompts = [p.prompt for p in data.heldout[:6]]
        with st.spinner(f"Sampling {n} completions of {len(prompts)} prompts and scoring them..."):
            st.session_state[BEST_OF_N] = align.best_of_n(
                lm.model, lm.tokenizer, (res.model, res.tokenizer), prompts, BestOfNConfig(n=n)
            )
    bon = st.session_state.get(BEST_OF_N)
    if bon is None:
        st.caption("Try n = 1, then 64: the reward-only pick is the 'no leash' setting.")
        return
    st.plotly_chart(charts.best_of_n_figure(bon))
    rows = [
        {
            "prompt": bon.prompts[i],
            "pick": bon.best(i).text,
            "reward": round(bon.best(i).reward, 2),
            "log-prob/token": round(bon.best(i).logprob, 2),
            "first sample": bon.samples[i][0].text,
        }
        for i in range(len(bon.prompts))
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    first, last = bon.curve[0], bon.curve[-1]
    st.caption(
        f"Measured: from n = 1 to n = {last.n} the pick's reward went {first.reward:+.2f} -> "
        f"{last.reward:+.2f} while its log-prob per token went {first.logprob:.2f} -> "
        f"{last.logprob:.2f} (the model's own fluency) and up to {last.kl_bound:.2f} nats of KL."
    )


def dpo_result(out: DPOOutcome) -> None:
    """Curves of the whole run, then the same held-out prompts answered by both models."""
    run = out.run
    if run.stopped:
        st.warning(
            f"Stopped after {len(run.steps)} of {run.total_steps} steps; "
            "the adapter keeps what it learned."
        )
    c = st.columns(4)
    c[0].metric("Reference accuracy (held-out)", f"{run.before.reward_accuracy:.0%}")
    c[1].metric(
        "After DPO",
        f"{run.after.reward_accuracy:.0%}",
        f"{100 * (run.after.reward_accuracy - run.before.reward_accuracy):+.0f} points",
    )
    c[2].metric("KL to the reference", f"{run.after.kl:.3f}", help="nats per completion token")
    c[3].metric("Time", fmt_secs(run.seconds), f"{run.steps_per_s:.1f} steps/s", delta_color="off")
    st.caption(
        f"Likelihood check: the policy itself gives the chosen completion the higher log-prob on "
        f"{run.after.accuracy:.0%} of held-out pairs (reference: {run.before.accuracy:.0%})."
    )
    st.plotly_chart(charts.dpo_figure(run.steps, run.evals, run.total_steps), key="align_dpo_done")
    ba = out.compared
    if ba is not None:
        st.subheader("Before / after: the same held-out prompts")
        if ba.policy_ppl > FORGOT * ba.reference_ppl:
            st.warning(
                "Off the leash: perplexity on general text rose "
                f"{ba.policy_ppl / ba.reference_ppl:.1f}x "
                f"({ba.reference_ppl:.2f} -> {ba.policy_ppl:.2f}) with a KL of {run.after.kl:.2f} "
                "nats/token to the reference: the policy is winning the preference margin by "
                "forgetting how to write. Compare the answers below.",
                icon=":material/warning:",
            )
        c = st.columns(3)
        c[0].metric("Win rate (reward model)", "-" if ba.win_rate is None else f"{ba.win_rate:.0%}")
        c[1].metric(
            "Perplexity, reference", f"{ba.reference_ppl:.2f}", help="general validation text"
        )
        c[2].metric(
            "Perplexity, aligned",
            f"{ba.policy_ppl:.2f}",
            f"{ba.policy_ppl - ba.reference_ppl:+.2f}",
            delta_color="inverse",
        )
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "prompt": a.prompt,
                        "reference": a.reference,
                        "aligned": a.policy,
                        "reward (ref)": a.reference_reward,
                        "reward (aligned)": a.policy_reward,
                    }
                    for a in ba.answers
                ]
            ),
            hide_index=True,
            width="stretch",
        )
    if out.saved is not None:
        st.caption(
            f"Adapter saved as run `{out.saved.name}` in `{out.saved.path}` (reload it below)."
        )


def saved_runs_panel() -> None:
    """Saved aligned policies, this session's first; reload one and ask it something."""
    owner = session_owner()
    runs = align.list_runs(owner=owner)
    with st.expander(f"Saved aligned policies ({len(runs)})", icon=":material/folder_open:"):
        if not runs:
            st.caption("None yet: a finished DPO run saves its adapter here.")
            return
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "name": r.name,
                        "whose": "yours" if r.mine(owner) else "another session",
                        "beta": r.meta["config"]["beta"],
                        "accuracy after": r.meta.get("accuracy_after"),
                        "KL": r.meta.get("kl"),
                        "saved": r.saved_at,
                    }
                    for r in runs
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        name = st.selectbox("Policy", [r.name for r in runs], key="align_saved_pick")
        if st.button("Reload from disk", key="align_reload", icon=":material/upload:"):
            try:
                run, model, tok = align.load_run(name)
                answer = align.compare.answer_batch(
                    model, tok, ["Mia asks: What color is snow?\nA:"], 12
                )[0]
                st.code(
                    tok.decode(list(answer), skip_special_tokens=True) or "(empty)", language=None
                )
                st.caption(
                    f"Reloaded `{run.name}` from `{run.path}`: its answer to a polite-kind prompt."
                )
            except (ValueError, OSError, models.ModelUnavailableError) as e:
                st.error(f"Could not reload {name!r}: {e}")


def recipe_card(out: DPOOutcome | None) -> None:
    """The default recipe's measured figures (bench/bench_align.py) and this session's run."""
    path = get_settings().assets_dir / CARD
    with st.container(border=True):
        st.markdown("**Default recipe card**")
        d = DPOConfig()
        st.caption(
            f"DPO on tiny-gpt + LoRA r={d.r}, beta={d.beta}, lr={d.lr:g}, {d.epochs} epochs "
            f"of 240 shipped pairs, batch {d.batch_size}."
        )
        if path.exists():
            m = json.loads(path.read_text())
            st.markdown(
                f"Measured by `bench/bench_align.py` on {m['measured_at']} with "
                f"{m['threads']} torch thread(s): "
                f"**{m['wall_s']:.0f} s** wall time, held-out preference accuracy "
                f"**{m['accuracy_before']:.0%} -> {m['accuracy_after']:.0%}**, KL {m['kl']:.2f}, "
                f"DPO loop at {m['steps_ratio']:.2f}x a plain torch loop's steps/s."
            )
            if "likelihood_before" in m:
                st.caption(
                    "Preference accuracy is TRL's rewards/accuracies: the implicit reward "
                    "beta * log(policy / reference) ranks chosen above rejected, so the reference "
                    "itself ties every pair (50%). The stricter test, the policy's own "
                    "log-probability putting chosen above rejected, went "
                    f"{m['likelihood_before']:.0%} -> {m['likelihood_after']:.0%}; perplexity "
                    f"on general text {m['ppl_reference']:.2f} -> {m['ppl_policy']:.2f}."
                )
        if out is not None:
            r = out.run
            st.markdown(
                f"Your last run: {fmt_secs(r.seconds)}, accuracy {r.before.reward_accuracy:.0%} -> "
                f"{r.after.reward_accuracy:.0%}, beta {r.config.beta:g}."
            )


def notice_and_predict(
    config: DPOConfig, data: PreferenceSet, out: DPOOutcome | None, rm: RewardResult | None
) -> None:
    """The "what to notice" box (this session's measured runs first) and a question answered
    by a measurement of a fresh policy on the spot."""
    points = []
    if rm is not None:
        points.append(
            f"Your reward model: held-out pairwise accuracy {rm.before.accuracy:.0%} with its "
            f"untrained head, {rm.after.accuracy:.0%} after {len(rm.losses)} steps."
        )
    bon = st.session_state.get(BEST_OF_N)
    if bon is not None and len(bon.curve) > 1:
        a, b = bon.curve[0], bon.curve[-1]
        points.append(
            f"Best-of-n on the same samples: n = 1 -> {b.n} raised the pick's reward "
            f"{a.reward:+.2f} -> {b.reward:+.2f}; the model's own log-prob of it went "
            f"{a.logprob:.2f} -> {b.logprob:.2f} per token."
        )
    if out is not None and out.compared is not None:
        r, ba = out.run, out.compared
        points.append(
            f"This run (beta {r.config.beta:g}): KL to the reference {r.after.kl:.2f} nats/token, "
            f"perplexity on general text {ba.reference_ppl:.2f} -> {ba.policy_ppl:.2f}."
        )
    points += [
        "The reference is the policy with its LoRA adapter switched off: no second copy of "
        "the model, and the KL is exactly 0 before the first step.",
        f"Beta is the leash: run the 'no leash' setting (beta {NO_LEASH_BETA}) and compare the "
        "KL and the perplexity on general text with beta 0.1.",
        "The reward model only knows the pairs it saw: best-of-n with a large n finds what it "
        "over-rewards, not what is better.",
        "Held-out preference accuracy is TRL's rewards/accuracies: the policy's implicit reward "
        "beta * log(pi/ref) ranks chosen above rejected. The reference ties every pair (50%).",
    ]
    what_to_notice(points)

    def reveal() -> tuple[str, str]:
        from core.align.start import starting_point

        sp = starting_point(config, data)
        answer = (
            "loss 0.69 (log 2), KL 0"
            if abs(sp.loss - 0.6931) < 1e-3 and sp.kl == 0
            else "something else"
        )
        return answer, (
            f"Measured now on {sp.n_pairs} training pairs with a fresh adapter: loss "
            f"{sp.loss:.4f}, KL {sp.kl:.4f}. LoRA's B starts at zero, so policy == reference: "
            "every log-ratio is 0, sigmoid(0) = 1/2, -log(1/2) = log 2."
        )

    predict_then_reveal(
        "align_predict",
        "Before the first DPO step, what are the loss and the KL to the reference?",
        ["loss 0, KL 0", "loss 0.69 (log 2), KL 0", "loss 0.69 (log 2), KL above 0"],
        reveal,
    )

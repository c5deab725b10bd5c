"""The held-out table with a scripted model that knows the answers (or not)."""

from core.agents.evaluate import EvalConfig, evaluate
from core.agents.react import Generated
from core.word_problems import DIGITS, heldout_problems


class Oracle:
    """Answers every held-out problem right in the direct format and writes nothing else."""

    def __init__(self):
        self.answers = {p.question: p.answer for p in heldout_problems(3)}

    def __call__(self, prompt, stop):
        q = prompt.split("\n")[0].removeprefix("Question: ")
        if prompt.endswith("Answer:"):
            return Generated(f" {self.answers[q]}\n", 2, 0.0)
        return Generated("nothing\n", 1, 0.0)


def test_the_table_has_every_strategy_and_size():
    r = evaluate(Oracle(), EvalConfig(n_per_digits=3))
    assert len(r.runs) == 4 * 3 * 3
    for d in DIGITS:
        assert r.accuracy("direct", d) == 1.0
        assert r.accuracy("cot", d) == r.accuracy("pal", d) == r.accuracy("react", d) == 0.0
    assert r.row("react", 1).validity is None  # no action written
    assert r.row("react", 2).steps == 1.0


def test_progress_and_stop():
    seen = []
    r = evaluate(
        Oracle(),
        EvalConfig(n_per_digits=3),
        strategies=("direct",),
        on_progress=lambda i, n: seen.append((i, n)),
        should_stop=lambda: len(seen) >= 3,
    )
    assert seen == [(1, 9), (2, 9), (3, 9)]
    # the sizes are interleaved, so a stopped run has each one
    assert sorted(p.digits for p, _ in r.runs) == [1, 2, 3]

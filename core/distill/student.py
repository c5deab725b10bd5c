"""The student: a fresh, smaller GPT-2 with its teacher's vocabulary and context, sized before
it is built (parameters and fp32 bytes), so a page can show what the learner is about to train."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.knobs import check, knob

FP32_BYTES = 4  # bytes per float32 parameter


@dataclass(frozen=True)
class StudentConfig:
    """The student's shape; the vocabulary and the context come from the teacher.

    Args:
        n_layer: transformer blocks.
        n_head: attention heads per block; ``n_embd`` must divide evenly among them.
        n_embd: width of the residual stream.
    """

    n_layer: int = knob(2, lo=1, hi=12, step=1, label="student layers", help="Transformer blocks.")
    n_head: int = knob(
        2, lo=1, hi=16, step=1, label="student heads", help="Attention heads per block."
    )
    n_embd: int = knob(
        96, lo=8, hi=1024, step=8, label="student width", help="Width of the residual stream."
    )

    def __post_init__(self) -> None:
        check(self)
        if self.n_embd % self.n_head:
            raise ValueError(
                f"the student width ({self.n_embd}) must divide evenly among its "
                f"{self.n_head} heads"
            )


@dataclass(frozen=True)
class StudentSize:
    """A student's size next to its teacher's, known before training.

    Args:
        n_params: the student's parameters (tied embeddings counted once).
        fp32_bytes: bytes of those parameters in float32.
        teacher_n_params: the teacher's parameters.
        teacher_fp32_bytes: the teacher's parameters in float32.
    """

    n_params: int
    fp32_bytes: int
    teacher_n_params: int
    teacher_fp32_bytes: int

    @property
    def ratio(self) -> float:
        """The student's share of the teacher's parameters (below 1 for a real student)."""
        return self.n_params / self.teacher_n_params


def _gpt2_config(teacher: Any, config: StudentConfig) -> Any:
    """The student's GPT2Config: the teacher's vocabulary, context, special ids and activation,
    the learner's depth and width, no dropout (a short run learns more without it)."""
    from transformers import GPT2Config

    from core.models import context_size

    tc = teacher.config
    vocab = getattr(tc, "vocab_size", None)
    if not isinstance(vocab, int) or vocab < 1:
        raise ValueError("the teacher's config states no vocabulary size")
    return GPT2Config(
        vocab_size=vocab,
        n_positions=context_size(teacher),
        n_embd=config.n_embd,
        n_layer=config.n_layer,
        n_head=config.n_head,
        activation_function=getattr(tc, "activation_function", "gelu_new"),
        bos_token_id=getattr(tc, "bos_token_id", None),
        eos_token_id=getattr(tc, "eos_token_id", None),
        tie_word_embeddings=bool(getattr(tc, "tie_word_embeddings", True)),
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
    )


def _n_params(model: Any) -> int:
    return sum(p.numel() for p in model.parameters())


def student_size(teacher: Any, config: StudentConfig) -> StudentSize:
    """The student's parameters and fp32 bytes, counted on a weightless (meta) copy: nothing is
    allocated, so a page can call this on every slider move.

    Args:
        teacher: the teacher model (read only).
        config: the student's shape.

    Raises:
        ValueError: the student would not be smaller than the teacher.

    >>> from transformers import GPT2Config, GPT2LMHeadModel
    >>> cfg = GPT2Config(n_layer=2, n_head=2, n_embd=32, n_positions=16, vocab_size=50)
    >>> cfg.bos_token_id = cfg.eos_token_id = 0
    >>> s = student_size(GPT2LMHeadModel(cfg), StudentConfig(n_layer=1, n_head=2, n_embd=16))
    >>> s.n_params, s.fp32_bytes, round(s.ratio, 2)  # 50*16 + 16*16 + one block + final norm
    (4368, 17472, 0.16)
    """
    import torch
    from transformers import GPT2LMHeadModel

    with torch.device("meta"):
        n = _n_params(GPT2LMHeadModel(_gpt2_config(teacher, config)))
    t = _n_params(teacher)
    if n >= t:
        raise ValueError(
            f"the student ({n:,} parameters) must be smaller than the teacher ({t:,}): "
            "use fewer layers or a narrower width"
        )
    return StudentSize(n, n * FP32_BYTES, t, t * FP32_BYTES)


def build_student(teacher: Any, config: StudentConfig, seed: int) -> Any:
    """A freshly initialised GPT2LMHeadModel of ``config``'s shape with the teacher's vocabulary
    and context; the same seed gives the same weights.

    Args:
        teacher: the teacher model (read only).
        config: the student's shape.
        seed: seeds the initialisation (through a forked RNG: the global one is left as it was).

    Raises:
        ValueError: the student would not be smaller than the teacher.
    """
    import torch
    from transformers import GPT2LMHeadModel

    student_size(teacher, config)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = GPT2LMHeadModel(_gpt2_config(teacher, config))
    return model

"""core.distill.student: the student's shape, its size before it is built, and the build."""

from __future__ import annotations

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from core.distill import StudentConfig, build_student, student_size


@pytest.fixture(scope="module")
def teacher():
    cfg = GPT2Config(n_layer=2, n_head=4, n_embd=32, n_positions=24, vocab_size=41)
    cfg.bos_token_id = cfg.eos_token_id = 3
    torch.manual_seed(0)
    return GPT2LMHeadModel(cfg).eval()


@pytest.mark.parametrize(("n_layer", "n_head", "n_embd"), [(1, 1, 8), (1, 2, 16), (2, 4, 24)])
def test_the_size_before_training_is_the_built_students(teacher, n_layer, n_head, n_embd):
    cfg = StudentConfig(n_layer=n_layer, n_head=n_head, n_embd=n_embd)
    size = student_size(teacher, cfg)
    student = build_student(teacher, cfg, seed=0)
    n = sum(p.numel() for p in student.parameters())
    assert size.n_params == n and size.fp32_bytes == 4 * n
    assert size.teacher_n_params == sum(p.numel() for p in teacher.parameters())
    assert 0 < size.ratio < 1


def test_the_student_reads_the_teachers_vocabulary_and_context(teacher):
    s = build_student(teacher, StudentConfig(n_layer=1, n_head=2, n_embd=16), seed=0)
    assert isinstance(s, GPT2LMHeadModel)
    assert s.config.vocab_size == 41 and s.config.n_positions == 24
    assert s.config.eos_token_id == 3 and s.config.n_layer == 1 and s.config.n_embd == 16
    x = torch.randint(0, 41, (2, 24))
    assert s(input_ids=x).logits.shape == teacher(input_ids=x).logits.shape


def test_the_seed_fixes_the_weights_and_leaves_the_global_rng_alone(teacher):
    cfg = StudentConfig(n_layer=1, n_head=2, n_embd=16)
    torch.manual_seed(123)
    before = torch.get_rng_state()
    a, b = build_student(teacher, cfg, seed=5), build_student(teacher, cfg, seed=5)
    c = build_student(teacher, cfg, seed=6)
    assert torch.equal(torch.get_rng_state(), before)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert not torch.equal(
        sa["transformer.h.0.attn.c_attn.weight"], sc["transformer.h.0.attn.c_attn.weight"]
    )


@pytest.mark.parametrize(
    "cfg",
    [
        StudentConfig(n_layer=2, n_head=4, n_embd=32),  # the teacher's own shape: not smaller
        StudentConfig(n_layer=4, n_head=4, n_embd=64),
    ],
)
def test_a_student_not_smaller_than_the_teacher_is_refused(teacher, cfg):
    with pytest.raises(ValueError, match="must be smaller than the teacher"):
        student_size(teacher, cfg)
    with pytest.raises(ValueError, match="must be smaller than the teacher"):
        build_student(teacher, cfg, seed=0)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(n_head=3, n_embd=32), "divide evenly"),
        (dict(n_layer=0), "student layers must be"),
        (dict(n_embd=4), "student width must be"),
        (dict(n_head=0), "student heads must be"),
    ],
)
def test_hostile_shapes_raise_clear_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        StudentConfig(**kwargs)

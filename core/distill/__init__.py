"""Knowledge distillation: a smaller student learns a frozen teacher's softened next-token
distribution plus the hard labels, measured against the same student trained on the labels only.

Heavy imports (torch, transformers) happen inside the functions, so importing this package
stays light.

>>> StudentConfig(n_layer=2, n_head=2, n_embd=96).n_embd
96
"""

from __future__ import annotations

from core.distill.loss import DistillLoss, SoftenedResult, distillation_loss, softened
from core.distill.student import StudentConfig, StudentSize, build_student, student_size
from core.distill.train import (
    DistillConfig,
    DistillResult,
    DistillStep,
    ModelReport,
    distill,
    token_stream,
)

__all__ = [
    "DistillConfig",
    "DistillLoss",
    "DistillResult",
    "DistillStep",
    "ModelReport",
    "SoftenedResult",
    "StudentConfig",
    "StudentSize",
    "build_student",
    "distill",
    "distillation_loss",
    "softened",
    "student_size",
    "token_stream",
]

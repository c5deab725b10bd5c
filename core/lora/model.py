"""The LoRA model: the base model loaded fresh for training, wrapped by peft under a spec.

Also what the settings panel needs before any weight is loaded: the layers LoRA can wrap and
peft's count of trainable parameters, both from the architecture built on the meta device.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.lora.spec import LoraConfigSpec, Task


@dataclass(frozen=True)
class ParamCount:
    """Trainable vs all parameters of the peft-wrapped model, as peft counts them."""

    trainable: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.trainable / max(1, self.total)


def _auto_class(task: Task):
    import transformers

    if task == "classification":
        return transformers.AutoModelForSequenceClassification
    return transformers.AutoModelForCausalLM


def _label_kwargs(labels: Sequence[str]) -> dict:
    return {
        "num_labels": len(labels),
        "id2label": dict(enumerate(labels)),
        "label2id": {y: i for i, y in enumerate(labels)},
    }


def _config(model: str, task: Task, labels: Sequence[str]):
    from transformers import AutoConfig

    from core import models

    spec = models.resolve(model, "encoder" if task == "classification" else "causal-lm")
    path = models.model_path(spec.name if spec.name in models.MODELS else model, spec.kind)
    kwargs = _label_kwargs(labels) if task == "classification" else {}
    return models.from_pretrained(AutoConfig, spec, path, **kwargs)


def _skeleton(model: str, task: Task, labels: Sequence[str]):
    """The architecture on the meta device: no weights loaded, built in milliseconds."""
    import torch

    cfg = _config(model, task, labels)
    with torch.device("meta"):
        return _auto_class(task).from_config(cfg)


def _is_adaptable(module) -> bool:
    import torch
    from transformers.pytorch_utils import Conv1D

    return isinstance(module, (torch.nn.Linear, Conv1D))


HEADS = {"classifier", "score", "lm_head", "qa_outputs", "pooler"}


def target_module_choices(model: str, task: Task, labels: Sequence[str] = ("a", "b")) -> list[str]:
    """Names of the layers LoRA can wrap in this model (its linear and GPT-2 Conv1D layers).

    The task heads (``classifier``, ``lm_head``) are left out: peft trains the classification
    head in full and the LM head is tied to the embeddings.

    Raises:
        core.models.ModelUnavailableError: the model cannot be loaded here.
    """
    skeleton = _skeleton(model, task, labels)
    names = []
    for full, module in skeleton.named_modules():
        parts = full.split(".")
        if _is_adaptable(module) and not HEADS & set(parts):
            names.append(parts[-1])
    return list(dict.fromkeys(names))


def _lora_config(spec: LoraConfigSpec, model=None):
    from peft import LoraConfig, TaskType

    # GPT-2's Conv1D stores weights transposed: tell peft rather than let it warn and fix it
    conv1d = model is not None and any(type(m).__name__ == "Conv1D" for m in model.modules())
    return LoraConfig(
        fan_in_fan_out=conv1d,
        task_type=TaskType.SEQ_CLS if spec.task == "classification" else TaskType.CAUSAL_LM,
        r=spec.r,
        lora_alpha=spec.alpha,
        lora_dropout=spec.dropout,
        target_modules=list(spec.target_modules),
        bias="none",
    )


def count_trainable(spec: LoraConfigSpec, labels: Sequence[str] = ("a", "b")) -> ParamCount:
    """Trainable and total parameters under this spec, from peft's own count.

    Built on the meta device, so it costs no weights and no time.

    Raises:
        ValueError: a target module name the model does not have.
    """
    from peft import get_peft_model

    skeleton = _skeleton(spec.model, spec.task, labels)
    try:
        peft_model = get_peft_model(skeleton, _lora_config(spec, skeleton))
    except ValueError as e:
        raise ValueError(f"peft cannot wrap these target modules: {e}") from None
    trainable, total = peft_model.get_nb_trainable_parameters()
    return ParamCount(int(trainable), int(total))


def load_base(model: str, task: Task, labels: Sequence[str] = ()):
    """A fresh (never cached, never shared) base model and its tokenizer, in train-ready fp32."""
    from transformers import AutoTokenizer
    from transformers.utils import logging as hf_logging

    from core import models

    hf_logging.set_verbosity_error()  # the "newly initialized head" report is expected here
    hf_logging.disable_progress_bar()
    spec = models.resolve(model, "encoder" if task == "classification" else "causal-lm")
    path = models.model_path(spec.name if spec.name in models.MODELS else model, spec.kind)
    tok = models.from_pretrained(AutoTokenizer, spec, path)
    if tok.pad_token_id is None:
        tok.pad_token = tok.eos_token
    kwargs = _label_kwargs(labels) if task == "classification" else {}
    # the default attention (SDPA) trains faster than the eager one the viewers need
    net = models.from_pretrained(_auto_class(task), spec, path, use_safetensors=True, **kwargs)
    if task == "classification" and net.config.pad_token_id is None:
        net.config.pad_token_id = tok.pad_token_id
    return net, tok


def build_peft_model(spec: LoraConfigSpec, labels: Sequence[str] = ()):
    """Fresh base model wrapped by peft under ``spec``, seeded; returns ``(peft_model, tok)``."""
    import torch
    from peft import get_peft_model

    torch.manual_seed(spec.seed)  # the classification head and LoRA's A matrices start here
    net, tok = load_base(spec.model, spec.task, labels)
    try:
        return get_peft_model(net, _lora_config(spec, net)), tok
    except ValueError as e:
        raise ValueError(f"peft cannot wrap these target modules: {e}") from None

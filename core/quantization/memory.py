"""An accelerate-style memory calculator: weights at each precision and the training footprint,
full fine-tuning with Adam vs LoRA, from a model's config alone (no weights downloaded).

The model is built on the ``meta`` device (``accelerate.init_empty_weights``); sizes come from
``accelerate.utils.calculate_maximum_sizes`` and the Adam figures from accelerate's own
``estimate_training_usage``; LoRA's trainable count comes from peft on the same empty model.
"""

from __future__ import annotations

from dataclasses import dataclass

PRECISION_BYTES = {"fp32": 4.0, "fp16/bf16": 2.0, "int8": 1.0, "int4": 0.5}


@dataclass(frozen=True)
class MemoryEstimate:
    """Memory figures for one model config.

    Args:
        model: the name or hub id; ``architecture``: the config's class name.
        n_params: parameters of the model (the empty model's ``numel``).
        total_bytes / largest_layer_bytes: accelerate's sizes at fp32.
        weights: bytes of the weights per precision (``PRECISION_BYTES``).
        adam: full fine-tuning with Adam in fp32, by part (model, gradients, optimizer) as
            accelerate's ``estimate_training_usage`` returns it.
        adam_mixed: the same with fp16/bf16 mixed precision.
        lora_rank / lora_params: rank and trainable parameters of a LoRA on every linear layer.
        lora: LoRA training by part: frozen weights (per precision), and the adapter's weights,
            gradients and Adam states in fp32.
    """

    model: str
    architecture: str
    n_params: int
    total_bytes: int
    largest_layer_bytes: int
    largest_layer: str
    weights: dict[str, float]
    adam: dict[str, int]
    adam_mixed: dict[str, int]
    lora_rank: int
    lora_params: int
    lora_adapter_bytes: int

    @property
    def adam_total(self) -> int:
        """Full fine-tuning, fp32 Adam: weights + gradients + two moment estimates."""
        return self.adam["model"] + self.adam["gradients"] + self.adam["optimizer"]

    @property
    def lora_share(self) -> float:
        """Share of the model's parameters a LoRA on every linear layer trains."""
        return self.lora_params / self.n_params

    def lora_total(self, precision: str = "fp16/bf16") -> float:
        """LoRA training: frozen weights at ``precision`` + the adapter trained with fp32 Adam."""
        return self.weights[precision] + self.lora_adapter_bytes


def estimate_memory(name: str, *, lora_rank: int = 8) -> MemoryEstimate:
    """Estimate memory for a catalog name or hub id from its config.

    Args:
        name: ``tiny-gpt``/``minilm`` (read offline) or a hub id (needs the network).
        lora_rank: rank of the LoRA adapters put on every linear layer.

    Returns:
        The figures; nothing is downloaded but ``config.json``.

    Raises:
        core.models.ModelUnavailableError: a hub id offline, or a config that cannot be read.
        ValueError: a rank outside 1..256.
    """
    if not 1 <= lora_rank <= 256:
        raise ValueError(f"LoRA rank must be between 1 and 256, got {lora_rank}")
    import torch
    from accelerate import init_empty_weights
    from accelerate.commands.estimate import estimate_training_usage
    from accelerate.utils import calculate_maximum_sizes
    from transformers import AutoConfig

    from core import models

    spec = models.resolve(name)
    path = models.model_path(name, spec.kind)
    online = spec.embedded or models.is_online()
    if not online:
        raise models.ModelUnavailableError(
            f"{name!r} is a hub model and there is no network here, so its config cannot be "
            "read. Try the embedded 'tiny-gpt' or 'minilm'."
        )
    try:
        config = AutoConfig.from_pretrained(
            path, local_files_only=spec.embedded, trust_remote_code=False
        )
    except Exception as e:  # OSError, ValueError, HTTP errors, unknown model types...
        raise models.ModelUnavailableError(
            f"Cannot read the config of {name!r} ({type(e).__name__}): check the id."
        ) from e
    import transformers

    auto = (
        transformers.AutoModel
        if spec.kind == "encoder" or not hasattr(config, "vocab_size")
        else transformers.AutoModelForCausalLM
    )
    try:
        with init_empty_weights():
            model = auto.from_config(config, trust_remote_code=False)
    except Exception:
        with init_empty_weights():
            model = transformers.AutoModel.from_config(config, trust_remote_code=False)
    model.tie_weights()  # from_config on meta leaves the output head untied
    model = model.to(torch.float32) if next(model.parameters()).dtype != torch.float32 else model
    n_params = sum(p.numel() for p in model.parameters())
    total, (largest, largest_names) = calculate_maximum_sizes(model)
    adam = estimate_training_usage(total, "float32")
    adam_mixed = estimate_training_usage(total, "float16")

    from peft import LoraConfig, get_peft_model

    peft_model = get_peft_model(model, LoraConfig(r=lora_rank, target_modules="all-linear"))
    lora_params, _ = peft_model.get_nb_trainable_parameters()
    return MemoryEstimate(
        model=name,
        architecture=type(model).__name__,
        n_params=n_params,
        total_bytes=int(total),
        largest_layer_bytes=int(largest),
        largest_layer=", ".join(largest_names) if largest_names else "",
        weights={p: total / 4 * b for p, b in PRECISION_BYTES.items()},
        adam={k: int(v) for k, v in adam.items()},
        adam_mixed={k: int(v) for k, v in adam_mixed.items()},
        lora_rank=lora_rank,
        lora_params=int(lora_params),
        lora_adapter_bytes=int(lora_params) * 16,  # fp32 weight + grad + 2 Adam moments
    )

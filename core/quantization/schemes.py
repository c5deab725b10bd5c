"""The registry of quantization schemes: what each one is, whether this CPU can run it, and how
to apply it to a private copy of a model.

Every scheme leaves the embeddings and the output head (``lm_head``) in fp32, as llama.cpp and
transformers' quanto integration do by default: they are looked up or tied, not multiplied.

>>> [s.name for s in list_schemes()][:3]
['fp32', 'fp16', 'bf16']
"""

from __future__ import annotations

import fnmatch
import warnings
from dataclasses import dataclass
from typing import Any, Literal

Family = Literal["float", "torch-dynamic", "quanto"]

# Modules never quantized: the output head shares its weight with the token embedding.
EXCLUDE = ("lm_head", "*.lm_head", "cls.*", "score", "classifier")


@dataclass(frozen=True)
class Scheme:
    """One quantization scheme.

    Args:
        name: short key used in configs and URLs (``int4``).
        label: what the table shows.
        bits: nominal bits of a quantized weight (before scales and zero points).
        family: ``float`` (cast every parameter), ``torch-dynamic`` (``quantize_dynamic``: int8
            weights, activations quantized on the fly) or ``quanto`` (weight-only, optimum-quanto).
        library: the call that does the work, shown on the page.
        description: one line for a learner.
    """

    name: str
    label: str
    bits: int
    family: Family
    library: str
    description: str


SCHEMES: dict[str, Scheme] = {
    s.name: s
    for s in (
        Scheme(
            "fp32", "fp32 (reference)", 32, "float", "torch", "32-bit floats: the trained weights"
        ),
        Scheme(
            "fp16",
            "fp16",
            16,
            "float",
            "Module.to(torch.float16)",
            "half precision: 5 exponent bits, 10 mantissa bits",
        ),
        Scheme(
            "bf16",
            "bf16",
            16,
            "float",
            "Module.to(torch.bfloat16)",
            "bfloat16: fp32's range with only 7 mantissa bits",
        ),
        Scheme(
            "int8-dynamic",
            "int8 dynamic (torch)",
            8,
            "torch-dynamic",
            "torch.ao.quantization.quantize_dynamic",
            "int8 weights, one scale per tensor; activations quantized at run time",
        ),
        Scheme(
            "int8",
            "int8 weight-only (quanto)",
            8,
            "quanto",
            "optimum.quanto qint8",
            "int8 weights, one scale per output channel; compute in fp32",
        ),
        Scheme(
            "fp8",
            "fp8 e4m3 weight-only (quanto)",
            8,
            "quanto",
            "optimum.quanto qfloat8",
            "8-bit floats (4 exponent, 3 mantissa bits), one scale per output channel",
        ),
        Scheme(
            "int4",
            "int4 weight-only (quanto)",
            4,
            "quanto",
            "optimum.quanto qint4",
            "4-bit integers, a scale and shift per group of up to 128 weights",
        ),
        Scheme(
            "int2",
            "int2 weight-only (quanto)",
            2,
            "quanto",
            "optimum.quanto qint2",
            "2-bit integers: only 4 levels per group, the extreme end",
        ),
    )
}

SCHEME_NAMES: tuple[str, ...] = tuple(SCHEMES)


def list_schemes() -> list[Scheme]:
    """Every scheme, from the widest to the narrowest."""
    return list(SCHEMES.values())


def get_scheme(name: str) -> Scheme:
    """The scheme called ``name``.

    Raises:
        ValueError: an unknown name (the message lists the known ones).
    """
    if name not in SCHEMES:
        raise ValueError(f"unknown scheme {name!r}; choose from {', '.join(SCHEMES)}")
    return SCHEMES[name]


def quanto_qtype(name: str) -> Any:
    """The optimum-quanto weight type of a scheme name (``"int8"``, ``"fp8"``, ``"int4"``...)."""
    from optimum import quanto

    return {
        "int8": quanto.qint8,
        "fp8": quanto.qfloat8_e4m3fn,
        "int4": quanto.qint4,
        "int2": quanto.qint2,
    }[name]


def quantized_engines() -> list[str]:
    """The quantized kernels torch has on this CPU (``fbgemm``, ``x86``, ``qnnpack``...)."""
    import torch

    return [e for e in torch.backends.quantized.supported_engines if e != "none"]


def unsupported_reason(name: str) -> str | None:
    """Why ``name`` cannot run on this machine, or None when it can.

    Checks the library is there and the CPU has the kernels; a failure during the run itself is
    caught by :func:`core.quantization.compare` and reported the same way.
    """
    scheme = get_scheme(name)
    if scheme.family == "torch-dynamic":
        import torch

        if not hasattr(torch, "ao") or not hasattr(torch.ao.quantization, "quantize_dynamic"):
            return "this torch build has no torch.ao.quantization.quantize_dynamic"
        if not quantized_engines():
            return "this CPU has no quantized int8 kernels (torch.backends.quantized: none)"
    if scheme.family == "quanto":
        try:
            quanto_qtype(name)
        except ImportError:
            return "optimum-quanto is not installed (pip install optimum-quanto)"
    return None


def quantizable_linears(model: Any) -> list[str]:
    """Names of the ``nn.Linear`` modules a scheme quantizes (all but the excluded heads)."""
    import torch

    return [
        n
        for n, m in model.named_modules()
        if isinstance(m, torch.nn.Linear) and not any(fnmatch.fnmatch(n, p) for p in EXCLUDE)
    ]


def conv1d_to_linear(model: Any) -> Any:
    """Replace GPT-2's ``Conv1D`` layers by equivalent ``nn.Linear`` ones, in place.

    GPT-2 stores its projections as ``Conv1D`` (weight ``(in, out)``), which neither
    ``quantize_dynamic`` nor quanto recognise; a ``Linear`` with the transposed weight computes
    the same function. Only call this on a private copy.

    Returns:
        The same model.
    """
    import torch
    from transformers.pytorch_utils import Conv1D

    for parent in list(model.modules()):
        for child_name, child in list(parent.named_children()):
            if isinstance(child, Conv1D):
                n_in, n_out = child.weight.shape  # Conv1D weight: (in, out)
                lin = torch.nn.Linear(n_in, n_out, bias=child.bias is not None)
                with torch.no_grad():
                    lin.weight.copy_(child.weight.T)  # (out, in)
                    if child.bias is not None:
                        lin.bias.copy_(child.bias)
                setattr(parent, child_name, lin.to(child.weight.dtype))
    return model


def apply_scheme(model: Any, name: str) -> Any:
    """Quantize or cast ``model`` (a private fp32 copy) with scheme ``name``.

    Args:
        model: an fp32 module whose projections are ``nn.Linear`` (see :func:`conv1d_to_linear`).
        name: a key of :data:`SCHEMES`.

    Returns:
        The quantized model: the same object, except for ``int8-dynamic`` which returns a new one.

    Raises:
        RuntimeError: the scheme is not supported here (the message says why).
    """
    import torch

    reason = unsupported_reason(name)
    if reason:
        raise RuntimeError(reason)
    scheme = get_scheme(name)
    targets = quantizable_linears(model)
    if scheme.family == "float":
        dtype = {"fp32": torch.float32, "fp16": torch.float16, "bf16": torch.bfloat16}[name]
        return model.to(dtype)
    if scheme.family == "torch-dynamic":
        from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic

        with warnings.catch_warnings():  # torch.ao is deprecated in favour of torchao
            warnings.simplefilter("ignore")
            return quantize_dynamic(
                model, {n: default_dynamic_qconfig for n in targets}, dtype=torch.qint8
            )
    from optimum import quanto

    quanto.quantize(model, weights=quanto_qtype(name), exclude=list(EXCLUDE))
    quanto.freeze(model)
    return model

"""A linear probe: a logistic regression fitted on reference embeddings, then fed another
model's embeddings of held-out texts (downstream accuracy of an encoder)."""

from __future__ import annotations

from typing import Any


def fit_logistic_regression(x: Any, y: Any, *, l2: float = 1e-3, steps: int = 100):
    """A multinomial logistic regression fitted with L-BFGS; returns ``(weight, bias)``.

    Args:
        x: features (N, H); y: class ids (N,).
        l2: weight decay on ``weight``.
        steps: L-BFGS iterations.

    >>> import torch
    >>> x = torch.tensor([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
    >>> y = torch.tensor([0, 0, 1, 1])
    >>> w, b = fit_logistic_regression(x, y)
    >>> probe_accuracy(x, y, w, b)
    1.0
    """
    import torch

    torch.manual_seed(0)
    n_cls = int(y.max()) + 1
    w = torch.zeros(x.shape[1], n_cls, requires_grad=True)  # (H, C)
    b = torch.zeros(n_cls, requires_grad=True)
    opt = torch.optim.LBFGS([w, b], max_iter=steps, line_search_fn="strong_wolfe")

    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.cross_entropy(x @ w + b, y) + l2 * (w**2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return w.detach(), b.detach()


def probe_logits(x: Any, weight: Any, bias: Any) -> Any:
    """Class scores (N, C) of features (N, H)."""
    return x @ weight + bias  # (N, C)


def probe_accuracy(x: Any, y: Any, weight: Any, bias: Any) -> float:
    """Share of rows whose highest-scoring class is ``y`` (a label of -1 never matches)."""
    return float((probe_logits(x, weight, bias).argmax(-1) == y).float().mean())

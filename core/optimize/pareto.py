"""The Pareto frontier: the points no other point beats on both axes (both lower-is-better)."""

from __future__ import annotations

from collections.abc import Sequence


def pareto_front(points: Sequence[tuple[float, float]]) -> list[int]:
    """Indices of the points that no other point dominates, by increasing first coordinate.

    A point dominates another when it is no worse on both coordinates and better on one (both
    are costs: lower is better). Equal points are all kept.

    >>> pareto_front([(1, 5), (2, 3), (3, 4), (4, 1), (2, 3)])
    [0, 1, 4, 3]
    >>> pareto_front([])
    []
    """
    order = sorted(range(len(points)), key=lambda i: (points[i][0], points[i][1]))
    front: list[int] = []
    best = float("inf")
    for i in order:
        x, y = points[i]
        if y < best:
            front.append(i)
            best = y
        elif front and points[front[-1]] == (x, y):
            front.append(i)  # the same point twice: neither dominates the other
    return front

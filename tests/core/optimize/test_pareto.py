"""The Pareto frontier: nothing on it is dominated, everything off it is."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from core.optimize import pareto_front


def dominates(a, b) -> bool:
    return a[0] <= b[0] and a[1] <= b[1] and a != b


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(0, 20)), max_size=30))
def test_the_front_is_exactly_the_undominated_points(points):
    front = pareto_front(points)
    assert len(set(front)) == len(front)
    for i in range(len(points)):
        beaten = any(dominates(points[j], points[i]) for j in range(len(points)))
        assert (i in front) == (not beaten), (i, points)
    xs = [points[i][0] for i in front]
    assert xs == sorted(xs)  # cheapest first


def test_a_table_of_cases():
    cases = [
        ([(1, 1)], [0]),
        ([(2, 2), (1, 1)], [1]),
        ([(1, 3), (2, 2), (3, 1)], [0, 1, 2]),
        ([(1, 3), (2, 4), (3, 1)], [0, 2]),
    ]
    for points, want in cases:
        assert pareto_front(points) == want, points

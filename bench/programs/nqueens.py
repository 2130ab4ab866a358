"""N-queens two ways: filtering itertools.permutations with set-based diagonal checks, and a
recursive backtracking generator (yield from). Resembles pyperformance's nqueens."""

from itertools import permutations

PERM_N = 9
BACKTRACK_NS = (8, 10)


def queens_by_permutations(n):
    cols = range(n)
    for rows in permutations(cols):
        if (len({r + c for c, r in enumerate(rows)}) == n
                and len({r - c for c, r in enumerate(rows)}) == n):
            yield rows


def place(n, placed, used_rows, used_up, used_down):
    col = len(placed)
    if col == n:
        yield tuple(placed)
        return
    for row in range(n):
        if row in used_rows or (row + col) in used_up or (row - col) in used_down:
            continue
        placed.append(row)
        used_rows.add(row)
        used_up.add(row + col)
        used_down.add(row - col)
        yield from place(n, placed, used_rows, used_up, used_down)
        placed.pop()
        used_rows.discard(row)
        used_up.discard(row + col)
        used_down.discard(row - col)


def queens_by_backtracking(n):
    return place(n, [], set(), set(), set())


def bench():
    perm_solutions = list(queens_by_permutations(PERM_N))
    back_solutions = list(queens_by_backtracking(PERM_N))
    assert perm_solutions == back_solutions      # both enumerate in lexicographic order
    counts = [len(perm_solutions)]
    for n in BACKTRACK_NS:
        sols = list(queens_by_backtracking(n))
        counts.append(len(sols))
    assert perm_solutions[0] == (0, 2, 5, 7, 1, 3, 8, 6, 4), perm_solutions[0]
    assert counts == [352, 92, 724], counts

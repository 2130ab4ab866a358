"""Exceptions: raise/catch in hot loops, custom hierarchies, try/finally, context managers,
raise ... from, unwinding through frames and except* groups. No direct pyperformance counterpart."""

ROUNDS = 5
N = 20000


class AppError(Exception):
    def __init__(self, code, detail=""):
        super().__init__(code, detail)
        self.code = code


class ParseError(AppError):
    pass


class RangeError(AppError):
    pass


class RetryableError(AppError):
    def __init__(self, code, attempts):
        super().__init__(code, "retry")
        self.attempts = attempts


class Resource:
    """A context manager that counts entries and exits and swallows RangeError."""

    def __init__(self, stats):
        self.stats = stats

    def __enter__(self):
        self.stats["enter"] += 1
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stats["exit"] += 1
        if exc_type is not None and issubclass(exc_type, RangeError):
            self.stats["swallowed"] += 1
            return True
        return False


def parse(token):
    if not token:
        raise ParseError(1, "empty")
    if token[0] == "-":
        raise RangeError(2, token)
    try:
        return int(token)
    except ValueError as e:
        raise ParseError(3, token) from e


def deep(n, fail_at):
    if n == fail_at:
        raise RetryableError(n, n % 5)
    if n == 0:
        return 0
    return 1 + deep(n - 1, fail_at)


def flaky(i, stats):
    try:
        try:
            if i % 7 == 0:
                return deep(12, i % 17)
            if i % 11 == 0:
                {}["missing"]
            return i
        finally:
            stats["finally"] += 1
    except KeyError:
        stats["keyerror"] += 1
        return -1


def group_work(i):
    errors = []
    for j in range(4):
        if (i + j) % 7 == 0:
            errors.append(ParseError(j))
        elif (i * j) % 5 == 1:
            errors.append(RangeError(j))
    if errors:
        raise ExceptionGroup("batch %d" % i, errors)
    return i


def bench():
    results = []
    tokens = ["", "12", "-4", "x7", "99", "3e", "-", "42", "0", "abc"]
    for _ in range(ROUNDS):
        stats = {"enter": 0, "exit": 0, "swallowed": 0, "finally": 0, "keyerror": 0}
        parsed = codes = chained = 0
        for i in range(N):
            token = tokens[i % len(tokens)]
            with Resource(stats):
                try:
                    parsed += parse(token)
                except ParseError as e:
                    codes += e.code
                    if e.__cause__ is not None:
                        chained += 1
        retried = attempts = 0
        for i in range(N):
            try:
                flaky(i, stats)
            except RetryableError as e:
                retried += 1
                attempts += e.attempts
            except AppError:
                raise AssertionError("unexpected")
        lookups = 0
        table = {k: k * k for k in range(0, 500, 2)}
        for i in range(N):
            try:
                lookups += table[i % 500]
            except KeyError:
                lookups -= 1
        stops = 0
        it = iter(range(N // 10))
        while True:
            try:
                next(it)
            except StopIteration:
                break
            stops += 1
        grouped = parse_errs = range_errs = 0
        for i in range(N // 4):
            try:
                grouped += group_work(i)
            except* ParseError as eg:
                parse_errs += len(eg.exceptions)
            except* RangeError as eg:
                range_errs += len(eg.exceptions)
        results.append((parsed, codes, chained, retried, attempts, lookups, stops, grouped,
                        parse_errs, range_errs, tuple(sorted(stats.items()))))
    expected = (306000, 20000, 6000, 2186, 3866, 828330000, 2000, 2143861, 2857, 2573,
                (("enter", 20000), ("exit", 20000), ("finally", 20000), ("keyerror", 1559),
                 ("swallowed", 4000)))
    assert results == [expected] * ROUNDS, results

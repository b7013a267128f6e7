# py_race_syntax_zoo.py - shared state touched from every kind of Python
# construct, always under one Lock: correct.
#
# Two threads run the same workload: generators (suspended inside try and
# with blocks), a coroutine driven by asyncio, comprehensions, closures with
# nonlocal, lambdas, try/except/else/finally, match, the walrus, star and
# keyword calls, properties, __slots__ and a dataclass.  Every access to the
# shared state (a global dict, a global counter, a shared object's
# attributes) is made while holding `lock`, so the program is correct.
#
# It is there for the checker more than for the user: on 3.12+ the race
# checks read the operands of each access at the stack depth the compiler
# computed for it, and each of these constructs moves that depth its own way
# (the checks compare it with the interpreter's and turn themselves off,
# saying so, on a difference; a wrong depth would read the wrong object).
#
# concwatch-expect: clean

import asyncio
import dataclasses
import sys
import threading

lock = threading.Lock()
totals = {}
count = 0


class Box:
    __slots__ = ("value", "_hidden")

    def __init__(self):
        self.value = 0
        self._hidden = 0

    @property
    def hidden(self):
        return self._hidden

    @hidden.setter
    def hidden(self, v):
        self._hidden = v


@dataclasses.dataclass
class Point:
    x: int
    y: int


shared = Box()


def bump(key, by=1, *rest, **kw):
    global count
    with lock:
        totals[key] = totals.get(key, 0) + by + len(rest) + len(kw)
        count += 1
        shared.value += 1
        shared.hidden = shared.hidden + 1


def numbers(n):
    try:
        for i in range(n):
            with lock:
                totals["gen"] = totals.get("gen", 0) + 1
            yield i
    finally:
        bump("gen-done")


async def tick(n):
    for i in range(n):
        await asyncio.sleep(0)
        bump("async", i % 2)
    return n


def closures():
    seen = 0

    def inner(k):
        nonlocal seen
        seen += k
        bump("closure", k)
        return seen

    return [inner(k) for k in range(3)][-1]


def shapes(value):
    match value:
        case Point(x=0, y=y):
            bump("on-axis", y)
        case Point(x=x, y=y) if x == y:
            bump("diagonal")
        case [a, b, *rest]:
            bump("list", a + b, *rest)
        case {"k": v}:
            bump("mapping", v)
        case _:
            bump("other")


def work(results, i):
    out = 0
    for n in numbers(5):
        out += n
    out += asyncio.run(tick(4))
    out += closures()
    out += sum(v for v in (x * 2 for x in range(4)) if v)
    squares = {k: k * k for k in range(5)}
    out += len({s % 3 for s in squares.values()})
    for value in (Point(0, 3), Point(2, 2), [1, 2, 3, 4], {"k": 7}, "x"):
        shapes(value)
    try:
        if (n := len(squares)) > 3:
            raise KeyError(n)
    except KeyError as e:
        bump("except", e.args[0])
    else:
        bump("else")
    finally:
        bump("finally", key_len := 1, flag=key_len)
    f = lambda a, *b, c=3, **d: a + c + len(b) + len(d)
    out += f(1, 2, c=4, e=5)
    with lock:
        ok = 0 < shared.value <= count and totals["gen"] > 0
    results[i] = out if ok else -1


def main():
    results = [None, None]
    threads = [threading.Thread(target=work, args=(results, i)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("results:", results, "count:", count)
    return 0 if results[0] == results[1] and results[0] > 0 and count == shared.value else 1


if __name__ == "__main__":
    sys.exit(main())

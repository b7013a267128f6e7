# py_futures_wait.py - a thread pool's results gathered with
# concurrent.futures.wait() and as_completed(): correct, and so clean.
#
# Eight squares at a time are handed to a ThreadPoolExecutor, twenty rounds,
# with other objects made and dropped in between (as a real program does),
# and each round's futures are waited for with wait(), then read with
# as_completed().  Both lock the conditions of all the round's futures at
# once, one inside the other, in the order of id() of the Future objects:
# one global order, kept by the standard library, though not the order the
# conditions were made in nor that of their addresses.  Nothing can
# deadlock; the total is the sum of the squares, 20 times.
#
# concwatch-expect: clean

import concurrent.futures as cf
import random
import time

random.seed(13)


def square(n):
    time.sleep(random.random() * 0.002)
    return n * n


kept = []
total = 0
with cf.ThreadPoolExecutor(max_workers=4) as pool:
    for round_ in range(20):
        futures = [pool.submit(square, i) for i in range(8)]
        kept.extend(object() for _ in range(random.randint(0, 5)))
        if round_ % 3 == 0:
            del kept[::2]
        cf.wait(futures, timeout=30)
        for future in cf.as_completed(futures):
            total += future.result()
assert total == 20 * sum(i * i for i in range(8)), total
print(total)

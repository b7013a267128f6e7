# py_mp_pool_queue.py - a multiprocessing Pool, a Queue between processes and
# a shared Lock, used correctly: clean.
#
# A pool of workers squares numbers; a producer process feeds a Queue that a
# consumer process drains until a sentinel; every process that updates the
# shared counter takes the one shared Lock alone.  No process holds two
# shared locks at once, every wait is answered: nothing to report.
#
# concwatch-expect: clean

import multiprocessing


def square(x):
    return x * x


def producer(queue, count):
    for i in range(count):
        queue.put(i)
    queue.put(None)


def consumer(queue, lock, total):
    while True:
        item = queue.get()
        if item is None:
            return
        with lock:
            total.value += item


if __name__ == "__main__":
    with multiprocessing.Pool(2) as pool:
        squares = pool.map(square, range(20))
    queue = multiprocessing.Queue()
    lock = multiprocessing.Lock()
    total = multiprocessing.Value("i", 0, lock=False)
    workers = [multiprocessing.Process(target=producer, args=(queue, 50)),
               multiprocessing.Process(target=consumer, args=(queue, lock, total))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert total.value == sum(range(50)), total.value
    print(sum(squares), total.value)

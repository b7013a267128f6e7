# py_abba_generated_code.py - ABBA between locks made by code compiled at run time.
#
# A rule engine loads each rule from its text, as rule engines, template
# engines and RPC stub generators do: compile(text, "<rule NAME>", "exec"),
# run it, call the rule's setup(), which makes the threading.Lock that guards
# the rule's counters, make its Counters, and clear the namespace: setup()'s
# code is dropped once it has run.  So code objects die while the program
# runs, and the next rule's code is made where the last one's lived.  (The
# loader makes every rule's Counters at one call site: CPython 3.13
# specializes it and runs each __init__ on top of a static shim frame.)
# Twenty rules are loaded, then `orders` and `stock`; `orders` counts each
# of a thousand events into `stock` under its own lock,
# and `stock` into `orders` under its own, in the opposite order (threads
# one after the other: this run never hangs).
#
# The bug is the lock order, one lock-order-inversion of two locks, and each
# lock must be named by the rule whose code made it: one made at `<rule
# orders>` line 9, the other at `<rule stock>` line 9 (never by a rule loaded
# before, whose code lived at the same address).
#
# Correct twin: py_generated_code_ordered.py (orders' lock first, always).
#
# concwatch-expect: lock-order-inversion=1
# concwatch-expect-text: created at:\n\s+#0 setup <rule orders>:9\b
# concwatch-expect-text: created at:\n\s+#0 setup <rule stock>:9\b

import threading

RULE_TEXT = """\
import threading

class Counters:
    def __init__(self):
        self.seen = 0

def setup():
    # the lock that guards this rule's counters
    return threading.Lock()
"""


class Rule:
    def __init__(self, name):
        self.name = name
        self.count = 0
        namespace = {}
        exec(compile(RULE_TEXT, "<rule %s>" % name, "exec"), namespace)
        self.lock = namespace["setup"]()
        self.counters = namespace["Counters"]()
        namespace.clear()   # the rule's code is not needed any more

    def count_into(self, other):
        with self.lock:
            self.count += 1
            with other.lock:
                other.count += 1


rules = [Rule("filter_%d" % i) for i in range(20)]
orders, stock = Rule("orders"), Rule("stock")
events = ["sale" if i % 3 else "return" for i in range(1000)]


def place_order():
    for _ in events:
        orders.count_into(stock)   # orders' lock, then stock's


def restock():
    for _ in events:
        stock.count_into(orders)   # stock's lock, then orders'


for work in (place_order, restock):
    t = threading.Thread(target=work)
    t.start()
    t.join()
print(orders.count, stock.count)

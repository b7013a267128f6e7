# py_generated_code_ordered.py - the correct twin of py_abba_generated_code.py.
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
# of a thousand events into `stock`, and `stock` into `orders`, always under
# orders' lock first, then stock's: the one order the program keeps.  No two
# locks are ever taken in opposite orders: nothing to report.
#
# Bug twin: py_abba_generated_code.py.
#
# concwatch-expect: clean

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
        first, second = (self, other) if self.name == "orders" else (other, self)
        with first.lock:
            with second.lock:
                self.count += 1
                other.count += 1


rules = [Rule("filter_%d" % i) for i in range(20)]
orders, stock = Rule("orders"), Rule("stock")
events = ["sale" if i % 3 else "return" for i in range(1000)]


def place_order():
    for _ in events:
        orders.count_into(stock)   # orders' lock, then stock's


def restock():
    for _ in events:
        stock.count_into(orders)   # orders' lock, then stock's, too


for work in (place_order, restock):
    t = threading.Thread(target=work)
    t.start()
    t.join()
print(orders.count, stock.count)

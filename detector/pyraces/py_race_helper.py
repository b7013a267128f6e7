# concwatch's helper inside a watched CPython (3.10-3.13), for the Python
# race checks (detector/pyraces/).  The shim runs this source once, at
# install, in a module of its own ("_concwatch", file "<concwatch>"), and
# calls its functions from C with the GIL held.  It is embedded in the shim
# at build time (py_race_helper.c is generated from it).
#
# decode(code) reads a code object once, with the `dis` module (base
# opcodes whatever the interpreter specialised or instrumented, and the
# compiler's own stack effects), into the accesses to Python variables it
# makes: which instruction, what kind of access, the name, the stack depth
# before it (3.12+ callbacks do not get the stack pointer: the depth the
# compiler computed is where the operands are), and the source text of the
# object or container it touches ("counts", "self.accounts") for reports.
#
# Nothing here may change what the program sees beyond the modules it
# imports (dis and what dis imports).

import dis
import os
import sys

VERSION = sys.version_info[:2]

# The shim's access kinds (py_race_decode.h), set by setup().
K = {}

# Code that is not the program's: the standard library (threading and queue
# synchronise with locks the checks treat apart; the rest is the runtime),
# frozen modules, and this helper.
_STDLIB = os.path.dirname(dis.__file__) + os.sep
_THIRD_PARTY = (os.sep + "site-packages" + os.sep, os.sep + "dist-packages" + os.sep)
PROBE_FILE = "<concwatch-probe>"


WATCH_STDLIB = False   # CONCWATCH_PYTHON_RACE_STDLIB=1 (setup())


def watched_file(name):
    if name == PROBE_FILE:
        return True
    if name.startswith("<frozen") or name == "<concwatch>":
        return False
    if name.startswith(_STDLIB) and not WATCH_STDLIB:
        return any(p in name for p in _THIRD_PARTY)
    return True


_STOP = {
    "RETURN_VALUE", "RETURN_CONST", "RAISE_VARARGS", "RERAISE", "JUMP_FORWARD", "JUMP_BACKWARD",
    "JUMP_BACKWARD_NO_INTERRUPT", "JUMP_ABSOLUTE", "JUMP", "JUMP_NO_INTERRUPT",
}
_JUMPS = set(dis.hasjrel) | set(dis.hasjabs) | set(getattr(dis, "hasjump", ()))


def _jump_target(i):
    target = getattr(i, "jump_target", None)
    return target if target is not None else i.argval


def depths(code, ins):
    """Value-stack depth before each reachable instruction, by offset, as
    the compiler computed co_stacksize: a walk over both edges of every
    branch with dis.stack_effect; exception handlers (3.11+) start at the
    depth their table entry gives.  None when the walk disagrees with the
    compiler (a depth below 0 or above co_stacksize)."""
    index = {i.offset: n for n, i in enumerate(ins)}
    seen = {}
    work = [(0, 0)]
    if hasattr(dis, "_parse_exception_table") and VERSION >= (3, 11):
        for e in dis._parse_exception_table(code):
            work.append((e.target, e.depth + 1 + int(e.lasti)))
    limit = code.co_stacksize
    while work:
        off, depth = work.pop()
        n = index.get(off)
        while n is not None and ins[n].offset not in seen:
            i = ins[n]
            if depth < 0 or depth > limit:
                return None
            seen[i.offset] = depth
            arg = i.arg if i.opcode >= dis.HAVE_ARGUMENT else None
            if i.opcode in _JUMPS:
                work.append((_jump_target(i), depth + dis.stack_effect(i.opcode, arg, jump=True)))
            if i.opname in _STOP:
                break
            if i.opname in ("RETURN_GENERATOR", "GEN_START") and VERSION < (3, 13):
                # dis says 0 (3.10: -1); the first send pushes the value the next POP_TOP pops
                depth += 1 if i.opname == "RETURN_GENERATOR" else 0
            else:
                depth += dis.stack_effect(i.opcode, arg, jump=False)
            n += 1
    return seen


class _Method:
    """A loaded method on the symbolic stack: name and the object's text."""
    __slots__ = ("name", "obj")

    def __init__(self, name, obj):
        self.name, self.obj = name, obj


_NAME_LOADS = {"LOAD_NAME", "LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR", "LOAD_DEREF",
               "LOAD_CLASSDEREF", "LOAD_CLOSURE", "LOAD_GLOBAL"}
_POP1 = {"POP_TOP", "STORE_NAME", "STORE_GLOBAL", "STORE_FAST", "STORE_DEREF", "POP_JUMP_IF_FALSE",
         "POP_JUMP_IF_TRUE", "POP_JUMP_IF_NONE", "POP_JUMP_IF_NOT_NONE", "POP_JUMP_FORWARD_IF_FALSE",
         "POP_JUMP_FORWARD_IF_TRUE", "POP_JUMP_FORWARD_IF_NONE", "POP_JUMP_FORWARD_IF_NOT_NONE",
         "POP_JUMP_BACKWARD_IF_FALSE", "POP_JUMP_BACKWARD_IF_TRUE", "POP_JUMP_BACKWARD_IF_NONE",
         "POP_JUMP_BACKWARD_IF_NOT_NONE", "DELETE_ATTR"}
_TWO_TO_ONE = {"BINARY_OP", "COMPARE_OP", "IS_OP", "CONTAINS_OP", "BINARY_ADD", "BINARY_SUBTRACT",
               "BINARY_MULTIPLY", "BINARY_TRUE_DIVIDE", "BINARY_FLOOR_DIVIDE", "BINARY_MODULO",
               "INPLACE_ADD", "INPLACE_SUBTRACT", "INPLACE_MULTIPLY", "INPLACE_TRUE_DIVIDE",
               "INPLACE_FLOOR_DIVIDE", "INPLACE_MODULO", "BINARY_AND", "BINARY_OR", "BINARY_XOR",
               "INPLACE_AND", "INPLACE_OR", "INPLACE_XOR"}
_NOOPS = {"NOP", "RESUME", "CACHE", "KW_NAMES", "EXTENDED_ARG", "COPY_FREE_VARS",
          "MAKE_CELL", "UNARY_NOT", "UNARY_NEGATIVE", "UNARY_INVERT", "TO_BOOL", "GET_ITER"}


def _text(v):
    return v if isinstance(v, str) else None


def _simulate(ins, depth, wanted):
    """The source text of the value at each wanted (offset, position from
    the top) on a symbolic value stack: names, attributes and subscripts
    with constant or named keys.  Unknown instructions forget everything;
    a jump target starts afresh at its depth."""
    texts = {}
    st = []
    for i in ins:
        d = depth.get(i.offset)
        if d is None:
            st = []
            continue
        if len(st) != d:
            st = [None] * d
        for pos in wanted.get(i.offset, ()):
            texts[(i.offset, pos)] = st[-pos] if 0 < pos <= len(st) else None
        op, arg = i.opname, i.arg
        try:
            if op == "LOAD_GLOBAL" and VERSION >= (3, 11) and arg & 1:
                st += [i.argval, None] if VERSION >= (3, 13) else [None, i.argval]
            elif op in _NAME_LOADS:
                st.append(i.argval)
            elif op == "LOAD_FAST_LOAD_FAST":
                st += list(i.argval)
            elif op == "LOAD_CONST":
                r = repr(i.argval)
                st.append(r if len(r) <= 40 else None)
            elif op == "LOAD_METHOD" or (op == "LOAD_ATTR" and VERSION >= (3, 12) and arg & 1):
                obj = _text(st.pop())
                st += [_Method(i.argval, obj), obj]
            elif op == "LOAD_ATTR":
                obj = _text(st.pop())
                st.append(obj + "." + i.argval if obj else None)
            elif op == "BINARY_SUBSCR":
                key, cont = _text(st.pop()), _text(st.pop())
                st.append("%s[%s]" % (cont, key) if cont and key else None)
            elif op == "STORE_ATTR":
                del st[-2:]
            elif op in ("STORE_SUBSCR",):
                del st[-3:]
            elif op in ("DELETE_SUBSCR",):
                del st[-2:]
            elif op in _POP1:
                st.pop()
            elif op in _TWO_TO_ONE:
                del st[-2:]
                st.append(None)
            elif op == "PUSH_NULL":
                st.append(None)
            elif op == "DUP_TOP":
                st.append(st[-1])
            elif op == "DUP_TOP_TWO":
                st += st[-2:]
            elif op == "COPY":
                st.append(st[-arg])
            elif op == "SWAP":
                st[-1], st[-arg] = st[-arg], st[-1]
            elif op == "ROT_TWO":
                st[-1], st[-2] = st[-2], st[-1]
            elif op == "ROT_THREE":
                st[-3:] = [st[-1], st[-3], st[-2]]
            elif op == "ROT_FOUR":
                st[-4:] = [st[-1], st[-4], st[-3], st[-2]]
            elif op in _NOOPS:
                pass
            else:
                st = []
        except IndexError:
            st = []
    return texts


# 3.13's static shim code under an __init__ called by a specialized class
# call (_Py_InitCleanup): its co_code cannot be made (the shim skips it too).
CO_NO_MONITORING_EVENTS = 0x2000000 if VERSION >= (3, 13) else 0


def decode(code):
    """None for code that is not watched; else (code units, [(offset, kind,
    name, nargs, depth, text)], bad) with `bad` true when the stack depths
    could not be computed (the code is then not watched either)."""
    if code.co_flags & CO_NO_MONITORING_EVENTS or not watched_file(code.co_filename):
        return None
    units = len(code.co_code) // 2
    ins = list(dis.get_instructions(code))
    depth = depths(code, ins)
    if depth is None:
        return (units, [], True)
    found = []
    wanted = {}
    for i in ins:
        op, arg = i.opname, i.arg
        kind = None
        pos = 0          # where the object or container is, from the top (1 = top)
        if op == "LOAD_GLOBAL":
            kind = "global_read"
        elif op in ("STORE_GLOBAL", "DELETE_GLOBAL"):
            kind = "global_write"
        elif op == "LOAD_NAME":
            kind = "name_read"
        elif op in ("STORE_NAME", "DELETE_NAME"):
            kind = "name_write"
        elif op == "LOAD_ATTR" and not (VERSION >= (3, 12) and arg & 1):
            kind, pos = "attr_read", 1
        elif op in ("STORE_ATTR", "DELETE_ATTR"):
            kind, pos = "attr_write", 1
        elif op == "BINARY_SUBSCR":
            kind, pos = "item_read", 2
        elif op in ("STORE_SUBSCR", "DELETE_SUBSCR"):
            kind, pos = "item_write", 2
        elif op == "CONTAINS_OP":
            kind, pos = "contains", 1
        elif op == _CALL_OP:
            kind, pos = "call", arg + 2   # the callable's slot (3.13) or the method's (earlier)
        if kind is None or i.offset not in depth:
            continue
        found.append((i, kind, pos))
        if pos:
            wanted.setdefault(i.offset, []).append(pos)
        if kind in ("item_read", "item_write"):
            wanted.setdefault(i.offset, []).append(1)   # the key
    texts = _simulate(ins, depth, wanted)
    found = _merge_updates(ins, found, texts)
    out = []
    for i, kind, pos in found:
        text = texts.get((i.offset, pos)) if pos else None
        name = i.argval if kind in ("global_read", "global_write", "name_read", "name_write",
                                    "attr_read", "attr_write") else None
        nargs = 0
        if kind == "call":
            # Only a call of a method loaded by name from an object can be one
            # of dict's (d.get(k)): the rest are checked at run time (3.12+
            # keeps them, without an access, for the stack-depth self-check).
            if isinstance(text, _Method) and text.name in DICT_METHODS:
                name, text, nargs = text.name, text.obj, i.arg
            elif VERSION >= (3, 12):
                kind, text, nargs = "check", None, i.arg
            else:
                continue
        if not isinstance(text, str):
            text = None
        out.append((i.offset, K[kind], name, nargs, depth[i.offset], text))
    return (units, out, False)


# Instructions that run no code of the program's and cannot synchronise:
# between a load and a store of one variable they make the two one update.
_PLAIN = _TWO_TO_ONE | {"LOAD_CONST", "LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_LOAD_FAST", "LOAD_SMALL_INT",
                        "COPY", "SWAP", "DUP_TOP", "DUP_TOP_TWO", "ROT_TWO", "ROT_THREE", "ROT_FOUR", "NOP",
                        "CACHE", "EXTENDED_ARG", "UNARY_NEGATIVE", "UNARY_NOT", "UNARY_INVERT"} - {"CONTAINS_OP"}
_UPDATES = {"global_read": "global_write", "name_read": "name_write", "attr_read": "attr_write",
            "item_read": "item_write"}


def _merge_updates(ins, found, texts):
    """`total += 1`, `self.n -= k`, `d[k] += 1`: a load of a variable and the
    store back to it with only arithmetic and stack shuffles in between are
    one read-modify-write, checked once, as the store (a race of the load
    with another thread's access is one of the store too: nothing in
    between can synchronise).  Returns `found` without those loads."""
    index = {i.offset: n for n, i in enumerate(ins)}
    at = {}   # offset -> [(kind, pos)]: one pass, not one per load (big generated functions)
    for f in found:
        at.setdefault(f[0].offset, []).append((f[1], f[2]))
    dropped = set()
    for i, kind, pos in found:
        store = _UPDATES.get(kind)
        if not store:
            continue
        text = texts.get((i.offset, pos)) if pos else None
        if pos and not isinstance(text, str):
            continue   # which object or container is not known statically
        n = index[i.offset] + 1
        while n < len(ins) and ins[n].opname in _PLAIN:
            n += 1
        if n == len(ins):
            continue
        j = ins[n]
        if j.opname not in ("STORE_GLOBAL", "STORE_NAME", "STORE_ATTR", "STORE_SUBSCR"):
            continue
        target = at.get(j.offset)
        if not target or target[0][0] != store or j.argval != i.argval:
            continue
        if pos and texts.get((j.offset, target[0][1])) != text:
            continue
        if kind == "item_read":   # the same key too
            if not isinstance(texts.get((i.offset, 1)), str) or texts.get((i.offset, 1)) != texts.get((j.offset, 1)):
                continue
        dropped.add(i.offset)
    return [f for f in found if f[0].offset not in dropped]


# The instruction a call is seen at: 3.11's CALL comes after PRECALL, to
# which the compiler's stack model gives the arguments' pops.
_CALL_OP = {(3, 10): "CALL_METHOD", (3, 11): "PRECALL"}.get(VERSION, "CALL")

# dict methods that read or write the key they are given (their first argument).
DICT_METHODS = {"get", "setdefault", "pop", "__getitem__", "__contains__", "__setitem__", "__delitem__"}


def thread_name():
    """The calling thread's threading.Thread name, or None."""
    threading = sys.modules.get("threading")
    if threading is None:
        return None
    t = threading._active.get(threading.get_ident())
    return getattr(t, "name", None) if t is not None else None


def module_name(globals_dict):
    name = globals_dict.get("__name__") if isinstance(globals_dict, dict) else None
    return name if isinstance(name, str) else None


def short_repr(value, limit=48):
    try:
        r = repr(value)
    except Exception:
        return "?"
    return r if len(r) <= limit else r[:limit - 3] + "..."


# ---- sys.monitoring (3.12+) ------------------------------------------------

_tool = None
_real_use_tool_id = None


def monitoring_start(instruction, start, on_conflict, tools=(4, 3)):
    """Takes the first free tool id of `tools` for concwatch, registers the
    INSTRUCTION callback (and PY_START, for the stack-depth self-check) and
    turns both on for every thread (ids 0-2 and 5 are the debugger's,
    coverage's, the profiler's and the optimizer's).  A program that later asks for that id
    gets it: concwatch stops and on_conflict(text) says so.  Returns the
    tool id and sys.monitoring.DISABLE."""
    global _tool, _real_use_tool_id
    mon = sys.monitoring
    for tool in tools:
        try:
            mon.use_tool_id(tool, "concwatch")
        except ValueError:
            continue
        _tool = tool
        break
    else:
        return None
    mon.register_callback(_tool, mon.events.INSTRUCTION, instruction)
    mon.register_callback(_tool, mon.events.PY_START, start)
    mon.set_events(_tool, mon.events.INSTRUCTION | mon.events.PY_START)
    _real_use_tool_id = mon.use_tool_id

    def use_tool_id(tool_id, name):
        if tool_id == _tool:
            monitoring_stop()
            on_conflict("the program uses sys.monitoring tool id %d (%s)" % (tool_id, name))
        return _real_use_tool_id(tool_id, name)

    use_tool_id.__doc__ = _real_use_tool_id.__doc__
    mon.use_tool_id = use_tool_id
    return (_tool, mon.DISABLE)


def monitoring_stop():
    global _tool
    if _tool is None:
        return
    mon = sys.monitoring
    tool, _tool = _tool, None
    try:
        mon.set_events(tool, 0)
        mon.register_callback(tool, mon.events.INSTRUCTION, None)
        mon.register_callback(tool, mon.events.PY_START, None)
        mon.free_tool_id(tool)
    except Exception:
        pass


# ---- the self-test --------------------------------------------------------

_PROBE_SOURCE = """
class Probe:
    pass

def probe(expect):
    o = Probe()
    d = {}
    expect(o, d)
    o.attr = 1
    x = o.attr
    d["k"] = x
    y = d["k"]
    return y
"""


def probe(expect):
    """Runs accesses the shim must see on known objects: an attribute
    written then read on `o`, an item written then read on `d`; `expect`
    (the shim's) is told the two objects first.  Its code is the only one
    from PROBE_FILE."""
    ns = {}
    exec(compile(_PROBE_SOURCE, PROBE_FILE, "exec"), ns)
    return ns["probe"](expect)

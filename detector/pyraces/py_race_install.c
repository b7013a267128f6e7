#define _GNU_SOURCE
#include "py_race_install.h"

#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "py_race_access.h"
#include "py_race_api.h"
#include "py_race_decode.h"
#include "py_race_handoffs.h"
#include "py_race_report.h"
#include "py_race_shadow.h"
#include "py_race_thread.h"
#include "common/record_format.h"
#include "common/shim_flags.h"
#include "events/record_writer.h"
#include "events/lock_events.h"
#include "python/py_frames.h"
#include "python/py_runtime.h"
#include "races/happens_before.h"

bool cw_pyr_wanted;
__thread uint8_t cw_pyr_thread_done __attribute__((tls_model("initial-exec")));

/* The helper, py_race_helper.py, embedded at build time. */
extern const char cw_pyr_helper_source[];

enum { NOT_YET, PENDING, INSTALLING, INSTALLED, OFF };
static int state = NOT_YET;     /* GIL held, but for the first reads */
static void *disable;           /* sys.monitoring.DISABLE (3.12+) */
static void *helper;            /* the helper's namespace */
static int tool = -1;
static bool own_settrace;       /* our own PyEval_SetTrace is being audited */
static unsigned depth_checks, depth_mismatches;
/* > 0: the instruction offsets read from frames are still compared with the
 * callback's argument; 0: they agreed 1000 times; -1: they did not. */
static int offset_checks = 1;
static int (*add_pending_call)(int (*)(void *), void *);
static void *(*interpreter_of)(void *);   /* PyThreadState_GetInterpreter */
static void *(*main_interpreter)(void);   /* PyInterpreterState_Main */

static void install(void);

static int pending_install(void *arg)
{
    (void)arg;
    install();
    return 0;
}

/* CONCWATCH_PYTHON_DEBUG=1: what the checks did, at the interpreter's exit. */
static void debug_summary(void)
{
    cw_py_debug("Python race checks: %u code objects not followed (stack depths unknown), %u stack depths "
                "checked against the interpreter (%u differed), %llu variables followed at exit, %u races",
                cw_pyr_decode_rejected(), depth_checks, depth_mismatches,
                (unsigned long long)cw_pyr_shadow_cells(), cw_pyr_races_found());
}

/* ---- saying things ---------------------------------------------------------- */

static void say(const char *fmt, const char *detail)
{
    char line[512];
    int n = snprintf(line, sizeof line, "concwatch: CPython %s: ", cw_py.version_text[0] ? cw_py.version_text : "?");
    n += snprintf(line + n, sizeof line - (size_t)n - 1, fmt, detail);
    if (n > (int)sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    if (write(2, line, (size_t)n) < 0)
        return;
}

/* CONCWATCH_PYTHON_DEBUG=1: the Python exception behind a failure, on stderr. */
static void debug_error(const char *what)
{
    if (!cw_flags.python_debug)
        return;
    void (*print)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "PyErr_Print");
    cw_py_debug("Python race checks: %s:", what);
    if (print && cw_pyr_fn.PyErr_Occurred && cw_pyr_fn.PyErr_Occurred())
        print();
}

static void turn_off(const char *why)
{
    if (state == OFF)
        return;
    state = OFF;
    cw_pyr_wanted = false;
    if (why)
        cw_py_feature_off("Python race checks", why);
}

/* ---- 3.12+: sys.monitoring callbacks -------------------------------------- */

static void *new_ref(void *obj)
{
    if (!obj)
        obj = cw_pyr_fn.PyNone;   /* never NULL without an exception */
    cw_py_fn.Py_IncRef(obj);
    return obj;
}

/* The frame running now (3.12: through the C frame; 3.13: the thread's). */
static uintptr_t current_frame(void)
{
    const cw_py_layout *L = cw_py.layout;
    uintptr_t f = (uintptr_t)cw_pyr_field(cw_py_fn.current_tstate(), L->tstate_frame);
    if (L->cframe_frame >= 0 && f)
        f = (uintptr_t)cw_pyr_field((void *)f, L->cframe_frame);
    return f;
}

static inline int nlocalsplus(uintptr_t code)
{
    return *(const int *)(code + (uintptr_t)cw_py.layout->code_nlocalsplus);
}

/* INSTRUCTION(code, offset): the instruction there is about to run. */
static void *on_instruction(void *self, void *const *args, ssize_t nargs)
{
    (void)self;
    if (state != INSTALLED || nargs != 2 || !cw_py.layout)
        return new_ref(disable);
    const cw_py_layout *L = cw_py.layout;
    uintptr_t code = (uintptr_t)args[0];
    uintptr_t frame = current_frame();
    if (!frame || (uintptr_t)cw_pyr_field((void *)frame, L->frame_code) != code)
        return new_ref(cw_pyr_fn.PyNone);   /* not the frame expected: leave it */
    /* The instruction's offset, from the frame (the argument is an int
     * object to convert), once checked to agree with the argument. */
    int offset = (int)((uintptr_t)cw_pyr_field((void *)frame, L->frame_instr) - (code + (uintptr_t)L->code_adaptive));
    if (__builtin_expect(offset_checks != 0, 0)) {
        long given = cw_py_fn.PyLong_AsLong(args[1]);
        if (offset_checks < 0 || offset != given) {
            offset_checks = -1;   /* for good: the argument */
            offset = (int)given;
        } else if (++offset_checks > 1000) {
            offset_checks = 0;
        }
    }
    cw_pyr_entry *e = cw_pyr_entry_at(cw_pyr_code_of(args[0]), offset);
    if (!e || !cw_pyr_kind_is_access(e->kind))
        return new_ref(disable);
    /* The interpreter does not save its stack pointer before this callback:
     * the operands are where the compiler's stack depth puts them. */
    void **sp = (void **)(frame + (uintptr_t)L->frame_localsplus) + nlocalsplus(code) + e->depth;
    return new_ref(cw_pyr_on_instruction(e, code, offset, frame, sp) ? disable : cw_pyr_fn.PyNone);
}

/* PY_START(code, offset): a function starts; its caller is at a call whose
 * stack pointer the interpreter saved.  It must be where the decoder's
 * depth says, once per callee (DISABLE), or the checks stop. */
static void *on_start(void *self, void *const *args, ssize_t nargs)
{
    (void)self;
    (void)args;
    (void)nargs;
    const cw_py_layout *L = cw_py.layout;
    if (state != INSTALLED || !L)
        return new_ref(disable);
    uintptr_t frame = current_frame();
    uintptr_t caller = frame ? (uintptr_t)cw_pyr_field((void *)frame, L->frame_previous) : 0;
    if (!caller || *(const signed char *)(caller + (uintptr_t)L->frame_owner) == L->owner_cstack)
        return new_ref(disable);
    uintptr_t code = (uintptr_t)cw_pyr_field((void *)caller, L->frame_code);
    if (!code || cw_pyr_type((void *)code) != cw_py_fn.PyCode_Type)
        return new_ref(disable);
    cw_pyr_code *c = cw_pyr_code_of((void *)code);
    if (!c)
        return new_ref(disable);
    uintptr_t instr = (uintptr_t)cw_pyr_field((void *)caller, L->frame_instr);
    int unit = (int)((intptr_t)(instr - (code + (uintptr_t)L->code_adaptive)) / 2);
    /* 3.12 leaves the pointer at the call's last cache unit */
    for (int u = unit; u >= 0 && u >= unit - 3; u--) {
        cw_pyr_entry *e = cw_pyr_entry_at(c, u * 2);
        if (!e)
            continue;
        if (e->kind != CW_PYR_CALL && e->kind != CW_PYR_CHECK)
            break;
        int want = nlocalsplus(code) + e->depth - (e->nargs + 2);
        int got = *(const int *)(caller + (uintptr_t)L->frame_stacktop);
        depth_checks++;
        if (want != got) {
            depth_mismatches++;
            cw_py_frame_ref f = { code, u * 2, 0 };
            cw_py_frame_text where;
            cw_py_frame_describe(&f, true, &where);
            char why[800];
            snprintf(why, sizeof why, "the value stack at %.500s:%d (%.100s) is not where the decoder put it: %d, not %d",
                     where.file, where.line, where.function, got, want);
            turn_off(why);
        }
        break;
    }
    return new_ref(disable);
}

/* The program asked for concwatch's tool id (the helper stopped it already). */
static void *on_conflict(void *self, void *const *args, ssize_t nargs)
{
    (void)self;
    char text[256] = "the program's own sys.monitoring tool";
    if (nargs == 1 && args[0] && cw_pyr_is(args[0], cw_py_fn.PyUnicode_Type)) {
        const char *s = cw_py_fn.PyUnicode_AsUTF8(args[0]);
        if (s)
            snprintf(text, sizeof text, "%s", s);
    }
    if (state == INSTALLED)
        say("Python race checks stepped aside for the rest of the run: %s", text);
    state = OFF;
    cw_pyr_wanted = false;
    return new_ref(cw_pyr_fn.PyNone);
}

/* ---- 3.10, 3.11: the trace function ------------------------------------- */

static void *frame_code_of(void *pyframe)
{
    const cw_py_layout *L = cw_py.layout;
    void *frame = L->pyframe_frame >= 0 ? cw_pyr_field(pyframe, L->pyframe_frame) : pyframe;
    return cw_pyr_field(frame, L->frame_code);
}

/* An access in a traced frame: its operands, and the check. */
static __attribute__((noinline)) int traced_access(cw_pyr_entry *e, uintptr_t frame, uintptr_t code, int offset)
{
    const cw_py_layout *L = cw_py.layout;
    void **sp = L->pyframe_frame >= 0
        ? (void **)(frame + (uintptr_t)L->frame_localsplus) + *(const int *)(frame + (uintptr_t)L->frame_stacktop)
        : *(void ***)(frame + (uintptr_t)L->frame_valuestack) + *(const int *)(frame + (uintptr_t)L->frame_stacktop);
    cw_pyr_on_instruction(e, code, offset, frame, sp);
    return 0;
}

/* The place's code is not in the cache of tables: looked up (decoded on
 * first sight), then as tracer(). */
static __attribute__((noinline)) int traced_lookup(uintptr_t frame, uintptr_t code, int offset)
{
    cw_pyr_entry *e = cw_pyr_entry_at(cw_pyr_code_of((void *)code), offset);
    return e && cw_pyr_kind_is_access(e->kind) ? traced_access(e, frame, code, offset) : 0;
}

/* Anything but an opcode event of a running check: a frame starts (opcode
 * events on where its code has accesses), or the checks ended. */
static __attribute__((noinline)) int traced_other(void *pyframe, int what)
{
    const cw_py_layout *L = cw_py.layout;
    if (state != INSTALLED || !L) {
        if (state == OFF) {   /* the checks ended: this thread's trace function goes */
            own_settrace = true;
            cw_pyr_fn.PyEval_SetTrace(NULL, NULL);
            own_settrace = false;
        }
        return 0;
    }
    if (what == CW_PYTRACE_CALL) {
        cw_pyr_code *c = cw_pyr_code_of(frame_code_of(pyframe));
        *((char *)pyframe + L->pyframe_trace_lines) = 0;
        *((char *)pyframe + L->pyframe_trace_opcodes) = c && c->accesses ? 1 : 0;
    }
    return 0;
}

/* Every instruction of a watched frame comes here: kept to the place's
 * lookup, every call a tail call, so that the common case (not an access)
 * saves and restores no register. */
static int tracer(void *obj, void *pyframe, int what, void *arg)
{
    (void)obj;
    (void)arg;
    const cw_py_layout *L = cw_py.layout;
    if (__builtin_expect(what != CW_PYTRACE_OPCODE || state != INSTALLED || !L, 0))
        return traced_other(pyframe, what);
    uintptr_t frame, code;
    int offset;
    if (L->pyframe_frame >= 0) {   /* 3.11: the interpreter frame behind the frame object */
        frame = (uintptr_t)cw_pyr_field(pyframe, L->pyframe_frame);
        code = (uintptr_t)cw_pyr_field((void *)frame, L->frame_code);
        offset = (int)((uintptr_t)cw_pyr_field((void *)frame, L->frame_instr) - (code + (uintptr_t)L->code_adaptive));
    } else {                       /* 3.10: the frame object itself */
        frame = (uintptr_t)pyframe;
        code = (uintptr_t)cw_pyr_field(pyframe, L->frame_code);
        offset = *(const int *)(frame + (uintptr_t)L->frame_instr) * 2;
    }
    const cw_pyr_code_hint *h = &cw_pyr_code_cache[(code >> 4) & (CW_PYR_CODE_CACHE - 1)];
    if (__builtin_expect(h->code != (void *)code || h->generation != cw_pyr_code_generation, 0))
        return traced_lookup(frame, code, offset);
    cw_pyr_entry *e = cw_pyr_entry_at(h->table, offset);
    if (__builtin_expect(e != NULL && cw_pyr_kind_is_access(e->kind), 0))
        return traced_access(e, frame, code, offset);
    return 0;
}

static void step_aside(cw_pyr_thread *pt, const char *how)
{
    static bool said;
    pt->trace = CW_PYR_TRACE_ASIDE;
    if (!said) {
        said = true;
        say("Python race checks stepped aside in the threads the program traces itself (%s)", how);
    }
}

/* The program installs a trace function of its own (sys.settrace,
 * threading.settrace: a debugger, coverage.py): it replaces ours, which
 * gives way in that thread. */
static int audit(const char *event, void *args, void *data)
{
    (void)args;
    (void)data;
    if (event[0] != 's' || strcmp(event, "sys.settrace") != 0 || own_settrace || state != INSTALLED)
        return 0;
    cw_pyr_thread *pt = cw_pyr_tls;
    if (pt && pt->trace == CW_PYR_TRACE_OURS)
        step_aside(pt, "sys.settrace");
    else if (pt)
        pt->trace = CW_PYR_TRACE_ASIDE;
    return 0;
}

static void trace_this_thread(void)
{
    cw_pyr_thread *pt = cw_pyr_thread_self();
    if (!pt || pt->trace != CW_PYR_TRACE_NONE)
        return;
    /* Only the main interpreter's code: code-object extras are numbered per
     * interpreter, and a sub-interpreter's may be someone else's. */
    if (interpreter_of && main_interpreter &&
        interpreter_of(cw_py_fn.current_tstate()) != main_interpreter())
        return;
    /* A thread that runs the program's tracer already keeps it. */
    void *gettrace = cw_py_fn.PySys_GetObject("gettrace");
    void *current = gettrace ? cw_pyr_fn.PyObject_CallNoArgs(gettrace) : NULL;
    bool taken = current && current != cw_pyr_fn.PyNone;
    if (current)
        cw_py_fn.Py_DecRef(current);
    cw_py_fn.PyErr_Clear();
    if (taken) {
        step_aside(pt, "a tracer set before the thread started");
        return;
    }
    own_settrace = true;
    cw_pyr_fn.PyEval_SetTrace((cw_py_tracefunc)tracer, NULL);
    own_settrace = false;
    pt->trace = CW_PYR_TRACE_OURS;
}

/* ---- the self-test ----------------------------------------------------------- */

/* expect(obj, dict): the probe's objects.  Called from a Python frame: the
 * binding's check of its direct reads runs now if it has not yet. */
static void *on_expect(void *self, void *const *args, ssize_t nargs)
{
    (void)self;
    cw_py_frame_ref f[2];
    cw_py_current_frames(f, 2);
    if (nargs == 2)
        cw_pyr_probe_begin(args[0], args[1]);
    return new_ref(cw_pyr_fn.PyNone);
}

/* ---- install ----------------------------------------------------------------- */

/* METH_FASTCALL (PyMethodDef) */
typedef struct method_def {
    const char *name;
    void *(*fn)(void *, void *const *, ssize_t);
    int flags;
    const char *doc;
} method_def;
#define METH_FASTCALL 0x80

static method_def instruction_def = { "concwatch_instruction", on_instruction, METH_FASTCALL, NULL };
static method_def start_def = { "concwatch_start", on_start, METH_FASTCALL, NULL };
static method_def conflict_def = { "concwatch_conflict", on_conflict, METH_FASTCALL, NULL };
static method_def expect_def = { "concwatch_expect", on_expect, METH_FASTCALL, NULL };

static void *get(const char *name)
{
    void *key = cw_py_fn.PyUnicode_FromString(name);
    void *v = key ? cw_pyr_fn.PyDict_GetItemWithError(helper, key) : NULL;   /* borrowed; the namespace lives on */
    if (key)
        cw_py_fn.Py_DecRef(key);
    return v;
}

static const char *load_helper(void)
{
    void *code = cw_pyr_fn.Py_CompileString(cw_pyr_helper_source, "<concwatch>", 257 /* Py_file_input */);
    if (!code)
        return "the helper does not compile";
    helper = cw_pyr_fn.PyDict_New();
    void *name = cw_py_fn.PyUnicode_FromString("_concwatch");
    if (!helper || !name || cw_pyr_fn.PyDict_SetItemString(helper, "__builtins__", cw_pyr_fn.PyEval_GetBuiltins()) ||
        cw_pyr_fn.PyDict_SetItemString(helper, "__name__", name))
        return "no memory";
    cw_py_fn.Py_DecRef(name);
    void *r = cw_pyr_fn.PyEval_EvalCode(code, helper, helper);
    cw_py_fn.Py_DecRef(code);
    if (!r)
        return "the helper failed to run";
    cw_py_fn.Py_DecRef(r);
    void *kinds = get("K");
    for (int k = 1; kinds && k < CW_PYR_NKINDS; k++) {
        void *v = cw_pyr_fn.PyLong_FromLong(k);
        if (!v || cw_pyr_fn.PyDict_SetItemString(kinds, cw_pyr_kind_names[k], v))
            return "no memory";
        cw_py_fn.Py_DecRef(v);
    }
    if (cw_flags.python_race_stdlib && cw_pyr_fn.PyDict_SetItemString(helper, "WATCH_STDLIB", cw_pyr_fn.PyTrue))
        return "no memory";
    if (!kinds || !get("decode") || !get("thread_name") || !get("module_name") || !get("short_repr") ||
        !get("probe") || !get("monitoring_start"))
        return "the helper is incomplete";
    return NULL;
}

static void *c_function(method_def *def)
{
    return cw_pyr_fn.PyCFunction_NewEx(def, NULL, NULL);
}

static const char *start_monitoring(void)
{
    void *instr = c_function(&instruction_def), *start = c_function(&start_def), *conflict = c_function(&conflict_def);
    void *result = instr && start && conflict
        ? cw_pyr_fn.PyObject_CallFunctionObjArgs(get("monitoring_start"), instr, start, conflict, NULL)
        : NULL;
    if (!result || result == cw_pyr_fn.PyNone) {
        if (result)
            cw_py_fn.Py_DecRef(result);
        debug_error("sys.monitoring");
        cw_py_fn.PyErr_Clear();
        return "no sys.monitoring tool id is free (3 and 4 are taken)";
    }
    tool = (int)cw_py_fn.PyLong_AsLong(cw_py_fn.PyTuple_GetItem(result, 0));
    disable = cw_py_fn.PyTuple_GetItem(result, 1);
    cw_py_fn.Py_IncRef(disable);
    cw_py_fn.Py_DecRef(result);
    return NULL;
}

static void install(void)
{
    if (state == INSTALLING || state == INSTALLED || state == OFF)
        return;
    state = INSTALLING;
    if (!cw_flags.races || !cw_py.api) {
        turn_off(NULL);
        return;
    }
    if (cw_py.free_threaded) {
        turn_off("free-threaded builds are not supported");
        return;
    }
    if (cw_py.version > 0x030D) {
        turn_off("this version's interpreter is not known");
        return;
    }
    if (!cw_py.layout) {
        turn_off(cw_flags.python_direct ? "the interpreter's frames cannot be read directly"
                                        : "CONCWATCH_PYTHON_DIRECT=0: they read the interpreter's frames");
        return;
    }
    const char *missing;
    if (!cw_pyr_api_init(&missing)) {
        char why[160];
        snprintf(why, sizeof why, "%s is missing from the C API", missing);
        turn_off(why);
        return;
    }
    cw_py_saved_error saved;
    cw_py_api_begin(&saved);
    const char *why = load_helper();
    int index = why ? -1 : cw_py_fn.RequestCodeExtraIndex(cw_pyr_code_free);
    if (!why && index < 0)
        why = "no code-object extra slot is free";
    if (!why && !cw_pyr_access_init())
        why = "a type or method of the runtime is missing";
    if (!why && !cw_pyr_shadow_init(cw_flags.python_race_variables))
        why = "no memory for the variables' state";
    if (why) {
        cw_py_api_end(&saved);
        turn_off(why);
        return;
    }
    cw_pyr_decode_init(get("decode"), index);
    cw_pyr_thread_set_name_fn(get("thread_name"));
    cw_pyr_report_init(get("module_name"), get("short_repr"));
    cw_hb_use();
    if (!cw_pyr_handoffs_init())
        cw_py_debug("Python race checks: queue.SimpleQueue's or the thread handle's methods are not as expected: "
                    "their hand-overs order nothing (races through them may be reported)");
    state = INSTALLED;
    if (cw_py.version >= 0x030C) {
        why = start_monitoring();
    } else {
        if (cw_pyr_fn.PySys_AddAuditHook(audit, NULL) != 0)
            why = "an audit hook cannot be added";
        else
            trace_this_thread();
    }
    /* The self-test: accesses of known objects, seen right. */
    void *expect = why ? NULL : c_function(&expect_def);
    void *r = expect ? cw_pyr_fn.PyObject_CallFunctionObjArgs(get("probe"), expect, NULL) : NULL;
    if (r)
        cw_py_fn.Py_DecRef(r);
    int seen = cw_pyr_probe_end();
    if (!why && (!r || seen != 4 || !cw_py.layout))
        why = !cw_py.layout ? "the direct reads of the interpreter's frames failed their check"
                            : "the self-test did not see its accesses where they are";
    cw_py_api_end(&saved);
    if (why) {
        if (tool >= 0) {
            void *stop = get("monitoring_stop");
            void *s = stop ? cw_pyr_fn.PyObject_CallNoArgs(stop) : NULL;
            if (s)
                cw_py_fn.Py_DecRef(s);
            cw_py_fn.PyErr_Clear();
        } else if (cw_py.version < 0x030C) {
            own_settrace = true;
            cw_pyr_fn.PyEval_SetTrace(NULL, NULL);
            own_settrace = false;
        }
        cw_hb_unuse();
        turn_off(why);
        return;
    }
    cw_pyr_wanted = cw_py.version < 0x030C;   /* threads still need their trace function */
    cw_pyr_thread_done = 1;
    if (cw_flags.python_debug) {
        int (*at_exit)(void (*)(void)) = (int (*)(void (*)(void)))dlsym(RTLD_DEFAULT, "Py_AtExit");
        if (at_exit)
            at_exit(debug_summary);
    }
    if (cw_py.version >= 0x030C)
        cw_py_debug("Python race checks on: sys.monitoring tool %d", tool);
    else
        cw_py_debug("Python race checks on: C trace functions");
    /* The report's header says how races were looked for: here the
     * program's Python code, not the C sampler (off in every CPython). */
    cw_record_run_line("races", CW_RACE_METHOD_PYTHON,
                       cw_py.version >= 0x030C ? "the program's Python code, through sys.monitoring"
                                               : "the program's Python code, through C trace functions");
}

/* ---- the entry points ---------------------------------------------------------- */

void cw_py_races_init(void)
{
    cw_pyr_wanted = cw_flags.races && cw_py.version != 0;
    *(void **)&add_pending_call = dlsym(RTLD_DEFAULT, "Py_AddPendingCall");
    *(void **)&interpreter_of = dlsym(RTLD_DEFAULT, "PyThreadState_GetInterpreter");
    *(void **)&main_interpreter = dlsym(RTLD_DEFAULT, "PyInterpreterState_Main");
}

void cw_py_races_run_main(void)
{
    if (state == NOT_YET || state == PENDING)
        install();
}

void cw_py_races_thread_acquired(void)
{
    if (state == INSTALLED && cw_py.version < 0x030C && cw_py_holds_gil()) {
        trace_this_thread();
        cw_pyr_thread_done = 1;
    }
}

void cw_py_races_semaphore_slow(void)
{
    if (state == OFF) {
        cw_pyr_thread_done = 1;
        return;
    }
    if (state == INSTALLING || !cw_py_holds_gil())
        return;   /* at the next one */
    if (state == NOT_YET) {
        /* In the eval loop of the main thread, soon: not from inside a
         * lock operation, which may be the import system's. */
        if (add_pending_call && add_pending_call(pending_install, NULL) == 0)
            state = PENDING;
        return;
    }
    if (state == INSTALLED) {
        if (cw_py.version < 0x030C)
            trace_this_thread();
        cw_pyr_thread_done = 1;
    }
}

void cw_py_races_after_fork_child(void)
{
    if (state != INSTALLED)
        return;
    cw_pyr_shadow_after_fork_child();
    cw_pyr_thread_after_fork_child();
}

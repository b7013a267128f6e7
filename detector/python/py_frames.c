#define _GNU_SOURCE
#include "py_frames.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "py_runtime.h"
#include "common/safe_read.h"

/* ---- reading ------------------------------------------------------------ */

/* Plain loads for the calling thread's own frames (GIL held), safe reads for
 * anybody else's. */
static bool rd(bool safe, void *dst, uintptr_t addr, size_t n)
{
    if (safe)
        return cw_safe_read(dst, addr, n);
    if (addr < 4096)
        return false;
    memcpy(dst, (const void *)addr, n);
    return true;
}

static bool rd_word(bool safe, uintptr_t addr, uintptr_t *out)
{
    return rd(safe, out, addr, sizeof *out);
}

static bool is_object_of(bool safe, uintptr_t obj, void *type)
{
    uintptr_t t;   /* ob_type, after ob_refcnt, in every GIL build */
    return obj && rd_word(safe, obj + sizeof(uintptr_t), &t) && t == (uintptr_t)type;
}

/* ---- walking a thread's frames ----------------------------------------- */

/* The frames of the thread state at `tstate`, innermost first, skipping
 * what the public API skips (3.11+: frames not started yet, 3.12+: the C
 * entry frames). */
static int walk(const cw_py_layout *L, uintptr_t tstate, bool safe, cw_py_frame_ref *out, int max)
{
    uintptr_t f;
    if (!rd_word(safe, tstate + (uintptr_t)L->tstate_frame, &f))
        return 0;
    if (L->cframe_frame >= 0 && (!f || !rd_word(safe, f + (uintptr_t)L->cframe_frame, &f)))
        return 0;
    int n = 0;
    for (int steps = 0; f && n < max && steps < 4 * CW_PY_MAX_FRAMES; steps++) {
        uintptr_t code, prev;
        if (!rd_word(safe, f + (uintptr_t)L->frame_code, &code) ||
            !rd_word(safe, f + (uintptr_t)L->frame_previous, &prev))
            break;
        int lasti;
        if (L->frame_owner >= 0) {
            signed char owner;
            if (!rd(safe, &owner, f + (uintptr_t)L->frame_owner, 1))
                break;
            if (owner == L->owner_cstack) {
                f = prev;
                continue;
            }
            if (!is_object_of(safe, code, cw_py_fn.PyCode_Type))
                break;
            uintptr_t instr;
            int first;
            if (!rd_word(safe, f + (uintptr_t)L->frame_instr, &instr) ||
                !rd(safe, &first, code + (uintptr_t)L->code_firsttraceable, sizeof first))
                break;
            intptr_t units = ((intptr_t)instr - (intptr_t)(code + (uintptr_t)L->code_adaptive)) / 2;
            if (owner != L->owner_generator && units < first) {
                f = prev;   /* being set up: no instruction of its own yet */
                continue;
            }
            if (units > (1 << 28))
                break;      /* not a pointer into this code: a torn read */
            lasti = units < 0 ? -1 : (int)units * 2;
        } else {
            if (!is_object_of(safe, code, cw_py_fn.PyCode_Type))
                break;
            int index;   /* 3.10 f_lasti: an instruction index */
            if (!rd(safe, &index, f + (uintptr_t)L->frame_instr, sizeof index))
                break;
            lasti = index < 0 ? -1 : index * 2;
        }
        out[n++] = (cw_py_frame_ref){ code, lasti, f };
        f = prev;
    }
    return n;
}

/* The same through the public API (the GIL held). */
static int walk_api(cw_py_frame_ref *out, int max)
{
    cw_py_saved_error e;
    cw_py_api_begin(&e);
    void *f = cw_py_fn.PyEval_GetFrame();
    if (f)
        cw_py_fn.Py_IncRef(f);
    int n = 0;
    while (f && n < max) {
        void *code = cw_py_fn.PyFrame_GetCode(f);
        int lasti = -1;
        if (cw_py_fn.PyFrame_GetLasti) {
            lasti = cw_py_fn.PyFrame_GetLasti(f);
        } else {
            void *attr = cw_py_fn.PyObject_GetAttrString(f, "f_lasti");
            if (attr) {
                lasti = (int)cw_py_fn.PyLong_AsLong(attr);
                cw_py_fn.Py_DecRef(attr);
            }
            cw_py_fn.PyErr_Clear();
        }
        if (!code)
            break;
        out[n++] = (cw_py_frame_ref){ (uintptr_t)code, lasti < 0 ? -1 : lasti, 0 };
        cw_py_fn.Py_DecRef(code);   /* the frame keeps it alive; only its address is kept */
        void *back = n < max ? cw_py_fn.PyFrame_GetBack(f) : NULL;   /* 3.11+: makes a frame object */
        cw_py_fn.Py_DecRef(f);
        f = back;
    }
    if (f)
        cw_py_fn.Py_DecRef(f);
    cw_py_api_end(&e);
    return n;
}

/* ---- names --------------------------------------------------------------- */

static void utf8_put(char *out, size_t size, size_t *n, uint32_t c)
{
    char b[4];
    size_t k;
    if (c < 0x80) {
        b[0] = (char)c;
        k = 1;
    } else if (c < 0x800) {
        b[0] = (char)(0xC0 | c >> 6);
        b[1] = (char)(0x80 | (c & 0x3F));
        k = 2;
    } else if (c < 0x10000) {
        b[0] = (char)(0xE0 | c >> 12);
        b[1] = (char)(0x80 | (c >> 6 & 0x3F));
        b[2] = (char)(0x80 | (c & 0x3F));
        k = 3;
    } else {
        b[0] = (char)(0xF0 | c >> 18);
        b[1] = (char)(0x80 | (c >> 12 & 0x3F));
        b[2] = (char)(0x80 | (c >> 6 & 0x3F));
        b[3] = (char)(0x80 | (c & 0x3F));
        k = 4;
    }
    if (*n + k < size) {
        memcpy(out + *n, b, k);
        *n += k;
    }
}

/* A str object's text, read in place: compact strings (every identifier and
 * file name the compiler makes) keep their characters right after the
 * header, 1, 2 or 4 bytes each. */
static bool read_str(const cw_py_layout *L, bool safe, uintptr_t s, char *out, size_t size)
{
    if (!is_object_of(safe, s, cw_py_fn.PyUnicode_Type))
        return false;
    int64_t length;
    uint32_t state;
    if (!rd(safe, &length, s + (uintptr_t)L->unicode_length, sizeof length) ||
        !rd(safe, &state, s + (uintptr_t)L->unicode_state, sizeof state))
        return false;
    unsigned kind = state >> 2 & 7, compact = state >> 5 & 1, ascii = state >> 6 & 1;
    if (!compact || (kind != 1 && kind != 2 && kind != 4) || length < 0 || (ascii && kind != 1))
        return false;
    uintptr_t data = s + (uintptr_t)(ascii ? L->ascii_size : L->compact_size);
    unsigned char buf[1024];
    size_t chars = (size_t)length < sizeof buf / kind ? (size_t)length : sizeof buf / kind;
    if (!rd(safe, buf, data, chars * kind))
        return false;
    size_t n = 0;
    for (size_t i = 0; i < chars; i++) {
        uint32_t c = kind == 1 ? buf[i] : kind == 2 ? ((uint16_t *)buf)[i] : ((uint32_t *)buf)[i];
        utf8_put(out, size, &n, c);
    }
    out[n] = '\0';
    return true;
}

static bool read_code_str(const cw_py_layout *L, bool safe, uintptr_t code, int offset, char *out, size_t size)
{
    uintptr_t s;
    return rd_word(safe, code + (uintptr_t)offset, &s) && read_str(L, safe, s, out, size);
}

static void api_str(uintptr_t code, const char *attr, char *out, size_t size)
{
    void *s = cw_py_fn.PyObject_GetAttrString((void *)code, attr);
    const char *text = s ? cw_py_fn.PyUnicode_AsUTF8(s) : NULL;
    snprintf(out, size, "%s", text ? text : "?");
    if (!text)
        cw_py_fn.PyErr_Clear();
    if (s)
        cw_py_fn.Py_DecRef(s);
}

static void describe_api(const cw_py_frame_ref *f, cw_py_frame_text *out)
{
    cw_py_saved_error e;
    cw_py_api_begin(&e);
    api_str(f->code, "co_filename", out->file, sizeof out->file);
    api_str(f->code, "co_name", out->function, sizeof out->function);
    cw_py_api_end(&e);
}

void cw_py_frame_describe(const cw_py_frame_ref *f, bool gil, cw_py_frame_text *out)
{
    const cw_py_layout *L = cw_py.layout;
    snprintf(out->file, sizeof out->file, "?");
    snprintf(out->function, sizeof out->function, "?");
    out->line = 0;
    if (L) {
        if (!read_code_str(L, !gil, f->code, L->code_filename, out->file, sizeof out->file))
            snprintf(out->file, sizeof out->file, "?");
        if (!read_code_str(L, !gil, f->code, L->code_name, out->function, sizeof out->function))
            snprintf(out->function, sizeof out->function, "?");
    } else if (gil) {
        describe_api(f, out);
    } else {
        return;
    }
    /* Checked to be a code object by the walk; the line table is only read. */
    if (gil || is_object_of(true, f->code, cw_py_fn.PyCode_Type))
        out->line = cw_py_fn.PyCode_Addr2Line((void *)f->code, f->lasti);
}

/* The str at s ends with the ASCII text `suffix`: its last code units are
 * compared in place, whatever their width (no copy: this runs for every
 * acquire of a Python lock). */
static bool str_ends_with(const cw_py_layout *L, uintptr_t s, const char *suffix)
{
    if (!is_object_of(false, s, cw_py_fn.PyUnicode_Type))
        return false;
    int64_t length = *(const int64_t *)(s + (uintptr_t)L->unicode_length);
    uint32_t state = *(const uint32_t *)(s + (uintptr_t)L->unicode_state);
    unsigned kind = state >> 2 & 7, compact = state >> 5 & 1, ascii = state >> 6 & 1;
    size_t k = strlen(suffix);
    if (!compact || (kind != 1 && kind != 2 && kind != 4) || length < (int64_t)k)
        return false;
    const unsigned char *data = (const unsigned char *)(s + (uintptr_t)(ascii ? L->ascii_size : L->compact_size));
    for (size_t i = 0; i < k; i++) {
        size_t at = (size_t)length - k + i;
        uint32_t c = kind == 1 ? data[at] : kind == 2 ? ((const uint16_t *)data)[at] : ((const uint32_t *)data)[at];
        if (c != (unsigned char)suffix[i])
            return false;
    }
    return true;
}

bool cw_py_code_file_is(uintptr_t code, const char *suffix)
{
    const cw_py_layout *L = cw_py.layout;
    if (L)
        return str_ends_with(L, *(const uintptr_t *)(code + (uintptr_t)L->code_filename), suffix);
    char file[512];
    cw_py_saved_error e;
    cw_py_api_begin(&e);
    api_str(code, "co_filename", file, sizeof file);
    cw_py_api_end(&e);
    size_t n = strlen(file), k = strlen(suffix);
    return n >= k && strcmp(file + n - k, suffix) == 0;
}

bool cw_py_code_file_starts(uintptr_t code, const char *prefix)
{
    char file[512];
    const cw_py_layout *L = cw_py.layout;
    if (L) {
        if (!read_code_str(L, false, code, L->code_filename, file, sizeof file))
            return false;
    } else {
        cw_py_saved_error e;
        cw_py_api_begin(&e);
        api_str(code, "co_filename", file, sizeof file);
        cw_py_api_end(&e);
    }
    return strncmp(file, prefix, strlen(prefix)) == 0;
}

bool cw_py_code_name_is(uintptr_t code, const char *name)
{
    char text[128];
    const cw_py_layout *L = cw_py.layout;
    if (L) {
        if (!read_code_str(L, false, code, L->code_name, text, sizeof text))
            return false;
    } else {
        cw_py_saved_error e;
        cw_py_api_begin(&e);
        api_str(code, "co_name", text, sizeof text);
        cw_py_api_end(&e);
    }
    return strcmp(text, name) == 0;
}

/* ---- the layout's check -------------------------------------------------- */

enum { UNCHECKED, CHECKING, CHECKED };
static atomic_int check_state;

/* Walks the calling thread both ways and compares; a difference rejects the layout. */
static void check_layout(const cw_py_layout *L, uintptr_t tstate)
{
    static cw_py_frame_ref direct[CW_PY_MAX_FRAMES], api[CW_PY_MAX_FRAMES];   /* under check_state */
    int na = walk_api(api, CW_PY_MAX_FRAMES);
    if (na == 0) {
        atomic_store(&check_state, UNCHECKED);   /* nothing to compare yet */
        return;
    }
    char why[192] = "";
    uintptr_t id;
    int nd = walk(L, tstate, true, direct, CW_PY_MAX_FRAMES);
    if (!rd_word(true, tstate + (uintptr_t)L->tstate_thread_id, &id) || id != (uintptr_t)pthread_self()) {
        snprintf(why, sizeof why, "the thread state's thread id is not at offset %d", L->tstate_thread_id);
    } else if (nd != na) {
        snprintf(why, sizeof why, "%d frames read directly, %d through the C API", nd, na);
    } else {
        for (int i = 0; i < na && !why[0]; i++)
            if (direct[i].code != api[i].code || direct[i].lasti != api[i].lasti)
                snprintf(why, sizeof why, "frame %d differs from the C API's (instruction %d, not %d)", i,
                         direct[i].lasti, api[i].lasti);
    }
    if (!why[0]) {
        cw_py_frame_text raw, ref;
        cw_py_frame_describe(&direct[0], true, &raw);
        describe_api(&api[0], &ref);
        if (strcmp(raw.file, ref.file) != 0 || strcmp(raw.function, ref.function) != 0)
            snprintf(why, sizeof why, "code names read as \"%.40s\" \"%.20s\", not \"%.40s\" \"%.20s\"",
                     raw.file, raw.function, ref.file, ref.function);
    }
    if (why[0])
        cw_py_layout_reject(why);
    else
        cw_py_debug("direct reads checked against the C API (%d frames): on", na);
    atomic_store(&check_state, CHECKED);
}

int cw_py_current_frames(cw_py_frame_ref *out, int max)
{
    const cw_py_layout *L = cw_py.layout;
    if (!L)
        return walk_api(out, max);
    uintptr_t tstate = (uintptr_t)cw_py_fn.current_tstate();
    if (!tstate)
        return 0;
    int expected = UNCHECKED;
    if (atomic_load_explicit(&check_state, memory_order_acquire) != CHECKED &&
        atomic_compare_exchange_strong(&check_state, &expected, CHECKING))
        check_layout(L, tstate);
    if (atomic_load_explicit(&check_state, memory_order_acquire) != CHECKED || !cw_py.layout)
        return walk_api(out, max);   /* being checked by another thread, or rejected */
    return walk(L, tstate, false, out, max);
}

bool cw_py_each_thread(cw_py_thread_fn *fn, void *arg)
{
    const cw_py_layout *L = cw_py.layout;
    if (!L || !cw_py.api)
        return false;
    static cw_py_frame_ref frames[CW_PY_MAX_FRAMES];   /* the hang watcher only */
    int interps = 0;
    for (void *interp = cw_py_fn.PyInterpreterState_Head(); interp && interps < 256;
         interp = cw_py_fn.PyInterpreterState_Next(interp), interps++) {
        uintptr_t ts = (uintptr_t)cw_py_fn.PyInterpreterState_ThreadHead(interp);
        for (int k = 0; ts && k < 65536; k++) {
            uintptr_t id, next;
            if (!rd_word(true, ts + (uintptr_t)L->tstate_thread_id, &id) ||
                !rd_word(true, ts + (uintptr_t)L->tstate_next, &next))
                break;
            int n = walk(L, ts, true, frames, CW_PY_MAX_FRAMES);
            fn((unsigned long)id, frames, n, arg);
            ts = next;
        }
    }
    return true;
}

#define _GNU_SOURCE
#include "py_race_shadow.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "py_race_api.h"
#include "common/hash.h"
#include "python/py_runtime.h"

/* ---- memory ---------------------------------------------------------------- */

/* Cells and object records live in arrays reserved at start-up and touched
 * as they fill (MAP_NORESERVE), indexed from 1; freed ones go on a list. */
typedef struct object_rec {
    uintptr_t obj;
    uint32_t next;              /* the bucket's next record */
    uint32_t first_cell;        /* the object's first cell */
    uint32_t presize;           /* bytes between its allocation's start and the object */
    int origin_offset;
    uintptr_t origin_code;
} object_rec;

cw_pyr_cell *cw_pyr_cells;
uint32_t cw_pyr_cells_used;
static object_rec *objects;
static uint32_t max_cells, cells_free, objects_used, objects_free;
static uint64_t live_cells;
static uint32_t *cell_buckets, *object_buckets;
static unsigned bucket_bits;
static uint8_t *bloom;          /* objects with a record, by the start of their allocation (never cleared) */
#define BLOOM_BITS 23

static void *reserve(size_t bytes)
{
    int saved = errno;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    errno = saved;
    return p == MAP_FAILED ? NULL : p;
}

static inline uint32_t cell_hash(uintptr_t obj, uint64_t key, int kind)
{
    return (uint32_t)(cw_mix64(obj * 0x9e3779b97f4a7c15ull ^ key ^ (uint64_t)kind << 61) >> (64 - bucket_bits));
}

static inline uint32_t object_hash(uintptr_t obj)
{
    return cw_hash_addr(obj, bucket_bits);
}

static inline uint32_t bloom_bit(uintptr_t obj)
{
    return cw_hash_addr(obj >> 4, BLOOM_BITS);
}

static inline bool bloom_test(uintptr_t obj)
{
    uint32_t b = bloom_bit(obj);
    return bloom[b >> 3] & (1u << (b & 7));
}

/* ---- objects ---------------------------------------------------------------- */

static object_rec *object_find(uintptr_t obj, uint32_t **link)
{
    uint32_t *at = &object_buckets[object_hash(obj)];
    while (*at) {
        object_rec *o = &objects[*at];
        if (o->obj == obj) {
            if (link)
                *link = at;
            return o;
        }
        at = &o->next;
    }
    return NULL;
}

/* Bytes CPython puts before an object of this type in its allocation. */
static uint32_t presize_of(uintptr_t obj)
{
    const cw_py_layout *L = cw_py.layout;
    unsigned long flags = cw_pyr_fn.PyType_GetFlags(cw_pyr_type((void *)obj));
    uint32_t size = 0;
    if (flags & CW_PY_TPFLAGS_HAVE_GC)
        size += (uint32_t)L->gc_head_size;
    if (flags & (unsigned long)L->preheader_flags)
        size += 2 * sizeof(void *);
    return size;
}

static object_rec *object_get(uintptr_t obj, bool *made)
{
    object_rec *o = object_find(obj, NULL);
    if (o)
        return o;
    *made = true;
    uint32_t i;
    if (objects_free) {
        i = objects_free;
        objects_free = objects[i].next;
    } else if (objects_used + 1 < max_cells) {
        i = ++objects_used;
    } else {
        return NULL;
    }
    o = &objects[i];
    *o = (object_rec){ .obj = obj, .presize = presize_of(obj) };
    uint32_t *head = &object_buckets[object_hash(obj)];
    o->next = *head;
    *head = i;
    uint32_t b = bloom_bit(obj - o->presize);
    bloom[b >> 3] |= (uint8_t)(1u << (b & 7));
    return o;
}

void cw_pyr_object_set_origin(uintptr_t obj, cw_pyr_origin origin)
{
    bool made = false;
    object_rec *o = object_get(obj, &made);
    if (o) {
        o->origin_code = origin.code;
        o->origin_offset = origin.offset;
    }
}

cw_pyr_origin cw_pyr_object_origin(uintptr_t obj)
{
    object_rec *o = object_find(obj, NULL);
    return o ? (cw_pyr_origin){ o->origin_code, o->origin_offset } : (cw_pyr_origin){ 0, 0 };
}

static void cell_unlink(uint32_t i)
{
    cw_pyr_cell *c = &cw_pyr_cells[i];
    uint32_t *at = &cell_buckets[cell_hash(c->obj, c->key, c->kind)];
    while (*at && *at != i)
        at = &cw_pyr_cells[*at].next;
    if (*at == i)
        *at = c->next;
    c->obj = 0;
    c->next = cells_free;
    cells_free = i;
    live_cells--;
}

/* The object at obj is gone (freed, or kept for reuse on a free list): so
 * are its variables. */
static void forget_object(uintptr_t obj, uint32_t presize, bool check_presize)
{
    uint32_t *link;
    object_rec *o = object_find(obj, &link);
    if (!o || (check_presize && o->presize != presize))
        return;
    for (uint32_t c = o->first_cell, next; c; c = next) {
        next = cw_pyr_cells[c].next_of_obj;
        cell_unlink(c);
    }
    *link = o->next;
    o->obj = 0;
    o->next = objects_free;
    objects_free = (uint32_t)(o - objects);
}

/* ---- cells ------------------------------------------------------------------ */

cw_pyr_cell *cw_pyr_cell_find(uintptr_t obj, uint64_t key, int kind)
{
    for (uint32_t i = cell_buckets[cell_hash(obj, key, kind)]; i; i = cw_pyr_cells[i].next) {
        cw_pyr_cell *c = &cw_pyr_cells[i];
        if (c->obj == obj && c->key == key && c->kind == kind)
            return c;
    }
    return NULL;
}

cw_pyr_cell *cw_pyr_cell_of(uintptr_t obj, uint64_t key, int kind, bool *new_object)
{
    *new_object = false;
    cw_pyr_cell *found = cw_pyr_cell_find(obj, key, kind);
    if (found)
        return found;
    uint32_t *head = &cell_buckets[cell_hash(obj, key, kind)];
    object_rec *o = object_get(obj, new_object);
    if (!o)
        return NULL;
    uint32_t i;
    if (cells_free) {
        i = cells_free;
        cells_free = cw_pyr_cells[i].next;
    } else if (cw_pyr_cells_used + 1 < max_cells) {
        i = ++cw_pyr_cells_used;
    } else {
        return NULL;
    }
    cw_pyr_cell *c = &cw_pyr_cells[i];
    memset(c, 0, sizeof *c);
    c->obj = obj;
    c->key = key;
    c->kind = (uint8_t)kind;
    c->next = *head;
    *head = i;
    c->next_of_obj = o->first_cell;
    o->first_cell = i;
    live_cells++;
    return c;
}

cw_pyr_cell *cw_pyr_cell_hinted(uint32_t *hint, uintptr_t obj, uint64_t key, int kind, bool *new_object)
{
    uint32_t i = *hint;
    if (i && i <= cw_pyr_cells_used) {
        cw_pyr_cell *c = &cw_pyr_cells[i];
        if (c->obj == obj && c->key == key && c->kind == kind) {
            *new_object = false;
            return c;
        }
    }
    cw_pyr_cell *c = cw_pyr_cell_of(obj, key, kind, new_object);
    *hint = c ? (uint32_t)(c - cw_pyr_cells) : 0;
    return c;
}

uint64_t cw_pyr_shadow_cells(void)
{
    return live_cells;
}

/* ---- the check ---------------------------------------------------------------- */

/* An earlier access of another thread that the present does not come after. */
static inline bool unordered(const cw_pyr_access *a, unsigned slot, bool atomic)
{
    return a->epoch && cw_hb_epoch_slot(a->epoch) != slot && !(a->atomic && atomic) && !cw_hb_ordered(a->epoch);
}

bool cw_pyr_access_cell(cw_pyr_cell *c, cw_pyr_thread *pt, cw_hb_epoch epoch, bool write, bool atomic,
                        uintptr_t frame, uintptr_t code, int offset, cw_pyr_access *earlier,
                        cw_pyr_access *now)
{
    if (!epoch || cw_pyr_access_known(c, epoch, write, atomic))
        return false;

    unsigned slot = cw_hb_epoch_slot(epoch);
    const cw_pyr_access *conflict = NULL;
    if (c->w.write && unordered(&c->w, slot, atomic))
        conflict = &c->w;
    if (write && !conflict)
        for (int i = 0; i < CW_PYR_READS && !conflict; i++)
            if (unordered(&c->r[i], slot, atomic))
                conflict = &c->r[i];
    if (conflict)
        *earlier = *conflict;

    cw_pyr_access a = {
        .epoch = epoch, .thread = pt->index, .write = write, .atomic = atomic,
        .stack = cw_pyr_thread_stack(pt, frame, code, offset), .lockset = cw_pyr_thread_lockset(pt),
    };
    if (write) {
        c->w = a;
        memset(c->r, 0, sizeof c->r);
    } else {
        /* Replace this thread's last read, or one that happens before this
         * one (it can race with nothing this one cannot), or an empty
         * place; else the oldest. */
        int at = -1;
        for (int i = 0; i < CW_PYR_READS && at < 0; i++)
            if (!c->r[i].epoch || cw_hb_epoch_slot(c->r[i].epoch) == slot || cw_hb_ordered(c->r[i].epoch))
                at = i;
        if (at < 0) {
            memmove(&c->r[0], &c->r[1], sizeof c->r[0] * (CW_PYR_READS - 1));
            at = CW_PYR_READS - 1;
        }
        c->r[at] = a;
    }
    if (!conflict)
        return false;
    *now = a;
    c->reported = 1;
    return true;
}

/* ---- objects that go ------------------------------------------------------ */

static cw_pyr_allocator previous;
static void (*dict_dealloc)(void *), (*list_dealloc)(void *);

/* A block of the object allocator is freed: the object in it (after its
 * GC header and pre-header, whichever its type has) is gone. */
static inline void forget_block(uintptr_t p)
{
    if (__builtin_expect(bloom_test(p), 0))
        for (uint32_t off = 0; off <= 32; off += 16)
            forget_object(p + off, off, true);
}

/* malloc and calloc are the previous allocator's own (with its context):
 * only what gives a block back is wrapped.  Every object the program makes
 * comes through here, in every thread, checked or not. */
static void *hook_realloc(void *ctx, void *p, size_t size)
{
    void *q = previous.realloc(ctx, p, size);
    if (p && q && q != p)
        forget_block((uintptr_t)p);
    return q;
}

static void hook_free(void *ctx, void *p)
{
    if (p)
        forget_block((uintptr_t)p);
    previous.free(ctx, p);
}

/* CPython's trashcan turns the deallocation of a deeply nested list or dict
 * (a list in a list, 100 000 deep) into a loop: past a depth, an object is
 * put aside and freed once the recursion has unwound.  dict_dealloc and
 * list_dealloc do it only while they are their type's tp_dealloc, which
 * the wrappers below replace: so the wrappers run the trashcan themselves,
 * as the real ones would have (without it the C stack overflowed: SIGSEGV,
 * test_json's highly nested objects).  3.10-3.12: _PyTrash_begin/_end,
 * exactly as the real ones.  3.13 (where those are no-ops): its own
 * condition, on the thread state's C recursion budget (the real
 * deallocator, run next, counts the level itself, and frees what was put
 * aside once the budget is back; putting aside earlier than it would made
 * it hand the object straight back, forever). */
#define TRASHCAN_HEADROOM 50   /* Include/cpython/object.h, 3.13 */

static bool trashcan_usable(void)
{
    if (!cw_pyr_fn.PyThreadState_Get || !cw_pyr_fn.PyObject_GC_UnTrack)
        return false;
    if (cw_py.version < 0x030D)
        return cw_pyr_fn.PyTrash_begin && cw_pyr_fn.PyTrash_end;
    return cw_pyr_fn.PyTrash_thread_deposit_object && cw_py.layout->tstate_c_recursion >= 0;
}

/* dict and list objects start after their GC header (no pre-header).
 * `hook` is the wrapper itself: as in CPython's own condition, only an
 * object whose type's tp_dealloc it is goes through the trashcan.  A
 * subclass's instance reaches it as the base deallocator, from its own
 * type's tp_dealloc (subtype_dealloc), which put aside would be run a
 * second time later: the class lost a reference each time, and was freed
 * in use (test_gc's test_trashcan_threads; bpo-35983). */
static void dealloc_through_trashcan(void (*dealloc)(void *), void (*hook)(void *), void *obj)
{
    void (*own)(void *) = *(void (**)(void *))((char *)cw_pyr_type(obj) + cw_py.layout->type_dealloc);
    if (own != hook) {
        if (bloom_test((uintptr_t)obj - (uintptr_t)cw_py.layout->gc_head_size))
            forget_object((uintptr_t)obj, 0, false);
        dealloc(obj);
        return;
    }
    void *tstate = cw_pyr_fn.PyThreadState_Get();
    bool begun = false;
    if (cw_pyr_fn.PyTrash_begin) {
        /* Put aside, it links the object through its GC header: untracked
         * first, as the real deallocator does before its trashcan. */
        cw_pyr_fn.PyObject_GC_UnTrack(obj);
        if (cw_pyr_fn.PyTrash_begin(tstate, obj))
            return;
        begun = true;
    } else if (*(const int *)((const char *)tstate + cw_py.layout->tstate_c_recursion) <= TRASHCAN_HEADROOM) {
        cw_pyr_fn.PyObject_GC_UnTrack(obj);
        cw_pyr_fn.PyTrash_thread_deposit_object(tstate, obj);
        return;
    }
    if (bloom_test((uintptr_t)obj - (uintptr_t)cw_py.layout->gc_head_size))
        forget_object((uintptr_t)obj, 0, false);
    dealloc(obj);
    if (begun)
        cw_pyr_fn.PyTrash_end(tstate);
}

static void hook_dict_dealloc(void *obj);
static void hook_list_dealloc(void *obj);

static void hook_dict_dealloc(void *obj)
{
    dealloc_through_trashcan(dict_dealloc, hook_dict_dealloc, obj);
}

static void hook_list_dealloc(void *obj)
{
    dealloc_through_trashcan(list_dealloc, hook_list_dealloc, obj);
}

bool cw_pyr_shadow_init(uint64_t want)
{
    if (want < 1024)
        want = 1024;
    if (want > (1u << 30))
        want = 1u << 30;
    max_cells = (uint32_t)want;
    bucket_bits = 10;
    while ((1ull << bucket_bits) < want && bucket_bits < 30)
        bucket_bits++;
    cw_pyr_cells = reserve((size_t)max_cells * sizeof *cw_pyr_cells);
    objects = reserve((size_t)max_cells * sizeof *objects);
    cell_buckets = reserve(sizeof(uint32_t) << bucket_bits);
    object_buckets = reserve(sizeof(uint32_t) << bucket_bits);
    bloom = reserve((1u << BLOOM_BITS) / 8);
    if (!cw_pyr_cells || !objects || !cell_buckets || !object_buckets || !bloom)
        return false;
    const cw_py_layout *L = cw_py.layout;
    cw_pyr_fn.PyMem_GetAllocator(CW_PYMEM_DOMAIN_OBJ, &previous);
    cw_pyr_allocator hooks = { previous.ctx, previous.malloc, previous.calloc, hook_realloc, hook_free };
    cw_pyr_fn.PyMem_SetAllocator(CW_PYMEM_DOMAIN_OBJ, &hooks);
    if (!trashcan_usable())
        return true;   /* lists and dicts freed to their free lists are not seen: see the README */
    void (**dict_slot)(void *) = (void (**)(void *))((char *)cw_pyr_fn.PyDict_Type + L->type_dealloc);
    void (**list_slot)(void *) = (void (**)(void *))((char *)cw_pyr_fn.PyList_Type + L->type_dealloc);
    dict_dealloc = *dict_slot;
    list_dealloc = *list_slot;
    *dict_slot = hook_dict_dealloc;
    *list_slot = hook_list_dealloc;
    return true;
}

void cw_pyr_shadow_after_fork_child(void)
{
    if (!cw_pyr_cells)
        return;
    /* Private anonymous memory given back reads as zeros again. */
    madvise(cell_buckets, sizeof(uint32_t) << bucket_bits, MADV_DONTNEED);
    madvise(object_buckets, sizeof(uint32_t) << bucket_bits, MADV_DONTNEED);
    cw_pyr_cells_used = cells_free = objects_used = objects_free = 0;
    live_cells = 0;
}

/*
 * cw_lock_classes against a brute-force reference on small random runs, and
 * the shapes of lock_classes.h by hand.
 *
 * The reference keeps every nesting of the run and decides from scratch,
 * after each one:
 *   - a class nested in itself is predicted the first time no evidence is
 *     left: no gate instance common to all its nestings, not read-in-read on
 *     all of them, no key bit set in keys_less (or keys_greater) of all of
 *     them and not in keys_greater of all of them (or the reverse), and some
 *     inner instance seen inside two outer instances (among
 *     the instances not forgotten when seen);
 *   - a nesting that changed its class edge (new, or evidence weakened)
 *     predicts a cycle among classes exactly when some simple class cycle
 *     through that edge has no gate instance common to all its edges' nestings,
 *     no class entered in read mode by one edge and left in read mode by the
 *     next on all their nestings, no class-comparable key (address, creation)
 *     ordering all its nestings, and a class set never predicted; the cycle
 *     returned must be such a cycle.
 */
#include "analysis/lock_classes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static uint64_t seed, rng;
static int op;

#define CHECK(cond)                                                                          \
    do {                                                                                     \
        if (!(cond) && failures++ < 20)                                                      \
            fprintf(stderr, "%s:%d: CHECK failed: %s (seed %llu, op %d)\n", __FILE__, __LINE__, #cond, \
                    (unsigned long long)seed, op);                                          \
    } while (0)

static uint32_t rnd(uint32_t n)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

/* ---- by hand ------------------------------------------------------------ */

static cw_class_nesting nest(uint64_t oc, uint64_t o, uint64_t ic, uint64_t i, uint64_t less, uint64_t greater)
{
    return (cw_class_nesting){ .outer_class = oc, .inner_class = ic, .outer = o, .inner = i,
                               .keys_less = less, .keys_greater = greater, .outer_stack = (uint32_t)o,
                               .inner_stack = (uint32_t)i };
}

#define NEST(...) (&(cw_class_nesting[1]){ nest(__VA_ARGS__) }[0])

static void test_shapes(void)
{
    cw_class_cycle c;
    /* The bank, one-way transfers: a->b, then c->b (c above b): no order, no
     * hierarchy (b inside a and c): predicted, once. */
    cw_lock_classes *lc = cw_lock_classes_new();
    CHECK(!cw_lock_classes_add(lc, &(cw_class_nesting){ 0 }, &c));
    cw_class_nesting ab = nest(7, 1, 7, 2, CW_CLASS_KEYS_ANY_CLASS, 0);
    cw_class_nesting cb = nest(7, 3, 7, 2, 0, CW_CLASS_KEYS_ANY_CLASS);
    CHECK(!cw_lock_classes_add(lc, &ab, &c));
    CHECK(cw_lock_classes_add(lc, &cb, &c));
    CHECK(c.n == 1 && c.edges[0].outer == 1 && c.other.outer == 3);
    CHECK(!cw_lock_classes_add(lc, &cb, &c));
    CHECK(!cw_lock_classes_add(lc, NEST(7, 4, 7, 5, 0, 0), &c));   /* same class: said once */
    cw_lock_classes_free(lc);

    /* Address-ordered: both ways between accounts, always the lower address
     * first: key bit 0 in every nesting. */
    lc = cw_lock_classes_new();
    CHECK(!cw_lock_classes_add(lc, NEST(7, 1, 7, 2, 1, 2), &c));
    CHECK(!cw_lock_classes_add(lc, NEST(7, 3, 7, 2, 1, 0), &c));
    CHECK(!cw_lock_classes_add(lc, NEST(7, 1, 7, 3, 1, 0), &c));
    cw_lock_classes_free(lc);

    /* A gate held on every nesting. */
    lc = cw_lock_classes_new();
    cw_class_nesting g1 = nest(7, 1, 7, 2, 1, 0), g2 = nest(7, 3, 7, 2, 0, 1);
    g1.ngates = g2.ngates = 1;
    g1.gates[0] = g2.gates[0] = 99;
    CHECK(!cw_lock_classes_add(lc, &g1, &c) && !cw_lock_classes_add(lc, &g2, &c));
    g2.gates[0] = 98;   /* another gate: not common */
    CHECK(cw_lock_classes_add(lc, &g2, &c));
    cw_lock_classes_free(lc);

    /* Hand over hand down a list, a tree from parent to child: each node
     * inside one other only, whatever the addresses. */
    lc = cw_lock_classes_new();
    CHECK(!cw_lock_classes_add(lc, NEST(7, 1, 7, 2, 0, 1), &c));
    CHECK(!cw_lock_classes_add(lc, NEST(7, 2, 7, 3, 1, 0), &c));
    CHECK(!cw_lock_classes_add(lc, NEST(7, 1, 7, 4, 1, 0), &c));   /* 1 has two children */
    CHECK(!cw_lock_classes_add(lc, NEST(7, 2, 7, 3, 1, 0), &c));
    /* A node made again (new instance at the same place) under another parent. */
    cw_lock_classes_forget(lc, 7, 3);
    CHECK(!cw_lock_classes_add(lc, NEST(7, 4, 7, 3, 0, 0), &c));
    cw_lock_classes_free(lc);

    /* Two classes, opposite orders on different instances: predicted; the
     * same with both edges ordered by address: not. */
    lc = cw_lock_classes_new();
    CHECK(!cw_lock_classes_add(lc, NEST(10, 1, 20, 2, 0, 0), &c));
    CHECK(cw_lock_classes_add(lc, NEST(20, 3, 10, 4, 0, 0), &c));
    CHECK(c.n == 2 && c.edges[0].outer_class == 20 && c.edges[1].outer_class == 10);
    cw_lock_classes_free(lc);
    lc = cw_lock_classes_new();
    CHECK(!cw_lock_classes_add(lc, NEST(10, 1, 20, 2, 1, 0), &c));
    CHECK(!cw_lock_classes_add(lc, NEST(20, 3, 10, 4, 1, 0), &c));
    /* A field key (bit 5) does not order locks of different classes. */
    CHECK(!cw_lock_classes_add(lc, NEST(10, 5, 30, 6, 32, 0), &c));
    CHECK(cw_lock_classes_add(lc, NEST(30, 7, 10, 8, 32, 0), &c));
    cw_lock_classes_free(lc);
}

/* ---- against the reference ---------------------------------------------- */

#define NCLASS 4
#define NINST 6               /* instances per class: ids class * 16 + i + 1 */
#define MAXN 400

static cw_class_nesting runlog[MAXN];
static int nrun;
static bool broken[NCLASS + 1];
static uint64_t outer_of[NCLASS + 1][NCLASS * 16 + NINST + 1];
static uint64_t reported[256][CW_MAX_CLASS_CYCLE];
static size_t nreported;

static uint64_t inst(uint32_t c, uint32_t i) { return (uint64_t)c * 16 + i + 1; }

/* What all nestings of class edge a->b have in common. */
typedef struct common {
    bool present;
    uint64_t gates[CW_CLASS_MAX_GATES];
    size_t ngates;
    bool outer_read, inner_read;
    uint64_t less, greater;
} common;

static common edge_common(uint32_t a, uint32_t b)
{
    common c = { 0 };
    for (int i = 0; i < nrun; i++) {
        const cw_class_nesting *n = &runlog[i];
        if (n->outer_class != a || n->inner_class != b)
            continue;
        uint64_t mask = a == b ? ~0ull : CW_CLASS_KEYS_ANY_CLASS;
        if (!c.present) {
            c.present = true;
            for (uint32_t g = 0; g < n->ngates; g++) {
                bool dup = false;
                for (size_t k = 0; k < c.ngates; k++)
                    dup |= c.gates[k] == n->gates[g];
                if (!dup && n->gates[g] && n->gates[g] != n->outer && n->gates[g] != n->inner)
                    c.gates[c.ngates++] = n->gates[g];
            }
            c.outer_read = n->outer_read;
            c.inner_read = n->inner_read;
            c.less = n->keys_less & mask;
            c.greater = n->keys_greater & mask;
            continue;
        }
        size_t k = 0;
        for (size_t j = 0; j < c.ngates; j++) {
            bool in = false;
            for (uint32_t g = 0; g < n->ngates; g++)
                in |= n->gates[g] == c.gates[j];
            if (in)
                c.gates[k++] = c.gates[j];
        }
        c.ngates = k;
        c.outer_read &= n->outer_read;
        c.inner_read &= n->inner_read;
        c.less &= n->keys_less;
        c.greater &= n->keys_greater;
    }
    return c;
}

static bool self_explained_ref(uint32_t a)
{
    common c = edge_common(a, a);
    return c.ngates > 0 || (c.outer_read && c.inner_read) || (c.less & ~c.greater) || (c.greater & ~c.less) ||
           !broken[a];
}

static bool set_reported(uint64_t *set, size_t n)
{
    for (size_t i = 0; i < nreported; i++)
        if (memcmp(reported[i], set, n * sizeof *set) == 0 && (n == CW_MAX_CLASS_CYCLE || reported[i][n] == 0))
            return true;
    return false;
}

static void sorted(const uint64_t *in, size_t n, uint64_t *out)
{
    memset(out, 0, CW_MAX_CLASS_CYCLE * sizeof *out);
    for (size_t i = 0; i < n; i++) {
        size_t j = i;
        for (; j > 0 && out[j - 1] > in[i]; j--)
            out[j] = out[j - 1];
        out[j] = in[i];
    }
}

static bool cycle_feasible(const uint64_t *cls, size_t n)
{
    common e[CW_MAX_CLASS_CYCLE];
    for (size_t i = 0; i < n; i++) {
        e[i] = edge_common(cls[i], cls[(i + 1) % n]);
        if (!e[i].present)
            return false;
    }
    uint64_t less = ~0ull, greater = ~0ull;
    for (size_t i = 0; i < n; i++) {
        less &= e[i].less;
        greater &= e[i].greater;
        if (e[(i + n - 1) % n].inner_read && e[i].outer_read)
            return false;
    }
    if ((less & ~greater) || (greater & ~less))
        return false;
    for (size_t g = 0; g < e[0].ngates; g++) {
        bool all = true;
        for (size_t i = 1; i < n && all; i++) {
            bool in = false;
            for (size_t k = 0; k < e[i].ngates; k++)
                in |= e[i].gates[k] == e[0].gates[g];
            all = in;
        }
        if (all)
            return false;
    }
    return true;
}

/* Some feasible simple class cycle a -> b -> ... -> a over an unreported set. */
static bool ref_cycle(uint32_t a, uint32_t b)
{
    uint64_t path[CW_MAX_CLASS_CYCLE];
    path[0] = a;
    path[1] = b;
    /* Enumerate simple paths b ~> a over classes 1..NCLASS (small). */
    int next[CW_MAX_CLASS_CYCLE];
    bool on[NCLASS + 1] = { 0 };
    on[a] = on[b] = true;
    size_t depth = 2;
    next[1] = 1;
    while (depth > 1) {
        uint64_t cur = path[depth - 1];
        int w = next[depth - 1]++;
        if (w > NCLASS) {
            on[cur] = false;
            depth--;
            continue;
        }
        if ((uint64_t)w == cur || !edge_common((uint32_t)cur, (uint32_t)w).present)
            continue;
        if ((uint64_t)w == a) {
            uint64_t set[CW_MAX_CLASS_CYCLE];
            sorted(path, depth, set);
            if (cycle_feasible(path, depth) && !set_reported(set, depth))
                return true;
        } else if (!on[w] && depth < CW_MAX_CLASS_CYCLE) {
            on[w] = true;
            path[depth] = (uint64_t)w;
            next[depth] = 1;
            depth++;
        }
    }
    return false;
}

static void record_reported(const uint64_t *cls, size_t n)
{
    uint64_t set[CW_MAX_CLASS_CYCLE];
    sorted(cls, n, set);
    if (nreported < sizeof reported / sizeof reported[0])
        memcpy(reported[nreported++], set, sizeof set);
}

static void one_nesting(cw_lock_classes *lc)
{
    uint32_t a = 1 + rnd(NCLASS), b = rnd(3) == 0 ? a : 1 + rnd(NCLASS);
    uint64_t outer = inst(a, rnd(NINST)), inner = inst(b, rnd(NINST));
    if (outer == inner)
        return;
    cw_class_nesting n = { .outer_class = a, .inner_class = b, .outer = outer, .inner = inner,
                           .outer_read = rnd(5) == 0, .inner_read = rnd(5) == 0,
                           .keys_less = rnd(4) ? 0 : (uint64_t)rnd(8), .keys_greater = rnd(4) ? 0 : (uint64_t)rnd(8),
                           .thread = (uint32_t)op };
    for (uint32_t g = 0; g < 3; g++)
        if (rnd(3) == 0)
            n.gates[n.ngates++] = inst(1 + rnd(NCLASS), rnd(2));
    common before = edge_common(a, b);
    runlog[nrun++] = n;
    bool broke = false;
    if (a == b && !broken[a]) {
        if (!outer_of[a][inner])
            outer_of[a][inner] = outer;
        else if (outer_of[a][inner] != outer)
            broken[a] = broke = true;
    }
    common after = edge_common(a, b);
    bool changed = !before.present || before.ngates != after.ngates || before.outer_read != after.outer_read ||
                   before.inner_read != after.inner_read || before.less != after.less ||
                   before.greater != after.greater || broke;

    cw_class_cycle c;
    bool got = cw_lock_classes_add(lc, &n, &c);
    bool want;
    if (a == b) {
        uint64_t self[1] = { a }, set[CW_MAX_CLASS_CYCLE];
        sorted(self, 1, set);
        want = changed && !self_explained_ref(a) && !set_reported(set, 1);
        if (want)
            record_reported(self, 1);
        CHECK(got == want);
        if (got)
            CHECK(c.n == 1 && c.edges[0].outer_class == a && c.edges[0].inner_class == a);
        return;
    }
    want = changed && ref_cycle(a, b);
    CHECK(got == want);
    if (got != want)
        fprintf(stderr, "  %u->%u: got %d want %d\n", a, b, got, want);
    if (!got)
        return;
    uint64_t cls[CW_MAX_CLASS_CYCLE], set[CW_MAX_CLASS_CYCLE];
    bool ok = c.n >= 2 && c.n <= CW_MAX_CLASS_CYCLE && c.edges[0].outer_class == a && c.edges[0].inner_class == b;
    for (size_t i = 0; ok && i < c.n; i++) {
        ok = c.edges[i].inner_class == c.edges[(i + 1) % c.n].outer_class;
        cls[i] = c.edges[i].outer_class;
    }
    CHECK(ok);
    if (!ok)
        return;
    sorted(cls, c.n, set);
    for (size_t i = 0; i + 1 < c.n; i++)
        CHECK(set[i] != set[i + 1]);
    CHECK(cycle_feasible(cls, c.n));
    CHECK(!set_reported(set, c.n));
    record_reported(cls, c.n);
}

static void one_forget(cw_lock_classes *lc)
{
    uint32_t a = 1 + rnd(NCLASS);
    uint64_t i = inst(a, rnd(NINST));
    cw_lock_classes_forget(lc, a, i);
    outer_of[a][i] = 0;
}

static void round_once(void)
{
    nrun = 0;
    nreported = 0;
    memset(broken, 0, sizeof broken);
    memset(outer_of, 0, sizeof outer_of);
    cw_lock_classes *lc = cw_lock_classes_new();
    for (op = 0; op < MAXN && failures == 0; op++) {
        if (rnd(25) == 0)
            one_forget(lc);
        else
            one_nesting(lc);
    }
    cw_lock_classes_free(lc);
}

int main(int argc, char **argv)
{
    test_shapes();
    uint64_t first = argc > 1 ? strtoull(argv[1], NULL, 0) : 1;
    int rounds = argc > 2 ? atoi(argv[2]) : 300;
    for (int r = 0; r < rounds && failures == 0; r++) {
        seed = first + (uint64_t)r;
        rng = seed * 0x9E3779B97F4A7C15ull | 1;
        round_once();
    }
    if (failures) {
        fprintf(stderr, "test_lock_classes: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_lock_classes: ok (%d rounds)\n", rounds);
    return 0;
}

/*
 * Naming locks the way the code does (data_names.h, code_names.h,
 * lock_names.h).
 *
 *   test_lock_names FIXTURE
 *
 * FIXTURE (fixtures/lockname_fix.c) reports its locks' addresses and code
 * addresses as the shim would; each must come out with the expected name.
 * The string rules of code_names.h and the Python rules of lock_names.h are
 * checked on their own (a Python file is written to a temporary directory).
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "report/code_names.h"
#include "report/data_names.h"
#include "report/lock_names.h"
#include "report/symbolizer.h"
#include "report/xalloc.h"

static bool same(const char *a, const char *b)
{
    if (strcmp(b, "-") == 0)
        return a == NULL;
    return a && strcmp(a, b) == 0;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void check_same(const char *got, const char *want, int line)
{
    if (!same(got, want)) {
        fprintf(stderr, "%s:%d: got <<%s>>, want <<%s>>\n", __FILE__, line, got ? got : "(null)", want);
        failures++;
    }
}
#define CHECK_SAME(got, want) check_same(got, want, __LINE__)

static void test_c_lines(void)
{
    static const struct { const char *line, *want; } cases[] = {
        { "    pthread_mutex_lock(&a->lock); /* @edge */", "a->lock" },
        { "pthread_mutex_init(&fork_lock[i], NULL);", "fork_lock[i]" },
        { "  rc = pthread_cond_wait(&c->ready, &c->lock);", "c->lock" },
        { "sem_wait(&(q->slots));", "q->slots" },
        { "pthread_spin_lock(&rx . lock);", "rx . lock" },
        { "std::lock_guard<std::mutex> payer(from.m);", "from.m" },
        { "std::unique_lock<std::mutex> lk{acct->m};", "acct->m" },
        { "std::scoped_lock both(a.m, b.m);", "-" },
        { "    acct->m.lock();", "acct->m" },
        { "if (pthread_mutex_trylock(&pool[i].m) == 0)", "pool[i].m" },
        { "pthread_mutex_lock(m);", "-" },                  /* a pointer, not &path */
        { "pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);", "-" },
        { "pthread_cond_signal(&c->ready);", "-" },
        { "foo_lock(&a->lock);", "-" },
        { "", "-" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[128];
        bool ok = cw_c_lock_expression(cases[i].line, out, sizeof out);
        CHECK_SAME(ok ? out : NULL, cases[i].want);
    }
    char tiny[4];
    CHECK(!cw_c_lock_expression("pthread_mutex_lock(&a->long_name);", tiny, sizeof tiny));
}

static void test_python_lines(void)
{
    static const struct { const char *line, *want; } cases[] = {
        { "        self.lock = threading.Lock()", "self.lock" },
        { "lock_a: threading.Lock = threading.Lock()", "lock_a" },
        { "locks[0] = Lock()", "locks[0]" },
        { "alice = Account(\"alice\", 100)", "alice" },
        { "x = y", "-" },
        { "if x == Lock():", "-" },
        { "a, b = Lock(), Lock()", "-" },
        { "with src.lock:", "-" },
        { "    job = jobs.get()", "job" },           /* a call's result: the caller decides */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[128];
        bool ok = cw_python_assigned_name(cases[i].line, out, sizeof out);
        CHECK_SAME(ok ? out : NULL, cases[i].want);
    }
}

/* The fixture's locks by DWARF, and one end to end through cw_name_locks. */
static void test_fixture(const char *fixture)
{
    FILE *p = popen(fixture, "r");
    CHECK(p != NULL);
    if (!p)
        return;
    cw_symbolizer *sym = cw_symbolizer_new();
    cw_data_names *names = cw_data_names_new(sym);
    cw_finding_list list = { 0 };
    cw_finding *f = cw_array_push(&list.items, &list.n, sizeof *f);
    char line[8192];
    int ndata = 0, ncode = 0;
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        char *field[8];
        int n = 0;
        for (char *s = line, *tok; n < 8 && (tok = strsep(&s, "\t"));)
            field[n++] = tok;
        uint64_t vaddr = n > 2 ? strtoull(field[2], NULL, 16) : 0;
        if (n == 5 && strcmp(field[0], "data") == 0) {
            cw_static_data d;
            bool ok = cw_static_data_name(names, field[1], vaddr, &d);
            CHECK(ok);
            CHECK_SAME(d.expr, field[3]);
            CHECK_SAME(d.storage, field[4]);
            CHECK(d.decl_file && strstr(d.decl_file, "lockname_fix.c") && d.decl_line > 0);
            cw_static_data_clear(&d);
            ndata++;
            /* The same lock through cw_name_locks: named by variable. */
            cw_lock *l = cw_array_push(&f->locks, &f->nlocks, sizeof *l);
            l->id = cw_xstrdup("M1");
            l->type = cw_xstrdup("mutex");
            l->module = cw_xstrdup(field[1]);
            l->vaddr = vaddr;
        } else if (n == 7 && strcmp(field[0], "code") == 0) {
            cw_path_type t;
            bool ok = cw_path_type_at(names, field[1], vaddr, true, field[3], &t);
            CHECK(ok);
            CHECK_SAME(t.member, field[4]);
            CHECK_SAME(t.container, field[5]);
            CHECK_SAME(t.local_of, field[6]);
            cw_path_type_clear(&t);
            /* Not in scope there, or not a member: nothing. */
            CHECK(!cw_path_type_at(names, field[1], vaddr, true, "no_such_variable->lock", &t));
            CHECK(!cw_path_type_at(names, field[1], vaddr, true, "a->no_such_member", &t) ||
                  strcmp(field[3], "a->lock") != 0);
            ncode++;
            /* A heap lock created on that line, named by type and site. */
            cw_lock *l = cw_array_push(&f->locks, &f->nlocks, sizeof *l);
            l->id = cw_xstrdup("M2");
            l->type = cw_xstrdup("mutex");
            l->how = cw_xstrdup("created");
            cw_frame *fr = cw_array_push(&l->frames, &l->nframes, sizeof *fr);
            fr->module = cw_xstrdup(field[1]);
            fr->vaddr = vaddr;
            fr->is_return = true;
        }
    }
    pclose(p);
    CHECK(ndata == 4 && ncode == 3);
    cw_symbolize_findings(sym, &list);
    cw_name_locks(sym, &list, NULL);
    for (size_t i = 0; i < f->nlocks; i++) {
        const cw_lock *l = &f->locks[i];
        if (getenv("CW_TEST_VERBOSE") || !l->description || (l->module && !l->name))
            fprintf(stderr, "lock %zu: name %s, description %s\n", i, l->name ? l->name : "(null)",
                    l->description ? l->description : "(null)");
        CHECK(l->description != NULL);
    }
    /* accounts[1].lock, then the heap one: its type and where it was made. */
    CHECK(f->nlocks > 4 && same(f->locks[0].name, "accounts[1].lock") &&
          strstr(f->locks[0].description, "`accounts[1].lock` (global, ") != NULL);
    bool heap = false, local = false;
    for (size_t i = 0; i < f->nlocks; i++) {
        const char *d = f->locks[i].description ? f->locks[i].description : "";
        heap |= starts_with(d, "field `lock` of an account_t (initialised at ") && strstr(d, "lockname_fix.c:");
        local |= starts_with(d, "`local.m` (local in open_local(), initialised at ");
    }
    CHECK(heap);
    CHECK(local);
    cw_finding_list_free(&list);
    cw_data_names_free(names);
    cw_symbolizer_free(sym);
}

static cw_frame pyframe(const char *file, int line, const char *function)
{
    return (cw_frame){ .is_python = true, .file = cw_xstrdup(file), .line = line,
                       .function = cw_xstrdup(function) };
}

static void test_python_names(void)
{
    char dir[] = "/tmp/cw_lock_names.XXXXXX", file[64], stdlib_file[128];
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    snprintf(file, sizeof file, "%s/app.py", dir);
    snprintf(stdlib_file, sizeof stdlib_file, "%s/lib/python3.11/threading.py", dir);
    FILE *out = fopen(file, "w");
    fputs("import threading\n"                       /* 1 */
          "\n"                                       /* 2 */
          "class Account:\n"                         /* 3 */
          "    def __init__(self):\n"                /* 4 */
          "        # a comment\n"                    /* 5 */
          "        self.lock = threading.Lock()\n"   /* 6 */
          "\n"                                       /* 7 */
          "lock_a = threading.Lock()\n"              /* 8 */
          "cond = threading.Condition()\n"           /* 9 */
          "job = q.get()\n", out);                   /* 10 */
    fclose(out);
    cw_finding_list list = { 0 };
    cw_finding *f = cw_array_push(&list.items, &list.n, sizeof *f);
    struct { cw_frame frames[2]; size_t n; const char *want; } cases[] = {
        { { pyframe(file, 6, "__init__"), pyframe(file, 12, "<module>") }, 2,
          "attribute `lock` of an Account object (created at " },
        { { pyframe(file, 8, "<module>") }, 1, "`lock_a` (created at " },
        /* Made by a library constructor called on the user's line. */
        { { pyframe(stdlib_file, 230, "__init__"), pyframe(file, 9, "<module>") }, 2, "`cond` (created at " },
        /* Made by the library for its own use (Condition.wait's waiter). */
        { { pyframe(stdlib_file, 320, "wait"), pyframe(file, 10, "<module>") }, 2, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cw_lock *l = cw_array_push(&f->locks, &f->nlocks, sizeof *l);
        l->id = cw_xstrdup("M1");
        l->type = cw_xstrdup("semaphore");
        l->how = cw_xstrdup("created");
        for (size_t k = 0; k < cases[i].n; k++)
            *(cw_frame *)cw_array_push(&l->frames, &l->nframes, sizeof(cw_frame)) = cases[i].frames[k];
    }
    cw_symbolizer *sym = cw_symbolizer_new();
    cw_name_locks(sym, &list, NULL);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *d = f->locks[i].description;
        if (cases[i].want == NULL)
            CHECK_SAME(d, "-");
        else if (!d || !starts_with(d, cases[i].want))
            CHECK_SAME(d, cases[i].want);
    }
    CHECK(same(f->locks[1].name, "lock_a") && f->locks[0].name == NULL);
    cw_symbolizer_free(sym);
    cw_finding_list_free(&list);
    unlink(file);
    rmdir(dir);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE\n", argv[0]);
        return 2;
    }
    test_c_lines();
    test_python_lines();
    test_fixture(argv[1]);
    test_python_names();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}

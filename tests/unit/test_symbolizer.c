/*
 * Symbolizer against fixture programs that report their own frames (see
 * fixtures/symfix.h): a PIE, a non-PIE, a split-debug (.gnu_debuglink) and a
 * no-debug-info build, each also calling into a shared library.
 *
 *   test_symbolizer FIXTURE             function, file and line must match
 *   test_symbolizer FIXTURE --no-debug  only the ELF symbol name is expected
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/symbolizer.h"
#include "report/xalloc.h"

static int failures;

#define CHECK(cond, ...)                                                   \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "%s:%d: CHECK(%s) failed: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                  \
            fputc('\n', stderr);                                           \
            failures++;                                                    \
        }                                                                  \
    } while (0)

typedef struct expectation {
    char function[256], file[4096];
    int line;
} expectation;

typedef struct group {
    cw_frame frame;
    expectation expect[8];
    int nexpect;
} group;

static bool same(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static void check_group(cw_symbolizer *sym, const group *g, bool no_debug)
{
    cw_frame *frames = NULL;
    size_t n = 0;
    cw_frame *f = cw_array_push(&frames, &n, sizeof *f);
    *f = g->frame;
    f->module = cw_xstrdup(g->frame.module);
    cw_symbolize_frames(sym, &frames, &n);
    const char *where = g->frame.module;
    if (no_debug) {
        /* Without DWARF there is no inlining information: one frame, named
           by the ELF symbol of the function the code physically lies in. */
        const expectation *outer = &g->expect[g->nexpect - 1];
        CHECK(n == 1, "%s: %zu frames", where, n);
        CHECK(same(frames[0].function, outer->function), "%s+%#lx: function %s, want %s", where,
              (unsigned long)g->frame.vaddr, frames[0].function, outer->function);
        CHECK(frames[0].file == NULL, "file %s without debug info", frames[0].file);
    } else {
        CHECK(n == (size_t)g->nexpect, "%s+%#lx: %zu frames, want %d", where,
              (unsigned long)g->frame.vaddr, n, g->nexpect);
        for (size_t i = 0; i < n && i < (size_t)g->nexpect; i++) {
            const expectation *e = &g->expect[i];
            CHECK(same(frames[i].function, e->function), "#%zu function %s, want %s", i,
                  frames[i].function, e->function);
            CHECK(same(frames[i].file, e->file), "#%zu file %s, want %s", i, frames[i].file, e->file);
            CHECK(e->line < 0 || frames[i].line == e->line, "#%zu %s line %d, want %d", i,
                  e->function, frames[i].line, e->line);
            CHECK(frames[i].is_inlined == (i + 1 < n), "#%zu inlined flag", i);
            CHECK(frames[i].vaddr == g->frame.vaddr, "#%zu vaddr kept", i);
        }
    }
    for (size_t i = 0; i < n; i++)
        cw_frame_clear(&frames[i]);
    free(frames);
}

/* Reads the fixture's output into groups; returns how many. */
static int read_groups(const char *fixture, group *groups, int max)
{
    FILE *p = popen(fixture, "r");
    if (!p) {
        perror(fixture);
        exit(1);
    }
    char line[8192];
    int n = 0;
    static char module[64][4096];
    while (fgets(line, sizeof line, p)) {
        line[strcspn(line, "\n")] = '\0';
        char *save, *tag = strtok_r(line, "\t", &save);
        if (tag && strcmp(tag, "frame") == 0 && n < max) {
            group *g = &groups[n];
            memset(g, 0, sizeof *g);
            snprintf(module[n], sizeof module[n], "%s", strtok_r(NULL, "\t", &save));
            g->frame.module = module[n];
            g->frame.vaddr = strtoull(strtok_r(NULL, "\t", &save), NULL, 16);
            g->frame.is_return = strtok_r(NULL, "\t", &save)[0] == 'r';
            n++;
        } else if (tag && strcmp(tag, "expect") == 0 && n > 0 && groups[n - 1].nexpect < 8) {
            expectation *e = &groups[n - 1].expect[groups[n - 1].nexpect++];
            snprintf(e->function, sizeof e->function, "%s", strtok_r(NULL, "\t", &save));
            snprintf(e->file, sizeof e->file, "%s", strtok_r(NULL, "\t", &save));
            e->line = atoi(strtok_r(NULL, "\t", &save));
        }
    }
    CHECK(pclose(p) == 0, "%s failed", fixture);
    return n;
}

/* Whatever the module, symbolization must not crash and must say "nothing". */
static void check_unusable_modules(cw_symbolizer *sym)
{
    const char *bad[] = { "/nonexistent/libnothing.so", "/", "/etc/passwd", "", "relative.so" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (int twice = 0; twice < 2; twice++) {       /* second time: from the cache */
            cw_frame f = { .module = (char *)bad[i], .vaddr = 0x1234, .is_return = true };
            CHECK(!cw_symbolize_frame(sym, &f), "%s symbolized", bad[i]);
            CHECK(f.function == NULL && f.file == NULL, "%s filled", bad[i]);
        }
    }
    cw_frame zero = { .module = (char *)"/proc/self/exe", .vaddr = 0, .is_return = true };
    cw_symbolize_frame(sym, &zero);                     /* vaddr-1 must not wrap */
    free(zero.function);
    free(zero.file);
    cw_frame py = { .is_python = true, .file = (char *)"app.py", .line = 3 };
    CHECK(!cw_symbolize_frame(sym, &py) && py.function == NULL, "python frame touched");
}

/* The single-frame API gives the innermost call. */
static void check_single_frame_api(cw_symbolizer *sym, const group *g)
{
    cw_frame f = g->frame;
    f.module = cw_xstrdup(g->frame.module);
    CHECK(cw_symbolize_frame(sym, &f), "single frame");
    CHECK(same(f.function, g->expect[0].function), "single: %s, want %s", f.function,
          g->expect[0].function);
    cw_frame_clear(&f);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FIXTURE [--no-debug]\n", argv[0]);
        return 2;
    }
    bool no_debug = argc > 2 && strcmp(argv[2], "--no-debug") == 0;
    static group groups[64];
    int n = read_groups(argv[1], groups, 64);
    /* symfix_known's call, its entry, the inlined call, the library's call */
    CHECK(n == 4, "fixture printed %d frames, want 4", n);

    cw_symbolizer *sym = cw_symbolizer_new();
    for (int i = 0; i < n; i++)
        check_group(sym, &groups[i], no_debug);
    if (!no_debug && n > 0)
        check_single_frame_api(sym, &groups[0]);
    check_unusable_modules(sym);
    cw_symbolizer_free(sym);

    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}

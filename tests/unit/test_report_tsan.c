/* The TSan report reader (tsan_reports.h, through tsan_report_parse.h and
   tsan_findings.h) and the TSAN_OPTIONS it relies on (tsan_options.h): real
   gcc 12 TSan logs, written with concwatch's frame format while the shim was
   preloaded, and their cut, default-format and garbage variants. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "report/finding_reader.h"
#include "report/tsan_options.h"
#include "report/tsan_reports.h"

static bool eq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static bool has(const char *s, const char *part)
{
    return s && strstr(s, part) != NULL;
}

static bool starts(const char *prefix, const char *s)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static size_t parse(const char *text, cw_finding_list *out)
{
    return cw_parse_tsan_log(text, strlen(text), 7, NULL, out, NULL);
}

#define SHIM "/work/main/build/bin/libconcwatch.so"
#define TSAN "/lib/x86_64-linux-gnu/libtsan.so.2"
#define LIBC "/lib/x86_64-linux-gnu/libc.so.6"
#define TSAN_CREATE "\t" TSAN "\t0x5e686\tpthread_create\t../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp\t1001\n"
#define TSAN_LOCK "\t" TSAN "\t0x558e1\tpthread_mutex_lock\t../../../../src/libsanitizer/sanitizer_common/sanitizer_common_interceptors.inc\t4324\n"

/* samples/counter_race.c, TSan build, under concwatch. */
static const char COUNTER_RACE[] =
    "==================\n"
    "WARNING: ThreadSanitizer: data race (pid=16402)\n"
    "  Read of size 8 at 0x55e64d64f0c0 by thread T1:\n"
    "    #0\t/tmp/cr\t0x11f7\trecord_hit\t/src/samples/counter_race.c\t24\n"
    "    #1\t/tmp/cr\t0x123e\tweb_worker\t/src/samples/counter_race.c\t32\n"
    "    #2\t" SHIM "\t0x5676\tstart_thread_wrapper\t/src/preload/intercept_thread.c\t31\n"
    "\n"
    "  Previous write of size 8 at 0x55e64d64f0c0 by thread T3:\n"
    "    #0\t/tmp/cr\t0x120a\trecord_hit\t/src/samples/counter_race.c\t24\n"
    "    #1\t/tmp/cr\t0x123e\tweb_worker\t/src/samples/counter_race.c\t32\n"
    "    #2\t" SHIM "\t0x5676\tstart_thread_wrapper\t/src/preload/intercept_thread.c\t31\n"
    "\n"
    "  Location is global 'hits' of size 8 at 0x55e64d64f0c0 (cr+0x40c0)\n"
    "\n"
    "  Thread T1 (tid=16404, running) created by main thread at:\n"
    "    #0" TSAN_CREATE
    "    #1\t" SHIM "\t0x57ca\tpthread_create\t/src/preload/intercept_thread.c\t52\n"
    "    #2\t" LIBC "\t0x27249\t__libc_start_call_main\t../sysdeps/nptl/libc_start_call_main.h\t58\n"
    "\n"
    "  Thread T3 (tid=16406, running) created by main thread at:\n"
    "    #0" TSAN_CREATE
    "    #1\t" SHIM "\t0x57ca\tpthread_create\t/src/preload/intercept_thread.c\t52\n"
    "    #2\t" LIBC "\t0x27249\t__libc_start_call_main\t../sysdeps/nptl/libc_start_call_main.h\t58\n"
    "\n"
    "SUMMARY: ThreadSanitizer: data race /src/samples/counter_race.c:24 in record_hit\n"
    "==================\n"
    "ThreadSanitizer: reported 1 warnings\n";

static bool no_tool_frames(const cw_finding *f)
{
    for (size_t s = 0; s < f->nstacks; s++)
        for (size_t i = 0; i < f->stacks[s].nframes; i++)
            if (has(f->stacks[s].frames[i].module, "libconcwatch") || has(f->stacks[s].frames[i].module, "libtsan"))
                return false;
    for (size_t l = 0; l < f->nlocks; l++)
        for (size_t i = 0; i < f->locks[l].nframes; i++)
            if (has(f->locks[l].frames[i].module, "libconcwatch") || has(f->locks[l].frames[i].module, "libtsan"))
                return false;
    return true;
}

static void test_counter_race(void)
{
    cw_finding_list l = { 0 };
    CHECK(parse(COUNTER_RACE, &l) == 1 && l.n == 1);
    if (l.n != 1)
        return;
    cw_finding *f = &l.items[0];
    CHECK(eq(f->kind, "data-race"));
    CHECK(f->pid == 7);
    CHECK(has(f->message, "global 'hits' (8 bytes)"));
    CHECK(has(f->message, "read by T1") && has(f->message, "written by T3"));
    /* The two accesses; the thread-creation stacks hold nothing of the user's
       once the shim's and TSan's frames are gone, so they are left out. */
    CHECK(f->nstacks == 2);
    CHECK(f->nlocks == 0);
    CHECK(no_tool_frames(f));
    CHECK(eq(f->stacks[0].thread, "T1") && eq(f->stacks[0].role, "reads 'hits' (8 bytes) here"));
    CHECK(eq(f->stacks[1].thread, "T3") && eq(f->stacks[1].role, "wrote 'hits' (8 bytes) here"));
    CHECK(f->stacks[0].nframes == 2 && f->stacks[1].nframes == 2);
    cw_frame *fr = &f->stacks[0].frames[0];
    CHECK(eq(fr->function, "record_hit") && eq(fr->file, "/src/samples/counter_race.c") && fr->line == 24);
    CHECK(eq(fr->module, "/tmp/cr") && fr->vaddr == 0x11f7 && !fr->is_return && !fr->is_inlined);
    CHECK(eq(f->stacks[1].frames[1].function, "web_worker") && f->stacks[1].frames[1].line == 32);
    CHECK(f->nnotes >= 1 && has(f->notes[0], "ThreadSanitizer"));
    cw_finding_list_free(&l);
}

/* samples/flag_two_locks.c: mutexes held, a sleep, main thread. */
static const char FLAG_TWO_LOCKS[] =
    "==================\n"
    "WARNING: ThreadSanitizer: data race (pid=8039)\n"
    "  Write of size 4 at 0x558cf2bb5128 by main thread (mutexes: write M7):\n"
    "    #0\t/tmp/f2l\t0x1265\trequest_shutdown\t/src/samples/flag_two_locks.c\t36\n"
    "    #1\t/tmp/f2l\t0x1383\tmain\t/src/samples/flag_two_locks.c\t65\n"
    "\n"
    "  Previous read of size 4 at 0x558cf2bb5128 by thread T1 (mutexes: write M6, read M9):\n"
    "    #0\t/tmp/f2l\t0x1223\tshould_stop\t/src/samples/flag_two_locks.c\t43\n"
    "    #1\t/tmp/f2l\t0x131d\tpoller\t/src/samples/flag_two_locks.c\t51\n"
    "    #2\t" SHIM "\t0x5676\tstart_thread_wrapper\t/src/preload/intercept_thread.c\t31\n"
    "\n"
    "  As if synchronized via sleep:\n"
    "    #0\t" TSAN "\t0x620f6\tnanosleep\t../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp\t358\n"
    "    #1\t/tmp/f2l\t0x12c7\tpause_ms\t/src/samples/flag_two_locks.c\t30\n"
    "    #2\t/tmp/f2l\t0x137e\tmain\t/src/samples/flag_two_locks.c\t64\n"
    "\n"
    "  Location is global 'shutdown_requested' of size 4 at 0x558cf2bb5128 (f2l+0x4128)\n"
    "\n"
    "  Mutex M7 (0x558cf2bb5100) created at:\n"
    "    #0" TSAN_LOCK
    "    #1\t" SHIM "\t0x32dc\tpthread_mutex_lock\t/src/preload/intercept_mutex.c\t73\n"
    "    #2\t/tmp/f2l\t0x1383\tmain\t/src/samples/flag_two_locks.c\t65\n"
    "\n"
    "  Mutex M6 (0x558cf2bb50c0) created at:\n"
    "    #0\t" TSAN "\t0x4f0a0\tpthread_mutex_init\t../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp\t1227\n"
    "    #1\t" SHIM "\t0x3100\tpthread_mutex_init\t/src/preload/intercept_mutex.c\t40\n"
    "    #2\t/tmp/f2l\t0x1300\tmain\t/src/samples/flag_two_locks.c\t60\n"
    "\n"
    "  Mutex M9 is already destroyed.\n"
    "\n"
    "  Thread T1 (tid=8041, running) created by main thread at:\n"
    "    #0" TSAN_CREATE
    "    #1\t" SHIM "\t0x57ca\tpthread_create\t/src/preload/intercept_thread.c\t52\n"
    "    #2\t/tmp/f2l\t0x1370\tstart_poller\t/src/samples/flag_two_locks.c\t58\n"
    "\n"
    "SUMMARY: ThreadSanitizer: data race /src/samples/flag_two_locks.c:36 in request_shutdown\n"
    "==================\n";

static void test_mutexes_sleep_threads(void)
{
    cw_finding_list l = { 0 };
    CHECK(parse(FLAG_TWO_LOCKS, &l) == 1);
    if (l.n != 1)
        return;
    cw_finding *f = &l.items[0];
    CHECK(has(f->message, "global 'shutdown_requested' (4 bytes)"));
    CHECK(has(f->message, "written by T0") && has(f->message, "read by T1"));
    CHECK(no_tool_frames(f));
    CHECK(f->nstacks == 3);
    CHECK(eq(f->stacks[0].thread, "T0"));
    CHECK(eq(f->stacks[0].role, "writes 'shutdown_requested' (4 bytes) here, holding M7"));
    CHECK(eq(f->stacks[1].role, "read 'shutdown_requested' (4 bytes) here, holding M6, M9 (read)"));
    CHECK(f->stacks[1].nframes == 2);
    /* The creation of T1 has a frame of the user's: kept, as main's. */
    CHECK(eq(f->stacks[2].thread, "T0") && eq(f->stacks[2].role, "creates T1 here"));
    CHECK(f->stacks[2].nframes == 1 && eq(f->stacks[2].frames[0].function, "start_poller"));
    CHECK(f->nlocks == 3);
    CHECK(eq(f->locks[0].id, "M7") && eq(f->locks[0].type, "mutex") && eq(f->locks[0].how, "first used"));
    CHECK(f->locks[0].nframes == 1 && eq(f->locks[0].frames[0].function, "main"));
    CHECK(eq(f->locks[1].id, "M6") && eq(f->locks[1].how, "created"));
    CHECK(eq(f->locks[2].id, "M9") && f->locks[2].nframes == 0);
    bool sleep_note = false;
    for (size_t i = 0; i < f->nnotes; i++)
        sleep_note |= has(f->notes[i], "sleep") && has(f->notes[i], "pause_ms (flag_two_locks.c:30)");
    CHECK(sleep_note);
    cw_finding_list_free(&l);
}

/* Heap block, inlined frames, TSan's default frame format. */
static const char HEAP_DEFAULT_FORMAT[] =
    "==================\n"
    "WARNING: ThreadSanitizer: data race (pid=8794)\n"
    "  Atomic write of size 4 at 0x7b0400000008 by thread T2:\n"
    "    #0 bump /tmp/heap.c:6:3 (heap+0x1228)\n"
    "    #1 worker /tmp/heap.c:9 (heap+0x1228)\n"
    "    #2 std::vector<int, std::allocator<int> >::at(unsigned long) const <null> (libfoo.so+0x77)\n"
    "    #3 <null> <null> (libtsan.so.2+0x38990)\n"
    "\n"
    "  Previous read of size 4 at 0x7b0400000008 by main thread:\n"
    "      [failed to restore the stack]\n"
    "\n"
    "  Location is heap block of size 16 at 0x7b0400000000 allocated by main thread:\n"
    "    #0 calloc ../../../../src/libsanitizer/tsan/tsan_interceptors_posix.cpp:667 (libtsan.so.2+0x3ee50)\n"
    "    #1 main /tmp/heap.c:12 (heap+0x125f)\n"
    "\n"
    "SUMMARY: ThreadSanitizer: data race /tmp/heap.c:6 in bump\n"
    "==================\n";

static void test_heap_default_format(void)
{
    cw_finding_list l = { 0 };
    CHECK(parse(HEAP_DEFAULT_FORMAT, &l) == 1);
    if (l.n != 1)
        return;
    cw_finding *f = &l.items[0];
    CHECK(has(f->message, "4 bytes at offset 8 of a heap block of 16 bytes"));
    CHECK(has(f->message, "atomically written by T2") && has(f->message, "read by T0"));
    CHECK(f->nstacks == 3);
    CHECK(eq(f->stacks[0].role, "atomically writes 4 bytes at offset 8 of the heap block here"));
    CHECK(f->stacks[0].nframes == 3);
    cw_frame *fr = f->stacks[0].frames;
    CHECK(eq(fr[0].function, "bump") && eq(fr[0].file, "/tmp/heap.c") && fr[0].line == 6);
    CHECK(eq(fr[0].module, "heap") && fr[0].vaddr == 0x1228 && fr[0].is_inlined);
    CHECK(eq(fr[1].function, "worker") && fr[1].line == 9 && !fr[1].is_inlined);
    CHECK(eq(fr[2].function, "std::vector<int, std::allocator<int> >::at(unsigned long) const"));
    CHECK(fr[2].file == NULL && eq(fr[2].module, "libfoo.so") && fr[2].vaddr == 0x77);
    CHECK(f->stacks[1].nframes == 0 && eq(f->stacks[1].thread, "T0"));
    CHECK(eq(f->stacks[2].role, "allocates the heap block here") && eq(f->stacks[2].thread, "T0"));
    CHECK(f->stacks[2].nframes == 1 && f->stacks[2].frames[0].line == 12);
    bool restore_note = false;
    for (size_t i = 0; i < f->nnotes; i++)
        restore_note |= has(f->notes[i], "could not restore");
    CHECK(restore_note);
    cw_finding_list_free(&l);
}

/* concwatch reports lock order and mutex misuse itself: TSan's are dropped. */
static const char LOCK_REPORTS[] =
    "==================\n"
    "WARNING: ThreadSanitizer: lock-order-inversion (potential deadlock) (pid=12266)\n"
    "  Cycle in lock order graph: M0 (0x556dc87f50c0) => M1 (0x556dc87f5080) => M0\n"
    "\n"
    "  Mutex M1 acquired here while holding mutex M0 in thread T1:\n"
    "    #0" TSAN_LOCK
    "    #1\t/tmp/abba\t0x1203\ttransfer\t/src/samples/abba.c\t35\n"
    "\n"
    "    Hint: use TSAN_OPTIONS=second_deadlock_stack=1 to get more informative warning message\n"
    "\n"
    "SUMMARY: ThreadSanitizer: lock-order-inversion (potential deadlock) /src/samples/abba.c:35 in transfer\n"
    "==================\n"
    "==================\n"
    "WARNING: ThreadSanitizer: unlock of an unlocked mutex (or by a wrong thread) (pid=8123)\n"
    "    #0\t" TSAN "\t0x439f1\tpthread_mutex_unlock\tx.inc\t4338\n"
    "    #1\t" SHIM "\t0x36ba\tpthread_mutex_unlock\t/src/preload/intercept_mutex.c\t138\n"
    "    #2\t/tmp/m\t0x1209\tnightly_job\t/src/samples/misuse_unlock_unowned.c\t27\n"
    "\n"
    "SUMMARY: ThreadSanitizer: unlock of an unlocked mutex (or by a wrong thread) x.c:1 in f\n"
    "==================\n"
    "==================\n"
    "WARNING: ThreadSanitizer: destroy of a locked mutex (pid=8123)\n"
    "    #0\t/tmp/m\t0x1209\tmain\t/src/m.c\t27\n"
    "==================\n"
    "ThreadSanitizer: reported 3 warnings\n";

static void test_lock_reports_dropped(void)
{
    cw_finding_list l = { 0 };
    CHECK(parse(LOCK_REPORTS, &l) == 0 && l.n == 0);
    cw_finding_list_free(&l);
}

/* Other reports are misuse; the shim's own doings are dropped. */
static const char OTHER_REPORTS[] =
    "==================\n"
    "WARNING: ThreadSanitizer: thread leak (pid=12262)\n"
    "  Thread T1 (tid=12264, finished) created by main thread at:\n"
    "    #0" TSAN_CREATE
    "    #1\t" SHIM "\t0x57ca\tpthread_create\t/src/preload/intercept_thread.c\t52\n"
    "    #2\t/tmp/leak\t0x11a5\tmain\t/tmp/leak.c\t4\n"
    "\n"
    "  And 2 more similar thread leaks.\n"
    "\n"
    "SUMMARY: ThreadSanitizer: thread leak /tmp/leak.c:4 in main\n"
    "==================\n"
    /* a thread the shim made itself */
    "==================\n"
    "WARNING: ThreadSanitizer: thread leak (pid=12262)\n"
    "  Thread T2 (tid=12265, finished) created by main thread at:\n"
    "    #0" TSAN_CREATE
    "    #1\t" SHIM "\t0x6000\tcw_watcher_start\t/src/preload/watcher.c\t80\n"
    "    #2\t" SHIM "\t0x6100\tshim_init\t/src/preload/shim_init.c\t20\n"
    "\n"
    "==================\n"
    /* an access made by the shim's bookkeeping inside a forwarded call */
    "==================\n"
    "WARNING: ThreadSanitizer: data race (pid=12262)\n"
    "  Write of size 8 at 0x7f0000001000 by thread T1:\n"
    "    #0\t" TSAN "\t0x40000\tmemcpy\tx.inc\t1\n"
    "    #1\t" SHIM "\t0x7000\tcw_record_end\t/src/detector/events/record_writer.c\t99\n"
    "    #2\t" SHIM "\t0x32dc\tpthread_mutex_lock\t/src/preload/intercept_mutex.c\t73\n"
    "    #3\t/tmp/p\t0x1200\tmain\t/tmp/p.c\t9\n"
    "\n"
    "  Previous write of size 8 at 0x7f0000001000 by main thread:\n"
    "    #0\t/tmp/p\t0x1300\tmain\t/tmp/p.c\t12\n"
    "==================\n"
    /* a race on a mutex object, through a forwarded call (with an inlined helper): the user's */
    "==================\n"
    "WARNING: ThreadSanitizer: data race (pid=12262)\n"
    "  Write of size 1 at 0x7b1000000000 by thread T1:\n"
    "    #0\t" TSAN "\t0x41000\tpthread_mutex_destroy\tx.inc\t1\n"
    "    #1\t" SHIM "\t0x3400\tforget_lock\t/src/preload/intercept_mutex.c\t50\n"
    "    #2\t" SHIM "\t0x3400\tpthread_mutex_destroy\t/src/preload/intercept_mutex.c\t60\n"
    "    #3\t/tmp/p\t0x1250\tshutdown\t/tmp/p.c\t20\n"
    "\n"
    "  Previous read of size 1 at 0x7b1000000000 by main thread:\n"
    "    #0" TSAN_LOCK
    "    #1\t" SHIM "\t0x32dc\tpthread_mutex_lock\t/src/preload/intercept_mutex.c\t73\n"
    "    #2\t/tmp/p\t0x1300\tmain\t/tmp/p.c\t12\n"
    "\n"
    "  Location is stack of main thread.\n"
    "\n"
    "==================\n";

static void test_other_reports(void)
{
    cw_finding_list l = { 0 };
    CHECK(parse(OTHER_REPORTS, &l) == 2 && l.n == 2);
    if (l.n != 2)
        return;
    cw_finding *f = &l.items[0];
    CHECK(eq(f->kind, "misuse") && has(f->message, "thread leak") && has(f->message, "ThreadSanitizer"));
    CHECK(f->nstacks == 1 && eq(f->stacks[0].thread, "T0") && eq(f->stacks[0].role, "creates T1 here"));
    CHECK(f->stacks[0].nframes == 1 && eq(f->stacks[0].frames[0].function, "main"));
    CHECK(f->nnotes == 1 && has(f->notes[0], "2 more similar"));
    f = &l.items[1];
    CHECK(eq(f->kind, "data-race") && has(f->message, "a stack variable of T0"));
    CHECK(f->nstacks == 2 && no_tool_frames(f));
    CHECK(f->stacks[0].nframes == 1 && eq(f->stacks[0].frames[0].function, "shutdown"));
    CHECK(eq(f->stacks[0].role, "writes 1 byte at 0x7b1000000000 here"));
    cw_finding_list_free(&l);
}

/* Mutexes that are global objects are named from the module's symbol table:
   a log made up at run time about this very program. */
static struct { long word[4]; } test_named_lock;

static int first_module(struct dl_phdr_info *info, size_t size, void *bias)
{
    (void)size;
    *(uint64_t *)bias = info->dlpi_addr;
    return 1;                          /* the program comes first */
}

static void test_mutex_names(void)
{
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    CHECK(n > 0);
    if (n <= 0)
        return;
    exe[n] = '\0';
    uint64_t bias = 0;
    dl_iterate_phdr(first_module, &bias);
    long *heap = malloc(64);
    test_named_lock.word[1] = 1;
    char *log = NULL;
    CHECK(asprintf(&log,
        "==================\n"
        "WARNING: ThreadSanitizer: data race (pid=1)\n"
        "  Write of size 8 at %p by thread T1 (mutexes: write M3, read M4):\n"
        "    #0\t0x%" PRIx64 "\t%s\t0x1000\tf\tx.c\t1\n"
        "\n"
        "  Previous read of size 8 at %p by main thread:\n"
        "    #0\t0x%" PRIx64 "\t%s\t0x1010\tg\tx.c\t2\n"
        "\n"
        "  Mutex M3 (%p) created at:\n"
        "    #0\t0x%" PRIx64 "\t%s\t0x1000\tf\tx.c\t1\n"
        "\n"
        "  Mutex M4 (%p) created at:\n"
        "    #0\t0x%" PRIx64 "\t%s\t0x1010\tg\tx.c\t2\n"
        "\n"
        "==================\n",
        (void *)heap, bias + 0x1001, exe, (void *)heap, bias + 0x1011, exe,
        (void *)&test_named_lock.word[1], bias + 0x1001, exe, (void *)heap, bias + 0x1011, exe) > 0);
    cw_finding_list l = { 0 };
    CHECK(parse(log, &l) == 1);
    if (l.n == 1) {
        /* M4 is on the heap: no name. */
        CHECK(has(l.items[0].stacks[0].role, " here, holding M3 (test_named_lock+8), M4 (read)"));
        CHECK(!has(l.items[0].stacks[1].role, "holding"));
        CHECK(l.items[0].nlocks == 2);
    }
    cw_finding_list_free(&l);
    free(log);
    free(heap);
}

/* Cut logs: no closing separator, a last line without '\n'. */
static void test_truncated(void)
{
    cw_finding_list l = { 0 };
    /* Cut in the middle of the second stack's first frame line. */
    const char *cut = strstr(COUNTER_RACE, "    #0\t/tmp/cr\t0x120a");
    size_t len = (size_t)(cut - COUNTER_RACE) + 12;
    CHECK(cw_parse_tsan_log(COUNTER_RACE, len, 1, NULL, &l, NULL) == 1);
    if (l.n == 1) {
        cw_finding *f = &l.items[0];
        CHECK(f->nstacks == 2 && f->stacks[0].nframes == 2 && f->stacks[1].nframes == 0);
        CHECK(f->nnotes >= 2 && eq(f->notes[f->nnotes - 1], CW_TRUNCATED_NOTE));
    }
    cw_finding_list_free(&l);

    /* Cut before any frame: nothing actionable. */
    cut = strstr(COUNTER_RACE, "    #0");
    CHECK(cw_parse_tsan_log(COUNTER_RACE, (size_t)(cut - COUNTER_RACE), 1, NULL, &l, NULL) == 0);
    CHECK(cw_parse_tsan_log("", 0, 1, NULL, &l, NULL) == 0);
    CHECK(parse("==================\n", &l) == 0);
    CHECK(parse("==================\nWARNING: ThreadSanitizer: data race", &l) == 0);
    CHECK(parse("\n\n\t#\n    #x\n  Read of size\n==================\n==================\n", &l) == 0);
    CHECK(l.n == 0);
    cw_finding_list_free(&l);
}

/* What is not a report reaches the user, readable; the closing count does not. */
static void test_passthrough(void)
{
    static const char LOG[] =
        "==12265==ERROR: ThreadSanitizer: SEGV on unknown address 0x000000000000 (pc 0x5606c1ccd19f)\n"
        "==12265==The signal is caused by a READ memory access.\n"
        "    #0\t/tmp/segv\t0x119f\tmain\t/tmp/segv.c\t2\n"
        "    #1\t" LIBC "\t0x27249\t__libc_start_call_main\t<null>\t0\n"
        "\n"
        "SUMMARY: ThreadSanitizer: SEGV /tmp/segv.c:2 in main\n"
        "==12265==ABORTING\n"
        "ThreadSanitizer: reported 1 warnings\n"
        "FATAL: ThreadSanitizer: unexpected memory mapping";   /* cut: not shown */
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    cw_finding_list l = { 0 };
    CHECK(cw_parse_tsan_log(LOG, strlen(LOG), 1, NULL, &l, f) == 0);
    fclose(f);
    CHECK(has(out, "==12265==ERROR: ThreadSanitizer: SEGV on unknown address"));
    CHECK(has(out, "    #0 main /tmp/segv.c:2 (segv+0x119f)\n"));
    CHECK(has(out, "    #1 __libc_start_call_main (libc.so.6+0x27249)\n"));
    CHECK(has(out, "==12265==ABORTING\n"));
    CHECK(!has(out, "reported 1 warnings") && !has(out, "unexpected memory mapping"));
    CHECK(!has(out, "\t"));
    free(out);
    cw_finding_list_free(&l);
}

static void test_options(void)
{
    char *s = cw_tsan_options(NULL, "/tmp/concwatch.ab12");
    CHECK(has(s, "log_path='/tmp/concwatch.ab12/" CW_TSAN_LOG_PREFIX "'"));
    CHECK(has(s, "stack_trace_format='" CW_TSAN_FRAME_FORMAT "'"));
    CHECK(has(s, "exitcode=0") && has(s, "halt_on_error=0") && has(s, "detect_deadlocks=0"));
    CHECK(has(s, "report_mutex_bugs=0") && has(s, "report_destroy_locked=0"));
    CHECK(s && s[0] == 'l');
    free(s);
    s = cw_tsan_options("", "/tmp/x");
    CHECK(s && s[0] == 'l');
    free(s);
    /* The user's options first: ours, later, win where they overlap. */
    s = cw_tsan_options("history_size=7 exitcode=3", "/tmp/x");
    CHECK(s && starts("history_size=7 exitcode=3 log_path=", s));
    CHECK(has(s, "exitcode=0"));
    free(s);
    s = cw_tsan_options(NULL, "/tmp/it's here");
    CHECK(has(s, "log_path=\"/tmp/it's here/tsan\""));
    free(s);
    CHECK(cw_tsan_options(NULL, "/tmp/\"it's\"") == NULL);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static void test_directory(void)
{
    char dir[] = "/tmp/cw_test_tsan.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    write_file(dir, "tsan.4242", COUNTER_RACE);
    write_file(dir, "tsan.x", COUNTER_RACE);          /* not tsan.<pid> */
    write_file(dir, "findings.4242", COUNTER_RACE);   /* the shim's, not ours */
    cw_finding_list l = { 0 };
    CHECK(cw_read_tsan_reports(dir, &l, NULL) == 1);
    CHECK(l.n == 1 && l.items[0].pid == 4242);
    cw_finding_list_free(&l);
    const char *names[] = { "tsan.4242", "tsan.x", "findings.4242" };
    for (size_t i = 0; i < 3; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
    CHECK(cw_read_tsan_reports("/nonexistent/cw", &l, NULL) == -1);
}

/* TSan's numbers count concwatch's helper threads (T2 here): with the shim's
   threads.<pid>, the report uses concwatch's labels, matched by tid; in a
   directory, the file next to tsan.<pid> is read. */
static void test_thread_renaming(void)
{
    static const char ids[] = "thread\tT0\t16402\nthread\tT1\t16404\nthread\tT2\t16406\nthread\tT9";
    cw_finding_list l = { 0 };
    CHECK(cw_parse_tsan_log(COUNTER_RACE, strlen(COUNTER_RACE), 7, ids, &l, NULL) == 1 && l.n == 1);
    if (l.n == 1) {
        cw_finding *f = &l.items[0];
        CHECK(has(f->message, "read by T1") && has(f->message, "written by T2"));
        CHECK(eq(f->stacks[0].thread, "T1") && eq(f->stacks[1].thread, "T2"));
        CHECK(has(f->notes[0], "thread (T) numbers are concwatch's"));
    }
    cw_finding_list_free(&l);

    char dir[] = "/tmp/cw_test_tsan.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    write_file(dir, "tsan.4242", COUNTER_RACE);
    write_file(dir, "threads.4242", ids);
    CHECK(cw_read_tsan_reports(dir, &l, NULL) == 1);
    CHECK(l.n == 1 && has(l.items[0].message, "written by T2"));
    cw_finding_list_free(&l);
    const char *names[] = { "tsan.4242", "threads.4242" };
    for (size_t i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        unlink(path);
    }
    rmdir(dir);
}

/* Two reports on one global (TSan reports each racing pair of lines once):
   one finding per variable, as the watchpoint sampler gives; a report on
   another variable is still its own finding. */
static void test_one_finding_per_global(void)
{
    char *twice = NULL, *other = NULL;
    CHECK(asprintf(&twice, "%s%s", COUNTER_RACE, COUNTER_RACE) > 0);
    cw_finding_list l = { 0 };
    CHECK(parse(twice, &l) == 1 && l.n == 1);
    cw_finding_list_free(&l);

    CHECK(asprintf(&other, "%s%s%s", COUNTER_RACE, FLAG_TWO_LOCKS, COUNTER_RACE) > 0);
    cw_finding_list m = { 0 };
    CHECK(parse(other, &m) == 2 && m.n == 2);
    if (m.n == 2)
        CHECK(has(m.items[0].message, "'hits'") && has(m.items[1].message, "'shutdown_requested'"));
    cw_finding_list_free(&m);

    /* Separate logs (processes) keep their own. */
    cw_finding_list n = { 0 };
    CHECK(parse(COUNTER_RACE, &n) == 1 && parse(COUNTER_RACE, &n) == 1 && n.n == 2);
    cw_finding_list_free(&n);
    free(twice);
    free(other);
}

int main(void)
{
    test_counter_race();
    test_mutexes_sleep_threads();
    test_one_finding_per_global();
    test_heap_default_format();
    test_mutex_names();
    test_lock_reports_dropped();
    test_other_reports();
    test_truncated();
    test_passthrough();
    test_options();
    test_directory();
    test_thread_renaming();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}

/*
 * Proves how detector/stacks/python_stacks.c reads CPython's faulthandler
 * text without a Python: cw_python_frame_next parses '  File "a.py", line
 * 12 in f' lines one by one (innermost first), stops at anything else,
 * keeps each field within its line (a missing field is "?" or 0, never the
 * next line's), and truncates what does not fit; cw_python_stacks_of finds
 * the frames of one thread in a dump of all threads.  Not CPython: the
 * capture functions give nothing.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stacks/python_stacks.h"

static bool frame_is(const cw_python_frame *f, const char *file, int line, const char *function)
{
    bool ok = strcmp(f->file, file) == 0 && f->line == line && strcmp(f->function, function) == 0;
    if (!ok)
        fprintf(stderr, "  got file \"%s\" line %d function \"%s\"; expected \"%s\" %d \"%s\"\n", f->file,
                f->line, f->function, file, line, function);
    return ok;
}

static void test_well_formed(void)
{
    const char *text = "  File \"/app/worker.py\", line 12 in take\n"
                       "  File \"/usr/lib/python3.11/threading.py\", line 975 in run\n"
                       "  File \"<string>\", line 1 in <module>\n";
    const char *cursor = text;
    cw_python_frame f;
    CHECK(cw_python_frame_next(&cursor, &f) && frame_is(&f, "/app/worker.py", 12, "take"));
    CHECK(cw_python_frame_next(&cursor, &f) && frame_is(&f, "/usr/lib/python3.11/threading.py", 975, "run"));
    CHECK(cw_python_frame_next(&cursor, &f) && frame_is(&f, "<string>", 1, "<module>"));
    CHECK(cursor && *cursor == '\0');
    CHECK(!cw_python_frame_next(&cursor, &f));
    CHECK(!cw_python_frame_next(&cursor, &f));   /* and stays at the end */

    /* The last line without its newline: read, then the cursor is NULL. */
    cursor = "  File \"a.py\", line 7 in f";
    CHECK(cw_python_frame_next(&cursor, &f) && frame_is(&f, "a.py", 7, "f"));
    CHECK(cursor == NULL);
    CHECK(!cw_python_frame_next(&cursor, &f));

    /* A file name with spaces, quotes and " in ". */
    cursor = "  File \"my dir/say \"hi\" in x.py\", line 3 in g h\n";
    CHECK(cw_python_frame_next(&cursor, &f) && frame_is(&f, "my dir/say \"hi\" in x.py", 3, "g h"));
}

static void test_stops(void)
{
    cw_python_frame f;
    const char *cursor = NULL;
    CHECK(!cw_python_frame_next(&cursor, &f));
    static const char *const not_frames[] = {
        "",
        "\n",
        "Thread 0x00007f0000000001 (most recent call first):\n  File \"a.py\", line 1 in f\n",
        "File \"a.py\", line 1 in f\n",          /* no indentation */
        " File \"a.py\", line 1 in f\n",         /* one space */
        "  File a.py, line 1 in f\n",            /* no quote */
        "  <no Python frame>\n",
        "  ...\n",
        "\x01\x02\xff garbage",
    };
    for (size_t i = 0; i < sizeof not_frames / sizeof not_frames[0]; i++) {
        cursor = not_frames[i];
        CHECK(!cw_python_frame_next(&cursor, &f));
        CHECK(cursor == not_frames[i]);   /* not moved */
    }
    /* Frames, then a blank line and the next thread: the frames only. */
    const char *text = "  File \"a.py\", line 1 in f\n\nThread 0x1:\n  File \"b.py\", line 2 in g\n";
    cursor = text;
    int n = 0;
    while (cw_python_frame_next(&cursor, &f))
        n++;
    CHECK(n == 1);
    CHECK(cursor == strchr(text, '\n') + 1);
}

static void test_missing_fields(void)
{
    cw_python_frame f;
    const char *cursor;

    /* No function: the file and line still read. */
    cursor = "  File \"a.py\", line 12\n  File \"b.py\", line 3 in g\n";
    CHECK(cw_python_frame_next(&cursor, &f) && frame_is(&f, "a.py", 12, "?"));   /* not b.py's "g" */
    CHECK(cw_python_frame_next(&cursor, &f) && frame_is(&f, "b.py", 3, "g"));

    /* No line: nothing of the line is trusted (not even the next line's). */
    cursor = "  File \"a.py\"\n  File \"b.py\", line 3 in g\n";
    CHECK(cw_python_frame_next(&cursor, &f) && frame_is(&f, "?", 0, "?"));
    CHECK(cw_python_frame_next(&cursor, &f) && frame_is(&f, "b.py", 3, "g"));

    /* A line that is not a number, an empty function, an empty file name. */
    cursor = "  File \"a.py\", line ??? in f\n";
    CHECK(cw_python_frame_next(&cursor, &f) && frame_is(&f, "a.py", 0, "f"));
    cursor = "  File \"a.py\", line 5 in \n";
    CHECK(cw_python_frame_next(&cursor, &f) && frame_is(&f, "a.py", 5, ""));
    cursor = "  File \"\", line 5 in f\n";
    CHECK(cw_python_frame_next(&cursor, &f) && frame_is(&f, "", 5, "f"));
    /* Just the start of a frame line. */
    cursor = "  File \"";
    CHECK(cw_python_frame_next(&cursor, &f) && frame_is(&f, "?", 0, "?"));
    CHECK(cursor == NULL);
}

/* Longer fields than the struct holds: cut, terminated, nothing overflows
 * (the text is heap-allocated to its exact size: ASan watches both ends). */
static void test_long_fields(void)
{
    size_t flen = 2000, glen = 500;
    char *text = malloc(flen + glen + 64);
    int n = sprintf(text, "  File \"");
    memset(text + n, 'd', flen);
    n += (int)flen;
    n += sprintf(text + n, "\", line 42 in ");
    memset(text + n, 'g', glen);
    n += (int)glen;
    text[n] = '\0';
    char *exact = malloc((size_t)n + 1);
    memcpy(exact, text, (size_t)n + 1);
    free(text);

    cw_python_frame f;
    const char *cursor = exact;
    CHECK(cw_python_frame_next(&cursor, &f));
    CHECK(strlen(f.file) == sizeof f.file - 1 && strspn(f.file, "d") == sizeof f.file - 1);
    CHECK(f.line == 42);
    CHECK(strlen(f.function) == sizeof f.function - 1 && strspn(f.function, "g") == sizeof f.function - 1);
    CHECK(cursor == NULL);
    free(exact);
}

/* A dump of every thread, as _Py_DumpTracebackThreads writes it. */
static void test_threads_dump(void)
{
    pthread_t me = pthread_self(), other = (pthread_t)0x7f00deadbeefUL, idle = (pthread_t)0x7f0000001234UL;
    char text[1024];
    snprintf(text, sizeof text,
             "Thread 0x%016lx (most recent call first):\n"
             "  File \"w.py\", line 5 in work\n"
             "  File \"/usr/lib/python3.11/threading.py\", line 1038 in _bootstrap_inner\n"
             "\n"
             "Thread 0x%016lx (most recent call first):\n"
             "  <no Python frame>\n"
             "\n"
             "Current thread 0x%016lx (most recent call first):\n"
             "  File \"main.py\", line 9 in <module>\n",
             (unsigned long)other, (unsigned long)idle, (unsigned long)me);
    cw_python_stacks py = { text, strlen(text) };
    cw_python_frame f;

    const char *c = cw_python_stacks_of(&py, other);
    CHECK(c && cw_python_frame_next(&c, &f) && frame_is(&f, "w.py", 5, "work"));
    CHECK(c && cw_python_frame_next(&c, &f) && frame_is(&f, "/usr/lib/python3.11/threading.py", 1038,
                                                         "_bootstrap_inner"));
    CHECK(c && !cw_python_frame_next(&c, &f));   /* the blank line ends this thread's frames */

    c = cw_python_stacks_of(&py, me);
    CHECK(c && cw_python_frame_next(&c, &f) && frame_is(&f, "main.py", 9, "<module>"));
    CHECK(!cw_python_frame_next(&c, &f));

    CHECK(cw_python_stacks_of(&py, idle) == NULL);                     /* no frame lines */
    CHECK(cw_python_stacks_of(&py, (pthread_t)0x7f00deadbeeeUL) == NULL);   /* not in the dump */
    cw_python_stacks empty = { NULL, 0 };
    CHECK(cw_python_stacks_of(&empty, me) == NULL);
}

/* This process is no CPython: nothing to dump or capture. */
static void test_not_python(void)
{
    cw_python_stacks py = { (char *)"x", 1 };
    CHECK(!cw_python_stacks_dump(&py));
    CHECK(py.text == NULL && py.len == 0);
    cw_python_stacks_free(&py);
    CHECK(cw_python_stack_capture() == 0);
    CHECK(cw_python_stack_text(0) == NULL);
    CHECK(cw_python_stack_text(5) == NULL);                           /* a native stack id */
    CHECK(cw_python_stack_text(CW_PYTHON_STACK_BIT | 1) == NULL);     /* none interned */
    CHECK(cw_python_stack_text(CW_PYTHON_STACK_BIT) == NULL);
}

int main(void)
{
    test_well_formed();
    test_stops();
    test_missing_fields();
    test_long_fields();
    test_threads_dump();
    test_not_python();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    return failures != 0;
}

/* ThreadSanitizer logs -> cw_finding_list: the reports in a log, the logs
   in a report directory.  The rules are in tsan_reports.h. */
#define _GNU_SOURCE
#include "tsan_reports.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "paths.h"
#include "report_files.h"
#include "symbolizer.h"
#include "tsan_findings.h"
#include "tsan_report_parse.h"
#include "xalloc.h"
#include "common/record_format.h"

/* TSan's last line of a log, which says nothing the findings do not. */
static const char CLOSING_PREFIX[] = "ThreadSanitizer: reported ";


/* ---- the log ---- */

/* A line outside the reports, for the user; our frame format made readable. */
static void pass_through(FILE *out, const char *line)
{
    if (!out || strncmp(line, CLOSING_PREFIX, strlen(CLOSING_PREFIX)) == 0)
        return;
    cw_frame fr;
    uint64_t pc;
    const char *p = line + strspn(line, " ");
    if (*p == '#' && strchr(line, '\t') && cw_tsan_parse_frame(line, &fr, &pc)) {
        fprintf(out, "%.*s%.*s %s", (int)(p - line), line, (int)strcspn(p, "\t"), p,
                fr.function ? fr.function : "<unknown>");
        if (fr.file)
            fprintf(out, " %s:%d", fr.file, fr.line);
        if (fr.module)
            fprintf(out, " (%s+0x%" PRIx64 ")", cw_basename(fr.module), fr.vaddr);
        fputc('\n', out);
        cw_frame_clear(&fr);
        return;
    }
    fprintf(out, "%s\n", line);
}

size_t cw_parse_tsan_log(const char *buf, size_t len, long pid, const char *thread_ids, cw_finding_list *out,
                         FILE *passthrough)
{
    /* Complete lines only: a last line without '\n' may be cut mid-field. */
    const char *last_nl = len ? memrchr(buf, '\n', len) : NULL;
    size_t usable = last_nl ? (size_t)(last_nl - buf) + 1 : 0;
    /* Copied whole: a log may hold NUL bytes (a file cut short by a crash
     * can end in zeros), which must not end the copy before its last line. */
    char *text = cw_xmalloc(usable + 1);
    if (usable)
        memcpy(text, buf, usable);
    text[usable] = '\0';
    char **lines = NULL;
    size_t nlines = 0;
    for (char *p = text; p < text + usable;) {
        char *nl = memchr(p, '\n', (size_t)(text + usable - p));
        *nl = '\0';
        *(char **)cw_array_push(&lines, &nlines, sizeof(char *)) = p;
        p = nl + 1;
    }

    size_t appended = 0;
    cw_tsan_raced_globals raced = { 0 };
    cw_symbolizer *sym = NULL;
    for (size_t i = 0; i < nlines;) {
        if (strcmp(lines[i], CW_TSAN_SEPARATOR) == 0 && i + 1 < nlines &&
            strncmp(lines[i + 1], CW_TSAN_WARNING_PREFIX, strlen(CW_TSAN_WARNING_PREFIX)) == 0) {
            size_t start = i + 1, end = start + 1;
            while (end < nlines && strcmp(lines[end], CW_TSAN_SEPARATOR) != 0)
                end++;
            cw_tsan_report r;
            cw_tsan_report_split(lines + start, end - start, end == nlines, &r);
            if (!sym)
                sym = cw_symbolizer_new();
            r.sym = sym;
            appended += cw_tsan_report_to_finding(&r, pid, thread_ids, &raced, out);
            cw_tsan_report_clear(&r);
            i = end < nlines ? end + 1 : end;
            continue;
        }
        pass_through(passthrough, lines[i]);
        i++;
    }
    cw_tsan_raced_globals_free(&raced);
    cw_symbolizer_free(sym);
    free(lines);
    free(text);
    return appended;
}


/* ---- the report directory ---- */

typedef struct log_reader {
    const char *dir;
    cw_finding_list *out;
    FILE *passthrough;
} log_reader;

/* The shim's thread list of the process (threads.<pid>), or NULL. */
static char *read_thread_ids(const char *dir, long pid)
{
    char *path = cw_xasprintf("%s/%s%ld", dir, CW_THREAD_IDS_PREFIX, pid);
    FILE *f = fopen(path, "re");
    free(path);
    if (!f)
        return NULL;
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', f);
    fclose(f);
    if (n <= 0) {
        free(text);
        return NULL;
    }
    return text;
}

static size_t parse_log_file(const char *text, size_t len, long pid, void *ctx)
{
    log_reader *r = ctx;
    if (!pid)
        return 0;                      /* only "tsan.<pid>" */
    char *ids = read_thread_ids(r->dir, pid);
    size_t n = cw_parse_tsan_log(text, len, pid, ids, r->out, r->passthrough);
    free(ids);
    return n;
}

long cw_read_tsan_reports(const char *dir, cw_finding_list *out, FILE *passthrough)
{
    log_reader r = { dir, out, passthrough };
    return cw_for_each_report_file(dir, CW_TSAN_LOG_PREFIX ".", parse_log_file, &r);
}

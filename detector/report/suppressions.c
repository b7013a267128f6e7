/* TSan-style suppression rules; see suppressions.h. */
#define _GNU_SOURCE
#include "suppressions.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

enum {
    K_SELF_DEADLOCK = 1 << 0,
    K_LOCK_ORDER = 1 << 1,
    K_DEADLOCK = 1 << 2,
    K_RACE = 1 << 3,
    K_MISUSE = 1 << 4,
};

typedef struct rule {
    unsigned kinds;          /* K_* bits; 0: a TSan-only kind, never matches */
    bool top_frame_only;     /* race_top */
    char *pattern;
} rule;

struct cw_suppressions {
    rule *rules;
    size_t n;
};

static const struct { const char *name; unsigned kinds; } finding_kinds[] = {
    { "self-deadlock", K_SELF_DEADLOCK },
    { "lock-order-inversion", K_LOCK_ORDER },
    { "deadlock", K_DEADLOCK },
    { "data-race", K_RACE },
    { "misuse", K_MISUSE },
};

static const struct { const char *name; unsigned kinds; } rule_kinds[] = {
    { "deadlock", K_SELF_DEADLOCK | K_LOCK_ORDER | K_DEADLOCK },
    { "self-deadlock", K_SELF_DEADLOCK },
    { "lock-order-inversion", K_LOCK_ORDER },
    { "race", K_RACE },
    { "race_top", K_RACE },
    { "data-race", K_RACE },
    { "mutex", K_MISUSE },
    { "misuse", K_MISUSE },
    { "thread", 0 },
    { "signal", 0 },
    { "called_from_lib", 0 },
};

static bool kind_of_rule(const char *name, size_t len, unsigned *kinds)
{
    for (size_t i = 0; i < sizeof rule_kinds / sizeof rule_kinds[0]; i++)
        if (strlen(rule_kinds[i].name) == len && memcmp(rule_kinds[i].name, name, len) == 0) {
            *kinds = rule_kinds[i].kinds;
            return true;
        }
    return false;
}

static unsigned kind_of_finding(const char *kind)
{
    for (size_t i = 0; kind && i < sizeof finding_kinds / sizeof finding_kinds[0]; i++)
        if (strcmp(kind, finding_kinds[i].name) == 0)
            return finding_kinds[i].kinds;
    return 0;
}

/* '*'-only glob over the whole of s, with backtracking to the last star. */
static bool glob_match(const char *p, size_t plen, const char *s)
{
    size_t pi = 0, star = SIZE_MAX;
    const char *mark = s;
    while (*s) {
        if (pi < plen && p[pi] == '*') {
            star = pi++;
            mark = s;
        } else if (pi < plen && p[pi] == *s) {
            pi++;
            s++;
        } else if (star != SIZE_MAX) {
            pi = star + 1;
            s = ++mark;
        } else {
            return false;
        }
    }
    while (pi < plen && p[pi] == '*')
        pi++;
    return pi == plen;
}

bool cw_pattern_match(const char *pattern, const char *s)
{
    if (!pattern || !s)
        return false;
    size_t len = strlen(pattern);
    bool anchored_start = len > 0 && pattern[0] == '^';
    bool anchored_end = len > (size_t)anchored_start && pattern[len - 1] == '$';
    const char *body = pattern + anchored_start;
    size_t body_len = len - anchored_start - anchored_end;
    /* Substring semantics = implicit '*' on each unanchored side. */
    char *glob = cw_xmalloc(body_len + 3);
    size_t g = 0;
    if (!anchored_start)
        glob[g++] = '*';
    memcpy(glob + g, body, body_len);
    g += body_len;
    if (!anchored_end)
        glob[g++] = '*';
    bool matched = glob_match(glob, g, s);
    free(glob);
    return matched;
}

static size_t trimmed(const char **s, size_t len)
{
    while (len > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        len--;
    }
    while (len > 0 && ((*s)[len - 1] == ' ' || (*s)[len - 1] == '\t' || (*s)[len - 1] == '\r'))
        len--;
    return len;
}

/* One line; false (and err) if it is not a rule, a comment or blank. */
static bool parse_line(cw_suppressions *sup, const char *line, size_t len,
                       size_t lineno, char *err, size_t errlen)
{
    len = trimmed(&line, len);
    if (len == 0 || line[0] == '#')
        return true;
    const char *colon = memchr(line, ':', len);
    if (!colon) {
        snprintf(err, errlen, "line %zu: expected 'kind:pattern', got '%.*s'",
                 lineno, (int)len, line);
        return false;
    }
    unsigned kinds;
    const char *kind = line;
    size_t kind_len = trimmed(&kind, (size_t)(colon - line));
    if (!kind_of_rule(kind, kind_len, &kinds)) {
        snprintf(err, errlen, "line %zu: unknown kind '%.*s' (use deadlock, race, misuse, "
                 "or a concwatch kind)", lineno, (int)kind_len, kind);
        return false;
    }
    const char *pattern = colon + 1;
    size_t pattern_len = trimmed(&pattern, len - (size_t)(colon - line) - 1);
    if (pattern_len == 0) {
        snprintf(err, errlen, "line %zu: empty pattern", lineno);
        return false;
    }
    rule *r = cw_array_push(&sup->rules, &sup->n, sizeof *r);
    r->kinds = kinds;
    r->top_frame_only = kind_len == strlen("race_top") && memcmp(kind, "race_top", kind_len) == 0;
    r->pattern = cw_xstrndup(pattern, pattern_len);
    return true;
}

cw_suppressions *cw_suppressions_parse(const char *text, size_t len, char *err, size_t errlen)
{
    cw_suppressions *sup = cw_xcalloc(1, sizeof *sup);
    const char *end = text + len;
    size_t lineno = 0;
    for (const char *line = text; line < end;) {
        const char *nl = memchr(line, '\n', (size_t)(end - line));
        const char *line_end = nl ? nl : end;
        if (!parse_line(sup, line, (size_t)(line_end - line), ++lineno, err, errlen)) {
            cw_suppressions_free(sup);
            return NULL;
        }
        line = line_end + 1;
    }
    return sup;
}

cw_suppressions *cw_suppressions_load(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "re");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    char buf[4096];
    size_t got;
    while (mem && (got = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, got, mem);
    bool read_error = ferror(f) || !mem;
    fclose(f);
    if (mem)
        fclose(mem);
    if (read_error) {
        snprintf(err, errlen, "%s: cannot read", path);
        free(text);
        return NULL;
    }
    char line_err[512];
    cw_suppressions *sup = cw_suppressions_parse(text, len, line_err, sizeof line_err);
    if (!sup)
        snprintf(err, errlen, "%s: %s", path, line_err);
    free(text);
    return sup;
}

void cw_suppressions_free(cw_suppressions *sup)
{
    if (!sup)
        return;
    for (size_t i = 0; i < sup->n; i++)
        free(sup->rules[i].pattern);
    free(sup->rules);
    free(sup);
}

size_t cw_suppressions_count(const cw_suppressions *sup)
{
    return sup ? sup->n : 0;
}

static bool frame_matches(const char *pattern, const cw_frame *fr)
{
    return cw_pattern_match(pattern, fr->function) || cw_pattern_match(pattern, fr->file) ||
           cw_pattern_match(pattern, fr->module);
}

static bool frames_match(const rule *r, const cw_frame *frames, size_t n)
{
    if (r->top_frame_only)
        n = n > 0 ? 1 : 0;
    for (size_t i = 0; i < n; i++)
        if (frame_matches(r->pattern, &frames[i]))
            return true;
    return false;
}

static bool rule_matches(const rule *r, const cw_finding *f)
{
    if (!(r->kinds & kind_of_finding(f->kind)))
        return false;
    for (size_t i = 0; i < f->nstacks; i++)
        if (frames_match(r, f->stacks[i].frames, f->stacks[i].nframes))
            return true;
    if (r->top_frame_only)
        return false;
    for (size_t i = 0; i < f->nlocks; i++)
        if (frames_match(r, f->locks[i].frames, f->locks[i].nframes))
            return true;
    return false;
}

bool cw_suppressions_match(const cw_suppressions *sup, const cw_finding *f)
{
    for (size_t i = 0; sup && i < sup->n; i++)
        if (rule_matches(&sup->rules[i], f))
            return true;
    return false;
}

static bool not_suppressed(const cw_finding *f, void *sup)
{
    return !cw_suppressions_match(sup, f);
}

size_t cw_suppressions_apply(const cw_suppressions *sup, cw_finding_list *list)
{
    if (!sup)
        return 0;
    return cw_finding_list_filter(list, not_suppressed, (void *)sup);
}

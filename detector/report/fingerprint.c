/* Fingerprints of findings; see fingerprint.h. */
#define _GNU_SOURCE
#include "fingerprint.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "paths.h"
#include "render_text.h"
#include "xalloc.h"

/* FNV-1a, 64 bits, from a given offset basis (two bases: 128 bits). */
static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return (h ^ 0xff) * 0x100000001b3ULL;      /* a terminator: "ab"+"c" != "a"+"bc" */
}

static const cw_frame *key_frame(const cw_frame *frames, size_t n)
{
    const cw_frame *fr = cw_first_user_frame(frames, n);
    for (size_t i = 0; !fr && i < n; i++)
        if (frames[i].function)
            fr = &frames[i];
    return fr;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void cw_finding_fingerprint(const cw_finding *f, char out[CW_FINGERPRINT_LEN + 1])
{
    char **keys = NULL;
    size_t nkeys = 0;
    for (size_t s = 0; s < f->nstacks; s++) {
        const cw_frame *fr = key_frame(f->stacks[s].frames, f->stacks[s].nframes);
        if (!fr)
            continue;
        char **slot = cw_array_push(&keys, &nkeys, sizeof *slot);
        if (asprintf(slot, "%s in %s", fr->function ? fr->function : "?",
                     fr->file ? cw_basename(fr->file) : "?") < 0)
            *slot = cw_xstrdup("?");
    }
    if (nkeys > 1)
        qsort(keys, nkeys, sizeof *keys, by_string);
    uint64_t a = 0xcbf29ce484222325ULL, b = 0x84222325cbf29ce4ULL;
    const char *kind = f->kind ? f->kind : "";
    a = fnv1a(a, kind);
    b = fnv1a(b, kind);
    for (size_t i = 0; i < nkeys; i++) {
        if (i > 0 && strcmp(keys[i], keys[i - 1]) == 0)
            continue;
        a = fnv1a(a, keys[i]);
        b = fnv1a(b, keys[i]);
    }
    if (nkeys == 0 && f->message) {
        char *m = cw_xstrdup(f->message);
        size_t k = 0;
        for (size_t i = 0; m[i]; i++)
            if (!isdigit((unsigned char)m[i]))
                m[k++] = m[i];
        m[k] = '\0';
        a = fnv1a(a, m);
        b = fnv1a(b, m);
        free(m);
    }
    for (size_t i = 0; i < nkeys; i++)
        free(keys[i]);
    free(keys);
    snprintf(out, CW_FINGERPRINT_LEN + 1, "%016llx%016llx", (unsigned long long)a, (unsigned long long)b);
}

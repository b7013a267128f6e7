/* Cached source lines; see source_text.h. */
#include "source_text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "xalloc.h"

#define MAX_FILE_BYTES (16u << 20)

typedef struct source_file {
    char *path;
    char *text;              /* NUL-terminated, every '\n' replaced by '\0'; NULL: unreadable */
    char **lines;            /* lines[i] is line i+1 */
    size_t nlines;
} source_file;

struct cw_source_text {
    source_file *files;
    size_t nfiles;
};

cw_source_text *cw_source_text_new(void)
{
    return cw_xcalloc(1, sizeof(cw_source_text));
}

void cw_source_text_free(cw_source_text *src)
{
    if (!src)
        return;
    for (size_t i = 0; i < src->nfiles; i++) {
        free(src->files[i].path);
        free(src->files[i].text);
        free(src->files[i].lines);
    }
    free(src->files);
    free(src);
}

static void load(source_file *f)
{
    FILE *in = fopen(f->path, "re");
    struct stat st;
    if (!in)
        return;
    if (fstat(fileno(in), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > (off_t)MAX_FILE_BYTES) {
        fclose(in);
        return;
    }
    size_t size = (size_t)st.st_size;
    f->text = cw_xmalloc(size + 1);
    size_t got = fread(f->text, 1, size, in);
    fclose(in);
    f->text[got] = '\0';
    char *p = f->text;
    while (p < f->text + got) {
        char **slot = cw_array_push(&f->lines, &f->nlines, sizeof *slot);
        *slot = p;
        char *nl = memchr(p, '\n', (size_t)(f->text + got - p));
        if (!nl)
            break;
        *nl = '\0';
        if (nl > p && nl[-1] == '\r')
            nl[-1] = '\0';
        p = nl + 1;
    }
}

const char *cw_source_line(cw_source_text *src, const char *file, int line)
{
    if (!file || !file[0] || line <= 0)
        return NULL;
    source_file *f = NULL;
    for (size_t i = 0; i < src->nfiles && !f; i++)
        if (strcmp(src->files[i].path, file) == 0)
            f = &src->files[i];
    if (!f) {
        f = cw_array_push(&src->files, &src->nfiles, sizeof *f);
        f->path = cw_xstrdup(file);
        load(f);
    }
    return f->text && (size_t)line <= f->nlines ? f->lines[line - 1] : NULL;
}

/*
 * concwatch_manpage: writes concwatch(1) in roff on standard output.
 *
 * Generated at build time (and installed gzipped) from the same sources as
 * --help, so the two cannot drift: the options from options.inc, the prose
 * from help_text.h, the environment variables from common/shim_flags.inc
 * (through the Markdown table `concwatch --help-env` prints).  Not
 * installed itself.
 *
 *   concwatch_manpage VERSION
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/shim_flags.h"
#include "help_text.h"

/* Text with roff's special characters escaped: a backslash, and a '.' or
   '\'' at the start of a line; a '-' that does not join two words (an
   option's dashes) is a real minus, so that it can be copied.  `code` spans
   become bold. */
static void roff_text(FILE *out, const char *s)
{
    bool line_start = true, bold = false;
    char prev = ' ';
    for (; *s; prev = *s, s++) {
        if (line_start && (*s == '.' || *s == '\''))
            fputs("\\&", out);
        line_start = false;
        if (*s == '\\')
            fputs("\\e", out);
        else if (*s == '-' && !isalnum((unsigned char)prev))
            fputs("\\-", out);
        else if (*s == '`') {
            fputs(bold ? "\\fR" : "\\fB", out);
            bold = !bold;
        } else {
            fputc(*s, out);
            line_start = *s == '\n';
        }
    }
    if (bold)
        fputs("\\fR", out);
}

/* A help_text.h block: its lines joined, a blank line a new paragraph. */
static void paragraphs(FILE *out, const char *text)
{
    fputs(".PP\n", out);
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        if (len == 0) {
            fputs(".PP\n", out);
        } else {
            char *line = strndup(p, len);
            roff_text(out, line);
            fputc('\n', out);
            free(line);
        }
        p += len + (nl ? 1 : 0);
    }
}

/* An option name or a command: every '-' is a real minus. */
static void roff_literal(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '-' || *s == '\\')
            fputc('\\', out);
        fputc(*s == '\\' ? 'e' : *s, out);
    }
}

/* Lines shown as they are. */
static void preformatted(FILE *out, const char *text)
{
    fputs(".PP\n.nf\n", out);
    roff_text(out, text);
    fputs(".fi\n", out);
}

static void option(FILE *out, const char *long_name, char short_name, const char *metavar,
                   const char *default_value, const char *help)
{
    fputs(".TP\n", out);
    if (short_name)
        fprintf(out, "\\fB\\-%c\\fR, ", short_name);
    fputs("\\fB\\-\\-", out);
    roff_literal(out, long_name);
    fputs("\\fR", out);
    if (metavar) {
        fputs(" \\fI", out);
        roff_literal(out, metavar);
        fputs("\\fR", out);
    }
    fputc('\n', out);
    roff_text(out, help);
    if (default_value) {
        fputs(" (default: ", out);
        roff_text(out, default_value);
        fputc(')', out);
    }
    fputc('\n', out);
}

/* The rows of `concwatch --help-env`'s table: | `NAME` | default | meaning | */
static void environment(FILE *out)
{
    char *table = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&table, &len);
    if (!mem)
        return;
    cw_shim_flags_print_table(mem);
    fclose(mem);
    for (char *line = strtok(table, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "| `", 3) != 0)
            continue;                       /* the header and its rule */
        char *name = line + 3;
        char *end = strchr(name, '`');
        char *def = end ? strstr(end, " | ") : NULL;
        char *meaning = def ? strstr(def + 3, " | ") : NULL;
        if (!meaning)
            continue;
        *end = '\0';
        *meaning = '\0';
        meaning += 3;
        size_t mlen = strlen(meaning);
        if (mlen >= 2 && strcmp(meaning + mlen - 2, " |") == 0)
            meaning[mlen - 2] = '\0';
        fputs(".TP\n\\fB", out);
        roff_text(out, name);
        fputs("\\fR (default: ", out);
        roff_text(out, def + 3);
        fputs(")\n", out);
        roff_text(out, meaning);
        fputc('\n', out);
    }
    free(table);
}

int main(int argc, char **argv)
{
    const char *version = argc > 1 ? argv[1] : "?";
    FILE *out = stdout;
    fprintf(out, ".TH CONCWATCH 1 \"\" \"concwatch %s\" \"User Commands\"\n", version);
    fputs(".SH NAME\nconcwatch \\- find deadlocks, hangs, lock misuse and data races in a running program\n",
          out);
    fputs(".SH SYNOPSIS\n.nf\n", out);
    /* "usage: concwatch ...\n       concwatch merge ...\n": one command a line. */
    char *usage = strdup(CW_HELP_USAGE);
    for (char *line = strtok(usage, "\n"); line; line = strtok(NULL, "\n")) {
        if (strncmp(line, "usage:", 6) == 0)
            line += 6;
        roff_literal(out, line + strspn(line, " "));
        fputc('\n', out);
    }
    free(usage);
    fputs(".fi\n.SH DESCRIPTION\n", out);
    paragraphs(out, CW_HELP_DESCRIPTION);
    fputs(".SH OPTIONS\n", out);
#define CW_VALUE(field, long_name, short_name, metavar, default_value, help) \
    option(out, long_name, short_name, metavar, default_value, help);
#define CW_FLAG(field, long_name, short_name, help) option(out, long_name, short_name, NULL, NULL, help);
#include "options.inc"
#undef CW_VALUE
#undef CW_FLAG
    fputs(".SH OUTPUT\n", out);
    paragraphs(out, CW_HELP_OUTPUT);
    fputs(".SH EXIT STATUS\n", out);
    paragraphs(out, CW_HELP_EXIT);
    fputs(".SH ENVIRONMENT\n", out);
    paragraphs(out, CW_HELP_ENVIRONMENT);
    environment(out);
    fputs(".SH EXAMPLES\n", out);
    preformatted(out, CW_HELP_EXAMPLES);
    fputs(".SH SEE ALSO\n.BR valgrind (1)\n", out);
    return ferror(out) ? 1 : 0;
}

/* Report destinations; see report_outputs.h. */
#define _GNU_SOURCE
#include "report_outputs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/render_sarif.h"

static bool is_stdout(const char *name)
{
    return name && strcmp(name, "-") == 0;
}

/* The launcher's standard output, kept for the report; the program gets
   standard error in its place. */
static FILE *take_stdout(void)
{
    int fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return NULL;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        return NULL;
    }
    fflush(stdout);
    if (dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
        fclose(f);
        return NULL;
    }
    return f;
}

static bool open_one(FILE **out, const char *name, const char *what, bool redirect)
{
    if (!name)
        return true;
    if (is_stdout(name))
        *out = redirect ? take_stdout() : stdout;
    else
        *out = fopen(name, "we");
    if (!*out)
        fprintf(stderr, "concwatch: cannot write the %s report to %s: %s\n", what,
                is_stdout(name) ? "standard output" : name, strerror(errno));
    return *out != NULL;
}

static bool want_color(const char *when, FILE *stream)
{
    if (strcmp(when, "always") == 0)
        return true;
    if (strcmp(when, "never") == 0)
        return false;
    const char *no_color = getenv("NO_COLOR");
    const char *term = getenv("TERM");
    return isatty(fileno(stream)) && !(no_color && no_color[0]) && !(term && strcmp(term, "dumb") == 0);
}

bool cw_report_outputs_open(cw_report_outputs *o, const cw_options *opts, bool text_on_stdout)
{
    memset(o, 0, sizeof *o);
    o->json_name = opts->json;
    o->sarif_name = opts->sarif;
    bool report_on_stdout = is_stdout(opts->json) || is_stdout(opts->sarif);
    o->text = text_on_stdout && !report_on_stdout ? stdout : stderr;
    o->color = want_color(opts->color, o->text);
    if (!open_one(&o->json, opts->json, "JSON", !text_on_stdout) ||
        !open_one(&o->sarif, opts->sarif, "SARIF", !text_on_stdout)) {
        cw_report_outputs_close(o);
        return false;
    }
    return true;
}

static void finish(FILE **f, const char *name, const char *what)
{
    if (!*f)
        return;
    bool failed = fflush(*f) != 0 || ferror(*f);
    if (*f != stdout)
        failed |= fclose(*f) != 0;
    if (failed)
        fprintf(stderr, "concwatch: cannot write the %s report to %s: %s\n", what,
                is_stdout(name) ? "standard output" : name, strerror(errno));
    *f = NULL;
}

void cw_report_outputs_write(cw_report_outputs *o, const cw_finding_list *list, const cw_run_info *run)
{
    if (o->json) {
        cw_render_json(o->json, list, run);
        finish(&o->json, o->json_name, "JSON");
    }
    if (o->sarif) {
        cw_render_sarif(o->sarif, list, run);
        finish(&o->sarif, o->sarif_name, "SARIF");
    }
}

void cw_report_outputs_close(cw_report_outputs *o)
{
    if (o->json && o->json != stdout)
        fclose(o->json);
    if (o->sarif && o->sarif != stdout)
        fclose(o->sarif);
    o->json = o->sarif = NULL;
}

char *cw_source_root(const char *dir)
{
    char *root = dir ? realpath(dir, NULL) : getcwd(NULL, 0);
    struct stat st;
    if (!root || stat(root, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "concwatch: --source-root %s: %s\n", dir ? dir : ".",
                root ? "not a directory" : strerror(errno));
        free(root);
        return NULL;
    }
    return root;
}

/* TSan's thread numbers -> concwatch's; see tsan_thread_names.h. */
#include "tsan_thread_names.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/* concwatch's label of the thread with kernel id tid, from the shim's
   "thread <label> <tid>" lines; NULL if not listed. */
static char *label_of_tid(const char *ids, long tid)
{
    for (const char *line = ids; line && *line;) {
        const char *nl = strchr(line, '\n');
        if (!nl)
            break;                     /* a last line cut short */
        if (strncmp(line, "thread\t", 7) == 0) {
            const char *label = line + 7;
            const char *tab = memchr(label, '\t', (size_t)(nl - label));
            if (tab && tab > label && strtol(tab + 1, NULL, 10) == tid)
                return cw_xstrndup(label, (size_t)(tab - label));
        }
        line = nl + 1;
    }
    return NULL;
}

void cw_tsan_thread_names_add(cw_tsan_thread_names *names, const char *header, const char *thread_ids)
{
    const char *tid = thread_ids && strncmp(header, "Thread T", 8) == 0 ? strstr(header, "(tid=") : NULL;
    if (!tid)
        return;
    char *ours = label_of_tid(thread_ids, strtol(tid + strlen("(tid="), NULL, 10));
    if (!ours)
        return;
    const char *tsan = header + strlen("Thread ");
    cw_tsan_thread_rename *t = cw_array_push(&names->items, &names->n, sizeof *t);
    t->tsan = cw_xstrndup(tsan, strcspn(tsan, " "));
    t->ours = ours;
}

const char *cw_tsan_thread_name(const cw_tsan_thread_names *names, const char *label, size_t len)
{
    for (size_t j = 0; names && j < names->n; j++)
        if (strlen(names->items[j].tsan) == len && memcmp(names->items[j].tsan, label, len) == 0)
            return names->items[j].ours;
    return NULL;
}

void cw_tsan_thread_names_free(cw_tsan_thread_names *names)
{
    for (size_t i = 0; i < names->n; i++) {
        free(names->items[i].tsan);
        free(names->items[i].ours);
    }
    free(names->items);
    names->items = NULL;
    names->n = 0;
}

/* Ownership of the finding model (finding.h): freeing and filtering. */
#include "finding.h"

#include <stdlib.h>
#include <string.h>

void cw_frame_clear(cw_frame *frame)
{
    free(frame->module);
    free(frame->function);
    free(frame->file);
    memset(frame, 0, sizeof *frame);
}

static void free_frames(cw_frame *frames, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cw_frame_clear(&frames[i]);
    free(frames);
}

void cw_finding_clear(cw_finding *f)
{
    free(f->kind);
    free(f->message);
    for (size_t i = 0; i < f->nlocks; i++) {
        free(f->locks[i].id);
        free(f->locks[i].type);
        free(f->locks[i].how);
        free(f->locks[i].module);
        free(f->locks[i].name);
        free(f->locks[i].description);
        free_frames(f->locks[i].frames, f->locks[i].nframes);
    }
    free(f->locks);
    for (size_t i = 0; i < f->nstacks; i++) {
        free(f->stacks[i].thread);
        free(f->stacks[i].role);
        free_frames(f->stacks[i].frames, f->stacks[i].nframes);
    }
    free(f->stacks);
    for (size_t i = 0; i < f->nnotes; i++)
        free(f->notes[i]);
    free(f->notes);
    free(f->other_pids);
    memset(f, 0, sizeof *f);
}

void cw_finding_list_free(cw_finding_list *list)
{
    for (size_t i = 0; i < list->n; i++)
        cw_finding_clear(&list->items[i]);
    free(list->items);
    list->items = NULL;
    list->n = 0;
    free(list->race_method);
    free(list->race_detail);
    list->race_method = list->race_detail = NULL;
    list->race_pid = 0;
}

size_t cw_finding_list_filter(cw_finding_list *list,
                              bool (*keep)(const cw_finding *f, void *arg), void *arg)
{
    size_t kept = 0;
    for (size_t i = 0; i < list->n; i++) {
        if (keep(&list->items[i], arg))
            list->items[kept++] = list->items[i];
        else
            cw_finding_clear(&list->items[i]);
    }
    size_t removed = list->n - kept;
    list->n = kept;
    return removed;
}

/* JSON report; see render_json.h for the shape. */
#include "render_json.h"

#include <inttypes.h>

#include "json_writer.h"
#include "paths.h"

static void key_string(cw_json *w, const char *key, const char *value)
{
    cw_json_key(w, key);
    cw_json_string(w, value);
}

static void write_frame(cw_json *w, const cw_frame *fr, const char *base_dir)
{
    cw_json_begin_object(w);
    key_string(w, "function", fr->function);
    key_string(w, "file", cw_display_path(fr->file, base_dir));
    cw_json_key(w, "line");
    if (fr->line > 0)
        cw_json_int(w, fr->line);
    else
        cw_json_null(w);
    if (fr->is_python) {
        key_string(w, "module", NULL);
        key_string(w, "offset", NULL);
        cw_json_key(w, "python");
        cw_json_bool(w, true);
    } else {
        char offset[24];
        snprintf(offset, sizeof offset, "0x%" PRIx64, fr->vaddr);
        key_string(w, "module", fr->module);
        key_string(w, "offset", offset);
    }
    if (fr->is_inlined) {
        cw_json_key(w, "inlined");
        cw_json_bool(w, true);
    }
    cw_json_end_object(w);
}

static void write_frames(cw_json *w, const char *key, const cw_frame *frames, size_t n,
                         const char *base_dir)
{
    cw_json_key(w, key);
    cw_json_begin_array(w);
    for (size_t i = 0; i < n; i++)
        write_frame(w, &frames[i], base_dir);
    cw_json_end_array(w);
}

static void write_lock(cw_json *w, const cw_lock *l, const char *base_dir)
{
    cw_json_begin_object(w);
    key_string(w, "id", l->id);
    key_string(w, "type", l->type);
    key_string(w, "how", l->how);
    key_string(w, "name", l->name);
    key_string(w, "description", l->description);
    write_frames(w, "created", l->frames, l->nframes, base_dir);
    cw_json_end_object(w);
}

static void write_stack(cw_json *w, const cw_stack *s, const char *base_dir)
{
    cw_json_begin_object(w);
    key_string(w, "thread", s->thread);
    key_string(w, "role", s->role);
    write_frames(w, "frames", s->frames, s->nframes, base_dir);
    cw_json_end_object(w);
}

static void write_finding(cw_json *w, const cw_finding *f, const char *base_dir)
{
    cw_json_begin_object(w);
    key_string(w, "kind", f->kind);
    key_string(w, "message", f->message);
    cw_json_key(w, "pid");
    if (f->pid > 0)
        cw_json_int(w, f->pid);
    else
        cw_json_null(w);
    if (f->runs > 0) {
        cw_json_key(w, "runs");
        cw_json_int(w, (long long)f->runs);
        cw_json_key(w, "processes");
        cw_json_int(w, (long long)f->processes);
    }
    cw_json_key(w, "notes");
    cw_json_begin_array(w);
    for (size_t i = 0; i < f->nnotes; i++)
        cw_json_string(w, f->notes[i]);
    cw_json_end_array(w);
    cw_json_key(w, "locks");
    cw_json_begin_array(w);
    for (size_t i = 0; i < f->nlocks; i++)
        write_lock(w, &f->locks[i], base_dir);
    cw_json_end_array(w);
    cw_json_key(w, "stacks");
    cw_json_begin_array(w);
    for (size_t i = 0; i < f->nstacks; i++)
        write_stack(w, &f->stacks[i], base_dir);
    cw_json_end_array(w);
    cw_json_end_object(w);
}

void cw_render_json(FILE *out, const cw_finding_list *list, const cw_run_info *run)
{
    cw_json w;
    cw_json_init(&w, out);
    cw_json_begin_object(&w);
    key_string(&w, "tool", "concwatch");
    key_string(&w, "version", run->version);
    cw_json_key(&w, "command");
    if (run->nmerged > 0) {
        cw_json_null(&w);
    } else {
        cw_json_begin_array(&w);
        for (int i = 0; i < run->ncommand; i++)
            cw_json_string(&w, run->command[i]);
        cw_json_end_array(&w);
    }
    cw_json_key(&w, "exit_status");
    if (run->nmerged > 0)
        cw_json_null(&w);
    else
        cw_json_int(&w, run->exit_status);
    if (run->nmerged > 0) {
        cw_json_key(&w, "merged");
        cw_json_begin_array(&w);
        for (int i = 0; i < run->nmerged; i++)
            cw_json_string(&w, run->merged[i]);
        cw_json_end_array(&w);
    }
    cw_json_key(&w, "suppressed");
    cw_json_int(&w, (long long)run->suppressed);
    cw_json_key(&w, "races");   /* how data races were looked for; null when the program never said */
    if (list->race_method) {
        cw_json_begin_object(&w);
        key_string(&w, "method", list->race_method);
        key_string(&w, "detail", list->race_detail);
        cw_json_end_object(&w);
    } else {
        cw_json_null(&w);
    }
    cw_json_key(&w, "internal_errors");
    cw_json_int(&w, (long long)run->internal_errors);
    cw_json_key(&w, "findings");
    cw_json_begin_array(&w);
    for (size_t i = 0; i < list->n; i++)
        write_finding(&w, &list->items[i], run->base_dir);
    cw_json_end_array(&w);
    cw_json_end_object(&w);
    cw_json_finish(&w);
}

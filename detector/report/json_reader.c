/* JSON report -> findings, with json-c; see json_reader.h. */
#include "json_reader.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "number_fields.h"
#include "xalloc.h"

static json_object *member(json_object *obj, const char *key)
{
    json_object *v = NULL;
    return json_object_is_type(obj, json_type_object) && json_object_object_get_ex(obj, key, &v) ? v : NULL;
}

/* A string member, copied; NULL when missing, null or not a string. */
static char *string_of(json_object *obj, const char *key)
{
    json_object *v = member(obj, key);
    return json_object_is_type(v, json_type_string) ? cw_xstrdup(json_object_get_string(v)) : NULL;
}

static long long int_of(json_object *obj, const char *key)
{
    json_object *v = member(obj, key);
    return json_object_is_type(v, json_type_int) ? (long long)json_object_get_int64(v) : 0;
}

static bool bool_of(json_object *obj, const char *key)
{
    json_object *v = member(obj, key);
    return json_object_is_type(v, json_type_boolean) && json_object_get_boolean(v);
}

static size_t array_length(json_object *arr)
{
    return json_object_is_type(arr, json_type_array) ? json_object_array_length(arr) : 0;
}

static void read_frames(json_object *arr, cw_frame **frames, size_t *n)
{
    size_t len = array_length(arr);
    for (size_t i = 0; i < len; i++) {
        json_object *o = json_object_array_get_idx(arr, i);
        cw_frame *fr = cw_array_push(frames, n, sizeof *fr);
        fr->function = string_of(o, "function");
        fr->file = string_of(o, "file");
        fr->line = (int)int_of(o, "line");
        fr->module = string_of(o, "module");
        fr->is_python = bool_of(o, "python");
        fr->is_inlined = bool_of(o, "inlined");
        char *offset = string_of(o, "offset");
        if (offset)
            cw_parse_hex_field(offset, strlen(offset), &fr->vaddr);
        free(offset);
    }
}

static void read_finding(json_object *o, cw_finding *f)
{
    f->kind = string_of(o, "kind");
    f->message = string_of(o, "message");
    f->pid = (long)int_of(o, "pid");
    long long runs = int_of(o, "runs"), processes = int_of(o, "processes");
    f->runs = runs > 0 ? (size_t)runs : 0;
    f->processes = processes > 0 ? (size_t)processes : 0;
    json_object *notes = member(o, "notes");
    for (size_t i = 0; i < array_length(notes); i++) {
        json_object *n = json_object_array_get_idx(notes, i);
        if (json_object_is_type(n, json_type_string))
            *(char **)cw_array_push(&f->notes, &f->nnotes, sizeof(char *)) = cw_xstrdup(json_object_get_string(n));
    }
    json_object *locks = member(o, "locks");
    for (size_t i = 0; i < array_length(locks); i++) {
        json_object *lo = json_object_array_get_idx(locks, i);
        cw_lock *l = cw_array_push(&f->locks, &f->nlocks, sizeof *l);
        l->id = string_of(lo, "id");
        l->type = string_of(lo, "type");
        l->how = string_of(lo, "how");
        l->name = string_of(lo, "name");
        l->description = string_of(lo, "description");
        read_frames(member(lo, "created"), &l->frames, &l->nframes);
    }
    json_object *stacks = member(o, "stacks");
    for (size_t i = 0; i < array_length(stacks); i++) {
        json_object *so = json_object_array_get_idx(stacks, i);
        cw_stack *s = cw_array_push(&f->stacks, &f->nstacks, sizeof *s);
        s->thread = string_of(so, "thread");
        s->role = string_of(so, "role");
        read_frames(member(so, "frames"), &s->frames, &s->nframes);
    }
}

bool cw_read_json_report(const char *path, cw_finding_list *out, size_t *suppressed, char *err,
                         size_t errlen)
{
    FILE *in = fopen(path, "re");
    if (!in) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return false;
    }
    fclose(in);
    json_object *root = json_object_from_file(path);
    if (!root) {
        snprintf(err, errlen, "%s: not JSON (%s)", path, json_util_get_last_err());
        return false;
    }
    json_object *tool = member(root, "tool");
    json_object *findings = member(root, "findings");
    if (!json_object_is_type(tool, json_type_string) || strcmp(json_object_get_string(tool), "concwatch") != 0 ||
        !json_object_is_type(findings, json_type_array)) {
        snprintf(err, errlen, "%s: not a concwatch JSON report (no \"tool\": \"concwatch\" and \"findings\")",
                 path);
        json_object_put(root);
        return false;
    }
    size_t n = array_length(findings);
    for (size_t i = 0; i < n; i++) {
        json_object *fo = json_object_array_get_idx(findings, i);
        if (!json_object_is_type(fo, json_type_object))
            continue;
        read_finding(fo, cw_array_push(&out->items, &out->n, sizeof(cw_finding)));
    }
    long long s = int_of(root, "suppressed");
    *suppressed += s > 0 ? (size_t)s : 0;
    json_object_put(root);
    return true;
}

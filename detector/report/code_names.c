/* Names in a line of code; see code_names.h. */
#include "code_names.h"

#include <ctype.h>
#include <string.h>

static bool is_ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

static const char *skip_space(const char *p)
{
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

/* The end of an access path starting at p (identifier, ->x, .x, [..]), or
   NULL if p does not start with one. */
static const char *path_end(const char *p)
{
    if (!isalpha((unsigned char)*p) && *p != '_')
        return NULL;
    while (is_ident_char(*p))
        p++;
    for (;;) {
        const char *q = skip_space(p);
        if (q[0] == '-' && q[1] == '>') {
            q = skip_space(q + 2);
        } else if (q[0] == '.' && (isalpha((unsigned char)q[1]) || q[1] == '_' || isspace((unsigned char)q[1]))) {
            q = skip_space(q + 1);
        } else if (q[0] == '[') {
            int depth = 0;
            do {
                depth += *q == '[' ? 1 : *q == ']' ? -1 : 0;
                q++;
            } while (*q && depth);
            if (depth)
                return NULL;
            p = q;
            continue;
        } else {
            return p;
        }
        if (!isalpha((unsigned char)*q) && *q != '_')
            return p;
        while (is_ident_char(*q))
            q++;
        p = q;
    }
}

/* Copies [from, to) without leading/trailing blanks; false if it does not fit. */
static bool copy_trimmed(const char *from, const char *to, char *out, size_t size)
{
    from = skip_space(from);
    while (to > from && isspace((unsigned char)to[-1]))
        to--;
    size_t n = (size_t)(to - from);
    if (n == 0 || n + 1 > size)
        return false;
    memcpy(out, from, n);
    out[n] = '\0';
    return true;
}

/* An argument that is `&path` or `&(path)`, ending at ',' or ')'. */
static bool address_argument(const char *p, char *out, size_t size)
{
    p = skip_space(p);
    if (*p != '&')
        return false;
    p = skip_space(p + 1);
    bool paren = *p == '(';
    if (paren)
        p = skip_space(p + 1);
    const char *end = path_end(p);
    if (!end)
        return false;
    const char *after = skip_space(end);
    if (paren) {
        if (*after != ')')
            return false;
        after = skip_space(after + 1);
    }
    if (*after != ',' && *after != ')')
        return false;
    return copy_trimmed(p, end, out, size);
}

/* The start of argument number `index` (0-based) of the call whose '(' is at
   open; NULL if there are fewer arguments. */
static const char *argument(const char *open, int index)
{
    const char *p = open + 1;
    int depth = 0;
    for (int i = 0; i < index; p++) {
        if (!*p)
            return NULL;
        if (*p == '(' || *p == '[' || *p == '{')
            depth++;
        else if (*p == ')' || *p == ']' || *p == '}') {
            if (depth-- == 0)
                return NULL;
        } else if (*p == ',' && depth == 0) {
            i++;
        }
    }
    return p;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Which argument of a C lock-API function is the lock; -1 if name is none. */
static int lock_argument_of(const char *name, size_t len)
{
    char fn[64];
    if (len >= sizeof fn)
        return -1;
    memcpy(fn, name, len);
    fn[len] = '\0';
    if (strcmp(fn, "pthread_cond_wait") == 0 || strcmp(fn, "pthread_cond_timedwait") == 0 ||
        strcmp(fn, "pthread_cond_clockwait") == 0)
        return 1;
    if (starts_with(fn, "pthread_cond_") || starts_with(fn, "pthread_mutexattr_") ||
        starts_with(fn, "pthread_rwlockattr_"))
        return -1;
    if (starts_with(fn, "pthread_mutex_") || starts_with(fn, "pthread_rwlock_") ||
        starts_with(fn, "pthread_spin_") || starts_with(fn, "sem_") || starts_with(fn, "mtx_"))
        return 0;
    return -1;
}

static bool c_call(const char *line, char *out, size_t size)
{
    for (const char *p = line; *p; p++) {
        if (!(isalpha((unsigned char)*p) || *p == '_') || (p > line && is_ident_char(p[-1])))
            continue;
        const char *end = p;
        while (is_ident_char(*end))
            end++;
        int index = lock_argument_of(p, (size_t)(end - p));
        const char *open = skip_space(end);
        if (index >= 0 && *open == '(') {
            const char *arg = argument(open, index);
            return arg && address_argument(arg, out, size);
        }
        p = end - 1;
    }
    return false;
}

/* std::lock_guard<...> name(path) and its siblings. */
static bool cxx_guard(const char *line, char *out, size_t size)
{
    static const char *const guards[] = { "lock_guard", "unique_lock", "shared_lock", "scoped_lock" };
    for (size_t g = 0; g < sizeof guards / sizeof guards[0]; g++) {
        const char *p = strstr(line, guards[g]);
        if (!p || (p > line && is_ident_char(p[-1])))
            continue;
        p = skip_space(p + strlen(guards[g]));
        if (*p == '<') {                            /* template arguments */
            int depth = 0;
            do {
                depth += *p == '<' ? 1 : *p == '>' ? -1 : 0;
                p++;
            } while (*p && depth);
            p = skip_space(p);
        }
        if (!isalpha((unsigned char)*p) && *p != '_')
            return false;
        while (is_ident_char(*p))
            p++;
        p = skip_space(p);
        if (*p != '(' && *p != '{')
            return false;
        const char *start = skip_space(p + 1);
        const char *end = path_end(start);
        const char *after = end ? skip_space(end) : NULL;
        if (!end || (*after != ')' && *after != '}'))
            return false;                           /* none, or several locks */
        return copy_trimmed(start, end, out, size);
    }
    return false;
}

/* path.lock() and its siblings: the path is what precedes the member call. */
static bool cxx_member_call(const char *line, char *out, size_t size)
{
    static const char *const calls[] = { "lock", "try_lock", "lock_shared", "try_lock_shared", "unlock" };
    for (const char *p = line; *p; p++) {
        size_t op = p[0] == '.' ? 1 : (p[0] == '-' && p[1] == '>') ? 2 : 0;
        if (!op)
            continue;
        const char *name = p + op;
        for (size_t c = 0; c < sizeof calls / sizeof calls[0]; c++) {
            size_t len = strlen(calls[c]);
            if (strncmp(name, calls[c], len) != 0 || is_ident_char(name[len]) || *skip_space(name + len) != '(')
                continue;
            /* The longest path that ends right before the call. */
            char head[512];
            size_t hlen = (size_t)(p - line);
            if (hlen >= sizeof head)
                return false;
            memcpy(head, line, hlen);
            head[hlen] = '\0';
            for (const char *start = head; start < head + hlen; start++) {
                if (start > head && (is_ident_char(start[-1]) || start[-1] == '.' || start[-1] == '>' ||
                                     start[-1] == ']'))
                    continue;
                const char *end = path_end(start);
                if (end == head + hlen)
                    return copy_trimmed(start, end, out, size);
            }
            return false;
        }
    }
    return false;
}

bool cw_c_lock_expression(const char *line, char *out, size_t size)
{
    if (!line)
        return false;
    return c_call(line, out, size) || cxx_guard(line, out, size) || cxx_member_call(line, out, size);
}

bool cw_python_assigned_name(const char *line, char *out, size_t size)
{
    if (!line)
        return false;
    const char *start = skip_space(line);
    const char *end = path_end(start);
    if (!end)
        return false;
    const char *p = skip_space(end);
    if (*p == ':') {                                /* an annotation: skip to '=' */
        const char *eq = strchr(p, '=');
        if (!eq)
            return false;
        p = eq;
    }
    if (p[0] != '=' || p[1] == '=')
        return false;
    const char *rhs = skip_space(p + 1);
    /* The right-hand side starts with a call: name(.name)*( */
    const char *callee = rhs;
    while (is_ident_char(*callee) || *callee == '.')
        callee++;
    if (callee == rhs || *skip_space(callee) != '(')
        return false;
    return copy_trimmed(start, end, out, size);
}

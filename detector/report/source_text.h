/*
 * Lines of the program's source files, read after the run to name what a
 * line of code names (lock_names.h).  Each file is read once (up to 16 MiB)
 * and kept until the cache is freed; a file that cannot be read is
 * remembered as such.  A relative path is taken from the current directory,
 * which is the program's starting directory (the launcher does not move).
 */
#ifndef CW_SOURCE_TEXT_H
#define CW_SOURCE_TEXT_H

typedef struct cw_source_text cw_source_text;

cw_source_text *cw_source_text_new(void);
void cw_source_text_free(cw_source_text *src);

/* Line number `line` (1-based) of file, without its line ending, as a
   NUL-terminated string owned by the cache; NULL when the file cannot be
   read or has no such line. */
const char *cw_source_line(cw_source_text *src, const char *file, int line);

#endif

/*
 * The private directory where the shim of every process of the run writes
 * its findings file (record_format.h).  mkdtemp makes it 0700 and unique, so
 * concurrent runs and other users cannot mix their findings into ours.
 */
#ifndef CW_REPORT_DIR_H
#define CW_REPORT_DIR_H

#include <stddef.h>

/* Creates $TMPDIR/concwatch.XXXXXX (or under /tmp); malloc'd path, or NULL
   with one line in err. */
char *cw_report_dir_create(char *err, size_t errlen);

/* Removes the files in dir and dir itself, best effort (nothing nests). */
void cw_report_dir_remove(const char *dir);

#endif

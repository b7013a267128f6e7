/* DWARF of odd binaries: the symbolizer opens the modules named in a
 * program's records (any ELF file on the machine, however it was built or
 * damaged) and reads their symbols, line tables and variables.  The input
 * is such a file. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/finding.h"
#include "report/symbolizer.h"
#include "report/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/cw_fuzz_elf.%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    cw_symbolizer *sym = cw_symbolizer_new();
    /* Addresses: a few fixed ones, and some taken from the input itself. */
    uint64_t addrs[8] = { 0x6d5, 0x6f0, 0x401136, 0x10 };
    for (int i = 4; i < 8; i++)
        if (size >= (size_t)(i * 8 + 8))
            memcpy(&addrs[i], data + size - (size_t)(i * 8 + 8), 8);
    for (int i = 0; i < 8; i++) {
        cw_frame *frames = NULL;
        size_t n = 0;
        /* One frame, in an array the symbolizer may grow (inlined calls). */
        cw_frame *fr = cw_array_push(&frames, &n, sizeof *fr);
        fr->module = strdup(path);
        fr->vaddr = addrs[i];
        fr->is_return = i & 1;
        cw_symbolize_frames(sym, &frames, &n);
        for (size_t k = 0; k < n; k++)
            cw_frame_clear(&frames[k]);
        free(frames);
        free(cw_symbolize_data(sym, path, addrs[i]));
    }
    cw_symbolizer_free(sym);
    return 0;
}

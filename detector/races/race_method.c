#define _GNU_SOURCE
#include "race_method.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hwbp_selftest.h"
#include "watch_backend.h"
#include "events/record_writer.h"

const cw_watch_backend *cw_backend;
static atomic_int said_never;
static char chosen_detail[512];

static void say(const char *method, const char *detail)
{
    cw_record_run_line("races", method, detail ? detail : "");
}

bool cw_race_method_choose(void)
{
    char why_hw[256] = "", why_sw[256] = "";
    const char *want = cw_flags.race_backend;
    bool want_hw = strcmp(want, "hardware") == 0, want_sw = strcmp(want, "software") == 0;
    if (!want_hw && !want_sw && strcmp(want, "auto") != 0) {
        cw_race_method_never("CONCWATCH_RACE_BACKEND is not one of auto, hardware, software");
        return false;
    }
    cw_wp_simulate_silent(cw_flags.hwbp_simulate_silent);
    cw_backend = NULL;
    if (!want_sw) {
        cw_hwbp_result r = cw_hwbp_selftest(false, why_hw, sizeof why_hw);
        if (r == CW_HWBP_OK && cw_backend_hw.start(why_hw, sizeof why_hw))
            r = cw_hwbp_selftest(true, why_hw, sizeof why_hw);
        else if (r == CW_HWBP_OK)
            r = CW_HWBP_REFUSED;
        if (r == CW_HWBP_OK) {
            cw_backend = &cw_backend_hw;
            snprintf(chosen_detail, sizeof chosen_detail, "%s", want_hw ? "forced by CONCWATCH_RACE_BACKEND" :
                                                                          "a start-up probe proved the debug registers fire");
        } else if (want_hw) {
            char why[600];
            snprintf(why, sizeof why, "%s (CONCWATCH_RACE_BACKEND=hardware)", why_hw);
            cw_race_method_off(why);
            return false;
        }
    }
    if (!cw_backend) {
        if (cw_backend_sw.start(why_sw, sizeof why_sw)) {
            cw_backend = &cw_backend_sw;
            snprintf(chosen_detail, sizeof chosen_detail, "%s",
                     want_sw ? "forced by CONCWATCH_RACE_BACKEND" : why_hw);
        } else {
            char why[600];
            if (want_sw)
                snprintf(why, sizeof why, "%s", why_sw);
            else
                snprintf(why, sizeof why, "%s; %s", why_hw, why_sw);
            cw_race_method_off(why);
            return false;
        }
    }
    cw_nslots = cw_backend->max_slots;
    say(cw_backend->name, chosen_detail);
    return true;
}

void cw_race_method_detail(const char *detail)
{
    if (!cw_backend)
        return;
    char text[1024];
    snprintf(text, sizeof text, "%s%s%s", chosen_detail, chosen_detail[0] ? "; " : "", detail);
    say(cw_backend->name, text);
}

void cw_race_method_off(const char *why)
{
    static char last[256];
    atomic_store(&cw_sampler_stopping, 1);
    if (strncmp(last, why, sizeof last - 1) == 0)
        return;
    snprintf(last, sizeof last, "%s", why);
    say("off", why);
    char line[512];
    int n = snprintf(line, sizeof line, "concwatch: data-race detection off: %s\n", why);
    if (n > 0 && write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0)
        return;
}

void cw_race_method_never(const char *why)
{
    if (atomic_exchange(&said_never, 1))
        return;
    say("off", why);
}

void cw_race_method_after_fork_child(void)
{
    atomic_store(&said_never, 0);
    cw_backend = NULL;
}

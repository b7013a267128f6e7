# Programs built with -fsanitize=thread, under concwatch (labels "samples;tsan"),
# and the unit test of the TSan report reader (labels "unit;report").
#
#   sample.<name>.tsan   samples/<name>.c built with TSan (samples/tsan.cmake), run
#                        under concwatch and checked against the sample's own
#                        "// concwatch-expect:" line by tests/check_sample.py: the
#                        race samples must give their data-race from TSan's report,
#                        the lock samples exactly concwatch's own finding (TSan's
#                        lock-order and mutex reports are never added), the clean
#                        ones nothing (no false race caused by the shim)
#   samples.native_tsan  the clean TSan builds run WITHOUT concwatch: TSan alone
#                        must find nothing either (it exits 66 when it reports)
#   unit.report.tsan     detector/report/tsan_reports.c (with tsan_report_parse.c and
#                        tsan_findings.c) and tsan_options.c
#
# Included from tests/CMakeLists.txt.

find_package(Python3 REQUIRED COMPONENTS Interpreter)

get_directory_property(_cw_tsan_samples DIRECTORY ${CMAKE_SOURCE_DIR}/samples
  DEFINITION CW_TSAN_SAMPLES)

# TSan builds whose run is known to fail under concwatch because of a tool bug
# (kept built, with the test registered but disabled, until it is fixed): none.
set(_cw_tsan_known_bad)

# The tests run with TSAN_OPTIONS=history_size=7, as a user would set it: with
# TSan's default history (128K accesses a thread) a busy machine often leaves
# TSan unable to restore the earlier access's stack of counter_race ("[failed
# to restore the stack]"; 10 of 16 runs side by side, 0 of 48 with 7).  It
# also checks that concwatch keeps the user's own TSAN_OPTIONS.
set(_cw_tsan_env "TSAN_OPTIONS=history_size=7")

if(TARGET concwatch)
  foreach(name IN LISTS _cw_tsan_samples)
    add_test(NAME sample.${name}.tsan
      COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/check_sample.py
        --concwatch $<TARGET_FILE:concwatch>
        --source ${CMAKE_SOURCE_DIR}/samples/${name}.c
        --timeout 60
        -- $<TARGET_FILE:sample_${name}_tsan>)
    set_tests_properties(sample.${name}.tsan PROPERTIES LABELS "samples;tsan" TIMEOUT 90
      ENVIRONMENT "${_cw_tsan_env}")
    if(name IN_LIST _cw_tsan_known_bad)
      set_tests_properties(sample.${name}.tsan PROPERTIES DISABLED TRUE)
    endif()
  endforeach()
endif()

# The clean samples, by TSan alone: the expectation is not concwatch's opinion.
# Except where TSan alone is wrong and concwatch corrects it: gcc 12's libtsan
# does not intercept sem_clockwait, so without the shim it misses that a
# clockwait is ordered after the post it consumed and reports semaphore_handoff's
# mailbox as a race (measured: every run).
set(_cw_tsan_alone_wrong semaphore_handoff)
set(_cw_tsan_clean)
foreach(name IN LISTS _cw_tsan_samples)
  file(STRINGS ${CMAKE_SOURCE_DIR}/samples/${name}.c _expect REGEX "^// concwatch-expect: clean")
  if(_expect AND NOT name IN_LIST _cw_tsan_alone_wrong)
    list(APPEND _cw_tsan_clean $<TARGET_FILE:sample_${name}_tsan>)
  endif()
endforeach()
if(_cw_tsan_clean)
  add_test(NAME samples.native_tsan
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/check_sample.py --native --timeout 60
      --exits-zero ${_cw_tsan_clean})
  set_tests_properties(samples.native_tsan PROPERTIES LABELS "samples;tsan" TIMEOUT 300)
endif()

# The shim's own bookkeeping must be invisible to ThreadSanitizer: run under
# the shim alone (no launcher, whose reader drops reports the shim causes),
# TSan must report nothing.  It reported the shim's memmove (shifting a
# thread's held locks when one that is not the last is released, in
# pthread_mutex_unlock) and memset (a reused thread slot) as races.
if(TARGET concwatch_shim AND list_hand_over_hand IN_LIST _cw_tsan_samples)
  add_test(NAME sample.list_hand_over_hand.tsan.shim_unseen
    COMMAND env LD_PRELOAD=$<TARGET_FILE:concwatch_shim> CONCWATCH_RACES=0 TSAN_OPTIONS=exitcode=66
      $<TARGET_FILE:sample_list_hand_over_hand_tsan>)
  set_tests_properties(sample.list_hand_over_hand.tsan.shim_unseen PROPERTIES LABELS "samples;tsan" TIMEOUT 90
    FAIL_REGULAR_EXPRESSION "ThreadSanitizer")
endif()

# Thread numbers: TSan's count concwatch's helper threads (the program's
# second thread was TSan's T3); the report uses concwatch's labels.
if(TARGET concwatch AND counter_race IN_LIST _cw_tsan_samples)
  add_test(NAME sample.counter_race.tsan.thread_labels
    COMMAND $<TARGET_FILE:concwatch> -q -- $<TARGET_FILE:sample_counter_race_tsan>)
  set_tests_properties(sample.counter_race.tsan.thread_labels PROPERTIES
    LABELS "samples;tsan" TIMEOUT 90 ENVIRONMENT "${_cw_tsan_env}"
    PASS_REGULAR_EXPRESSION "by T[12] and [a-z ]*by T[12],")
endif()

# The parser and the options, against the report library (sanitized like the
# other report tests when CONCWATCH_SANITIZE is on).
if(CONCWATCH_SANITIZE)
  set(_cw_tsan_report_lib cw_report_san)
else()
  set(_cw_tsan_report_lib cw_report)
endif()
add_executable(test_report_tsan ${CMAKE_SOURCE_DIR}/tests/unit/test_report_tsan.c)
target_link_libraries(test_report_tsan PRIVATE ${_cw_tsan_report_lib})
add_test(NAME unit.report.tsan COMMAND test_report_tsan)
set_tests_properties(unit.report.tsan PROPERTIES
  LABELS "unit;report"
  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1")

# counter_race's report must name the variable and, as the two accesses, the
# deposit and the withdrawal (in either order) with file:line and their callers.
if(TARGET concwatch AND counter_race IN_LIST _cw_tsan_samples)
  add_test(NAME sample.counter_race.tsan.names
    COMMAND $<TARGET_FILE:concwatch> -q -- $<TARGET_FILE:sample_counter_race_tsan>)
  set_tests_properties(sample.counter_race.tsan.names PROPERTIES
    LABELS "samples;tsan" TIMEOUT 90 ENVIRONMENT "${_cw_tsan_env}"
    PASS_REGULAR_EXPRESSION
      "global 'balance'.*(#0 deposit [^ ]+counter_race\\.c:[0-9]+.*#1 depositor [^ ]+counter_race\\.c:[0-9]+.*#0 withdraw [^ ]+counter_race\\.c:[0-9]+.*#1 withdrawer [^ ]+counter_race\\.c:[0-9]+|#0 withdraw [^ ]+counter_race\\.c:[0-9]+.*#1 withdrawer [^ ]+counter_race\\.c:[0-9]+.*#0 deposit [^ ]+counter_race\\.c:[0-9]+.*#1 depositor [^ ]+counter_race\\.c:[0-9]+)")
endif()

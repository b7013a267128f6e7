# ThreadSanitizer builds of some samples: the same sources built with
# -fsanitize=thread, as a user of TSan builds them, to be run under concwatch
# (tests/samples_tsan.cmake).  Each is target sample_<name>_tsan, built to
# ${CMAKE_BINARY_DIR}/samples/<name>_tsan; its expectation is the sample's own
# "// concwatch-expect:" line: a TSan build changes how a bug is found, never
# what the program's bugs are.
#
# Included from samples/CMakeLists.txt.  Skipped (with a message) when the
# compiler cannot build and run a TSan program here: gcc needs libtsan, and
# gcc 12's TSan refuses to start on kernels with a high mmap ASLR entropy
# ("FATAL: ThreadSanitizer: unexpected memory mapping"; vm.mmap_rnd_bits=28
# fixes it).

set(CW_TSAN_SAMPLES
  counter_race                  # data-race=1 (the race TSan finds)
  flag_two_locks                # data-race=1 (two different mutexes order nothing)
  counter_locked                # clean
  join_handoff                  # clean (pthread_join orders the hand-off)
  semaphore_handoff             # clean (sem_post/sem_wait order the hand-off)
  abba                          # lock-order-inversion=1 (concwatch's, never TSan's too)
  aa_errorcheck_lock            # self-deadlock=1 (concwatch's)
  misuse_unlock_unowned         # misuse=1 (concwatch's; TSan's mutex report dropped)
  misuse_destroy_locked         # misuse=1 (likewise)
  cond_lost_wakeup_fixed        # clean (condvars through the shim: no false race)
  producer_consumer_cond        # clean (condvars)
  semaphore_limiter             # clean (semaphores)
  cond_lost_wakeup              # deadlock=1 (the hang watcher in a TSan build)
  list_hand_over_hand           # clean (unlocks out of order, threads that end while others start)
)

set(CW_TSAN_FLAGS -fsanitize=thread -g -O1)

include(CheckCSourceRuns)
set(CMAKE_REQUIRED_FLAGS -fsanitize=thread)
set(CMAKE_REQUIRED_LINK_OPTIONS -fsanitize=thread)
set(CMAKE_REQUIRED_QUIET ON)
check_c_source_runs("
#include <pthread.h>
static int x;
static void *run(void *a) { x = 1; return a; }
int main(void) { pthread_t t; pthread_create(&t, 0, run, 0); pthread_join(t, 0); return x != 1; }"
  CW_TSAN_WORKS)
unset(CMAKE_REQUIRED_FLAGS)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
unset(CMAKE_REQUIRED_QUIET)

if(NOT CW_TSAN_WORKS)
  message(STATUS "ThreadSanitizer builds cannot run here: the TSan samples and their tests are skipped")
  set(CW_TSAN_SAMPLES)
endif()

foreach(name IN LISTS CW_TSAN_SAMPLES)
  add_executable(sample_${name}_tsan ${name}.c)
  set_target_properties(sample_${name}_tsan PROPERTIES
    OUTPUT_NAME ${name}_tsan
    RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/samples)
  # After the build type's flags, so -O1 wins; no inlining, as the plain builds.
  target_compile_options(sample_${name}_tsan PRIVATE
    -Wall -Wextra -pthread -fno-inline -fno-optimize-sibling-calls ${CW_TSAN_FLAGS})
  target_link_options(sample_${name}_tsan PRIVATE -pthread -fsanitize=thread)
endforeach()

list(TRANSFORM CW_TSAN_SAMPLES PREPEND sample_ OUTPUT_VARIABLE _cw_tsan_targets)
list(TRANSFORM _cw_tsan_targets APPEND _tsan)
if(_cw_tsan_targets)
  add_custom_target(all_tsan_samples DEPENDS ${_cw_tsan_targets})
endif()

# For tests/ and bench/ (get_directory_property(... DEFINITION CW_TSAN_SAMPLES)).
set(CW_TSAN_SAMPLES ${CW_TSAN_SAMPLES} PARENT_SCOPE)

# Reliability (issue 15): the tool never keeps a program alive, never takes it
# down, leaves nothing running when it is killed, and follows process trees.
# Label "reliability".  Included from tests/CMakeLists.txt.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(_cw_rel ${CMAKE_SOURCE_DIR}/tests/reliability)
set(_cw_expect ${Python3_EXECUTABLE} ${_cw_rel}/expect_run.py)

# Every CPython present (tests of Python behaviour run under each version):
# the one the tests run with, and pyenv's 3.10-3.13 (as tests/integration.cmake).
set(CW_TEST_PYTHONS ${Python3_EXECUTABLE})
foreach(_v 3.10 3.11 3.12 3.13)
  file(GLOB _py $ENV{HOME}/.pyenv/versions/${_v}.*/bin/python${_v})
  if(_py)
    list(GET _py 0 _py)
    list(APPEND CW_TEST_PYTHONS ${_py})
  endif()
endforeach()
list(REMOVE_DUPLICATES CW_TEST_PYTHONS)

function(cw_reliability_test name)
  add_test(NAME reliability.${name} COMMAND ${ARGN})
  set_tests_properties(reliability.${name} PROPERTIES LABELS reliability TIMEOUT 120 SKIP_RETURN_CODE 77)
endfunction()

if(TARGET concwatch)
  # The shape of CPython's test_3_join_in_forked_from_thread: the child of a
  # fork made in a worker thread ends when its last thread does (the shim's
  # threads kept it alive: the parent waited forever), and nothing is found.
  foreach(_py IN LISTS CW_TEST_PYTHONS)
    get_filename_component(_pyname ${_py} NAME)
    cw_reliability_test(py_fork_from_thread.${_pyname}
      ${_cw_expect} --timeout 30 --status 0
        --stderr "parent: child exited with status 0"
        -- $<TARGET_FILE:concwatch> -q -- ${_py} ${_cw_rel}/py_fork_from_thread.py)
  endforeach()
endif()

# The launcher SIGKILLed takes its program along (PR_SET_PDEATHSIG): nobody
# would read its findings or end its hangs.  The program would wait 60 s.
if(TARGET concwatch)
  cw_reliability_test(launcher_killed
    ${Python3_EXECUTABLE} ${_cw_rel}/launcher_killed.py $<TARGET_FILE:concwatch> -q -- ${Python3_EXECUTABLE} -c "import time; time.sleep(60)")
endif()

# The shim never takes the program down (CONCWATCH_TEST_FAULT injects the
# failure; common/shim_health.h).  An internal error turns concwatch off with
# one clear line and the program runs on, to its own output and status; a
# crash inside the shim is reported as concwatch's, with its stack; a
# deadlock inside the shim is caught by the launcher's watchdog.
if(TARGET concwatch AND TARGET sample_abba)
  # Whichever of the shim's mmaps fails (the N-th, for N = 1..12).
  cw_reliability_test(shim_off_every_mmap
    ${Python3_EXECUTABLE} ${_cw_rel}/every_mmap_fails.py $<TARGET_FILE:concwatch> $<TARGET_FILE:sample_abba>)
  # The lock-order graph's malloc failing (out of memory in the shim's heap).
  cw_reliability_test(shim_off_graph_oom
    ${_cw_expect} --timeout 60 --status 0 --env CONCWATCH_TEST_FAULT=graph-oom
      --stdout "alice: 110, bob: 90"
      --stderr "concwatch: internal error in process [0-9]+: out of memory: a node of the lock-order graph. concwatch is off for this process"
      -- $<TARGET_FILE:concwatch> -- $<TARGET_FILE:sample_abba>)
  cw_reliability_test(shim_off_disk_full
    ${_cw_expect} --timeout 60 --status 0 --env CONCWATCH_TEST_FAULT=write
      --stdout "alice: 110, bob: 90"
      --stderr "concwatch: internal error in process [0-9]+: cannot write findings to .*: No space left on device. concwatch is off for this process"
      -- $<TARGET_FILE:concwatch> -- $<TARGET_FILE:sample_abba>)
  cw_reliability_test(shim_crash_reported
    ${_cw_expect} --timeout 60 --status 139 --env CONCWATCH_TEST_FAULT=crash
      --stderr "concwatch: internal error in process [0-9]+ \\([^)]*abba\\): concwatch's shim crashed \\(SIGSEGV at 0x10, in the program's thread"
      --stderr "#0 cw_test_crash_here [^ ]*shim_health.c:[0-9]+"
      --stderr "#[0-9] main [^ ]*abba.c:[0-9]+"
      -- $<TARGET_FILE:concwatch> -- $<TARGET_FILE:sample_abba>)
  cw_reliability_test(shim_deadlock_watchdog
    ${_cw_expect} --timeout 60 --status 137 --env CONCWATCH_TEST_FAULT=spin --env CONCWATCH_SHIM_WATCHDOG=2
      --stderr "concwatch: internal error in process [0-9]+ \\([^)]*abba\\): deadlock inside concwatch's shim: a thread has waited for one of the shim's own locks"
      -- $<TARGET_FILE:concwatch> -- $<TARGET_FILE:sample_abba>)
endif()
# On a program that hangs for good (abba_hang), so the watcher's first poll
# always comes: a program that ends first (main_pthread_exit, 0.2 s) ended
# before it 1 run in 30 on a loaded machine.
if(TARGET concwatch AND TARGET sample_abba_hang)
  cw_reliability_test(shim_helper_crash_reported
    ${_cw_expect} --timeout 60 --status 139 --env CONCWATCH_TEST_FAULT=helper-crash --env CONCWATCH_HANG_POLL_MS=5
      --stderr "concwatch's shim crashed \\(SIGSEGV at 0x10, on its own thread cw-hang-watch\\)"
      --stderr "#1 watcher_main [^ ]*hang_watch.c:[0-9]+"
      -- $<TARGET_FILE:concwatch> -- $<TARGET_FILE:sample_abba_hang>)
endif()

# Process trees: multiprocessing (fork, spawn, forkserver, a Pool) and a
# subprocess chain, one of them still running when the main program ends:
# what each finds reaches the one report, labelled by pid and command line.
if(TARGET concwatch)
  foreach(_py IN LISTS CW_TEST_PYTHONS)
    get_filename_component(_pyname ${_py} NAME)
    cw_reliability_test(process_tree.${_pyname}
      ${Python3_EXECUTABLE} ${_cw_rel}/check_tree.py $<TARGET_FILE:concwatch> ${_py})
  endforeach()
  # With a short CONCWATCH_TREE_WAIT: the process still running is named,
  # and what it finds later is said to be lost.
  cw_reliability_test(process_tree_lost
    ${Python3_EXECUTABLE} ${_cw_rel}/check_tree.py --lost $<TARGET_FILE:concwatch> ${Python3_EXECUTABLE})
  # A statically linked or set-user-ID program exec'd in the tree: "not
  # watched", once per program, never a failure.
  if(TARGET cw_test_static_prog)
    set(_cw_static $<TARGET_FILE:cw_test_static_prog>)
  else()
    set(_cw_static -)
  endif()
  cw_reliability_test(exec_unwatched
    ${Python3_EXECUTABLE} ${_cw_rel}/check_unwatched.py $<TARGET_FILE:concwatch> ${Python3_EXECUTABLE} ${_cw_static})
endif()
if(TARGET concwatch)
  # The hang watcher itself stuck (it beats on the health page at each look):
  # seen by the watchdog, which the hang watcher cannot be for itself.
  cw_reliability_test(shim_watcher_stuck_watchdog
    ${_cw_expect} --timeout 60 --status 137 --env CONCWATCH_TEST_FAULT=watcher-stuck --env CONCWATCH_SHIM_WATCHDOG=2
      --stderr "concwatch: internal error in process [0-9]+ \\(.*\\): deadlock inside concwatch's shim: the hang watcher has not looked at the program for"
      --json ${CMAKE_CURRENT_BINARY_DIR}/shim_watcher_stuck_watchdog.json --json-int internal_errors=1
      -- $<TARGET_FILE:concwatch> --json ${CMAKE_CURRENT_BINARY_DIR}/shim_watcher_stuck_watchdog.json -- ${Python3_EXECUTABLE} -c "__import__('threading').Thread(target=__import__('time').sleep, args=(30,)).start()")
endif()

# Software watchpoints never hang a program (their system-call guard took its
# own page lock twice for a brk made while a page was protected: every thread
# then waited on it, and SIGTERM stayed pending).  A heap that grows and
# shrinks while a watched global is taken in turns: hung 6 runs in 6 before
# the fix, ~1.5 s after.  Then the bench's 1000 threads (hung 3 runs in 8),
# under each backend.
if(TARGET concwatch)
  add_executable(cw_test_sw_brk_watched ${_cw_rel}/sw_brk_watched.c)
  target_compile_options(cw_test_sw_brk_watched PRIVATE -O2 -g -pthread)
  target_link_options(cw_test_sw_brk_watched PRIVATE -pthread)
  cw_reliability_test(sw_brk_while_watched
    ${_cw_expect} --timeout 30 --status 0 --env CONCWATCH_RACE_BACKEND=software --stdout "^brk 20000 ok$"
      -- $<TARGET_FILE:concwatch> -q -- $<TARGET_FILE:cw_test_sw_brk_watched>)
  # SIGTERM to the launcher ends a program stuck inside the shim's SIGSYS
  # handler (every asynchronous signal blocked there, so it stayed pending
  # for good): once a signal is forwarded the watchdog calls a 1 s wait for
  # a shim lock a deadlock (its own deadline set far off here).
  cw_reliability_test(sigterm_ends_stuck_shim
    ${CMAKE_COMMAND} -E env CONCWATCH_RACE_BACKEND=software CONCWATCH_TEST_FAULT=sw-spin CONCWATCH_SHIM_WATCHDOG=60
      ${Python3_EXECUTABLE} ${_cw_rel}/sigterm_ends.py $<TARGET_FILE:concwatch> $<TARGET_FILE:cw_test_sw_brk_watched>)
  # A real multithreaded program under software watchpoints, which has a
  # SIGSEGV handler of its own: a fault on a page while it was being
  # protected or given back (the protecting thread preempted between its
  # mprotect and the slot's claim, or the fault's handler run late) went to
  # zstd's handler, which killed it ("Caught SIGSEGV signal", exit 139; about
  # 1 run in 200 on a loaded machine).  sw-slow-prot opens that window wide
  # (without the fix: run 2 of 3 crashed in 2 tests of 4; it runs 8); the plain runs check it ends.
  foreach(_fault none sw-slow-prot)
    cw_reliability_test(zstd_software.${_fault}
      ${CMAKE_COMMAND} -E env CONCWATCH_TEST_FAULT=$<IF:$<STREQUAL:${_fault},none>,,${_fault}>
        ${Python3_EXECUTABLE} ${_cw_rel}/zstd_software.py $<TARGET_FILE:concwatch> $<TARGET_FILE:bench_gen_corpus> $<IF:$<STREQUAL:${_fault},none>,3,8>)
  endforeach()
  # (bench/ comes after tests/: no if(TARGET), it is always built.)
  foreach(_backend software hardware auto)
    cw_reliability_test(many_threads_1000.${_backend}
      ${_cw_expect} --timeout 30 --status 0 --env CONCWATCH_RACE_BACKEND=${_backend}
        -- $<TARGET_FILE:concwatch> -q -- $<TARGET_FILE:bench_many_threads> 1000)
  endforeach()
endif()

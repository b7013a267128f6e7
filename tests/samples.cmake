# Samples as tests (label "samples"; the Python ones also "python").
#
#   sample.<name>          the sample run under concwatch and checked against the
#                          "// concwatch-expect:" line of samples/<name>.c
#                          (tests/check_sample.py: exact finding counts, exit status,
#                          JSON shape, symbolized stacks, expect-text regexes)
#   sample.<name>.py3.X    a Python sample, samples/<name>.py, run the same way
#                          under each CPython interpreter of the machine
#                          (tests/find_pythons.py, at configure time: pyenv's
#                          versions, python3.X on PATH, ${Python3_EXECUTABLE}; a
#                          second interpreter of one minor version is py3.X.Y)
#   sample.<name>.py3.X.api  the same with CONCWATCH_PYTHON_DIRECT=0: CPython's
#                          C API only, as for a version whose layout is unknown
#                          (not the racy samples: the Python race checks are
#                          off then, and say so)
#   samples.native         every sample that does not hang, run WITHOUT concwatch:
#                          must exit 0 (the samples are legitimate programs)
#   samples.native_hangs   every sample listed in CW_SAMPLES_HANG_NATIVELY, run
#                          without concwatch: must still be blocked after 2 s
#                          (the hang is real), then killed
#   samples.native_python.py3.X, samples.native_hangs_python.py3.X
#                          the same two checks for the Python samples, per interpreter
#   python.races.py3.X     the Python race checks off (CONCWATCH_RACES=0),
#                          suppressed, beside the program's own tracer or
#                          sys.monitoring tool, under coverage.py
#                          (tests/check_python_races.py)
#   python.binding.py3.X   concwatch's binding to that interpreter
#                          (tests/check_python_binding.py); SKIPPED, with the
#                          reason, for each supported version (3.10-3.13) the
#                          machine lacks and each interpreter it does not support
#
# The C lists come from samples/CMakeLists.txt; the Python lists are below.

find_package(Python3 REQUIRED COMPONENTS Interpreter)

get_directory_property(_cw_samples DIRECTORY ${CMAKE_SOURCE_DIR}/samples
  DEFINITION CW_SAMPLES)
get_directory_property(_cw_samples_hang DIRECTORY ${CMAKE_SOURCE_DIR}/samples
  DEFINITION CW_SAMPLES_HANG_NATIVELY)
set(_cw_check ${CMAKE_SOURCE_DIR}/tests/check_sample.py)

# Python samples (samples/<name>.py, run by the interpreter: nothing to build).
set(CW_PY_SAMPLES
  py_lock_twice                    # self-deadlock=1 (hangs natively)
  py_rlock_twice                   # clean
  py_abba                          # lock-order-inversion=1
  py_abba_consistent               # clean
  py_abba_hang                     # deadlock=1 (hangs natively)
  py_condition_producer_consumer   # clean
  py_semaphore_limiter             # clean
  py_event                         # clean
  py_queue_workers                 # clean
  py_barrier                       # clean
  py_cond_lost_wakeup_fixed        # clean
  py_cond_lost_wakeup              # deadlock=1 (hangs natively)
  py_queue_lost_sentinel           # deadlock=1 (hangs natively)
  py_abba_hang_join_timeout        # deadlock=1 (hangs natively; main joins with a timeout)
  py_abba_trylock                  # clean (the reverse side only tries: blocking=False)
  py_abba_same_thread              # lock-order-inversion=1 (both orders in one thread)
  py_cond_timeout                  # clean (Condition/Queue/Event waits that time out)
  py_trylock_forms                 # clean (every spelling of a non-blocking acquire, reverse side)
  py_blocking_forms                # lock-order-inversion=8 (their blocking look-alikes; Lock, Condition, RLock)
  py_fork_from_thread              # clean (fork from a thread under a lock, with logging; threads in the child)
  py_fork_holding_lock             # self-deadlock=1 (the child takes the lock held across the fork; hangs natively)
  py_semaphore_leak                # deadlock=1 (a pool's slot never given back; hangs natively)
  py_race_counter                  # data-race=1 (the tutorial's counter: one thread adds, one subtracts)
  py_race_counter_locked           # clean
  py_race_account                  # data-race=1 (deposit/withdraw on self.balance)
  py_race_account_locked           # clean
  py_race_word_count               # data-race=1 (a shared dict counted by two threads)
  py_race_word_count_locked        # clean
  py_race_lazy_init                # data-race=1 (check-then-act on a global)
  py_race_lazy_init_locked         # clean
  py_race_queue_handoff            # clean (objects handed over through queue.Queue)
  py_race_results_per_thread       # clean (each thread its own list slot and dict key, read after join)
  py_race_event_publish            # clean (a config published before Event.set)
  py_race_thread_local             # clean (threading.local counters)
  py_race_condition_buffer         # clean (a bounded buffer under a Condition)
  py_race_address_reuse            # clean (objects made and dropped per thread, memory reused across them)
  py_race_two_locks                # data-race=1 (a flag written under one Lock, read under another)
  py_race_two_locks_fixed          # clean
  py_race_syntax_zoo               # clean (shared state under a Lock from every kind of construct)
  py_race_thread_pool              # clean (jobs handed to a ThreadPoolExecutor, results through futures)
  py_race_lazy_import              # clean (two threads import a module lazily: its globals are set by the import)
  py_race_thread_end_polled        # clean (main polls is_alive() instead of join(), then reads the worker's result)
  py_bank_one_way                  # lock-order-inversion=1 (predicted from the Lock() class)
  py_bank_ordered                  # clean (lower account number first)
  py_abba_generated_code           # lock-order-inversion=1 (locks made by code compiled at run time and dropped)
  py_generated_code_ordered        # clean
  py_tracemalloc_threads           # clean (workers profiled with tracemalloc: its lock is taken inside every allocation)
  py_deep_nesting                  # clean (100 000-deep lists and dicts dropped: CPython's trashcan must still work)
  py_futures_wait                  # clean (wait()/as_completed() lock every Future's condition, sorted by id())
  py_mp_locks_abba                 # lock-order-inversion=1 (two processes, two multiprocessing.Locks, opposite orders)
  py_mp_pool_queue                 # clean (Pool, Queue, a shared Lock)
  py_mp_deadlock                   # deadlock=1 (two processes blocked on each other; hangs natively)
)
# Python samples whose expectation needs the Python race checks, which read
# the interpreter's frames directly: not run through the C API alone (.api).
set(CW_PY_SAMPLES_DIRECT_ONLY
  py_race_counter
  py_race_account
  py_race_word_count
  py_race_lazy_init
  py_race_two_locks
)
# Python samples that hang forever when run natively (like CW_SAMPLES_HANG_NATIVELY).
set(CW_PY_SAMPLES_HANG_NATIVELY
  py_lock_twice
  py_abba_hang
  py_cond_lost_wakeup
  py_queue_lost_sentinel
  py_abba_hang_join_timeout
  py_fork_holding_lock
  py_semaphore_leak
  py_mp_deadlock
)
# A .py file in samples/ that is not listed above would silently go untested.
file(GLOB _cw_py_files RELATIVE ${CMAKE_SOURCE_DIR}/samples ${CMAKE_SOURCE_DIR}/samples/*.py)
foreach(_file IN LISTS _cw_py_files)
  string(REGEX REPLACE "\\.py$" "" _name ${_file})
  if(NOT _name IN_LIST CW_PY_SAMPLES)
    message(WARNING "samples/${_file} is not in CW_PY_SAMPLES (tests/samples.cmake): it is not tested")
  endif()
endforeach()

if(TARGET concwatch)
  foreach(name IN LISTS _cw_samples)
    set(_src ${CMAKE_SOURCE_DIR}/samples/${name}.c)
    if(EXISTS ${CMAKE_SOURCE_DIR}/samples/${name}.cpp)
      set(_src ${CMAKE_SOURCE_DIR}/samples/${name}.cpp)
    endif()
    add_test(NAME sample.${name}
      COMMAND ${Python3_EXECUTABLE} ${_cw_check}
        --concwatch $<TARGET_FILE:concwatch>
        --source ${_src}
        --timeout 60
        -- $<TARGET_FILE:sample_${name}>)
    # The harness's own deadline (60 s) reports a hang clearly; CTest's is a backstop.
    set_tests_properties(sample.${name} PROPERTIES LABELS samples TIMEOUT 90)
  endforeach()
  # The data-race samples (bugs and correct twins) once more under each way of
  # looking for races, forced: hardware watchpoints (skipped, with the
  # report's reason, where the start-up probe finds the debug registers
  # silent or refused) and software watchpoints (page protection: any host).
  set(CW_RACE_SAMPLES counter_race counter_locked flag_two_locks arg_counter_race arg_counter_locked
      join_handoff semaphore_handoff unjoined_bump unjoined_bump_joined heap_stats_race heap_stats_locked
      rwlock_read_side_race rwlock_write_side semaphore_buffer_handoff pipe_read_watched_page)
  foreach(name IN LISTS CW_RACE_SAMPLES)
    if(NOT name IN_LIST _cw_samples)
      continue()
    endif()
    foreach(backend hardware software)
      add_test(NAME sample.${name}.${backend}
        COMMAND ${Python3_EXECUTABLE} ${_cw_check}
          --concwatch $<TARGET_FILE:concwatch>
          --source ${CMAKE_SOURCE_DIR}/samples/${name}.c
          --race-backend ${backend}
          --timeout 60
          -- $<TARGET_FILE:sample_${name}>)
      set_tests_properties(sample.${name}.${backend} PROPERTIES LABELS "samples;races" TIMEOUT 90
        SKIP_RETURN_CODE 77)
    endforeach()
  endforeach()
  # Threads that exit while the race sampler asks for their watchpoints must
  # not make it give up for the whole run (it did: ENODEV for an exiting
  # thread was taken for "not permitted", in 4 of 4 runs of 30 000 threads).
  # The race samples above already need watchpoints on the test machine.
  if(thread_churn IN_LIST _cw_samples)
    add_test(NAME sample.thread_churn.sampling_stays_on
      COMMAND $<TARGET_FILE:concwatch> -q -- $<TARGET_FILE:sample_thread_churn> 300)
    set_tests_properties(sample.thread_churn.sampling_stays_on PROPERTIES LABELS samples TIMEOUT 90
      FAIL_REGULAR_EXPRESSION "data-race detection off")
  endif()
  # The watchpoint route also says where the variable is defined (from DWARF;
  # TSan's reports do not, so the sample's own regexes leave it out).
  if(counter_race IN_LIST _cw_samples)
    add_test(NAME sample.counter_race.names
      COMMAND $<TARGET_FILE:concwatch> -q -- $<TARGET_FILE:sample_counter_race>)
    set_tests_properties(sample.counter_race.names PROPERTIES LABELS samples TIMEOUT 90
      PASS_REGULAR_EXPRESSION "data race on `balance` \\(8 bytes, defined at [^ ]*counter_race\\.c:[0-9]+\\)")
  endif()
endif()

set(_cw_exits_zero)
set(_cw_hangs)
foreach(name IN LISTS _cw_samples)
  if(name IN_LIST _cw_samples_hang)
    list(APPEND _cw_hangs $<TARGET_FILE:sample_${name}>)
  else()
    list(APPEND _cw_exits_zero $<TARGET_FILE:sample_${name}>)
  endif()
endforeach()

if(_cw_exits_zero)
  add_test(NAME samples.native
    COMMAND ${Python3_EXECUTABLE} ${_cw_check} --native --timeout 30
      --exits-zero ${_cw_exits_zero})
  set_tests_properties(samples.native PROPERTIES LABELS samples TIMEOUT 300)
endif()
if(_cw_hangs)
  add_test(NAME samples.native_hangs
    COMMAND ${Python3_EXECUTABLE} ${_cw_check} --native --hang-window 2
      --hangs ${_cw_hangs})
  set_tests_properties(samples.native_hangs PROPERTIES LABELS samples TIMEOUT 60)
endif()

set(_cw_py_exits_zero)
set(_cw_py_hangs)
foreach(name IN LISTS CW_PY_SAMPLES)
  if(name IN_LIST CW_PY_SAMPLES_HANG_NATIVELY)
    list(APPEND _cw_py_hangs ${CMAKE_SOURCE_DIR}/samples/${name}.py)
  else()
    list(APPEND _cw_py_exits_zero ${CMAKE_SOURCE_DIR}/samples/${name}.py)
  endif()
endforeach()

# Every CPython interpreter of this machine: "label;status;executable;version;reason" lines.
execute_process(
  COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/find_pythons.py --cmake ${Python3_EXECUTABLE}
  OUTPUT_VARIABLE _cw_pythons_out RESULT_VARIABLE _cw_pythons_rc)
if(NOT _cw_pythons_rc EQUAL 0)
  message(FATAL_ERROR "tests/find_pythons.py failed (${_cw_pythons_rc})")
endif()
string(REPLACE "\n" ";" _cw_pythons "${_cw_pythons_out}")
set(_cw_python_summary)
foreach(_line IN LISTS _cw_pythons)
  if(_line STREQUAL "")
    continue()
  endif()
  string(REPLACE "|" ";" _fields "${_line}")
  list(GET _fields 0 _label)
  list(GET _fields 1 _status)
  list(GET _fields 2 _exe)
  list(GET _fields 3 _version)
  list(GET _fields 4 _reason)
  if(_status STREQUAL "skip")
    string(APPEND _cw_python_summary "  ${_label}: skipped: ${_reason}\n")
    add_test(NAME python.binding.${_label}
      COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/check_python_binding.py --skip "${_reason}")
    set_tests_properties(python.binding.${_label} PROPERTIES LABELS python SKIP_RETURN_CODE 77)
    continue()
  endif()
  string(APPEND _cw_python_summary "  ${_label}: CPython ${_version}, ${_exe}\n")
  if(TARGET concwatch)
    add_test(NAME python.binding.${_label}
      COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/check_python_binding.py
        --concwatch $<TARGET_FILE:concwatch> --source-root ${CMAKE_SOURCE_DIR} --cc ${CMAKE_C_COMPILER}
        -- ${_exe})
    set_tests_properties(python.binding.${_label} PROPERTIES LABELS python TIMEOUT 120)
    # The Python race checks around the samples: CONCWATCH_RACES=0, race:
    # suppressions, a program's own tracer and sys.monitoring tool, coverage.py.
    add_test(NAME python.races.${_label}
      COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/check_python_races.py
        --concwatch $<TARGET_FILE:concwatch> --samples ${CMAKE_SOURCE_DIR}/samples -- ${_exe})
    set_tests_properties(python.races.${_label} PROPERTIES LABELS python TIMEOUT 180)
    foreach(name IN LISTS CW_PY_SAMPLES)
      add_test(NAME sample.${name}.${_label}
        COMMAND ${Python3_EXECUTABLE} ${_cw_check}
          --concwatch $<TARGET_FILE:concwatch>
          --source ${CMAKE_SOURCE_DIR}/samples/${name}.py
          --timeout 60
          -- ${_exe} ${CMAKE_SOURCE_DIR}/samples/${name}.py)
      # The harness's own deadline (60 s) reports a hang clearly; CTest's is a backstop.
      set_tests_properties(sample.${name}.${_label} PROPERTIES LABELS "samples;python" TIMEOUT 90)
      # The same through CPython's C API only (CONCWATCH_PYTHON_DIRECT=0): what
      # a version whose struct layout concwatch does not know gets.
      if(name IN_LIST CW_PY_SAMPLES_DIRECT_ONLY)
        continue()
      endif()
      add_test(NAME sample.${name}.${_label}.api
        COMMAND ${CMAKE_COMMAND} -E env CONCWATCH_PYTHON_DIRECT=0
          ${Python3_EXECUTABLE} ${_cw_check}
          --concwatch $<TARGET_FILE:concwatch>
          --source ${CMAKE_SOURCE_DIR}/samples/${name}.py
          --timeout 60
          -- ${_exe} ${CMAKE_SOURCE_DIR}/samples/${name}.py)
      set_tests_properties(sample.${name}.${_label}.api PROPERTIES LABELS "samples;python;api" TIMEOUT 90)
    endforeach()
  endif()
  if(_cw_py_exits_zero)
    add_test(NAME samples.native_python.${_label}
      COMMAND ${Python3_EXECUTABLE} ${_cw_check} --native --timeout 30
        --python ${_exe} --exits-zero ${_cw_py_exits_zero})
    set_tests_properties(samples.native_python.${_label} PROPERTIES LABELS "samples;python" TIMEOUT 300)
  endif()
  if(_cw_py_hangs)
    add_test(NAME samples.native_hangs_python.${_label}
      COMMAND ${Python3_EXECUTABLE} ${_cw_check} --native --hang-window 2
        --python ${_exe} --hangs ${_cw_py_hangs})
    set_tests_properties(samples.native_hangs_python.${_label} PROPERTIES LABELS "samples;python" TIMEOUT 60)
  endif()
endforeach()
message(STATUS "CPython interpreters for the Python tests:\n${_cw_python_summary}")

# Unit tests of detector/events: the thread registry, the lock table, the
# known-edges table, the
# held-lock bookkeeping, and the lock events end to end without the shim
# (real threads report acquisitions; the findings file is read back).
# Built against the sanitizer variant of the library when CONCWATCH_SANITIZE
# is on.  Included from tests/CMakeLists.txt: paths are relative to
# CMAKE_SOURCE_DIR.
if(CONCWATCH_SANITIZE)
  set(_cw_events_lib cw_events_san)
  set(_cw_events_flags ${CW_SANITIZE_FLAGS})
else()
  set(_cw_events_lib cw_events)
  set(_cw_events_flags)
endif()

foreach(_t thread_state lock_table known_edges held_locks lock_events lock_misuse)
  add_executable(test_${_t} ${CMAKE_SOURCE_DIR}/tests/unit/test_${_t}.c)
  target_link_libraries(test_${_t} PRIVATE ${_cw_events_lib})
  target_compile_options(test_${_t} PRIVATE ${_cw_events_flags})
  target_link_options(test_${_t} PRIVATE ${_cw_events_flags})
  add_test(NAME unit.events.${_t} COMMAND test_${_t})
  set_tests_properties(unit.events.${_t} PROPERTIES
    LABELS "unit;events"
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1"
    SKIP_RETURN_CODE 77)
endforeach()

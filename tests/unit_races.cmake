# Unit tests of detector/races: the decoding of the instructions that a
# watchpoint trapped (atomic or plain access, cw_access_was_atomic) and the
# scan for variables that code accesses atomically
# (cw_insn_scan_atomic_targets).  Built against the sanitizer variant of the
# library when CONCWATCH_SANITIZE is on; x86-64 only (others skip, 77).
# Included from tests/CMakeLists.txt: paths are relative to CMAKE_SOURCE_DIR.
if(CONCWATCH_SANITIZE)
  set(_cw_races_lib cw_races_san)
  set(_cw_races_flags ${CW_SANITIZE_FLAGS})
else()
  set(_cw_races_lib cw_races)
  set(_cw_races_flags)
endif()

foreach(_t access_insn atomic_targets)
  add_executable(test_${_t} ${CMAKE_SOURCE_DIR}/tests/unit/test_${_t}.c)
  target_link_libraries(test_${_t} PRIVATE ${_cw_races_lib})
  target_compile_options(test_${_t} PRIVATE ${_cw_races_flags})
  target_link_options(test_${_t} PRIVATE ${_cw_races_flags})
  add_test(NAME unit.races.${_t} COMMAND test_${_t})
  set_tests_properties(unit.races.${_t} PROPERTIES
    LABELS "unit;races"
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1"
    SKIP_RETURN_CODE 77)
endforeach()

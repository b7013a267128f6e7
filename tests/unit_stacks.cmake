# Unit tests of detector/stacks: the stack depot (interning, truncation,
# many threads at once), stack capture (caller_pc skipping, glibc's unwinder
# and libunwind) and the reading of CPython's faulthandler text.  Built
# against the sanitizer variant of the library when CONCWATCH_SANITIZE is on.
# Included from tests/CMakeLists.txt: paths are relative to CMAKE_SOURCE_DIR.
if(CONCWATCH_SANITIZE)
  set(_cw_stacks_lib cw_stacks_san)
  set(_cw_stacks_flags ${CW_SANITIZE_FLAGS})
else()
  set(_cw_stacks_lib cw_stacks)
  set(_cw_stacks_flags)
endif()

foreach(_t stack_depot stack_capture python_frames)
  add_executable(test_${_t} ${CMAKE_SOURCE_DIR}/tests/unit/test_${_t}.c)
  target_link_libraries(test_${_t} PRIVATE ${_cw_stacks_lib} Threads::Threads ${CMAKE_DL_LIBS})
  target_compile_options(test_${_t} PRIVATE ${_cw_stacks_flags})
  target_link_options(test_${_t} PRIVATE ${_cw_stacks_flags})
  add_test(NAME unit.stacks.${_t} COMMAND test_${_t})
  set_tests_properties(unit.stacks.${_t} PROPERTIES
    LABELS "unit;stacks"
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1"
    SKIP_RETURN_CODE 77)
endforeach()

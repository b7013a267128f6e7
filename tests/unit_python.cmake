# Unit tests of what the CPython binding stands on (detector/common/safe_read:
# reads that fail instead of faulting, for the hang watcher's walk of hung
# threads' frames), under ASan/UBSan when CONCWATCH_SANITIZE is on.  The
# binding itself runs against real interpreters: python.binding.py3.X and
# the Python samples (samples.cmake).
if(CONCWATCH_SANITIZE)
  set(_cw_common_lib cw_common_san)
else()
  set(_cw_common_lib cw_common)
endif()
add_executable(test_safe_read ${CMAKE_SOURCE_DIR}/tests/unit/test_safe_read.c)
target_link_libraries(test_safe_read PRIVATE ${_cw_common_lib})
add_test(NAME unit.common.safe_read COMMAND test_safe_read)
set_tests_properties(unit.common.safe_read PROPERTIES
  LABELS "unit;python"
  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1")

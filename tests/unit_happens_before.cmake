# Unit test of detector/races/happens_before (the vector-clock engine both
# the C race sampler and the Python race checks judge order with), under
# ASan/UBSan when CONCWATCH_SANITIZE is on.
if(CONCWATCH_SANITIZE)
  set(_cw_hb_lib cw_races_san)
else()
  set(_cw_hb_lib cw_races)
endif()
add_executable(test_happens_before ${CMAKE_SOURCE_DIR}/tests/unit/test_happens_before.c)
target_link_libraries(test_happens_before PRIVATE ${_cw_hb_lib})
add_test(NAME unit.races.happens_before COMMAND test_happens_before)
set_tests_properties(unit.races.happens_before PROPERTIES
  LABELS "unit;races"
  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1")

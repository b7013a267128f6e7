# Unit tests of detector/analysis (lock-order graph, feasible cycles), built
# against the sanitizer variant of the library when CONCWATCH_SANITIZE is on.
# Included from tests/CMakeLists.txt: paths are relative to CMAKE_SOURCE_DIR.
if(CONCWATCH_SANITIZE)
  set(_cw_analysis_lib cw_analysis_san)
  set(_cw_analysis_flags ${CW_SANITIZE_FLAGS})
else()
  set(_cw_analysis_lib cw_analysis)
  set(_cw_analysis_flags)
endif()

foreach(_t lock_graph lock_order lock_order_random lock_classes)
  add_executable(test_${_t} ${CMAKE_SOURCE_DIR}/tests/unit/test_${_t}.c)
  target_link_libraries(test_${_t} PRIVATE ${_cw_analysis_lib})
  target_compile_options(test_${_t} PRIVATE ${_cw_analysis_flags})
  target_link_options(test_${_t} PRIVATE ${_cw_analysis_flags})
  add_test(NAME unit.analysis.${_t} COMMAND test_${_t})
  set_tests_properties(unit.analysis.${_t} PROPERTIES
    LABELS "unit;analysis"
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1")
endforeach()

# The random test again with a BFS budget of 3 states: every search runs out
# and the depth-first fallback alone must still agree with the reference.
add_executable(test_lock_order_budget
  ${CMAKE_SOURCE_DIR}/tests/unit/test_lock_order_random.c
  ${CMAKE_SOURCE_DIR}/detector/analysis/lock_graph.c
  ${CMAKE_SOURCE_DIR}/detector/analysis/lock_order.c)
target_include_directories(test_lock_order_budget PRIVATE ${CMAKE_SOURCE_DIR}/detector)
target_compile_definitions(test_lock_order_budget PRIVATE CW_BFS_MAX_STATES=3)
target_compile_options(test_lock_order_budget PRIVATE ${_cw_analysis_flags})
target_link_options(test_lock_order_budget PRIVATE ${_cw_analysis_flags})
add_test(NAME unit.analysis.lock_order_budget COMMAND test_lock_order_budget 1 150)
set_tests_properties(unit.analysis.lock_order_budget PROPERTIES
  LABELS "unit;analysis"
  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1")

# Not a test: prints the cost of a new edge at 1k, 100k and 1M nodes, built
# optimized against the production library.  Run: bin/bench_lock_graph
add_executable(bench_lock_graph ${CMAKE_SOURCE_DIR}/tests/unit/bench_lock_graph.c)
target_link_libraries(bench_lock_graph PRIVATE cw_analysis)

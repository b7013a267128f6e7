# Unit tests of detector/report (record reader, dedupe, symbolizer, text and
# JSON renderers, suppressions) and of the launcher's behaviour that does not
# need the real shim (detector/launcher).  Built against the sanitizer
# variants (cw_report_san, concwatch_san) when CONCWATCH_SANITIZE is on.
# Included from tests/CMakeLists.txt: paths are relative to CMAKE_SOURCE_DIR.
if(CONCWATCH_SANITIZE)
  set(_cw_report_lib cw_report_san)
  set(_cw_report_launcher concwatch_san)
else()
  set(_cw_report_lib cw_report)
  set(_cw_report_launcher concwatch)
endif()
set(_cw_report_env "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1;UBSAN_OPTIONS=print_stacktrace=1")
set(_cw_report_src ${CMAKE_SOURCE_DIR}/tests/unit)
set(_cw_report_fixtures ${CMAKE_SOURCE_DIR}/tests/unit/fixtures)
set(_cw_report_fixture_out ${CMAKE_BINARY_DIR}/tests/fixtures)

# JSON output is checked by parsing it back with Python's json module.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_Interpreter_FOUND)
  set(_cw_report_python ${Python3_EXECUTABLE})
else()
  set(_cw_report_python -)   # the tests then skip the parse-back checks
endif()

function(_cw_report_test name)
  cmake_parse_arguments(T "" "" "ARGS" ${ARGN})
  add_test(NAME unit.report.${name} COMMAND ${T_ARGS})
  set_tests_properties(unit.report.${name} PROPERTIES
    LABELS "unit;report" ENVIRONMENT "${_cw_report_env}" SKIP_RETURN_CODE 77)
endfunction()

foreach(_t report_reader report_dedupe report_render report_suppressions
           report_launcher symbolizer lock_names report_sarif report_cross_process)
  add_executable(test_${_t} ${_cw_report_src}/test_${_t}.c)
  target_link_libraries(test_${_t} PRIVATE ${_cw_report_lib})
endforeach()

_cw_report_test(reader ARGS test_report_reader)
_cw_report_test(dedupe ARGS test_report_dedupe)
_cw_report_test(render ARGS test_report_render ${_cw_report_python})
_cw_report_test(suppressions ARGS test_report_suppressions)
_cw_report_test(sarif ARGS test_report_sarif ${_cw_report_python})
_cw_report_test(cross_process ARGS test_report_cross_process)

# ---- fixtures (not sanitized: they stand for the user's programs) ----

function(_cw_report_fixture_dirs target)
  set_target_properties(${target} PROPERTIES
    RUNTIME_OUTPUT_DIRECTORY ${_cw_report_fixture_out}
    LIBRARY_OUTPUT_DIRECTORY ${_cw_report_fixture_out})
endfunction()

# A preloadable .so that does nothing: the launcher tests' stand-in shim.
add_library(cw_test_empty_shim SHARED ${_cw_report_fixtures}/empty_shim.c)
_cw_report_fixture_dirs(cw_test_empty_shim)

# Symbolizer fixtures: a shared library, with and without debug info, and the
# program in four builds.  -O0: nothing inlined but the always_inline helper.
foreach(_v symfix_lib symfix_lib_nodebug)
  add_library(${_v} SHARED ${_cw_report_fixtures}/symfix_lib.c)
  target_link_libraries(${_v} PRIVATE ${CMAKE_DL_LIBS})
  _cw_report_fixture_dirs(${_v})
endforeach()
target_compile_options(symfix_lib PRIVATE -O0 -g)
target_compile_options(symfix_lib_nodebug PRIVATE -O0 -g0)

set(_cw_symfix_variants pie nopie nodebug)
if(CMAKE_OBJCOPY)
  list(APPEND _cw_symfix_variants split)
endif()
foreach(_v ${_cw_symfix_variants})
  add_executable(symfix_${_v} ${_cw_report_fixtures}/symfix_main.c)
  target_compile_options(symfix_${_v} PRIVATE -O0 -g)
  if(_v STREQUAL "nodebug")
    target_link_libraries(symfix_${_v} PRIVATE symfix_lib_nodebug)
  else()
    target_link_libraries(symfix_${_v} PRIVATE symfix_lib)
  endif()
  _cw_report_fixture_dirs(symfix_${_v})
endforeach()
target_compile_options(symfix_pie PRIVATE -fPIE)
target_link_options(symfix_pie PRIVATE -pie)
target_compile_options(symfix_nopie PRIVATE -fno-pie)
target_link_options(symfix_nopie PRIVATE -no-pie)
target_compile_options(symfix_nodebug PRIVATE -g0)
if(CMAKE_OBJCOPY)
  # Debug info moved to symfix_split.debug, found through .gnu_debuglink.
  add_custom_command(TARGET symfix_split POST_BUILD
    COMMAND ${CMAKE_OBJCOPY} --only-keep-debug $<TARGET_FILE:symfix_split> $<TARGET_FILE:symfix_split>.debug
    COMMAND ${CMAKE_OBJCOPY} --strip-debug --add-gnu-debuglink=$<TARGET_FILE:symfix_split>.debug
            $<TARGET_FILE:symfix_split>
    VERBATIM)
endif()

foreach(_v ${_cw_symfix_variants})
  if(_v STREQUAL "nodebug")
    _cw_report_test(symbolizer.${_v} ARGS test_symbolizer $<TARGET_FILE:symfix_${_v}> --no-debug)
  else()
    _cw_report_test(symbolizer.${_v} ARGS test_symbolizer $<TARGET_FILE:symfix_${_v}>)
  endif()
endforeach()

# Lock naming: a program with locks in every kind of storage (-O0 -g, so
# every variable and parameter keeps its location).
add_executable(lockname_fix ${_cw_report_fixtures}/lockname_fix.c)
target_compile_options(lockname_fix PRIVATE -O0 -g)
target_link_libraries(lockname_fix PRIVATE Threads::Threads ${CMAKE_DL_LIBS})
_cw_report_fixture_dirs(lockname_fix)
_cw_report_test(lock_names ARGS test_lock_names $<TARGET_FILE:lockname_fix>)

# A statically linked program, if this system can link one (libc.a).
include(CheckCSourceCompiles)
set(CMAKE_REQUIRED_LINK_OPTIONS -static)
check_c_source_compiles("int main(void) { return 0; }" CW_CAN_LINK_STATIC)
unset(CMAKE_REQUIRED_LINK_OPTIONS)
if(CW_CAN_LINK_STATIC)
  add_executable(cw_test_static_prog ${_cw_report_fixtures}/static_prog.c)
  target_link_options(cw_test_static_prog PRIVATE -static)
  _cw_report_fixture_dirs(cw_test_static_prog)
  set(_cw_report_static $<TARGET_FILE:cw_test_static_prog>)
else()
  set(_cw_report_static -)   # the static-binary case is skipped
endif()

# The launcher, sanitized and as shipped.
set(_cw_report_launchers ${_cw_report_launcher} concwatch)
list(REMOVE_DUPLICATES _cw_report_launchers)
foreach(_l ${_cw_report_launchers})
  _cw_report_test(launcher.${_l} ARGS test_report_launcher $<TARGET_FILE:${_l}>
    $<TARGET_FILE:cw_test_empty_shim> ${_cw_report_static} ${_cw_report_python}
    $<TARGET_FILE:symfix_pie>)
endforeach()

# Fuzzing (tests/fuzz/): libFuzzer targets for every reader of input that the
# program or the user controls, built by clang in a project of their own
# (libFuzzer is clang's) and each run for a bounded time (label "fuzz").
#   CONCWATCH_FUZZ_SECONDS   seconds per target (default 30: six targets,
#                            3 minutes of CI in all); longer by hand.
# Without a clang that links -fsanitize=fuzzer the tests skip with the reason.
find_program(CW_FUZZ_CLANG NAMES clang-14 clang)
set(_cw_fuzz_build ${CMAKE_BINARY_DIR}/fuzz)
if(CW_FUZZ_CLANG)
  include(ExternalProject)
  ExternalProject_Add(cw_fuzzers
    SOURCE_DIR ${CMAKE_SOURCE_DIR}/tests/fuzz
    BINARY_DIR ${_cw_fuzz_build}
    CMAKE_ARGS -DCMAKE_C_COMPILER=${CW_FUZZ_CLANG} -DCW_SOURCE_DIR=${CMAKE_SOURCE_DIR}
    INSTALL_COMMAND ""
    BUILD_ALWAYS ON)
else()
  file(MAKE_DIRECTORY ${_cw_fuzz_build})
  file(WRITE ${_cw_fuzz_build}/skip-reason "no clang found (the fuzzers need clang's libFuzzer: apt-get install clang-14 libclang-rt-14-dev)\n")
endif()

foreach(_t records tsan_log suppressions options symbolizer json_report)
  add_test(NAME fuzz.${_t}
    COMMAND sh ${CMAKE_SOURCE_DIR}/tests/fuzz/run_fuzz.sh ${_cw_fuzz_build} fuzz_${_t}
      ${CMAKE_SOURCE_DIR}/tests/fuzz/corpus/${_t} 30)
  # Alone: a fuzzer keeps a core busy, and the race samples are timing-sensitive.
  set_tests_properties(fuzz.${_t} PROPERTIES LABELS fuzz SKIP_RETURN_CODE 77 TIMEOUT 900 RUN_SERIAL TRUE)
endforeach()

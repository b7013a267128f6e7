# Samples as tests (label "samples").
#
#   sample.<name>          the sample run under concwatch and checked against the
#                          "// concwatch-expect:" line of samples/<name>.c
#                          (tests/check_sample.py: exact finding counts, exit status,
#                          JSON shape, symbolized stacks, expect-text regexes)
#   samples.native         every sample that does not hang, run WITHOUT concwatch:
#                          must exit 0 (the samples are legitimate programs)
#   samples.native_hangs   every sample listed in CW_SAMPLES_HANG_NATIVELY, run
#                          without concwatch: must still be blocked after 2 s
#                          (the hang is real), then killed
#
# The lists come from samples/CMakeLists.txt.

find_package(Python3 REQUIRED COMPONENTS Interpreter)

get_directory_property(_cw_samples DIRECTORY ${CMAKE_SOURCE_DIR}/samples
  DEFINITION CW_SAMPLES)
get_directory_property(_cw_samples_hang DIRECTORY ${CMAKE_SOURCE_DIR}/samples
  DEFINITION CW_SAMPLES_HANG_NATIVELY)
set(_cw_check ${CMAKE_SOURCE_DIR}/tests/check_sample.py)

if(TARGET concwatch)
  foreach(name IN LISTS _cw_samples)
    add_test(NAME sample.${name}
      COMMAND ${Python3_EXECUTABLE} ${_cw_check}
        --concwatch $<TARGET_FILE:concwatch>
        --source ${CMAKE_SOURCE_DIR}/samples/${name}.c
        --timeout 60
        -- $<TARGET_FILE:sample_${name}>)
    # The harness's own deadline (60 s) reports a hang clearly; CTest's is a backstop.
    set_tests_properties(sample.${name} PROPERTIES LABELS samples TIMEOUT 90)
  endforeach()
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

# SARIF (tests/check_sarif.py): real samples run under concwatch, their SARIF
# validated against the OASIS SARIF 2.1.0 schema (tests/sarif/, kept in the
# repository) by Debian's python3-jsonschema, and checked against the JSON
# report of the same run.  Labels "sarif".
#
# The validator is the system's python3 (/usr/bin/python3), where Debian's
# python3-jsonschema lives (.ci/run installs it); without the module the
# tests skip (77) and say so.
find_program(CW_SYSTEM_PYTHON3 NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
if(NOT CW_SYSTEM_PYTHON3)
  set(CW_SYSTEM_PYTHON3 ${Python3_EXECUTABLE})
endif()
set(_cw_sarif_check ${CW_SYSTEM_PYTHON3} ${CMAKE_SOURCE_DIR}/tests/check_sarif.py
  --schema ${CMAKE_SOURCE_DIR}/tests/sarif/sarif-2.1.0-rtm.5.json)

function(_cw_sarif_test name kind)
  cmake_parse_arguments(S "STABLE" "SOURCE" "COMMAND" ${ARGN})
  set(_extra)
  if(S_STABLE)
    list(APPEND _extra --stable)
  endif()
  add_test(NAME sarif.${name}
    COMMAND ${_cw_sarif_check} --concwatch $<TARGET_FILE:concwatch> --source-root ${CMAKE_SOURCE_DIR}
      --kind ${kind} --source ${S_SOURCE} ${_extra} -- ${S_COMMAND})
  set_tests_properties(sarif.${name} PROPERTIES LABELS sarif TIMEOUT 120 SKIP_RETURN_CODE 77)
endfunction()

if(TARGET concwatch)
  # A cycle (run twice, from two places: the fingerprints must not move), a
  # hang, a race, a misuse on a heap lock, and a Python cycle.
  _cw_sarif_test(abba lock-order-inversion STABLE SOURCE ${CMAKE_SOURCE_DIR}/samples/abba.c
    COMMAND $<TARGET_FILE:sample_abba>)
  _cw_sarif_test(abba_hang deadlock SOURCE ${CMAKE_SOURCE_DIR}/samples/abba_hang.c
    COMMAND $<TARGET_FILE:sample_abba_hang>)
  _cw_sarif_test(flag_two_locks data-race SOURCE ${CMAKE_SOURCE_DIR}/samples/flag_two_locks.c
    COMMAND $<TARGET_FILE:sample_flag_two_locks>)
  _cw_sarif_test(misuse_destroy_locked misuse SOURCE ${CMAKE_SOURCE_DIR}/samples/misuse_destroy_locked.c
    COMMAND $<TARGET_FILE:sample_misuse_destroy_locked>)
  _cw_sarif_test(py_abba lock-order-inversion SOURCE ${CMAKE_SOURCE_DIR}/samples/py_abba.py
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/samples/py_abba.py)
endif()

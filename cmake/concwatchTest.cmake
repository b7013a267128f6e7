# concwatch_add_test(NAME <name> COMMAND <program> [<arg>...]
#                    [WORKING_DIRECTORY <dir>] [CONCWATCH_ARGS <arg>...])
#
# Adds a CTest test that runs <program> under concwatch.  The test fails when
# concwatch reports anything (its exit status is then 66) or when the program
# itself fails; a hang is ended and reported by concwatch (--hang-after).
# <program> may be an executable target of the project (defined before this
# call) or a path.  The report names files relative to the project's source
# directory (--source-root), as a code-scanning dashboard wants them.
#
# CONCWATCH_ARGS are passed to concwatch before the program (e.g.
# --suppressions ${CMAKE_CURRENT_SOURCE_DIR}/concwatch.supp, --hang-after 10).
#
# With the variable CONCWATCH_OUTPUT_DIR set (e.g. -DCONCWATCH_OUTPUT_DIR=...
# when configuring), every test also writes <dir>/<name>.json and
# <dir>/<name>.sarif; `concwatch merge --sarif all.sarif <dir>/*.json` then
# folds a whole test run (ctest -j, several machines) into one report.
function(concwatch_add_test)
  cmake_parse_arguments(CW "" "NAME;WORKING_DIRECTORY" "COMMAND;CONCWATCH_ARGS" ${ARGN})
  if(NOT CW_NAME OR NOT CW_COMMAND)
    message(FATAL_ERROR "concwatch_add_test: NAME and COMMAND are required")
  endif()
  if(CW_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "concwatch_add_test: unknown arguments ${CW_UNPARSED_ARGUMENTS}")
  endif()
  list(POP_FRONT CW_COMMAND _cw_program)
  if(TARGET ${_cw_program})
    set(_cw_program $<TARGET_FILE:${_cw_program}>)
  endif()
  set(_cw_args --source-root ${PROJECT_SOURCE_DIR})
  if(CONCWATCH_OUTPUT_DIR)
    file(MAKE_DIRECTORY ${CONCWATCH_OUTPUT_DIR})
    list(APPEND _cw_args --json ${CONCWATCH_OUTPUT_DIR}/${CW_NAME}.json
                         --sarif ${CONCWATCH_OUTPUT_DIR}/${CW_NAME}.sarif)
  endif()
  set(_cw_wd)
  if(CW_WORKING_DIRECTORY)
    set(_cw_wd WORKING_DIRECTORY ${CW_WORKING_DIRECTORY})
  endif()
  add_test(NAME ${CW_NAME}
    COMMAND concwatch::concwatch ${_cw_args} ${CW_CONCWATCH_ARGS} -- ${_cw_program} ${CW_COMMAND}
    ${_cw_wd})
endfunction()

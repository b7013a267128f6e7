# Reliability (issue 15): the tool never keeps a program alive, never takes it
# down, leaves nothing running when it is killed, and follows process trees.
# Label "reliability".  Included from tests/CMakeLists.txt.
find_package(Python3 REQUIRED COMPONENTS Interpreter)
set(_cw_rel ${CMAKE_SOURCE_DIR}/tests/reliability)
set(_cw_expect ${Python3_EXECUTABLE} ${_cw_rel}/expect_run.py)

# Every CPython present (tests of Python behaviour run under each version).
set(CW_TEST_PYTHONS ${Python3_EXECUTABLE})
foreach(_v 3.10 3.11 3.12 3.13)
  file(GLOB _py /root/.pyenv/versions/${_v}.*/bin/python${_v})
  if(_py)
    list(GET _py 0 _py)
    list(APPEND CW_TEST_PYTHONS ${_py})
  endif()
endforeach()
list(REMOVE_DUPLICATES CW_TEST_PYTHONS)

function(cw_reliability_test name)
  add_test(NAME reliability.${name} COMMAND ${ARGN})
  set_tests_properties(reliability.${name} PROPERTIES LABELS reliability TIMEOUT 120 SKIP_RETURN_CODE 77)
endfunction()

if(TARGET concwatch)
  # The shape of CPython's test_3_join_in_forked_from_thread: the child of a
  # fork made in a worker thread ends when its last thread does (the shim's
  # threads kept it alive: the parent waited forever).  Findings are not
  # checked here (CPython's abandoned after-fork locks are another matter).
  foreach(_py IN LISTS CW_TEST_PYTHONS)
    get_filename_component(_pyname ${_py} NAME)
    cw_reliability_test(py_fork_from_thread.${_pyname}
      ${_cw_expect} --timeout 30 --status 0 --status 66
        --stderr "parent: child exited with status 0"
        -- $<TARGET_FILE:concwatch> -q -- ${_py} ${_cw_rel}/py_fork_from_thread.py)
  endforeach()
endif()

# The launcher SIGKILLed takes its program along (PR_SET_PDEATHSIG): nobody
# would read its findings or end its hangs.  The program would wait 60 s.
if(TARGET concwatch)
  cw_reliability_test(launcher_killed
    ${Python3_EXECUTABLE} ${_cw_rel}/launcher_killed.py $<TARGET_FILE:concwatch> -q -- ${Python3_EXECUTABLE} -c "import time; time.sleep(60)")
endif()

# How concwatch fits where its users work (issue 14), beyond the samples:
#   names.py_abba*     a Python report names its locks by the code, under every
#                      CPython found (the C samples state their lock names
#                      themselves: abba.c, dining_philosophers.c, ...)
#   terminal.color     colour on a terminal (a pseudo-terminal), not with
#                      NO_COLOR, TERM=dumb, --color never or a pipe
#   merge.samples      `concwatch merge` over the JSON reports of real runs
#   package.cmake      `cmake --install` into a temporary prefix, then
#                      examples/ctest_project built and tested against it
#                      (find_package(concwatch), concwatch_add_test)
#   package.deb        `cpack -G DEB`: dependencies, contents, the extracted
#                      concwatch on a sample, the man page (installing it with
#                      dpkg -i needs root and a machine without concwatch:
#                      .ci/run does that with tests/check_deb.py --install)
# Label "integration".
if(TARGET concwatch)
  # Python locks are named from their Python creation stack, which the shim
  # records under every CPython 3.10-3.13 (python_sites.h, detector/python/):
  # under each one found (pyenv's) both names are required.
  add_test(NAME names.py_abba
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/check_names.py $<TARGET_FILE:concwatch>
      ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/samples --require)
  set_tests_properties(names.py_abba PROPERTIES LABELS "integration;python" TIMEOUT 120)
  file(GLOB _cw_pythons $ENV{HOME}/.pyenv/versions/3.1[0-3].*/bin/python3)
  foreach(_py IN LISTS _cw_pythons)
    string(REGEX REPLACE ".*/versions/([0-9]+\\.[0-9]+)\\.[^/]*/bin/python3$" "\\1" _ver ${_py})
    add_test(NAME names.py_abba.python${_ver}
      COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/check_names.py $<TARGET_FILE:concwatch>
        ${_py} ${CMAKE_SOURCE_DIR}/samples --require)
    set_tests_properties(names.py_abba.python${_ver} PROPERTIES LABELS "integration;python" TIMEOUT 120)
  endforeach()

  add_test(NAME terminal.color
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/check_terminal.py
      $<TARGET_FILE:concwatch> $<TARGET_FILE:sample_abba>)
  set_tests_properties(terminal.color PROPERTIES LABELS integration TIMEOUT 120)

  add_test(NAME merge.samples
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/check_merge.py
      --concwatch $<TARGET_FILE:concwatch> --python ${Python3_EXECUTABLE}
      --samples $<TARGET_FILE_DIR:sample_abba> --source-root ${CMAKE_SOURCE_DIR}
      --sarif-check "${CW_SYSTEM_PYTHON3} ${CMAKE_SOURCE_DIR}/tests/check_sarif.py --schema ${CMAKE_SOURCE_DIR}/tests/sarif/sarif-2.1.0-rtm.5.json")
  set_tests_properties(merge.samples PROPERTIES LABELS integration TIMEOUT 180)

  # Both read the build tree's install rules: one at a time.
  add_test(NAME package.cmake
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/check_cmake_package.py
      --cmake ${CMAKE_COMMAND} --ctest ${CMAKE_CTEST_COMMAND} --build-dir ${CMAKE_BINARY_DIR}
      --example ${CMAKE_SOURCE_DIR}/examples/ctest_project
      --sarif-check "${CW_SYSTEM_PYTHON3} ${CMAKE_SOURCE_DIR}/tests/check_sarif.py --schema ${CMAKE_SOURCE_DIR}/tests/sarif/sarif-2.1.0-rtm.5.json")
  set_tests_properties(package.cmake PROPERTIES LABELS integration TIMEOUT 300
    RESOURCE_LOCK cw_install_rules)
  add_test(NAME package.deb
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/check_deb.py --inspect
      --build-dir ${CMAKE_BINARY_DIR} --source-dir ${CMAKE_SOURCE_DIR} --cpack ${CMAKE_CPACK_COMMAND}
      --sample $<TARGET_FILE:sample_abba>)
  set_tests_properties(package.deb PROPERTIES LABELS integration TIMEOUT 300 SKIP_RETURN_CODE 77
    RESOURCE_LOCK cw_install_rules)
endif()

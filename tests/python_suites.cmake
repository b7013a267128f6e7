# CPython's own threading test suites under concwatch (bench/python_suites.py:
# test_threading, test_thread, test_queue, test_threading_local,
# test_threadsignals): the same outcome for every test case as natively, no
# finding but the known races of the suites' own scripts.  The time ratio is
# printed, not judged here (a timed assertion fails on a loaded machine: 2.02x
# once at load 140); bench/python_suites.py judges it (at most 2x).  One interpreter here, the one CMake found (in CI Debian's
# python3, whose suites are the libpython3.X-testsuite package: .ci/run
# installs it; skipped when they are not installed);
# bench/python_suites.py runs every version of the machine.  Alone (RUN_SERIAL)
# so that the two timings see the same machine.
if(TARGET concwatch)
  add_test(NAME python.cpython_threading_suites
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/bench/python_suites.py --skip-if-missing --ratio-printed-only
      --concwatch $<TARGET_FILE:concwatch> ${Python3_EXECUTABLE})
  set_tests_properties(python.cpython_threading_suites PROPERTIES
    LABELS "python;suites" TIMEOUT 900 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
endif()

# Soak (label "soak"): memcached under concwatch for 60 s of memaslap load,
# then an idle server with a short --hang-after (tests/soak/memcached_soak.py).
# CONCWATCH_SOAK_SECONDS sets the load's length.  Skipped (77) without
# memcached and libmemcached-tools (.ci/run installs them).
if(TARGET concwatch)
  find_package(Python3 REQUIRED COMPONENTS Interpreter)
  add_test(NAME soak.memcached
    COMMAND ${Python3_EXECUTABLE} ${CMAKE_SOURCE_DIR}/tests/soak/memcached_soak.py $<TARGET_FILE:concwatch>)
  # Alone: the load keeps both cores busy (and other tests would bend its numbers).
  set_tests_properties(soak.memcached PROPERTIES LABELS soak TIMEOUT 600 SKIP_RETURN_CODE 77 RUN_SERIAL TRUE)
endif()

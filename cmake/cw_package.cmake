# What `cmake --install` and `cpack -G DEB` ship besides the launcher and the
# shim (their install rules are in their folders):
#   - concwatch(1), generated at build time from the option table (manpage.c);
#   - the CMake package: find_package(concwatch) + concwatch_add_test();
#   - the Debian package settings (cpack -G DEB in the build directory).
include(CMakePackageConfigHelpers)

# ---- the man page ----
find_program(CW_GZIP gzip REQUIRED)
set(_cw_man ${CMAKE_BINARY_DIR}/man/concwatch.1)
add_custom_command(OUTPUT ${_cw_man} ${_cw_man}.gz
  COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/man
  COMMAND $<TARGET_FILE:concwatch_manpage> ${PROJECT_VERSION} > ${_cw_man}
  COMMAND ${CW_GZIP} -9nf -k ${_cw_man}
  DEPENDS concwatch_manpage
  COMMENT "concwatch(1) from the option table"
  VERBATIM)
add_custom_target(concwatch_man ALL DEPENDS ${_cw_man}.gz)
install(FILES ${_cw_man}.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

# ---- the CMake package ----
set(CW_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/concwatch)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/concwatchConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cmake/concwatchConfig.cmake
  INSTALL_DESTINATION ${CW_CMAKE_INSTALL_DIR}
  PATH_VARS CMAKE_INSTALL_BINDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cmake/concwatchConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES ${CMAKE_BINARY_DIR}/cmake/concwatchConfig.cmake
              ${CMAKE_BINARY_DIR}/cmake/concwatchConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/concwatchTest.cmake
        DESTINATION ${CW_CMAKE_INSTALL_DIR})

# ---- the Debian package: cpack -G DEB (in the build directory) ----
set(CPACK_PACKAGE_NAME concwatch)
set(CPACK_PACKAGE_VENDOR "concwatch")
set(CPACK_PACKAGE_CONTACT "concwatch maintainers <concwatch@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "race and deadlock detector for Linux programs, no recompile")
set(CPACK_PACKAGE_DESCRIPTION
  "concwatch runs a program (C, C++, anything on pthreads, or CPython) with a small
preloaded shim and reports self-deadlocks, lock-order inversions, real hangs,
lock API misuse and data races with symbolized stacks, as text, JSON or SARIF.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_GENERATOR DEB)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Library dependencies from the binaries themselves, by dpkg-shlibdeps (the
# launcher: libdw1, libjson-c5, libc6; the shim: libc6, libgcc-s1), plus
# libunwind8, which the shim opens with dlopen (stacks/stack_capture.c), so
# no ELF header shows it.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libunwind8")
include(CPack)

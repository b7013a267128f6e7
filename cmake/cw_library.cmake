# cw_library(NAME SOURCES src... [LINKS lib...])
#
# One folder of detector/, one static library: position independent (it ends
# up in the LD_PRELOAD shim), hidden visibility (no symbol of ours may collide
# with or be interposed by the watched program's), headers included as
# "folder/file.h" from detector/.  LINKS are the libraries of the layers
# below (see tests/check_layers.py for the allowed directions).
#
# With CONCWATCH_SANITIZE a twin NAME_san is built under ASan/UBSan for the
# unit tests, linked against the _san twins of its cw_* dependencies.
function(cw_library name)
  cmake_parse_arguments(L "" "" "SOURCES;LINKS" ${ARGN})
  add_library(${name} STATIC ${L_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/detector)
  set_target_properties(${name} PROPERTIES POSITION_INDEPENDENT_CODE ON C_VISIBILITY_PRESET hidden)
  target_link_libraries(${name} PUBLIC ${L_LINKS})
  if(CONCWATCH_SANITIZE)
    set(_san_links)
    foreach(_l IN LISTS L_LINKS)
      if(_l MATCHES "^cw_")
        list(APPEND _san_links ${_l}_san)
      else()
        list(APPEND _san_links ${_l})
      endif()
    endforeach()
    add_library(${name}_san STATIC ${L_SOURCES})
    target_include_directories(${name}_san PUBLIC ${PROJECT_SOURCE_DIR}/detector)
    set_target_properties(${name}_san PROPERTIES POSITION_INDEPENDENT_CODE ON)
    target_compile_options(${name}_san PRIVATE ${CW_SANITIZE_FLAGS})
    target_link_options(${name}_san INTERFACE ${CW_SANITIZE_FLAGS})
    target_link_libraries(${name}_san PUBLIC ${_san_links})
  endif()
endfunction()

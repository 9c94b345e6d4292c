# packaging.install_layout: checks the tree that packaging.install wrote.
#   cmake -DPREFIX=<install prefix> -DSOURCE_INCLUDE_DIR=<ao>/include -DINCLUDEDIR=include -DDATADIR=share
#         -DBINDIR=bin -DTOOL=ON|OFF -P check_install.cmake
# - every installed file is under <INCLUDEDIR>/ao/ or <DATADIR>/cmake/ao/, except the one optional compiled unit,
#   lib*/libao_cpu_dispatch.a (no other library, no pkg-config file, no aclocal macro), and the tool
#   <BINDIR>/ao-quant, which is there exactly when TOOL is ON;
# - no installed path is one that Debian's libao-dev owns (ao/ao.h, ao/os_types.h, ao/plugin.h, ao.pc, ao.m4), so
#   that both packages can be installed into /usr;
# - the installed headers are exactly the headers of the source tree;
# - the CMake package files are there.
cmake_minimum_required(VERSION 3.21)
foreach(var PREFIX SOURCE_INCLUDE_DIR INCLUDEDIR DATADIR BINDIR TOOL)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_install.cmake: pass -D${var}=...")
  endif()
endforeach()
if(NOT IS_DIRECTORY "${PREFIX}")
  message(FATAL_ERROR "install layout: ${PREFIX} does not exist (did packaging.install run?)")
endif()

set(errors "")
file(GLOB_RECURSE installed LIST_DIRECTORIES false RELATIVE "${PREFIX}" "${PREFIX}/*")
list(SORT installed)
list(LENGTH installed n)
message(STATUS "install layout: ${n} files under ${PREFIX}")

foreach(f IN LISTS installed)
  if(NOT f MATCHES "^${INCLUDEDIR}/ao/" AND NOT f MATCHES "^${DATADIR}/cmake/ao/" AND
     NOT f MATCHES "^lib[^/]*/([^/]+/)?libao_cpu_dispatch\\.a$" AND NOT (TOOL AND f STREQUAL "${BINDIR}/ao-quant"))
    string(APPEND errors "  ${f}: outside ${INCLUDEDIR}/ao/ and ${DATADIR}/cmake/ao/ (and not libao_cpu_dispatch.a or ao-quant)\n")
  endif()
  # Names that Debian's libao-dev (the libao audio library) installs into /usr.
  if(f MATCHES "(^|/)ao/(ao|os_types|plugin)\\.h$" OR f MATCHES "(^|/)ao\\.(pc|m4)$")
    string(APPEND errors "  ${f}: this name belongs to Debian's libao-dev\n")
  endif()
endforeach()

# Installed headers == source headers (nothing lost, nothing stale).
file(GLOB_RECURSE source_headers LIST_DIRECTORIES false RELATIVE "${SOURCE_INCLUDE_DIR}" "${SOURCE_INCLUDE_DIR}/ao/*")
set(installed_headers "")
foreach(f IN LISTS installed)
  if(f MATCHES "^${INCLUDEDIR}/(ao/.*)$")
    list(APPEND installed_headers "${CMAKE_MATCH_1}")
  endif()
endforeach()
set(missing ${source_headers})
list(REMOVE_ITEM missing ${installed_headers})
set(extra ${installed_headers})
list(REMOVE_ITEM extra ${source_headers})
foreach(f IN LISTS missing)
  string(APPEND errors "  ${INCLUDEDIR}/${f}: in the source tree but not installed\n")
endforeach()
foreach(f IN LISTS extra)
  string(APPEND errors "  ${INCLUDEDIR}/${f}: installed but not in the source tree\n")
endforeach()

foreach(f ${INCLUDEDIR}/ao/ao.hpp ${DATADIR}/cmake/ao/aoConfig.cmake ${DATADIR}/cmake/ao/aoConfigVersion.cmake
          ${DATADIR}/cmake/ao/aoTargets.cmake)
  if(NOT EXISTS "${PREFIX}/${f}")
    string(APPEND errors "  ${f}: missing\n")
  endif()
endforeach()

if(TOOL AND NOT EXISTS "${PREFIX}/${BINDIR}/ao-quant")
  string(APPEND errors "  ${BINDIR}/ao-quant: missing\n")
endif()

if(errors)
  message(FATAL_ERROR "install layout: problems in ${PREFIX}:\n${errors}")
endif()
message(STATUS "install layout: OK")

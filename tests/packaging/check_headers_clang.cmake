# packaging.headers_clang: every public header of include/ao compiles alone with clang++, as C++17 and as C++20.
#   cmake -DCLANGXX=<clang++ or empty> -DINCLUDE_DIR=<ao>/include -DWORK_DIR=<scratch dir> -P check_headers_clang.cmake
# Each header is compiled (-fsyntax-only) from a one-line TU that includes it twice. Stops at the first failure.
# An empty CLANGXX prints "ao-packaging-skip:", which the test's SKIP_REGULAR_EXPRESSION turns into a skip.
cmake_minimum_required(VERSION 3.21)
if(NOT CLANGXX)
  message("ao-packaging-skip: clang++ was not found at configure time; set AO_CLANGXX to run this test")
  return()
endif()
foreach(var INCLUDE_DIR WORK_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check_headers_clang.cmake: pass -D${var}=...")
  endif()
endforeach()

file(GLOB_RECURSE headers LIST_DIRECTORIES false RELATIVE "${INCLUDE_DIR}" "${INCLUDE_DIR}/ao/*.hpp"
     "${INCLUDE_DIR}/ao/*.h")
list(FILTER headers EXCLUDE REGEX "-inl\\.(h|hpp)$")
list(SORT headers)
if(NOT headers)
  message(FATAL_ERROR "headers_clang: no headers under ${INCLUDE_DIR}/ao")
endif()

execute_process(COMMAND "${CLANGXX}" --version OUTPUT_VARIABLE version OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REGEX REPLACE "\n.*" "" version "${version}")
list(LENGTH headers n)
message(STATUS "headers_clang: ${n} headers, ${version}")

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(flags -fsyntax-only -Wall -Wextra -Wpedantic -Werror "-I${INCLUDE_DIR}")
foreach(std 17 20)
  foreach(h IN LISTS headers)
    string(REGEX REPLACE "[/.-]" "_" stem "${h}")
    set(tu "${WORK_DIR}/${stem}.cc")
    file(WRITE "${tu}" "#include \"${h}\"\n#include \"${h}\"\n")
    execute_process(COMMAND "${CLANGXX}" -std=c++${std} ${flags} "${tu}"
                    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
    if(NOT rc EQUAL 0)
      string(REPLACE ";" " " cmd "${CLANGXX} -std=c++${std} ${flags} ${tu}")
      message(FATAL_ERROR "headers_clang: ${h} does not compile alone as C++${std} with clang++:\n"
                          "  ${cmd}\n${out}")
    endif()
  endforeach()
  message(STATUS "headers_clang: C++${std}: ${n} headers OK")
endforeach()

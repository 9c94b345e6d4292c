# Settings for ao's own tests, examples and benchmarks (never applied to consumers of ao::ao).

# ao_dev_options: warnings as errors and, with AO_SANITIZE, ASan+UBSan, on one of ao's own targets.
add_library(ao_dev_options INTERFACE)
target_compile_options(ao_dev_options INTERFACE
  $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Werror -Wno-error=deprecated-declarations>)
if(AO_SANITIZE)
  target_compile_options(ao_dev_options INTERFACE
    $<$<COMPILE_LANGUAGE:CXX>:-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer>)
  target_link_options(ao_dev_options INTERFACE -fsanitize=address,undefined)
endif()
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()

# Cross-check of ao's conversions against NVIDIA's host converters in the CUDA toolkit headers (cuda_fp8.h,
# cuda_fp6.h, cuda_fp4.h, cuda_bf16.h, cuda_fp16.h). Plain C++ with the toolkit's include directory: the CUDA
# language is not enabled and no GPU is needed. Skipped when the headers are not found (fp6/fp4 and e8m0 need
# CUDA 12.8 or later). Set AO_NVIDIA_INCLUDE_DIR to point at another toolkit's include directory.

find_package(CUDAToolkit QUIET)
find_path(AO_NVIDIA_INCLUDE_DIR cuda_fp4.h
  HINTS ${CUDAToolkit_INCLUDE_DIRS} ENV CUDA_HOME ENV CUDA_PATH ENV CUDA_ROOT
  PATHS /usr/local/cuda
  PATH_SUFFIXES include
  DOC "CUDA toolkit include directory holding cuda_fp8.h, cuda_fp6.h and cuda_fp4.h (NVIDIA cross-check tests)")

set(ao_nvidia_missing "")
foreach(header cuda_fp8.h cuda_fp6.h cuda_fp4.h cuda_bf16.h cuda_fp16.h)
  if(NOT AO_NVIDIA_INCLUDE_DIR OR NOT EXISTS "${AO_NVIDIA_INCLUDE_DIR}/${header}")
    list(APPEND ao_nvidia_missing ${header})
  endif()
endforeach()

if(ao_nvidia_missing)
  list(JOIN ao_nvidia_missing ", " ao_nvidia_missing)
  message(STATUS "ao: NVIDIA cross-check tests skipped (CUDA toolkit headers not found: ${ao_nvidia_missing})")
else()
  message(STATUS "ao: NVIDIA cross-check tests use ${AO_NVIDIA_INCLUDE_DIR}")

  ao_add_gtest(ao_nvidia_crosscheck_tests SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/nvidia_crosscheck_test.cc)

  ao_add_gtest(ao_nvidia_exhaustive_tests LABELS exhaustive TIMEOUT 3600 SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/nvidia_exhaustive_test.cc)

  # SYSTEM: the toolkit headers do not build cleanly under ao_dev_options' -Wall -Wextra -Werror (unused parameters
  # in cuda_fp4.hpp, among others).
  foreach(target ao_nvidia_crosscheck_tests ao_nvidia_exhaustive_tests)
    target_include_directories(${target} SYSTEM PRIVATE ${AO_NVIDIA_INCLUDE_DIR})
  endforeach()
endif()
unset(ao_nvidia_missing)

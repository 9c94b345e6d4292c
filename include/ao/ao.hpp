// ao/ao.hpp: the umbrella header. Everything here compiles as host C++17/C++20 and, under nvcc/hipcc, in device
// code (the row-level host functions of backends/scalar throw ao::error and are host only; ao/ops, which runs
// Highway kernels, is left out under nvcc/hipcc). (Never ao/ao.h:
// Debian's libao-dev owns that name.)
#pragma once

#include "ao/backend.hpp"
#include "ao/backends/scalar/affine.hpp"
#include "ao/backends/scalar/block_scaled.hpp"
#include "ao/backends/scalar/float8.hpp"
#include "ao/backends/scalar/nf4.hpp"
#include "ao/backends/scalar/nvfp4.hpp"
#include "ao/backends/scalar/task.hpp"
#include "ao/backends/task.hpp"
#include "ao/config.hpp"
#include "ao/error.hpp"
#include "ao/formats/affine.hpp"
#include "ao/formats/block_scaled.hpp"
#include "ao/formats/float8.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/formats/granularity.hpp"
#include "ao/formats/mx.hpp"
#include "ao/formats/nf4.hpp"
#include "ao/formats/nvfp4.hpp"
#include "ao/formats/registry.hpp"
#include "ao/formats/scale_rule.hpp"
#include "ao/layout/bit_packing.hpp"
#include "ao/layout/lowbit_packing.hpp"
#include "ao/layout/scale_swizzle.hpp"
#include "ao/numeric.hpp"
#include "ao/executor.hpp"
#include "ao/tensor.hpp"
#include "ao/version.hpp"
#include "ao/view.hpp"

// The public entry points run Highway kernels, and Highway never enters a .cu (design.md): host compilers only.
#if !defined(__CUDACC__) && !defined(__HIPCC__)
#include "ao/ops/quantize.hpp"
#endif

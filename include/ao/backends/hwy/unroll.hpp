// ao/backends/hwy/unroll.hpp: AO_HWY_UNROLL, a pragma that fully unrolls the next loop of a compile-time trip count
// in host kernels (ao/config.hpp's AO_UNROLL is the device one). Kernels that keep arrays of Highway vectors as
// register accumulators (a[i][j] for constant i, j) put it on every loop over those arrays: once the loops are
// unrolled the compiler turns the arrays into registers; without it g++ -O2 keeps them on the stack (4x slower in
// ao::highway::MatmulPanel).
#pragma once

#if defined(__clang__)
#define AO_HWY_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define AO_HWY_UNROLL _Pragma("GCC unroll 16")
#else
#define AO_HWY_UNROLL
#endif

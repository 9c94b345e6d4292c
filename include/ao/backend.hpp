// ao/backend.hpp: the backend tags that pick which implementation of a kernel runs. Pass one to ao::quantize,
// ao::dequantize (and later every op); the default is ao::backend::highway.
//   ao::backend::scalar    the oracle (ao/backends/scalar/): plain loops, bit-exact with torchao; slow
//   ao::backend::highway   Google Highway SIMD (ao/backends/hwy/): with ao::cpu_dispatch linked (CMake target
//                          ao::cpu_dispatch), the best target this CPU has, chosen at run time, for the formats of
//                          the registry; otherwise (and for formats outside the registry) the target the
//                          translation unit was compiled for (-march). Same bytes as scalar on every target.
#pragma once

namespace ao::backend {

struct scalar {
  static constexpr const char* name = "scalar";
};
struct highway {
  static constexpr const char* name = "highway";
};

template <class T>
inline constexpr bool is_backend_v = false;
template <>
inline constexpr bool is_backend_v<scalar> = true;
template <>
inline constexpr bool is_backend_v<highway> = true;

}  // namespace ao::backend

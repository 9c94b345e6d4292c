// A C entry point over ao's host codec, for tests/cuda/torch_crosscheck.py (ctypes): encodes float32 bit
// patterns into one element type with one rounding/overflow mode, on all hardware threads.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>

#include "ao/numeric.hpp"

namespace {

template <class T, ao::rounding R, ao::overflow O>
void encode_range(const std::uint32_t* in, std::uint16_t* out, std::size_t n) {
  const unsigned threads = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t)
    pool.emplace_back([=] {
      for (std::size_t i = n * t / threads; i < n * (t + 1) / threads; ++i)
        out[i] = ao::convert<T, R, O>(ao::detail::bit_cast<float>(in[i])).bits();
    });
  for (auto& th : pool) th.join();
}

template <class T>
int encode_type(int mode, const std::uint32_t* in, std::uint16_t* out, std::size_t n) {
  switch (mode) {
    case 0: encode_range<T, ao::rounding::nearest_even, T::default_overflow>(in, out, n); return 0;
    case 1: encode_range<T, ao::rounding::nearest_even, ao::overflow::to_inf_or_nan>(in, out, n); return 0;
    case 2: encode_range<T, ao::rounding::nearest_even, ao::overflow::saturate>(in, out, n); return 0;
    default: return -1;
  }
}

}  // namespace

// type: 0 e4m3fn, 1 e4m3fnuz, 2 e5m2, 3 e5m2fnuz, 4 e8m0fnu, 5 e2m3, 6 e3m2, 7 e2m1, 8 bf16, 9 fp16.
// mode: 0 the type's default, 1 nearest + to_inf_or_nan, 2 nearest + saturate. Returns 0, or -1 on bad arguments.
extern "C" int ao_encode(int type, int mode, const std::uint32_t* in, std::uint16_t* out, std::size_t n) {
  switch (type) {
    case 0: return encode_type<ao::float8_e4m3fn>(mode, in, out, n);
    case 1: return encode_type<ao::float8_e4m3fnuz>(mode, in, out, n);
    case 2: return encode_type<ao::float8_e5m2>(mode, in, out, n);
    case 3: return encode_type<ao::float8_e5m2fnuz>(mode, in, out, n);
    case 4: return encode_type<ao::float8_e8m0fnu>(mode, in, out, n);
    case 5: return encode_type<ao::float6_e2m3fn>(mode, in, out, n);
    case 6: return encode_type<ao::float6_e3m2fn>(mode, in, out, n);
    case 7: return encode_type<ao::float4_e2m1fn>(mode, in, out, n);
    case 8: return encode_type<ao::bfloat16>(mode, in, out, n);
    case 9: return encode_type<ao::float16>(mode, in, out, n);
    default: return -1;
  }
}

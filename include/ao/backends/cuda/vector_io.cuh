// ao/backends/cuda/vector_io.cuh: device-side loads and stores of short runs of values, and the source and output
// dtypes' conversions, shared by the CUDA kernels.
//
//   widen(v)                     the fp32 value of a float / ao::bfloat16 / ao::float16, bit for bit what
//                                float(v) gives on the host (a NaN becomes the canonical quiet NaN, sign kept)
//   narrow<T>(x)                 T(x): round to nearest even, bit for bit what T(x) gives on the host
//   load_bytes<N>(local, mem, w) N bytes from memory into a local array; `wide` promises the memory address is
//   store_bytes<N>(mem, local, w) aligned to the widest power of two <= 16 dividing N, and then accesses memory
//                                in units of that width (16-byte loads and stores for 8 bf16 values)
//   load_words<N>(w, mem, wide)  N little-endian 32-bit words from memory (the same promise, for 4 * N bytes);
//   store_words<N>(mem, w, wide) kernels that can keep their data in words skip the byte arrays' shifts
//   load_values<N>(p, x, wide)   N consecutive values at p, widened to fp32
//   load_values_unfinished<N>    the same, except that NaNs keep whatever bits the conversion gives them:
//                                finish_widen<T>(x) then makes each what widen() gives (kernels that only need
//                                exact values where there is no NaN call it on the rare runs that have one)
//   store_values<N>(p, x, wide)  N fp32 values narrowed to T, stored at p
#pragma once

#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "ao/backends/cuda/hip.cuh"
#include "ao/config.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/detail/bits.hpp"
#include "ao/numeric/float16.hpp"

namespace ao::cuda::detail {

// The widest access that N bytes at an address aligned to it allow: 16, 8, 4, 2 or 1.
template <std::size_t N>
AO_HOST_DEVICE constexpr std::size_t access_width() {
  return N % 16 == 0 ? 16 : N % 8 == 0 ? 8 : N % 4 == 0 ? 4 : N % 2 == 0 ? 2 : 1;
}

template <std::size_t W>
struct access_type;
template <>
struct access_type<16> {
  using type = ::uint4;  // CUDA's vector type (ao::uint4 is the 4-bit integer)
};
template <>
struct access_type<8> {
  using type = ::uint2;  // CUDA's vector type (ao::uint2 is the 2-bit integer)
};
template <>
struct access_type<4> {
  using type = std::uint32_t;
};
template <>
struct access_type<2> {
  using type = std::uint16_t;
};
template <>
struct access_type<1> {
  using type = std::uint8_t;
};

// Memory is accessed through the access type A; the local side is a byte array filled and read with shifts of
// 32-bit words (register moves after optimization; no type punning of local arrays). Inside namespace ao, CUDA's
// vector types must be spelled ::uint4 / ::uint2: plain uint4 is ao's 4-bit integer, a one-byte type, and moved
// one byte instead of 16 (tests/cuda/quantize_device_test.cu checks every width).
template <std::size_t W>
AO_DEVICE AO_FORCEINLINE void words_of(const typename access_type<W>::type& v, std::uint32_t* w) {
  if constexpr (W == 16) {
    w[0] = v.x, w[1] = v.y, w[2] = v.z, w[3] = v.w;
  } else if constexpr (W == 8) {
    w[0] = v.x, w[1] = v.y;
  } else {
    w[0] = v;
  }
}
template <std::size_t W>
AO_DEVICE AO_FORCEINLINE typename access_type<W>::type access_of(const std::uint32_t* w) {
  if constexpr (W == 16) {
    return ::make_uint4(w[0], w[1], w[2], w[3]);
  } else if constexpr (W == 8) {
    return ::make_uint2(w[0], w[1]);
  } else {
    return w[0];
  }
}

template <std::size_t N, std::size_t W = access_width<N>()>
AO_DEVICE AO_FORCEINLINE void load_bytes(std::uint8_t* AO_RESTRICT local, const void* AO_RESTRICT memory, bool wide) {
  if constexpr (W >= 4) {
    if (wide) {
      using A = typename access_type<W>::type;
      AO_UNROLL
      for (std::size_t i = 0; i < N / W; ++i) {
        std::uint32_t w[W / 4];
        words_of<W>(static_cast<const A*>(memory)[i], w);
        AO_UNROLL
        for (std::size_t j = 0; j < W; ++j) local[i * W + j] = static_cast<std::uint8_t>(w[j / 4] >> (8 * (j % 4)));
      }
      return;
    }
  }
  AO_UNROLL
  for (std::size_t i = 0; i < N; ++i) local[i] = static_cast<const std::uint8_t*>(memory)[i];
}

template <std::size_t N, std::size_t W = access_width<N>()>
AO_DEVICE AO_FORCEINLINE void store_bytes(void* AO_RESTRICT memory, const std::uint8_t* AO_RESTRICT local, bool wide) {
  if constexpr (W >= 4) {
    if (wide) {
      using A = typename access_type<W>::type;
      AO_UNROLL
      for (std::size_t i = 0; i < N / W; ++i) {
        std::uint32_t w[W / 4] = {};
        AO_UNROLL
        for (std::size_t j = 0; j < W; ++j) w[j / 4] |= static_cast<std::uint32_t>(local[i * W + j]) << (8 * (j % 4));
        static_cast<A*>(memory)[i] = access_of<W>(w);
      }
      return;
    }
  }
  AO_UNROLL
  for (std::size_t i = 0; i < N; ++i) static_cast<std::uint8_t*>(memory)[i] = local[i];
}

template <std::size_t N, std::size_t W = access_width<4 * N>()>
AO_DEVICE AO_FORCEINLINE void load_words(std::uint32_t* AO_RESTRICT local, const void* AO_RESTRICT memory, bool wide) {
  if (wide) {
    using A = typename access_type<W>::type;
    AO_UNROLL
    for (std::size_t i = 0; i < 4 * N / W; ++i) words_of<W>(static_cast<const A*>(memory)[i], local + i * (W / 4));
    return;
  }
  const auto* bytes = static_cast<const std::uint8_t*>(memory);
  AO_UNROLL
  for (std::size_t i = 0; i < N; ++i) {
    local[i] = static_cast<std::uint32_t>(bytes[4 * i]) | static_cast<std::uint32_t>(bytes[4 * i + 1]) << 8 |
               static_cast<std::uint32_t>(bytes[4 * i + 2]) << 16 | static_cast<std::uint32_t>(bytes[4 * i + 3]) << 24;
  }
}

template <std::size_t N, std::size_t W = access_width<4 * N>()>
AO_DEVICE AO_FORCEINLINE void store_words(void* AO_RESTRICT memory, const std::uint32_t* AO_RESTRICT local, bool wide) {
  if (wide) {
    using A = typename access_type<W>::type;
    AO_UNROLL
    for (std::size_t i = 0; i < 4 * N / W; ++i) static_cast<A*>(memory)[i] = access_of<W>(local + i * (W / 4));
    return;
  }
  auto* bytes = static_cast<std::uint8_t*>(memory);
  AO_UNROLL
  for (std::size_t i = 0; i < 4 * N; ++i) bytes[i] = static_cast<std::uint8_t>(local[i / 4] >> (8 * (i % 4)));
}

// The bits of value i of an array of T held as little-endian bytes, and back.
template <class T>
AO_DEVICE AO_FORCEINLINE T value_from_bytes(const std::uint8_t* b) {
  if constexpr (sizeof(T) == 4) {
    return ao::detail::bit_cast<T>(static_cast<std::uint32_t>(b[0]) | static_cast<std::uint32_t>(b[1]) << 8 |
                                   static_cast<std::uint32_t>(b[2]) << 16 | static_cast<std::uint32_t>(b[3]) << 24);
  } else {
    return T::from_bits(static_cast<std::uint16_t>(b[0] | b[1] << 8));
  }
}
template <class T>
AO_DEVICE AO_FORCEINLINE void value_to_bytes(T v, std::uint8_t* b) {
  std::uint32_t bits;
  if constexpr (sizeof(T) == 4) {
    bits = ao::detail::bit_cast<std::uint32_t>(v);
  } else {
    bits = v.bits();
  }
  AO_UNROLL
  for (std::size_t j = 0; j < sizeof(T); ++j) b[j] = static_cast<std::uint8_t>(bits >> (8 * j));
}

// widen() in two steps: widen_unfinished(bits of a T) is exact for every non-NaN and a NaN (of the same sign) for
// a NaN; finish_widen<T> gives that NaN the bits widen() gives it (canonical quiet NaN, sign kept; fp32 values
// pass as they are).
template <class T>
AO_DEVICE AO_FORCEINLINE float widen_unfinished(std::uint32_t bits) {
  if constexpr (std::is_same_v<T, float>) {
    return ao::detail::bit_cast<float>(bits);
  } else if constexpr (std::is_same_v<T, ao::bfloat16>) {
    return ao::detail::bit_cast<float>(bits << 16);
  } else {
#if defined(AO_DEVICE_PASS) && !defined(__HIPCC__)
    return __half2float(__ushort_as_half(static_cast<unsigned short>(bits)));
#else
    return float(T::from_bits(static_cast<std::uint16_t>(bits)));
#endif
  }
}
template <class T>
AO_DEVICE AO_FORCEINLINE float finish_widen(float x) {
  if constexpr (std::is_same_v<T, float>) {
    return x;
  } else {
    const std::uint32_t bits = ao::detail::bit_cast<std::uint32_t>(x);
    return x != x ? ao::detail::bit_cast<float>((bits & 0x80000000u) | 0x7FC00000u) : x;
  }
}
AO_DEVICE AO_FORCEINLINE float widen(float v) { return v; }
AO_DEVICE AO_FORCEINLINE float widen(ao::bfloat16 v) {
  return finish_widen<ao::bfloat16>(widen_unfinished<ao::bfloat16>(v.bits()));
}
AO_DEVICE AO_FORCEINLINE float widen(ao::float16 v) {
  return finish_widen<ao::float16>(widen_unfinished<ao::float16>(v.bits()));
}

template <class T>
AO_DEVICE AO_FORCEINLINE T narrow(float x) {
  if constexpr (std::is_same_v<T, float>) {
    return x;
  } else {
#if defined(AO_DEVICE_PASS) && !defined(__HIPCC__)
    if (x == x) {  // the hardware's round-to-nearest-even conversion; NaNs take ao's own (canonical) code
      if constexpr (std::is_same_v<T, ao::bfloat16>) {
        return T::from_bits(__bfloat16_as_ushort(__float2bfloat16_rn(x)));
      } else {
        return T::from_bits(__half_as_ushort(__float2half_rn(x)));
      }
    }
#endif
    return T(x);
  }
}

template <int N, class T>
AO_DEVICE AO_FORCEINLINE void load_values_unfinished(const T* AO_RESTRICT p, float* AO_RESTRICT x, bool wide) {
  if constexpr (N * sizeof(T) % 4 == 0) {
    // Whole words: each holds 4 / sizeof(T) values, the first in its low bits.
    constexpr int per_word = static_cast<int>(4 / sizeof(T));
    std::uint32_t w[N / per_word];
    load_words<N / per_word>(w, p, wide);
    AO_UNROLL
    for (int i = 0; i < N; ++i) {
      const std::uint32_t word = w[i / per_word];
      if constexpr (per_word == 1) {
        x[i] = widen_unfinished<T>(word);
      } else if constexpr (std::is_same_v<T, ao::bfloat16>) {
        x[i] = ao::detail::bit_cast<float>(i % 2 ? word & 0xFFFF0000u : word << 16);
      } else {
        x[i] = widen_unfinished<T>(i % 2 ? word >> 16 : word & 0xFFFFu);
      }
    }
  } else {
    std::uint8_t raw[N * sizeof(T)];
    load_bytes<N * sizeof(T)>(raw, p, wide);
    AO_UNROLL
    for (int i = 0; i < N; ++i) x[i] = widen(value_from_bytes<T>(raw + i * sizeof(T)));
  }
}
template <int N, class T>
AO_DEVICE AO_FORCEINLINE void load_values(const T* AO_RESTRICT p, float* AO_RESTRICT x, bool wide) {
  load_values_unfinished<N>(p, x, wide);
  AO_UNROLL
  for (int i = 0; i < N; ++i) x[i] = finish_widen<T>(x[i]);
}

template <int N, class T>
AO_DEVICE AO_FORCEINLINE void store_values(T* AO_RESTRICT p, const float* AO_RESTRICT x, bool wide) {
  if constexpr (N * sizeof(T) % 4 == 0) {
    constexpr int per_word = static_cast<int>(4 / sizeof(T));
    std::uint32_t w[N / per_word] = {};
    AO_UNROLL
    for (int i = 0; i < N; ++i) {
      if constexpr (per_word == 1) {
        w[i] = ao::detail::bit_cast<std::uint32_t>(x[i]);
      } else {
        w[i / 2] |= static_cast<std::uint32_t>(narrow<T>(x[i]).bits()) << (16 * (i % 2));
      }
    }
    store_words<N / per_word>(p, w, wide);
  } else {
    std::uint8_t raw[N * sizeof(T)];
    AO_UNROLL
    for (int i = 0; i < N; ++i) value_to_bytes(narrow<T>(x[i]), raw + i * sizeof(T));
    store_bytes<N * sizeof(T)>(p, raw, wide);
  }
}

// Whether every address base + i * stride_bytes (i >= 0) is aligned to `alignment` (a power of two).
inline bool aligned(const void* base, std::ptrdiff_t stride_bytes, std::size_t alignment) {
  const auto b = reinterpret_cast<std::uintptr_t>(base);
  return (b % alignment) == 0 && (static_cast<std::size_t>(stride_bytes) % alignment) == 0;
}

}  // namespace ao::cuda::detail

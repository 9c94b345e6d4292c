// ao/io/torchao_storage.hpp: what identifies how a quantized weight is stored and dequantized, in terms both torchao's
// checkpoints and ao's format types can state: ao::io::torchao_storage, and ao::io::storage_of<F>(rows, cols), what
// ao's format F stores for a rows x cols matrix. Two formats with equal storage hold the same bytes and dequantize
// them identically; they differ at most in how they quantize (the MX scale rule, the affine mapping, FP8's amax
// clamp and arithmetic), which torchao does not record in a checkpoint. Standard library + ao's formats only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "ao/formats/affine.hpp"
#include "ao/formats/block_scaled.hpp"
#include "ao/formats/float8.hpp"
#include "ao/formats/format_traits.hpp"
#include "ao/formats/granularity.hpp"
#include "ao/formats/nvfp4.hpp"
#include "ao/io/safetensors_dtype.hpp"
#include "ao/numeric/bfloat16.hpp"
#include "ao/numeric/float16.hpp"
#include "ao/numeric/float4.hpp"
#include "ao/numeric/float6.hpp"
#include "ao/numeric/float8.hpp"

namespace ao::io {

// The element of a floating quantized format (MX, NVFP4, FP8); none for affine integers.
enum class torchao_element : std::uint8_t {
  none,
  float8_e4m3fn,
  float8_e5m2,
  float8_e4m3fnuz,
  float8_e5m2fnuz,
  float6_e2m3fn,
  float6_e3m2fn,
  float4_e2m1fn,
};

constexpr const char* name(torchao_element e) noexcept {
  switch (e) {
    case torchao_element::float8_e4m3fn: return "float8_e4m3fn";
    case torchao_element::float8_e5m2: return "float8_e5m2";
    case torchao_element::float8_e4m3fnuz: return "float8_e4m3fnuz";
    case torchao_element::float8_e5m2fnuz: return "float8_e5m2fnuz";
    case torchao_element::float6_e2m3fn: return "float6_e2m3fn";
    case torchao_element::float6_e3m2fn: return "float6_e3m2fn";
    case torchao_element::float4_e2m1fn: return "float4_e2m1fn";
    default: return "none";
  }
}

// The family of storage (format_traits<F>::family, or none: a format that no torchao class stores, such as
// tinygemm's floating zero points).
enum class torchao_storage_family : std::uint8_t { none, block_scaled, nvfp4, float8, affine };

// How a rows x cols matrix (rows = the leading dims flattened) is stored:
//   block_scaled  element data (element_bytes: one code a byte, or two fp4 codes a byte, element 2i in the low
//                 nibble), one scale code of scale_dtype per block_cols values of a row
//   nvfp4         the same with block 16 and F8_E4M3 scales, plus a fp32 global scale when global_scale
//   float8        one byte a value; one fp32 scale per block_rows x block_cols tile
//   affine        one code a byte (int8 when qmin < 0), in [qmin, qmax]; one scale (scale_dtype) and one integer
//                 zero point per block_rows x block_cols tile
// A tile spanning all rows is block_rows == rows (a per-tensor tensor has block rows x cols).
struct torchao_storage {
  torchao_storage_family family = torchao_storage_family::none;
  torchao_element element = torchao_element::none;
  std::uint64_t block_rows = 0, block_cols = 0;
  io::dtype scale_dtype = io::dtype::u8;
  int qmin = 0, qmax = 0;
  bool global_scale = false;

  friend bool operator==(const torchao_storage& a, const torchao_storage& b) noexcept {
    return a.family == b.family && a.element == b.element && a.block_rows == b.block_rows &&
           a.block_cols == b.block_cols && a.scale_dtype == b.scale_dtype && a.qmin == b.qmin && a.qmax == b.qmax &&
           a.global_scale == b.global_scale;
  }
  friend bool operator!=(const torchao_storage& a, const torchao_storage& b) noexcept { return !(a == b); }
};

// For messages: "MX float4_e2m1fn, blocks of 1x32, F8_E8M0 scales".
inline std::string describe(const torchao_storage& s) {
  const std::string tile = std::to_string(s.block_rows) + "x" + std::to_string(s.block_cols);
  const std::string scales = std::string(io::name(s.scale_dtype)) + " scales";
  switch (s.family) {
    case torchao_storage_family::block_scaled:
      return std::string("block-scaled ") + name(s.element) + ", blocks of " + tile + ", " + scales;
    case torchao_storage_family::nvfp4:
      return std::string("NVFP4, blocks of ") + tile + ", " + scales +
             (s.global_scale ? ", a fp32 global scale" : ", no global scale");
    case torchao_storage_family::float8:
      return std::string("FP8 ") + name(s.element) + ", tiles of " + tile + ", " + scales;
    case torchao_storage_family::affine:
      return "affine codes in [" + std::to_string(s.qmin) + ", " + std::to_string(s.qmax) + "] one a byte, tiles of " +
             tile + ", " + scales + ", integer zero points";
    default:
      return "a storage no torchao class has";
  }
}

namespace detail {

template <class E>
constexpr torchao_element torchao_element_of() noexcept {
  if constexpr (std::is_same_v<E, float8_e4m3fn>) return torchao_element::float8_e4m3fn;
  else if constexpr (std::is_same_v<E, float8_e5m2>) return torchao_element::float8_e5m2;
  else if constexpr (std::is_same_v<E, float8_e4m3fnuz>) return torchao_element::float8_e4m3fnuz;
  else if constexpr (std::is_same_v<E, float8_e5m2fnuz>) return torchao_element::float8_e5m2fnuz;
  else if constexpr (std::is_same_v<E, float6_e2m3fn>) return torchao_element::float6_e2m3fn;
  else if constexpr (std::is_same_v<E, float6_e3m2fn>) return torchao_element::float6_e3m2fn;
  else if constexpr (std::is_same_v<E, float4_e2m1fn>) return torchao_element::float4_e2m1fn;
  else return torchao_element::none;
}

// The safetensors dtype of a scale type; nullopt for one safetensors cannot hold.
template <class S>
constexpr std::optional<io::dtype> torchao_dtype_of() noexcept {
  if constexpr (std::is_same_v<S, float>) return io::dtype::f32;
  else if constexpr (std::is_same_v<S, bfloat16>) return io::dtype::bf16;
  else if constexpr (std::is_same_v<S, float16>) return io::dtype::f16;
  else if constexpr (std::is_same_v<S, float8_e8m0fnu>) return io::dtype::f8_e8m0;
  else if constexpr (std::is_same_v<S, float8_e4m3fn>) return io::dtype::f8_e4m3;
  else return std::nullopt;
}

// The tile (block_rows, block_cols) of a granularity, for a rows x cols matrix.
template <class G>
struct torchao_tile;
template <>
struct torchao_tile<per_tensor> {
  static constexpr std::uint64_t rows(std::uint64_t r) noexcept { return r; }
  static constexpr std::uint64_t cols(std::uint64_t c) noexcept { return c; }
};
template <>
struct torchao_tile<per_row> {
  static constexpr std::uint64_t rows(std::uint64_t) noexcept { return 1; }
  static constexpr std::uint64_t cols(std::uint64_t c) noexcept { return c; }
};
template <int G>
struct torchao_tile<group<G>> {
  static constexpr std::uint64_t rows(std::uint64_t) noexcept { return 1; }
  static constexpr std::uint64_t cols(std::uint64_t) noexcept { return static_cast<std::uint64_t>(G); }
};
template <int R, int C>
struct torchao_tile<per_block<R, C>> {
  static constexpr std::uint64_t rows(std::uint64_t) noexcept { return static_cast<std::uint64_t>(R); }
  static constexpr std::uint64_t cols(std::uint64_t) noexcept { return static_cast<std::uint64_t>(C); }
};

}  // namespace detail

// What format F stores for a rows x cols matrix (family none for a format no torchao class holds).
template <class F>
torchao_storage storage_of(std::uint64_t rows, std::uint64_t cols) {
  using T = format_traits<F>;
  using family = typename T::family;
  torchao_storage s;
  if constexpr (std::is_same_v<family, format_family::block_scaled>) {
    constexpr auto scale = detail::torchao_dtype_of<typename F::scale_type>();
    // MXTensor holds torchao's element packing only (fp6 one code a byte: not ao's fp6_4in3).
    constexpr bool torchao_packing = std::is_same_v<typename F::packing, element_packing::torchao>;
    if constexpr (torchao_packing && scale.has_value() &&
                  detail::torchao_element_of<typename F::element_type>() != torchao_element::none) {
      s.family = torchao_storage_family::block_scaled;
      s.element = detail::torchao_element_of<typename F::element_type>();
      s.block_rows = 1;
      s.block_cols = static_cast<std::uint64_t>(F::block_size);
      s.scale_dtype = *scale;
    }
  } else if constexpr (std::is_same_v<family, format_family::nvfp4>) {
    s.family = torchao_storage_family::nvfp4;
    s.element = torchao_element::float4_e2m1fn;
    s.block_rows = 1;
    s.block_cols = static_cast<std::uint64_t>(F::block_size);
    s.scale_dtype = io::dtype::f8_e4m3;
    s.global_scale = F::global_scale;
  } else if constexpr (std::is_same_v<family, format_family::float8>) {
    using G = typename F::granularity;
    s.family = torchao_storage_family::float8;
    s.element = detail::torchao_element_of<typename F::element_type>();
    s.block_rows = detail::torchao_tile<G>::rows(rows);
    s.block_cols = detail::torchao_tile<G>::cols(cols);
    s.scale_dtype = io::dtype::f32;
  } else if constexpr (std::is_same_v<family, format_family::affine>) {
    if constexpr (!F::float_zero_point) {
      using G = typename F::granularity;
      s.family = torchao_storage_family::affine;
      s.block_rows = detail::torchao_tile<G>::rows(rows);
      s.block_cols = detail::torchao_tile<G>::cols(cols);
      s.scale_dtype = *detail::torchao_dtype_of<typename F::scale_type>();
      s.qmin = F::quant_min;
      s.qmax = F::quant_max;
    }
  }
  return s;
}

// Whether a format that stores `holder` can hold, and dequantize exactly, a tensor stored as `stored`: the same
// storage, except that an affine holder's code range may be wider (an int8 format holds int3 codes; the range
// matters only when quantizing, and a checkpoint's codes are checked against their own range when read).
inline bool can_hold(const torchao_storage& holder, const torchao_storage& stored) noexcept {
  if (holder == stored) return true;
  if (holder.family != torchao_storage_family::affine || stored.family != torchao_storage_family::affine) return false;
  torchao_storage widened = stored;
  widened.qmin = holder.qmin;
  widened.qmax = holder.qmax;
  return holder == widened && holder.qmin <= stored.qmin && stored.qmax <= holder.qmax &&
         (holder.qmin < 0) == (stored.qmin < 0);  // codes are int8 or uint8 bytes, as the range's sign says
}

// Whether a tensor stored as `s` may be read or written under another shape with the same number of values, the
// values taken in row-major order: true when every scale covers a run of consecutive values of one row
// (block_rows == 1) and the new last dim is a whole number of runs. Then the bytes are the same for both shapes:
// an IntxUnpackedToInt8Tensor of groups of G values with shape (R, C) is an ao per_row format of shape
// (R * C / G, G).
inline bool reshapes_to(const torchao_storage& s, const std::vector<std::uint64_t>& from,
                        const std::vector<std::uint64_t>& to) {
  auto count = [](const std::vector<std::uint64_t>& shape) {
    std::uint64_t n = 1;
    for (std::uint64_t d : shape) {
      if (d != 0 && n > UINT64_MAX / d) return std::uint64_t{0};
      n *= d;
    }
    return n;
  };
  if (from == to) return true;
  if (from.empty() || to.empty() || s.block_rows != 1 || s.block_cols == 0) return false;
  return count(from) == count(to) && from.back() % s.block_cols == 0 && to.back() % s.block_cols == 0;
}

}  // namespace ao::io

// ao/backends/hwy/float8-inl.h: Highway kernels for FP8 with float scales (ao::float8_scaled<E, G, Clamp,
// Arithmetic>, G = per_tensor, per_row or per_block<R, C>): quantize and dequantize one task, byte- and
// bit-identical to ao::scalar::quantize / dequantize (ao/backends/scalar/float8.hpp) on every Highway target.
//
//   amax   max |x| over the granule as fp32 bits (NaN wins); per_row reduces row r + 1 chunk by chunk between row
//          r's chunks of codes, per_block tile k + 1 row by row between tile k's rows of codes (R rows x C each), so
//          that the next granule's DRAM reads overlap this one's arithmetic (streaming.hpp)
//   scale  ao::scalar::float8_scale<F, Src>(amax): the oracle's own scalar expression, once per granule
//   code   E(clamp(x / scale, -max, max)): a true fp32 division (vdivps, not a reciprocal), then the NaN rules of
//          the arithmetic written out (torch_cpu: a NaN x, else a NaN scale, propagates; an invalid quotient is
//          0xFFC00000; torch_cuda: every NaN quotient is 0x7FFFFFFF; only needed when the scale is not finite and
//          nonzero), then the RNE codec with saturation (the same codes as the clamp, which it replaces)
//   value  E(code) * scale in fp32 (a NaN code keeps its NaN, the scalar first-operand rule), rounded to Dst
// Runs of any length (per_row's cols, per_block's C) are whole vectors plus one partial vector.

#if defined(AO_BACKENDS_HWY_FLOAT8_INL_H_) == defined(HWY_TARGET_TOGGLE)
#ifdef AO_BACKENDS_HWY_FLOAT8_INL_H_
#undef AO_BACKENDS_HWY_FLOAT8_INL_H_
#else
#define AO_BACKENDS_HWY_FLOAT8_INL_H_
#endif

#include <hwy/highway.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ao/backends/hwy/convert-inl.h"
#include "ao/backends/hwy/exmy-inl.h"
#include "ao/backends/hwy/reduce-inl.h"
#include "ao/backends/hwy/streaming.hpp"
#include "ao/backends/scalar/float8.hpp"
#include "ao/backends/scalar/task.hpp"
#include "ao/backends/task.hpp"
#include "ao/formats/float8.hpp"
#include "ao/formats/granularity.hpp"
#include "ao/numeric/detail/bits.hpp"

HWY_BEFORE_NAMESPACE();
namespace ao::highway::HWY_NAMESPACE {
namespace hn = ::hwy::HWY_NAMESPACE;

namespace detail {

// max |x| bits over n values of a row, merged into m.
template <class DF, class Src>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> Float8AbsMaxRun(DF d, const Src* x, size_t n,
                                                           hn::Vec<hn::RebindToSigned<DF>> m) {
  const size_t lanes = hn::Lanes(d);
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) m = hn::Max(m, AbsMaxBits(d, LoadF32(d, x + i)));
  if (i < n) m = hn::Max(m, AbsMaxBits(d, LoadNF32(d, x + i, n - i)));
  return m;
}

#if HWY_TARGET != HWY_SCALAR
// The same for a bf16 run, on the raw 16-bit codes (Bf16AbsMaxBits, reduce-inl.h).
template <class DF>
HWY_INLINE hn::Vec<hn::RebindToSigned<DF>> Float8AbsMaxRun(DF d, const ao::bfloat16* x, size_t n,
                                                           hn::Vec<hn::RebindToSigned<DF>> m) {
  return hn::Max(m, Bf16AbsMaxBits(d, x, n));
}
#endif

// Codes of n values of a row sharing one scale. finite_input: the caller knows every x is finite (their amax is).
template <class F, class DF, class Src>
HWY_INLINE void Float8QuantizeRun(DF d, const Src* x, size_t n, float scale, bool finite_input, uint8_t* out) {
  using E = typename F::element_type;
  constexpr bool kCuda = std::is_same_v<typename F::arithmetic, ao::float8_arithmetic::torch_cuda>;
  const hn::RebindToSigned<DF> di;
  const size_t lanes = hn::Lanes(d);
  const auto vs = hn::Set(d, scale);
  // What a NaN quotient is when x is not NaN: the NaN scale, or the invalid quotient's NaN.
  const float other_nan = kCuda ? ao::detail::bit_cast<float>(0x7FFFFFFFu)
                                : (scale != scale ? scale : ao::detail::bit_cast<float>(0xFFC00000u));
  const auto v_other = hn::Set(d, other_nan);
  // Clamping to +-max and then rounding gives the codes of saturating rounding (rounding is monotone and max is
  // a code), so the encoder saturates instead of a clamp. With finite x and a finite nonzero scale every quotient
  // is finite ("plain"): the NaN rules and the encoder's NaN/inf handling are needed only otherwise.
  const bool plain = finite_input && scale == scale && scale != 0.0f && scale - scale == 0.0f;
  auto run = [&](auto plain_tag) {
    constexpr bool kPlain = decltype(plain_tag)::value;
    auto code = [&](hn::Vec<DF> v) {
      auto q = hn::Div(v, vs);
      if constexpr (!kPlain) {
        if constexpr (kCuda) {
          q = hn::IfThenElse(hn::IsNaN(q), v_other, q);
        } else {
          q = hn::IfThenElse(hn::IsNaN(q), hn::IfThenElse(hn::IsNaN(v), v, v_other), q);
        }
      }
      return EncodeExmy<typename E::spec, ao::overflow::saturate, kPlain>(d, q);
    };
    size_t i = 0;
    if constexpr (kPlain) {  // finite x: no NaN to make canonical
      for (; i + lanes <= n; i += lanes) StoreCodes<1>(d, code(LoadF32Finite(d, x + i)), out + i);
    }
    for (; i + lanes <= n; i += lanes) StoreCodes<1>(d, code(LoadF32(d, x + i)), out + i);
    if (i < n) {
      uint8_t tmp[hn::MaxLanes(DF())];
      StoreCodes<1>(d, code(LoadNF32(d, x + i, n - i)), tmp);
      std::memcpy(out + i, tmp, n - i);
    }
  };
  if (plain) {
    run(std::true_type{});
  } else {
    run(std::false_type{});
  }
  (void)di;
}

// Values (fp32) of Lanes(d) codes with scale vs. A NaN value keeps its NaN, else a NaN scale comes back quieted:
// x86's rule for value * scale with the operands in torch's order (tensor first). (Also ao::matmul's in-register
// decode, ao/backends/hwy/matmul-inl.h.)
template <class F, class DF>
HWY_INLINE hn::Vec<DF> Float8DequantizeVec(DF d, hn::Vec<hn::RebindToSigned<DF>> codes, hn::Vec<DF> vs) {
  const auto v = DecodeExmyTorch<typename F::element_type::spec>(d, codes);
  return hn::IfThenElse(hn::IsNaN(v), v, hn::Mul(v, vs));
}

// Values of n codes of a row sharing one scale, rounded to Dst.
template <class F, class DF, class Dst>
HWY_INLINE void Float8DequantizeRun(DF d, const uint8_t* in, size_t n, float scale, Dst* out) {
  const hn::RebindToSigned<DF> di;
  const size_t lanes = hn::Lanes(d);
  const auto vs = hn::Set(d, scale);
  auto value = [&](hn::Vec<decltype(di)> codes) { return Float8DequantizeVec<F>(d, codes, vs); };
  size_t i = 0;
  for (; i + lanes <= n; i += lanes) StoreF32(d, value(LoadCodes<1>(d, in + i)), out + i);
  if (i < n) {
    uint8_t tmp[hn::MaxLanes(DF())] = {};
    std::memcpy(tmp, in + i, n - i);
    StoreNF32(d, value(LoadCodes<1>(d, tmp)), out + i, n - i);
  }
}

template <class G>
struct Float8Tile {  // per_row: one row, the whole row
  static constexpr bool kPerBlock = false;
};
template <int R, int C>
struct Float8Tile<ao::per_block<R, C>> {
  static constexpr bool kPerBlock = true;
};

}  // namespace detail

template <class E, class G, class C, class A, class Src>
void Quantize(const ao::quantize_task<ao::float8_scaled<E, G, C, A>, Src>& t) {
  using F = ao::float8_scaled<E, G, C, A>;
  if constexpr (!kExmyVectorizable<typename E::spec>) {
    ao::scalar::quantize(t);
  } else {
    const hn::ScalableTag<float> d;
    const hn::RebindToSigned<decltype(d)> di;
    auto src_row = [&](size_t r) { return t.src + static_cast<std::ptrdiff_t>(r) * t.src_stride; };
    auto data_row = [&](size_t r) { return t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride; };
    if constexpr (std::is_same_v<G, ao::per_tensor>) {
      for (size_t r = 0; r < t.rows; ++r)
        // (The scale is a tensor parameter here: nothing says this run's values are finite.)
        detail::Float8QuantizeRun<F>(d, src_row(r), t.cols, t.tensor.scale, false, data_row(r));
    } else if constexpr (std::is_same_v<G, ao::per_row>) {
      if (t.cols == 0) return;
      // Row r + 1's amax pass runs chunk by chunk between row r's chunks of codes (streaming.hpp).
      auto m = t.rows ? detail::Float8AbsMaxRun(d, src_row(0), t.cols, hn::Zero(di)) : hn::Zero(di);
      for (size_t r = 0; r < t.rows; ++r) {
        const float amax = AbsMaxOfLanes(di, m);
        const float scale = ao::scalar::float8_scale<F, Src>(amax);
        t.scales[static_cast<std::ptrdiff_t>(r) * t.scales_stride] = scale;
        const bool finite = amax - amax == 0.0f;
        m = hn::Zero(di);
        for (size_t c = 0; c < t.cols; c += kRowChunkValues) {
          const size_t n = t.cols - c < kRowChunkValues ? t.cols - c : kRowChunkValues;
          if (r + 1 < t.rows) {
            PrefetchLines(AddressAhead(src_row(r + 1) + c, kStreamAheadBytes), n * sizeof(Src));
            m = detail::Float8AbsMaxRun(d, src_row(r + 1) + c, n, m);
          }
          detail::Float8QuantizeRun<F>(d, src_row(r) + c, n, scale, finite, data_row(r) + c);
        }
      }
    } else {
      static_assert(detail::Float8Tile<G>::kPerBlock, "float8_scaled: per_tensor, per_row or per_block<R, C>");
      constexpr size_t kR = static_cast<size_t>(G::rows), kC = static_cast<size_t>(G::cols);
      // Tiles in order: strips of kR rows, each tile kC columns of a strip. A "tile row" is kC values of one row of
      // one tile; tile row q is row q % kR of tile q / kR. Tile k + 1's amax pass runs tile row by tile row between
      // tile k's tile rows of codes (as per_row does with rows, streaming.hpp), hinting the tile row kAhead ahead
      // in that order (about kStreamAheadBytes of source).
      const size_t tiles_per_strip = t.cols / kC, tiles = tiles_per_strip * (t.rows / kR);
      if (tiles == 0) return;
      constexpr size_t kRowBytes = kC * sizeof(Src);
      constexpr size_t kAhead = kStreamAheadBytes / kRowBytes ? kStreamAheadBytes / kRowBytes : 1;
      auto tile_row = [&](size_t q) {  // q < tiles * kR
        const size_t tile = q / kR;
        return src_row(tile / tiles_per_strip * kR + q % kR) + tile % tiles_per_strip * kC;
      };
      auto m = hn::Zero(di);
      for (size_t i = 0; i < kR; ++i) m = detail::Float8AbsMaxRun(d, tile_row(i), kC, m);
      for (size_t k = 0; k < tiles; ++k) {
        const float amax = AbsMaxOfLanes(di, m);
        const float scale = ao::scalar::float8_scale<F, Src>(amax);
        const size_t r0 = k / tiles_per_strip * kR, c0 = k % tiles_per_strip * kC;
        t.scales[static_cast<std::ptrdiff_t>(r0 / kR) * t.scales_stride + static_cast<std::ptrdiff_t>(c0 / kC)] = scale;
        const bool finite = amax - amax == 0.0f;
        const bool next = k + 1 < tiles;
        m = hn::Zero(di);
        for (size_t i = 0; i < kR; ++i) {
          if (next) {
            const size_t q = (k + 1) * kR + i;
            if (q + kAhead < tiles * kR) PrefetchLines(tile_row(q + kAhead), kRowBytes);
            m = detail::Float8AbsMaxRun(d, tile_row(q), kC, m);
          }
          detail::Float8QuantizeRun<F>(d, src_row(r0 + i) + c0, kC, scale, finite, data_row(r0 + i) + c0);
        }
      }
    }
  }
}

template <class E, class G, class C, class A, class Dst>
void Dequantize(const ao::dequantize_task<ao::float8_scaled<E, G, C, A>, Dst>& t) {
  using F = ao::float8_scaled<E, G, C, A>;
  if constexpr (!kExmyVectorizable<typename E::spec>) {
    ao::scalar::dequantize(t);
  } else {
    const hn::ScalableTag<float> d;
    for (size_t r = 0; r < t.rows; ++r) {
      const uint8_t* in = t.data + static_cast<std::ptrdiff_t>(r) * t.data_stride;
      Dst* out = t.dst + static_cast<std::ptrdiff_t>(r) * t.dst_stride;
      if constexpr (std::is_same_v<G, ao::per_tensor>) {
        detail::Float8DequantizeRun<F>(d, in, t.cols, t.tensor.scale, out);
      } else if constexpr (std::is_same_v<G, ao::per_row>) {
        if (t.cols == 0) continue;
        detail::Float8DequantizeRun<F>(d, in, t.cols, t.scales[static_cast<std::ptrdiff_t>(r) * t.scales_stride], out);
      } else {
        constexpr size_t kR = static_cast<size_t>(G::rows), kC = static_cast<size_t>(G::cols);
        const float* scales = t.scales + static_cast<std::ptrdiff_t>(r / kR) * t.scales_stride;
        for (size_t c0 = 0; c0 + kC <= t.cols; c0 += kC) {
          detail::Float8DequantizeRun<F>(d, in + c0, kC, scales[c0 / kC], out + c0);
        }
      }
    }
  }
}

}  // namespace ao::highway::HWY_NAMESPACE
HWY_AFTER_NAMESPACE();

#endif  // AO_BACKENDS_HWY_FLOAT8_INL_H_

// Every float32 bit pattern encodes, in every element type, to the code the oracle gives: the nearest entry of
// the sorted table of the reference decoder, ties to the even code, with the saturation rule (8-bit and smaller)
// or IEEE overflow (bfloat16, float16). The other rounding and overflow modes of ao::convert are checked on
// every 16th pattern, and exhaustively for float8_e8m0fnu (the scale type, where rounding::up is RCEIL).
// Label "exhaustive": about 2^32 encodes per type.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>

#include "ao/numeric.hpp"
#include "ao/numeric/detail/float4_encode_by_steps.hpp"
#include "ao/numeric/detail/float6_via_float8.hpp"
#include "exhaustive.hpp"
#include "reference_formats.hpp"

namespace {

using namespace ao::testing;
using ao::overflow;
using ao::rounding;

template <class T>
class EncodeExhaustiveTest : public ::testing::Test {};
TYPED_TEST_SUITE(EncodeExhaustiveTest, all_float_types, type_names);

template <class T, rounding R, overflow O>
void check_mode(const nearest_oracle<T>& oracle, float x, std::uint32_t bits, mismatch_log& log) {
  const std::uint32_t got_pos = ao::convert<T, R, O>(x).bits();
  const std::uint32_t got_neg = ao::convert<T, R, O>(-x).bits();
  const std::uint32_t want_pos = oracle.expect(false, R, O);
  const std::uint32_t want_neg = oracle.expect(true, R, O);
  if (got_pos != want_pos || got_neg != want_neg) {
    log.add("x=" + hex(bits) + " rounding=" + std::to_string(int(R)) + " overflow=" + std::to_string(int(O)) +
            ": +x gives " + hex(got_pos) + " want " + hex(want_pos) + ", -x gives " + hex(got_neg) + " want " +
            hex(want_neg));
  }
}

template <class T, rounding R>
void check_both_overflows(const nearest_oracle<T>& oracle, float x, std::uint32_t bits, mismatch_log& log) {
  check_mode<T, R, overflow::saturate>(oracle, x, bits, log);
  check_mode<T, R, overflow::to_inf_or_nan>(oracle, x, bits, log);
}

TYPED_TEST(EncodeExhaustiveTest, EveryFloat32) {
  using T = TypeParam;
  const value_table<T> table;
  const std::uint32_t stride = exhaustive_stride();
  constexpr bool all_modes_everywhere = std::is_same_v<T, ao::float8_e8m0fnu>;
  mismatch_log log;
  parallel_chunks(0, 0x7F800000u, [&](std::uint64_t begin, std::uint64_t end) {
    nearest_oracle<T> oracle(table);
    begin = (begin + stride - 1) / stride * stride;
    oracle.reset(float_from_bits(static_cast<std::uint32_t>(begin)));
    for (std::uint64_t m = begin; m < end; m += stride) {
      const std::uint32_t bits = static_cast<std::uint32_t>(m);
      const float x = static_cast<float>(float_from_bits(bits));
      oracle.advance(x);
      // The plain constructor: nearest even with the type's default overflow.
      const std::uint32_t want_pos = oracle.expect(false, rounding::nearest_even, T::default_overflow);
      const std::uint32_t want_neg = oracle.expect(true, rounding::nearest_even, T::default_overflow);
      const std::uint32_t got_pos = T(x).bits(), got_neg = T(-x).bits();
      if (got_pos != want_pos || got_neg != want_neg) {
        log.add("T(x) x=" + hex(bits) + ": +x gives " + hex(got_pos) + " want " + hex(want_pos) + ", -x gives " +
                hex(got_neg) + " want " + hex(want_neg));
      }
      if (all_modes_everywhere) {
        check_both_overflows<T, rounding::up>(oracle, x, bits, log);
        check_both_overflows<T, rounding::toward_zero>(oracle, x, bits, log);
      }
      if ((m / stride) % 16 == 0) {
        check_both_overflows<T, rounding::nearest_even>(oracle, x, bits, log);
        check_both_overflows<T, rounding::toward_zero>(oracle, x, bits, log);
        check_both_overflows<T, rounding::up>(oracle, x, bits, log);
        check_both_overflows<T, rounding::down>(oracle, x, bits, log);
      }
    }
  });
  EXPECT_EQ(log.count(), 0u) << log.messages();
}

TYPED_TEST(EncodeExhaustiveTest, InfinityAndEveryNanPattern) {
  using T = TypeParam;
  const value_table<T> table;
  const nearest_oracle<T> oracle(table);
  const std::uint32_t sign_bit = nearest_oracle<T>::kSignBit;
  const std::uint32_t max_code = table.max_code();
  // Infinity: the largest finite value under saturation, the overflow code under to_inf_or_nan.
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ((ao::convert<T, overflow::saturate>(inf).bits()), max_code);
  EXPECT_EQ((ao::convert<T, overflow::saturate>(-inf).bits()), sign_bit | max_code);
  EXPECT_EQ((ao::convert<T, overflow::to_inf_or_nan>(inf).bits()), oracle.overflow_code(0));
  EXPECT_EQ((ao::convert<T, overflow::to_inf_or_nan>(-inf).bits()), oracle.overflow_code(sign_bit));
  EXPECT_EQ((ao::convert<T, overflow::to_inf_or_nan, rounding::toward_zero>(inf).bits()), oracle.overflow_code(0));

  const std::uint32_t stride = exhaustive_stride();
  mismatch_log log;
  for (std::uint64_t m = 0x7F800001u; m <= 0x7FFFFFFFu; m += stride) {
    for (std::uint32_t s : {0u, 0x80000000u}) {
      const std::uint32_t bits = static_cast<std::uint32_t>(m) | s;
      const float x = static_cast<float>(float_from_bits(bits));
      const std::uint32_t got = T(x).bits();
      const double decoded = reference<T>::decode(got);
      bool ok;
      if constexpr (T::has_nan) {
        ok = std::isnan(decoded);
        // The sign of NaN is kept where the format has a signed NaN.
        if (T::nan != ao::nan_encoding::negative_zero && T::is_signed) ok = ok && ((got & sign_bit) != 0) == (s != 0);
      } else {
        ok = got == max_code;  // no NaN: +max, as CUDA's converters
      }
      if (!ok) log.add("NaN " + hex(bits) + " gives " + hex(got));
    }
  }
  EXPECT_EQ(log.count(), 0u) << log.messages();
}

// A shortcut encoder `fast` of element type T against the codec, for every non-NaN float32 of both signs (at the
// exhaustive stride), under both overflow options: T has no infinity, so to_inf_or_nan (the MX rceil rule's plain
// cast) saturates too.
template <class T, class Fast>
void check_shortcut_encoder(Fast fast) {
  const std::uint32_t stride = exhaustive_stride();
  mismatch_log log;
  parallel_chunks(0, 0x7F800001u, [&](std::uint64_t begin, std::uint64_t end) {
    begin = (begin + stride - 1) / stride * stride;
    for (std::uint64_t m = begin; m < end; m += stride) {
      for (const std::uint32_t sign : {0u, 0x80000000u}) {
        const std::uint32_t bits = static_cast<std::uint32_t>(m) | sign;
        const float y = ao::detail::bit_cast<float>(bits);
        const std::uint32_t got = fast(y);
        const std::uint32_t want = T(y).bits();
        const std::uint32_t want_plain = ao::convert<T, overflow::to_inf_or_nan>(y).bits();
        if (got != want || got != want_plain) {
          log.add("y=" + hex(bits) + ": the shortcut gives " + hex(got) + ", the codec " + hex(want) +
                  " (plain cast " + hex(want_plain) + ")");
        }
      }
    }
  });
  EXPECT_EQ(log.count(), 0u) << log.messages();
}

// The step encoder of the GPU's fp4 quantize kernels (ao/numeric/detail/float4_encode_by_steps.hpp).
TEST(Float4EncodeBySteps, EqualsTheCodecForEveryNonNanFloat32) {
  check_shortcut_encoder<ao::float4_e2m1fn>([](float y) { return ao::detail::float4_e2m1fn_code_by_steps(y); });
  // The boundaries themselves, whatever the stride: each tie and the floats beside it.
  for (const float mid : {0.25f, 0.75f, 1.25f, 1.75f, 2.5f, 3.5f, 5.0f}) {
    for (const float y : {std::nextafter(mid, 0.0f), mid, std::nextafter(mid, 10.0f)}) {
      EXPECT_EQ(ao::detail::float4_e2m1fn_code_by_steps(y), ao::float4_e2m1fn(y).bits()) << y;
      EXPECT_EQ(ao::detail::float4_e2m1fn_code_by_steps(-y), ao::float4_e2m1fn(-y).bits()) << -y;
    }
  }
}

// The float8 route of the GPU's fp6 quantize kernels (ao/numeric/detail/float6_via_float8.hpp).
template <class F6>
void check_float6_via_float8() {
  check_shortcut_encoder<F6>([](float y) { return ao::detail::float6_code_via_float8<F6>(y); });
}
TEST(Float6ViaFloat8Encode, E2m3EqualsTheCodecForEveryNonNanFloat32) { check_float6_via_float8<ao::float6_e2m3fn>(); }
TEST(Float6ViaFloat8Encode, E3m2EqualsTheCodecForEveryNonNanFloat32) { check_float6_via_float8<ao::float6_e3m2fn>(); }

}  // namespace

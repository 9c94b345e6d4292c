// The scalar affine oracle (ao/backends/scalar/affine.hpp) at every width: int1..int8 and uint1..uint8, each with
// the three mappings (symmetric, symmetric_no_clipping_err, asymmetric) and the three granularities (per_tensor,
// per_row, group<8>): 144 formats. The torchao file tests (affine_torchao_test.cc) reach only int8, int4, uint4,
// uint8 and int2; this file covers every width against expectations that never come from the code under test:
//   - the bounds of every width, written out (spec §4: intN (-(2^(N-1)), 2^(N-1)-1), uintN (0, 2^N-1));
//   - a worked example per width and mapping (exact dyadic inputs whose scale is 0.25, so that every operation of
//     the spec's §4.1/§4.2 arithmetic is exact and the codes can be checked by hand; a few are worked in comments);
//   - all-zero groups, which the spec's formulas give in closed form (scale = eps, zero point and codes known);
//   - a reference written here from the spec's formulas (std::nearbyint for torch.round, plain float operations,
//     torch.clamp keeping NaN, ao's documented int(NaN) = 0), compared bit for bit on random and adversarial data
//     (ties, all-equal and single-value groups, zeros of both signs, NaN, +-inf, +-FLT_MAX, subnormals);
//   - dequantize(quantize(x)) within scale / 2 of x wherever the code was not clamped, every code in [qmin, qmax].
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ao/backends/scalar/affine.hpp"
#include "ao/formats/affine.hpp"

namespace {

enum class mapping_id { symmetric, no_clipping_err, asymmetric };
enum class granularity_id { tensor, row, group8 };

const char* name_of(mapping_id m) {
  switch (m) {
    case mapping_id::symmetric:
      return "symmetric";
    case mapping_id::no_clipping_err:
      return "symmetric_no_clipping_err";
    default:
      return "asymmetric";
  }
}
const char* name_of(granularity_id g) {
  switch (g) {
    case granularity_id::tensor:
      return "per_tensor";
    case granularity_id::row:
      return "per_row";
    default:
      return "group<8>";
  }
}

// Spec §4's bounds, written out (index: bits).
constexpr int kSignedMin[9] = {0, -1, -2, -4, -8, -16, -32, -64, -128};
constexpr int kSignedMax[9] = {0, 0, 1, 3, 7, 15, 31, 63, 127};
constexpr int kUnsignedMax[9] = {0, 1, 3, 7, 15, 31, 63, 127, 255};

int qmin_of(int bits, bool is_signed) { return is_signed ? kSignedMin[bits] : 0; }
int qmax_of(int bits, bool is_signed) { return is_signed ? kSignedMax[bits] : kUnsignedMax[bits]; }

std::uint32_t bits_of(float f) {
  std::uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
bool same_float(float a, float b) { return (std::isnan(a) && std::isnan(b)) || bits_of(a) == bits_of(b); }

// What the oracle gives for a rows x cols fp32 matrix: per group scale and zero point, per value code and
// dequantized value. Plus the format's constants.
struct oracle_out {
  int quant_min = 0, quant_max = 0;
  bool signed_code = false;
  std::size_t group_length = 0;
  std::vector<float> scale;
  std::vector<std::int32_t> zero_point;
  std::vector<int> codes;
  std::vector<float> dequantized;
};

template <class F>
oracle_out run_oracle(const float* x, std::size_t rows, std::size_t cols) {
  oracle_out o;
  o.quant_min = F::quant_min;
  o.quant_max = F::quant_max;
  o.signed_code = std::is_same_v<typename F::code_type, std::int8_t>;
  o.group_length = ao::scalar::group_length<F>(rows, cols);
  const std::size_t groups = ao::scalar::qparams_count<F>(rows, cols);
  o.scale.assign(groups, 0.0f);
  o.zero_point.assign(groups, 0);
  std::vector<typename F::code_type> q(rows * cols);
  ao::scalar::choose_qparams<F>(x, rows, cols, o.scale.data(), o.zero_point.data());
  ao::scalar::quantize<F>(x, rows, cols, o.scale.data(), o.zero_point.data(), q.data());
  o.dequantized.assign(rows * cols, 0.0f);
  ao::scalar::dequantize<F>(q.data(), o.scale.data(), o.zero_point.data(), rows, cols, o.dequantized.data());
  o.codes.assign(q.begin(), q.end());
  return o;
}

using runner = oracle_out (*)(const float*, std::size_t, std::size_t);

struct format_entry {
  int bits;
  bool is_signed;
  mapping_id mapping;
  granularity_id granularity;
  runner run;
  std::string name() const {
    return std::string(is_signed ? "int" : "uint") + std::to_string(bits) + " " + name_of(mapping) + " " +
           name_of(granularity);
  }
};

// Entry I of the 144: bits = I % 8 + 1, signed for (I / 8) even, mapping (I / 16) % 3, granularity I / 48.
template <std::size_t I>
format_entry entry() {
  constexpr int bits = static_cast<int>(I % 8) + 1;
  constexpr bool is_signed = (I / 8) % 2 == 0;
  constexpr int m = static_cast<int>(I / 16) % 3, g = static_cast<int>(I / 48);
  using M =
      std::conditional_t<m == 0, ao::mapping::symmetric,
                         std::conditional_t<m == 1, ao::mapping::symmetric_no_clipping_err, ao::mapping::asymmetric>>;
  using G = std::conditional_t<g == 0, ao::per_tensor, std::conditional_t<g == 1, ao::per_row, ao::group<8>>>;
  using F = ao::affine<ao::basic_intn<bits, is_signed>, M, G>;
  return {bits, is_signed, static_cast<mapping_id>(m), static_cast<granularity_id>(g), &run_oracle<F>};
}
template <std::size_t... I>
std::array<format_entry, sizeof...(I)> make_table(std::index_sequence<I...>) {
  return {entry<I>()...};
}
const std::array<format_entry, 144>& formats() {
  static const auto table = make_table(std::make_index_sequence<144>{});
  return table;
}
const format_entry& find(int bits, bool is_signed, mapping_id m, granularity_id g) {
  for (const auto& e : formats()) {
    if (e.bits == bits && e.is_signed == is_signed && e.mapping == m && e.granularity == g) return e;
  }
  throw std::logic_error("no such format");
}

// ---------------------------------------------------------------------------------------------------------------
// The reference: spec §4.1 and §4.2 for fp32 inputs and fp32 scales, written from the formulas.
// ---------------------------------------------------------------------------------------------------------------

struct ref_qparams {
  float scale;
  int zero_point;
};

// torch.round: half to even (the default rounding mode of std::nearbyint).
float torch_round(float v) { return std::nearbyint(v); }
// torch.clamp(v, lo, hi): NaN stays NaN.
float torch_clamp(float v, float lo, float hi) { return std::isnan(v) ? v : std::min(std::max(v, lo), hi); }
// .to(int) after the clamp; ao defines a NaN as 0 (torch leaves it unspecified).
int to_int(float v) { return std::isnan(v) ? 0 : static_cast<int>(v); }

ref_qparams reference_qparams(const float* x, std::size_t n, int qmin, int qmax, mapping_id m) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const float eps = 0x1p-126f;  // finfo(float32).smallest_normal
  bool any_nan = false;
  float lo = x[0], hi = x[0];
  for (std::size_t i = 0; i < n; ++i) {
    any_nan = any_nan || std::isnan(x[i]);
    lo = std::min(lo, x[i]);
    hi = std::max(hi, x[i]);
  }
  const float min_neg = any_nan ? nan : std::min(lo, 0.0f);
  const float max_pos = any_nan ? nan : std::max(hi, 0.0f);
  const float fmin = static_cast<float>(qmin), fmax = static_cast<float>(qmax);
  ref_qparams p{};
  float s;
  if (m == mapping_id::asymmetric) {
    s = (max_pos - min_neg) / (fmax - fmin);
    s = any_nan ? nan : std::max(s, eps);
    p.zero_point = to_int(torch_clamp(fmin - torch_round(min_neg / s), fmin, fmax));
  } else {
    if (m == mapping_id::symmetric) {
      s = any_nan ? nan : std::max(-min_neg, max_pos) / ((fmax - fmin) / 2.0f);
    } else {
      const float smin = min_neg / fmin, smax = max_pos / fmax;  // 0 / 0 and x / 0 are IEEE's NaN and inf
      s = smin > smax ? smin : smax;                             // torch.where(smin > smax, smin, smax)
    }
    s = std::isnan(s) ? s : std::max(s, eps);
    p.zero_point = (qmin + qmax + 1) / 2;  // int((qmax + qmin + 1) / 2); the sum is never negative
  }
  p.scale = s;
  return p;
}

// q = clamp(round(x * (1 / s)) + z, qmin, qmax), the unclamped value in *raw.
int reference_code(float x, ref_qparams p, int qmin, int qmax, float* raw = nullptr) {
  const float inv = 1.0f / p.scale;
  const float q = torch_round(x * inv) + static_cast<float>(p.zero_point);
  if (raw) *raw = q;
  return to_int(torch_clamp(q, static_cast<float>(qmin), static_cast<float>(qmax)));
}

float reference_dequant(int q, ref_qparams p) { return static_cast<float>(q - p.zero_point) * p.scale; }

// Everything the oracle gives for x against the reference; counts mismatches (the first few are reported).
struct tally {
  std::size_t groups = 0, codes = 0, bounded = 0;
};
void check_against_reference(const format_entry& e, const float* x, std::size_t rows, std::size_t cols,
                             const std::string& what, tally& n) {
  SCOPED_TRACE(e.name() + ", " + what);
  const int qmin = qmin_of(e.bits, e.is_signed), qmax = qmax_of(e.bits, e.is_signed);
  const oracle_out o = e.run(x, rows, cols);
  const std::size_t length =
      e.granularity == granularity_id::tensor ? rows * cols : (e.granularity == granularity_id::row ? cols : 8);
  ASSERT_EQ(o.group_length, length);
  ASSERT_EQ(o.scale.size(), rows * cols / length);
  int bad = 0;
  for (std::size_t g = 0; g < o.scale.size(); ++g) {
    const float* xg = x + g * length;
    const ref_qparams p = reference_qparams(xg, length, qmin, qmax, e.mapping);
    if (!same_float(o.scale[g], p.scale) || o.zero_point[g] != p.zero_point) {
      if (bad++ < 3) {
        ADD_FAILURE() << "group " << g << ": scale " << o.scale[g] << " zero point " << o.zero_point[g]
                      << ", reference " << p.scale << " " << p.zero_point;
      }
      continue;
    }
    ++n.groups;
    const bool finite_scale = std::isfinite(p.scale);
    for (std::size_t i = 0; i < length; ++i) {
      const std::size_t at = g * length + i;
      float raw = 0.0f;
      const int want = reference_code(xg[i], p, qmin, qmax, &raw);
      const int got = o.codes[at];
      if (got < qmin || got > qmax || got != want) {
        if (bad++ < 3) ADD_FAILURE() << "x[" << at << "] = " << xg[i] << ": code " << got << ", reference " << want;
        continue;
      }
      const float dq = reference_dequant(want, p);
      if (!same_float(o.dequantized[at], dq)) {
        if (bad++ < 3) {
          ADD_FAILURE() << "x[" << at << "] = " << xg[i] << ": dequantized " << o.dequantized[at] << ", reference "
                        << dq;
        }
        continue;
      }
      ++n.codes;
      // Within half a step where nothing was clamped (x * (1/s) is rounded twice: |x| * 2^-22 covers it), unless
      // (q - z) * s overflows fp32: int4 symmetric on -FLT_MAX has s = FLT_MAX / 7.5 and code -8 (round(-7.5)),
      // whose value -8 * s is past FLT_MAX and dequantizes to -inf, as torchao's fp32 arithmetic gives too.
      if (finite_scale && std::isfinite(xg[i]) && std::isfinite(dq) && raw >= static_cast<float>(qmin) &&
          raw <= static_cast<float>(qmax)) {
        const double err = std::fabs(static_cast<double>(o.dequantized[at]) - xg[i]);
        const double bound = 0.5 * p.scale * (1.0 + 0x1p-20) + std::fabs(xg[i]) * 0x1p-22 + 0x1p-149;
        if (err > bound && bad++ < 3) {
          ADD_FAILURE() << "x[" << at << "] = " << xg[i] << ": dequantized " << o.dequantized[at] << " is " << err
                        << " away, more than scale / 2 = " << p.scale / 2;
        }
        ++n.bounded;
      }
    }
  }
  EXPECT_EQ(bad, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------------------------

TEST(AffineWidths, TableCoversEveryWidthMappingAndGranularity) {
  ASSERT_EQ(formats().size(), 144u);
  for (int bits = 1; bits <= 8; ++bits) {
    for (bool s : {true, false}) {
      for (auto m : {mapping_id::symmetric, mapping_id::no_clipping_err, mapping_id::asymmetric}) {
        for (auto g : {granularity_id::tensor, granularity_id::row, granularity_id::group8}) {
          EXPECT_NO_THROW(find(bits, s, m, g)) << bits << s;
        }
      }
    }
  }
}

TEST(AffineWidths, BoundsAndCodeTypes) {
  const float x[8] = {};
  for (const auto& e : formats()) {
    const oracle_out o = e.run(x, 1, 8);
    EXPECT_EQ(o.quant_min, qmin_of(e.bits, e.is_signed)) << e.name();
    EXPECT_EQ(o.quant_max, qmax_of(e.bits, e.is_signed)) << e.name();
    EXPECT_EQ(o.signed_code, e.is_signed) << e.name();  // int8 codes for signed widths, uint8 for unsigned ones
  }
  // The spec's formula, beside the table above.
  for (int bits = 1; bits <= 8; ++bits) {
    EXPECT_EQ(kSignedMin[bits], -(1 << (bits - 1)));
    EXPECT_EQ(kSignedMax[bits], (1 << (bits - 1)) - 1);
    EXPECT_EQ(kUnsignedMax[bits], (1 << bits) - 1);
  }
  static_assert(ao::affine<ao::uint7, ao::mapping::asymmetric, ao::per_row>::quant_max == 127);
  static_assert(ao::affine<ao::int5, ao::mapping::asymmetric, ao::per_row>::quant_min == -16);
  static_assert(ao::affine<ao::uint1, ao::mapping::symmetric, ao::per_row>::twice_mid_point == 2);
}

// A worked example per width and mapping: one row of 8 exact dyadic values (per_row; per_tensor and group<8> give
// the same for one row of 8). Each group's range is chosen so that the scale is exactly 0.25 (1 / scale = 4), so
// code = clamp(round(4x) + z, qmin, qmax) by hand. Worked examples:
//   int3 symmetric: amax 0.875 = 3.5 * 0.25, (qmax - qmin) / 2 = 3.5, s = 0.25, z = 0. 4x = -3.5 -> -4 (ties to
//     even), 3.5 -> 4 -> clamped to 3, -2.5 -> -2, -1.5 -> -2, -0.5 -> -0, 0.5 -> 0, 1.5 -> 2, 2.5 -> 2.
//   int3 asymmetric: min -0.5, max 1.25, s = 1.75 / 7 = 0.25, z = -4 - round(-0.5 / 0.25) = -2; 4x + z:
//     -0.5 -> -4, 1.25 -> 3, -0.375 -> round(-1.5) - 2 = -4, -0.125 -> -2, 0.125 -> -2, 0.375 -> 0, 0.625 -> 0,
//     1.125 -> round(4.5) - 2 = 2.
//   uint4 symmetric_no_clipping_err: smin = min_neg / 0 = -inf, smax = 3.75 / 15 = 0.25, z = (15 + 0 + 1) / 2 = 8;
//     -0.875 -> round(-3.5) + 8 = 4, 3.75 -> 15 + 8 = 23 -> clamped to 15 (torchao's symmetric zero point for
//     unsigned targets halves the range), 0.875 -> round(3.5) + 8 = 12.
//   uint1 symmetric: amax 0.125, (1 - 0) / 2 = 0.5, s = 0.25, z = int((1 + 0 + 1) / 2) = 1; every 4x is in
//     [-0.5, 0.5], rounds to 0: every code is 1 (dequantized to 0).
//   int1 symmetric_no_clipping_err: qmax = 0, so smax = max_pos / 0 = inf and the scale is inf (all codes 0,
//     dequantized (0 - 0) * inf = NaN). With max_pos = 0 the scale is 0 / 0 = NaN (checked below).
struct worked {
  int bits;
  bool is_signed;
  mapping_id mapping;
  float x[8];
  float scale;
  int zero_point;
  int codes[8];
};
constexpr mapping_id SYM = mapping_id::symmetric, NCE = mapping_id::no_clipping_err, ASYM = mapping_id::asymmetric;
constexpr float kInf = std::numeric_limits<float>::infinity();
// clang-format off
const worked kWorked[] = {
  {1, true, SYM, {-0.125f, 0.125f, 0.f, 0.0625f, -0.0625f, 0.f, 0.f, 0.f}, 0.25f, 0, {0, 0, 0, 0, 0, 0, 0, 0}},
  {1, true, ASYM, {0.f, 0.25f, 0.125f, 0.f, 0.0625f, 0.1875f, 0.f, 0.f}, 0.25f, -1, {-1, 0, -1, -1, -1, 0, -1, -1}},
  {1, true, NCE, {-0.25f, 0.125f, 0.f, -0.125f, 0.f, 0.f, 0.f, 0.f}, kInf, 0, {0, 0, 0, 0, 0, 0, 0, 0}},
  {2, true, SYM, {-0.375f, 0.375f, -0.125f, 0.125f, 0.f, 0.0625f, -0.0625f, 0.1875f}, 0.25f, 0, {-2, 1, 0, 0, 0, 0, 0, 1}},
  {2, true, ASYM, {-0.25f, 0.5f, -0.125f, 0.125f, 0.375f, 0.f, 0.0625f, 0.1875f}, 0.25f, -1, {-2, 1, -1, -1, 1, -1, -1, 0}},
  {2, true, NCE, {-0.5f, 0.125f, -0.375f, -0.125f, 0.f, 0.0625f, 0.f, 0.f}, 0.25f, 0, {-2, 0, -2, 0, 0, 0, 0, 0}},
  {3, true, SYM, {-0.875f, 0.875f, -0.625f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f}, 0.25f, 0, {-4, 3, -2, -2, 0, 0, 2, 2}},
  {3, true, ASYM, {-0.5f, 1.25f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f, 1.125f}, 0.25f, -2, {-4, 3, -4, -2, -2, 0, 0, 2}},
  {3, true, NCE, {-1.f, 0.625f, -0.875f, -0.375f, -0.125f, 0.125f, 0.375f, 0.f}, 0.25f, 0, {-4, 2, -4, -2, 0, 0, 2, 0}},
  {4, true, SYM, {-1.875f, 1.875f, -0.625f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f}, 0.25f, 0, {-8, 7, -2, -2, 0, 0, 2, 2}},
  {4, true, ASYM, {-1.f, 2.75f, -0.875f, -0.125f, 0.125f, 0.375f, 0.625f, 2.625f}, 0.25f, -4, {-8, 7, -8, -4, -4, -2, -2, 6}},
  {4, true, NCE, {-2.f, 1.625f, -1.875f, -0.375f, -0.125f, 0.125f, 0.375f, 0.f}, 0.25f, 0, {-8, 6, -8, -2, 0, 0, 2, 0}},
  {5, true, SYM, {-3.875f, 3.875f, -0.625f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f}, 0.25f, 0, {-16, 15, -2, -2, 0, 0, 2, 2}},
  {5, true, ASYM, {-2.f, 5.75f, -1.875f, -0.125f, 0.125f, 0.375f, 0.625f, 5.625f}, 0.25f, -8, {-16, 15, -16, -8, -8, -6, -6, 14}},
  {5, true, NCE, {-4.f, 3.625f, -3.875f, -0.375f, -0.125f, 0.125f, 0.375f, 0.f}, 0.25f, 0, {-16, 14, -16, -2, 0, 0, 2, 0}},
  {6, true, SYM, {-7.875f, 7.875f, -0.625f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f}, 0.25f, 0, {-32, 31, -2, -2, 0, 0, 2, 2}},
  {6, true, ASYM, {-4.f, 11.75f, -3.875f, -0.125f, 0.125f, 0.375f, 0.625f, 11.625f}, 0.25f, -16, {-32, 31, -32, -16, -16, -14, -14, 30}},
  {6, true, NCE, {-8.f, 7.625f, -7.875f, -0.375f, -0.125f, 0.125f, 0.375f, 0.f}, 0.25f, 0, {-32, 30, -32, -2, 0, 0, 2, 0}},
  {7, true, SYM, {-15.875f, 15.875f, -0.625f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f}, 0.25f, 0, {-64, 63, -2, -2, 0, 0, 2, 2}},
  {7, true, ASYM, {-8.f, 23.75f, -7.875f, -0.125f, 0.125f, 0.375f, 0.625f, 23.625f}, 0.25f, -32, {-64, 63, -64, -32, -32, -30, -30, 62}},
  {7, true, NCE, {-16.f, 15.625f, -15.875f, -0.375f, -0.125f, 0.125f, 0.375f, 0.f}, 0.25f, 0, {-64, 62, -64, -2, 0, 0, 2, 0}},
  {8, true, SYM, {-31.875f, 31.875f, -0.625f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f}, 0.25f, 0, {-128, 127, -2, -2, 0, 0, 2, 2}},
  {8, true, ASYM, {-16.f, 47.75f, -15.875f, -0.125f, 0.125f, 0.375f, 0.625f, 47.625f}, 0.25f, -64, {-128, 127, -128, -64, -64, -62, -62, 126}},
  {8, true, NCE, {-32.f, 31.625f, -31.875f, -0.375f, -0.125f, 0.125f, 0.375f, 0.f}, 0.25f, 0, {-128, 126, -128, -2, 0, 0, 2, 0}},
  {1, false, SYM, {-0.125f, 0.125f, 0.f, 0.0625f, -0.0625f, 0.f, 0.f, 0.f}, 0.25f, 1, {1, 1, 1, 1, 1, 1, 1, 1}},
  {1, false, ASYM, {0.f, 0.25f, 0.125f, 0.f, 0.0625f, 0.1875f, 0.f, 0.f}, 0.25f, 0, {0, 1, 0, 0, 0, 1, 0, 0}},
  {1, false, NCE, {-0.875f, 0.25f, -0.125f, 0.125f, 0.f, 0.0625f, 0.f, 0.f}, 0.25f, 1, {0, 1, 1, 1, 1, 1, 1, 1}},
  {2, false, SYM, {-0.375f, 0.375f, -0.125f, 0.125f, 0.f, 0.0625f, -0.0625f, 0.1875f}, 0.25f, 2, {0, 3, 2, 2, 2, 2, 2, 3}},
  {2, false, ASYM, {-0.25f, 0.5f, -0.125f, 0.125f, 0.375f, 0.f, 0.0625f, 0.1875f}, 0.25f, 1, {0, 3, 1, 1, 3, 1, 1, 2}},
  {2, false, NCE, {-0.875f, 0.75f, -0.125f, 0.125f, 0.375f, 0.625f, 0.f, 0.0625f}, 0.25f, 2, {0, 3, 2, 2, 3, 3, 2, 2}},
  {3, false, SYM, {-0.875f, 0.875f, -0.625f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f}, 0.25f, 4, {0, 7, 2, 2, 4, 4, 6, 6}},
  {3, false, ASYM, {-0.5f, 1.25f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f, 1.125f}, 0.25f, 2, {0, 7, 0, 2, 2, 4, 4, 6}},
  {3, false, NCE, {-0.875f, 1.75f, -0.125f, 0.125f, 0.375f, 0.625f, 0.875f, 0.f}, 0.25f, 4, {0, 7, 4, 4, 6, 6, 7, 4}},
  {4, false, SYM, {-1.875f, 1.875f, -0.625f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f}, 0.25f, 8, {0, 15, 6, 6, 8, 8, 10, 10}},
  {4, false, ASYM, {-1.f, 2.75f, -0.875f, -0.125f, 0.125f, 0.375f, 0.625f, 2.625f}, 0.25f, 4, {0, 15, 0, 4, 4, 6, 6, 14}},
  {4, false, NCE, {-0.875f, 3.75f, -0.125f, 0.125f, 0.375f, 0.625f, 0.875f, 0.f}, 0.25f, 8, {4, 15, 8, 8, 10, 10, 12, 8}},
  {5, false, SYM, {-3.875f, 3.875f, -0.625f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f}, 0.25f, 16, {0, 31, 14, 14, 16, 16, 18, 18}},
  {5, false, ASYM, {-2.f, 5.75f, -1.875f, -0.125f, 0.125f, 0.375f, 0.625f, 5.625f}, 0.25f, 8, {0, 31, 0, 8, 8, 10, 10, 30}},
  {5, false, NCE, {-0.875f, 7.75f, -0.125f, 0.125f, 0.375f, 0.625f, 0.875f, 0.f}, 0.25f, 16, {12, 31, 16, 16, 18, 18, 20, 16}},
  {6, false, SYM, {-7.875f, 7.875f, -0.625f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f}, 0.25f, 32, {0, 63, 30, 30, 32, 32, 34, 34}},
  {6, false, ASYM, {-4.f, 11.75f, -3.875f, -0.125f, 0.125f, 0.375f, 0.625f, 11.625f}, 0.25f, 16, {0, 63, 0, 16, 16, 18, 18, 62}},
  {6, false, NCE, {-0.875f, 15.75f, -0.125f, 0.125f, 0.375f, 0.625f, 0.875f, 0.f}, 0.25f, 32, {28, 63, 32, 32, 34, 34, 36, 32}},
  {7, false, SYM, {-15.875f, 15.875f, -0.625f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f}, 0.25f, 64, {0, 127, 62, 62, 64, 64, 66, 66}},
  {7, false, ASYM, {-8.f, 23.75f, -7.875f, -0.125f, 0.125f, 0.375f, 0.625f, 23.625f}, 0.25f, 32, {0, 127, 0, 32, 32, 34, 34, 126}},
  {7, false, NCE, {-0.875f, 31.75f, -0.125f, 0.125f, 0.375f, 0.625f, 0.875f, 0.f}, 0.25f, 64, {60, 127, 64, 64, 66, 66, 68, 64}},
  {8, false, SYM, {-31.875f, 31.875f, -0.625f, -0.375f, -0.125f, 0.125f, 0.375f, 0.625f}, 0.25f, 128, {0, 255, 126, 126, 128, 128, 130, 130}},
  {8, false, ASYM, {-16.f, 47.75f, -15.875f, -0.125f, 0.125f, 0.375f, 0.625f, 47.625f}, 0.25f, 64, {0, 255, 0, 64, 64, 66, 66, 254}},
  {8, false, NCE, {-0.875f, 63.75f, -0.125f, 0.125f, 0.375f, 0.625f, 0.875f, 0.f}, 0.25f, 128, {124, 255, 128, 128, 130, 130, 132, 128}},
};
// clang-format on

TEST(AffineWidths, WorkedExamples) {
  ASSERT_EQ(std::size(kWorked), 48u);  // every width, signed and unsigned, times every mapping
  for (const worked& w : kWorked) {
    for (auto g : {granularity_id::row, granularity_id::tensor, granularity_id::group8}) {
      const format_entry& e = find(w.bits, w.is_signed, w.mapping, g);
      SCOPED_TRACE(e.name());
      const oracle_out o = e.run(w.x, 1, 8);
      ASSERT_EQ(o.scale.size(), 1u);
      EXPECT_EQ(o.scale[0], w.scale);
      EXPECT_EQ(o.zero_point[0], w.zero_point);
      for (int i = 0; i < 8; ++i) {
        EXPECT_EQ(o.codes[static_cast<std::size_t>(i)], w.codes[i]) << "x = " << w.x[i];
        // (q - z) * 0.25 is exact; inf * 0 (int1 no_clipping_err) is NaN.
        const float want = w.scale == kInf ? std::numeric_limits<float>::quiet_NaN()
                                           : static_cast<float>(w.codes[i] - w.zero_point) * 0.25f;
        EXPECT_TRUE(same_float(o.dequantized[static_cast<std::size_t>(i)], want))
            << "x = " << w.x[i] << ": " << o.dequantized[static_cast<std::size_t>(i)] << ", want " << want;
        if (w.scale != kInf && w.codes[i] > qmin_of(w.bits, w.is_signed) && w.codes[i] < qmax_of(w.bits, w.is_signed)) {
          EXPECT_LE(std::fabs(o.dequantized[static_cast<std::size_t>(i)] - w.x[i]), w.scale / 2) << "x = " << w.x[i];
        }
      }
    }
  }
  // int1 with symmetric_no_clipping_err and no positive value: smax = 0 / 0 = NaN, smin > NaN is false, so the
  // scale is NaN (torch.clamp keeps it) and every code is ao's int(NaN) = 0.
  const float non_positive[8] = {-0.5f, -0.25f, 0.f, -1.f, 0.f, 0.f, -0.125f, 0.f};
  const oracle_out o = find(1, true, NCE, granularity_id::row).run(non_positive, 1, 8);
  EXPECT_TRUE(std::isnan(o.scale[0]));
  EXPECT_EQ(o.zero_point[0], 0);
  for (int c : o.codes) EXPECT_EQ(c, 0);
}

// An all-zero group: min_neg = max_pos = 0, so every mapping's raw scale is 0 (or 0 / 0 = NaN for int1
// no_clipping_err's qmax = 0) and clamps to eps = 2^-126. symmetric and no_clipping_err: z = int((qmin + qmax + 1)
// / 2) = 0 (signed) or 2^(N-1) (unsigned), every code z. asymmetric: z = qmin - round(0 / eps) = qmin, every code
// qmin. Every value dequantizes to 0.
TEST(AffineWidths, AllZeroGroups) {
  std::vector<float> x(3 * 16, 0.0f);
  for (std::size_t i = 0; i < x.size(); i += 3) x[i] = -0.0f;
  for (const auto& e : formats()) {
    SCOPED_TRACE(e.name());
    const oracle_out o = e.run(x.data(), 3, 16);
    const int qmin = qmin_of(e.bits, e.is_signed);
    const int mid = e.is_signed ? 0 : 1 << (e.bits - 1);
    const int z = e.mapping == mapping_id::asymmetric ? qmin : mid;
    const bool nan_scale = e.mapping == mapping_id::no_clipping_err && e.is_signed && e.bits == 1;
    for (std::size_t g = 0; g < o.scale.size(); ++g) {
      if (nan_scale) {
        EXPECT_TRUE(std::isnan(o.scale[g]));
      } else {
        EXPECT_EQ(o.scale[g], 0x1p-126f);
        EXPECT_EQ(o.zero_point[g], z);
      }
    }
    for (std::size_t i = 0; i < o.codes.size(); ++i) {
      EXPECT_EQ(o.codes[i], nan_scale ? 0 : z) << i;
      if (!nan_scale) {
        EXPECT_EQ(o.dequantized[i], 0.0f) << i;
      }
    }
  }
}

// Random and adversarial data, every format, against the reference.
class Data {
 public:
  explicit Data(std::uint32_t seed) : rng_(seed) {}
  int Int(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  float Normal() { return std::normal_distribution<float>(0.0f, 1.0f)(rng_); }

  // One group of n values of kind `kind`.
  void Fill(float* x, std::size_t n, int kind) {
    const int e = Int(-20, 20);
    for (std::size_t i = 0; i < n; ++i) {
      float v = 0.0f;
      switch (kind) {
        case 0:  // normals over a random binade
          v = std::ldexp(Normal(), e);
          break;
        case 1:  // positive only (zeros included)
          v = Int(0, 3) == 0 ? 0.0f : std::ldexp(std::fabs(Normal()), e);
          break;
        case 2:  // negative only
          v = -std::ldexp(std::fabs(Normal()), e);
          break;
        case 3:  // halves and quarters of a power of two: ties under power-of-two scales
          v = std::ldexp(static_cast<float>(Int(-64, 64)) * 0.25f, e);
          break;
        case 4:  // all equal (a random sign)
          v = std::ldexp(1.375f, e) * (e % 2 ? -1.0f : 1.0f);
          break;
        case 5:  // zeros of both signs with one value
          v = i == n / 2 ? std::ldexp(Normal(), e) : (Int(0, 1) ? 0.0f : -0.0f);
          break;
        case 6:  // fp32 subnormals (the scale clamps to eps)
          v = std::ldexp(static_cast<float>(Int(-1000, 1000)), -149);
          break;
        case 7:  // huge: max_pos - min_neg overflows to inf
          v = Int(0, 1) ? std::numeric_limits<float>::max() : -std::numeric_limits<float>::max();
          if (Int(0, 2) == 0) v = std::ldexp(Normal(), 120);
          break;
        case 8:  // a wide spread of binades
          v = std::ldexp(Normal(), Int(-140, 100));
          break;
        default:  // small integers
          v = static_cast<float>(Int(-300, 300));
          break;
      }
      x[i] = v;
    }
  }
  float Special() {
    const float specials[] = {std::numeric_limits<float>::quiet_NaN(),
                              std::numeric_limits<float>::infinity(),
                              -std::numeric_limits<float>::infinity(),
                              std::numeric_limits<float>::max(),
                              -std::numeric_limits<float>::max(),
                              0x1p-149f,
                              -0.0f};
    return specials[Int(0, 6)];
  }

 private:
  std::mt19937 rng_;
};

TEST(AffineWidths, EveryFormatMatchesTheSpecFormulas) {
  ASSERT_EQ(std::fegetround(), FE_TONEAREST);
  constexpr std::size_t rows = 3, cols = 24;  // group<8>: 9 groups; per_row: 3; per_tensor: 1
  tally n;
  for (const auto& e : formats()) {
    Data data(static_cast<std::uint32_t>(e.bits * 1000 + e.is_signed * 100 + static_cast<int>(e.mapping) * 10 +
                                         static_cast<int>(e.granularity)));
    std::vector<float> x(rows * cols);
    for (int trial = 0; trial < 40; ++trial) {
      // Groups of 8 filled kind by kind: trial t gives every group kind t % 10, then mixed kinds from t = 10 on.
      for (std::size_t g = 0; g < rows * cols / 8; ++g) {
        data.Fill(x.data() + g * 8, 8, trial < 10 ? trial : data.Int(0, 9));
      }
      // Specials in the later trials (per_tensor's one group then holds them all).
      if (trial >= 20 && trial % 2 == 0) x[static_cast<std::size_t>(data.Int(0, rows * cols - 1))] = data.Special();
      check_against_reference(e, x.data(), rows, cols, "trial " + std::to_string(trial), n);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }
  std::printf("[ widths   ] %zu groups, %zu codes compared with the spec's formulas; %zu within scale / 2\n", n.groups,
              n.codes, n.bounded);
  EXPECT_EQ(n.codes, 144u * 40u * rows * cols);
  EXPECT_GT(n.bounded, n.codes / 4);
}

// Every code of every width, exactly on the grid: x = (k - z) * 2^-3 for each code k of an asymmetric group whose
// range is [qmin - z, qmax - z] * 2^-3, so the scale is 2^-3, the zero point z, and each code comes back as itself
// and dequantizes to x exactly.
TEST(AffineWidths, EveryCodeRoundTripsOnTheGrid) {
  for (int bits = 1; bits <= 8; ++bits) {
    for (bool s : {true, false}) {
      const int qmin = qmin_of(bits, s), qmax = qmax_of(bits, s);
      // z with qmin <= z <= qmax, so that the range includes 0: the middle code.
      const int z = qmin + (qmax - qmin + 1) / 2;
      std::vector<float> x;
      for (int k = qmin; k <= qmax; ++k) x.push_back(static_cast<float>(k - z) * 0.125f);
      const std::size_t n = x.size();
      for (auto g : {granularity_id::row, granularity_id::tensor}) {
        const format_entry& e = find(bits, s, mapping_id::asymmetric, g);
        SCOPED_TRACE(e.name());
        const oracle_out o = e.run(x.data(), 1, n);
        EXPECT_EQ(o.scale[0], 0.125f);
        EXPECT_EQ(o.zero_point[0], z);
        for (std::size_t i = 0; i < n; ++i) {
          EXPECT_EQ(o.codes[i], qmin + static_cast<int>(i));
          EXPECT_EQ(o.dequantized[i], x[i]);
        }
      }
    }
  }
}

}  // namespace

// Block-scaled fp6 formats whose codes are packed four in three bytes (ao::element_packing::fp6_4in3), through the
// public API. The bytes are defined as the unpacked (torchao) format's: a packed quantize must equal the unpacked
// format's quantize with each data row packed by ao::layout::pack_fp6_4in3 (the same scales), and a packed
// dequantize the unpacked dequantize, bit for bit. Checked for both fp6 elements, the four scale rules, blocks of
// 4 to 64, fp32 / bf16 / fp16 sources and outputs, both backends, random and adversarial blocks (NaN and inf
// blocks, zeros, subnormals, huge values, ties), strided views; plus a block at compile time and the errors.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "ao/backends/scalar/block_scaled.hpp"
#include "ao/layout/bit_packing.hpp"
#include "ao/ops/quantize.hpp"
#include "ops_test_util.hpp"

namespace {

using namespace ao_test;  // NOLINT: the shared helpers of tests/ops

using ao::element_packing::fp6_4in3;
using packed_e2m3 = ao::mxfp6_e2m3::with_packing<fp6_4in3>;
using packed_e3m2 = ao::mxfp6_e3m2::with_packing<fp6_4in3>;

// ---- The type: a policy beside the others, the default unchanged ----

static_assert(std::is_same_v<ao::mxfp6_e2m3, ao::block_scaled<ao::float6_e2m3fn, ao::block<32>, ao::float8_e8m0fnu,
                                                              ao::scale_rule::floor, ao::element_packing::torchao>>,
              "the default packing is torchao's: every existing spelling names the format it did");
static_assert(std::is_same_v<packed_e2m3::packing, fp6_4in3> && packed_e2m3::elements_per_byte == 0);
static_assert(std::is_same_v<packed_e2m3::with_packing<ao::element_packing::torchao>, ao::mxfp6_e2m3>);
static_assert(
    std::is_same_v<packed_e3m2::with_scale_rule<ao::scale_rule::rceil>, ao::mxfp6_e3m2_rceil::with_packing<fp6_4in3>>,
    "rebinding the rule keeps the packing");
static_assert(std::is_same_v<packed_e2m3::with_block_size<16>::packing, fp6_4in3>);
static_assert(ao::format_traits<packed_e2m3>::data_row_bytes(64) == 48, "cols * 3 / 4 bytes a row");
static_assert(ao::format_traits<ao::mxfp6_e2m3>::data_row_bytes(64) == 64, "torchao's: one byte a code");
static_assert(ao::format_traits<packed_e2m3>::scale_cols(3, 64) == 2 && ao::format_traits<packed_e2m3>::accepts(3, 64));
static_assert(!ao::format_traits<packed_e2m3>::accepts(1, 48), "blocks of 32");
static_assert(!ao::is_registered_v<packed_e2m3> && !ao::is_registered_v<packed_e3m2>, "not in the registry (yet)");

// ---- One block at compile time ----
//
// e2m3 (bias 1, max 7.5, emax 2) in blocks of 4, floor rule: [1, -0.5, 7.5, 0.125] has amax 7.5 = 1.875 * 2^2,
// so u = 2 - 2 = 0 and the scale byte is 127 (2^0). Codes (sign bit 5 | exponent bits 4-3 | mantissa bits 2-0):
//   1 = 2^0 * 1.0: exponent 1, mantissa 0      0x08
//   -0.5 = subnormal 4/8, negative              0x24
//   7.5 = 2^2 * 1.875: exponent 3, mantissa 7   0x1F
//   0.125 = subnormal 1/8                       0x01
// Packed: byte 0 = 0x08 | 0x24 << 6 = 0x08 (mod 256), byte 1 = 0x24 >> 2 | 0x1F << 4 = 0x09 | 0xF0 = 0xF9,
// byte 2 = 0x1F >> 4 | 0x01 << 2 = 0x05.
using block4 = packed_e2m3::with_block_size<4>;
constexpr float block4_values[4] = {1.0f, -0.5f, 7.5f, 0.125f};

struct stored_block4 {
  std::uint8_t scale;
  std::uint8_t bytes[3];
};
constexpr stored_block4 quantize_block4(const float (&x)[4]) {
  stored_block4 s{};
  s.scale = ao::scalar::quantize_stored_block<block4>(x, s.bytes);
  return s;
}
// The unpacked format's codes, packed by the layout function.
constexpr stored_block4 quantize_block4_unpacked_then_packed(const float (&x)[4]) {
  stored_block4 s{};
  std::uint8_t codes[4] = {};
  s.scale = ao::scalar::quantize_block<block4::with_packing<ao::element_packing::torchao>>(x, codes);
  ao::layout::pack_fp6_4in3(codes, 4, s.bytes);
  return s;
}
constexpr bool same_bytes(const stored_block4& a, std::uint8_t scale, std::uint8_t b0, std::uint8_t b1,
                          std::uint8_t b2) {
  return a.scale == scale && a.bytes[0] == b0 && a.bytes[1] == b1 && a.bytes[2] == b2;
}
constexpr bool dequantizes_to_itself() {
  const stored_block4 s = quantize_block4(block4_values);
  float out[4] = {};
  ao::scalar::dequantize_stored_block<block4>(s.bytes, s.scale, out);
  for (int i = 0; i < 4; ++i) {
    if (ao::detail::bit_cast<std::uint32_t>(out[i]) != ao::detail::bit_cast<std::uint32_t>(block4_values[i])) {
      return false;
    }
  }
  return true;
}
static_assert(same_bytes(quantize_block4(block4_values), 127, 0x08, 0xF9, 0x05), "the hand-derived bytes");
static_assert(same_bytes(quantize_block4_unpacked_then_packed(block4_values), 127, 0x08, 0xF9, 0x05),
              "= the unpacked codes packed by ao::layout::pack_fp6_4in3");
static_assert(dequantizes_to_itself(), "every value of the block is exact in e2m3");

TEST(PackedFp6Format, CompileTimeBlock) {
  // The static_asserts above are the test; this repeats them at run time so that a failure also reads well.
  const stored_block4 s = quantize_block4(block4_values);
  EXPECT_EQ(s.scale, 127);
  EXPECT_EQ(s.bytes[0], 0x08);
  EXPECT_EQ(s.bytes[1], 0xF9);
  EXPECT_EQ(s.bytes[2], 0x05);
}

// ---- Inputs ----

// rows x cols values of Src: LLM-like rows with specials, then every `block`-sized block of each third row replaced
// by an adversarial block, cycling through: all NaN, one NaN (either sign), +inf, -inf, all +-0, fp32 subnormals,
// fp32 max with ones, the element's max and the ties around it, powers of two far apart.
template <class Src>
std::vector<Src> fp6_inputs(std::size_t rows, std::size_t cols, std::size_t block, std::uint32_t seed) {
  std::vector<Src> x = llm_like<Src>(rows, cols, seed, true);
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  std::size_t kind = seed;
  for (std::size_t r = 0; r < rows; r += 3) {
    for (std::size_t b = 0; b < cols / block; ++b, ++kind) {
      for (std::size_t i = 0; i < block; ++i) {
        const float k = static_cast<float>(i);
        float v = 0.0f;
        switch (kind % 9) {
          case 0:
            v = nan;
            break;
          case 1:
            v = i == block / 2 ? (kind % 2 ? -nan : nan) : 0.25f * k;
            break;
          case 2:
            v = i == 1 ? inf : -k;
            break;
          case 3:
            v = i == 0 ? -inf : k;
            break;
          case 4:
            v = i % 2 ? -0.0f : 0.0f;
            break;
          case 5:
            v = ao::detail::bit_cast<float>(static_cast<std::uint32_t>(i * 0x1357u) | (i % 2 ? 0x80000000u : 0u));
            break;
          case 6:
            v = i == 2 ? std::numeric_limits<float>::max() : 1.0f;
            break;
          case 7:  // the e2m3 max and the ties around it
            v = (i % 2 ? -1.0f : 1.0f) * (7.0f + 0.25f * static_cast<float>(i % 4));
            break;
          default:
            v = std::ldexp(i % 2 ? -1.0f : 1.0f, static_cast<int>(i % 24) - 12);
            break;
        }
        x[r * cols + b * block + i] = from_float<Src>(v);
      }
    }
  }
  return x;
}

// Each data row of an unpacked quantized tensor (one code a byte) packed by ao::layout::pack_fp6_4in3.
template <class U>
std::vector<std::uint8_t> packed_rows(const ao::quantized_tensor<U>& q) {
  const std::size_t rows = q.rows(), cols = q.stored_cols();
  std::vector<std::uint8_t> out(rows * cols / 4 * 3);
  for (std::size_t r = 0; r < rows; ++r) ao::layout::pack_fp6_4in3(&q.data()[r * cols], cols, &out[r * cols / 4 * 3]);
  return out;
}

// ---- Packed = unpacked, then packed ----

template <class P, class Src, class Backend>
void check_packed_is_unpacked_packed(std::size_t rows, std::size_t cols, std::uint32_t seed) {
  using U = typename P::template with_packing<ao::element_packing::torchao>;
  SCOPED_TRACE(std::string(ao::name<U>() ? ao::name<U>() : "user MX") + " (fp6_4in3), block " +
               std::to_string(P::block_size) + ", " + dtype_name<Src>() + ", " + Backend::name + ", " +
               std::to_string(rows) + " x " + std::to_string(cols));
  const std::vector<Src> x = fp6_inputs<Src>(rows, cols, P::block_size, seed);
  const auto src = cview_of<Src, 2>(x, {rows, cols});
  const ao::quantized_tensor<U> qu = ao::quantize<U>(src, ao::backend::scalar{});
  const ao::quantized_tensor<P> qp = ao::quantize<P>(src, Backend{});
  ASSERT_EQ(qp.data().size(), rows * cols / 4 * 3);
  ASSERT_EQ(qp.cview().data_stride, static_cast<std::ptrdiff_t>(cols / 4 * 3));
  EXPECT_TRUE(qp.data() == packed_rows(qu)) << "data";
  EXPECT_TRUE(bytes_of(qp.scales().data(), qp.scales().size()) == bytes_of(qu.scales().data(), qu.scales().size()))
      << "scales";
  // Dequantize the packed bytes: the unpacked format's values, to every output dtype.
  EXPECT_EQ(first_bit_difference(dequantize_all<P, float>(qp, Backend{}),
                                 dequantize_all<U, float>(qu, ao::backend::scalar{})),
            -1);
  EXPECT_EQ(first_bit_difference(dequantize_all<P, ao::bfloat16>(qp, Backend{}),
                                 dequantize_all<U, ao::bfloat16>(qu, ao::backend::scalar{})),
            -1);
  EXPECT_EQ(first_bit_difference(dequantize_all<P, ao::float16>(qp, Backend{}),
                                 dequantize_all<U, ao::float16>(qu, ao::backend::scalar{})),
            -1);
}

template <class P, class Backend>
void check_every_source(std::size_t rows, std::size_t cols, std::uint32_t seed) {
  check_packed_is_unpacked_packed<P, float, Backend>(rows, cols, seed);
  check_packed_is_unpacked_packed<P, ao::bfloat16, Backend>(rows, cols, seed + 1);
  check_packed_is_unpacked_packed<P, ao::float16, Backend>(rows, cols, seed + 2);
}

// Both elements, every rule, blocks of 32; and blocks of 4, 16 and 64.
template <class Backend>
void check_all_formats() {
  using ao::scale_rule::ceil, ao::scale_rule::even, ao::scale_rule::floor, ao::scale_rule::rceil;
  check_every_source<packed_e2m3, Backend>(37, 256, 1);
  check_every_source<packed_e2m3::with_scale_rule<ceil>, Backend>(37, 256, 2);
  check_every_source<packed_e2m3::with_scale_rule<even>, Backend>(37, 256, 3);
  check_every_source<packed_e2m3::with_scale_rule<rceil>, Backend>(37, 256, 4);
  check_every_source<packed_e3m2, Backend>(37, 256, 5);
  check_every_source<packed_e3m2::with_scale_rule<ceil>, Backend>(37, 256, 6);
  check_every_source<packed_e3m2::with_scale_rule<even>, Backend>(37, 256, 7);
  check_every_source<packed_e3m2::with_scale_rule<rceil>, Backend>(37, 256, 8);
  check_every_source<packed_e2m3::with_block_size<4>, Backend>(19, 44, 9);
  check_every_source<packed_e3m2::with_scale_rule<rceil>::with_block_size<16>, Backend>(19, 208, 10);
  check_every_source<packed_e2m3::with_scale_rule<even>::with_block_size<64>, Backend>(19, 320, 11);
}

TEST(PackedFp6Format, ScalarIsTheUnpackedFormatPacked) { check_all_formats<ao::backend::scalar>(); }
TEST(PackedFp6Format, HighwayIsTheUnpackedFormatPacked) { check_all_formats<ao::backend::highway>(); }

// Strided views (odd row strides everywhere): the same bytes and values as the contiguous tensor, and not a byte
// written between rows.
template <class P, class Backend>
void check_strided() {
  SCOPED_TRACE(Backend::name);
  const std::size_t rows = 7, cols = 96, blocks = cols / P::block_size, row_bytes = cols / 4 * 3;
  const std::size_t src_stride = cols + 3, data_stride = row_bytes + 5, scales_stride = blocks + 3;
  const std::vector<float> dense = fp6_inputs<float>(rows, cols, P::block_size, 40);
  std::vector<float> x(rows * src_stride, std::numeric_limits<float>::quiet_NaN());
  for (std::size_t r = 0; r < rows; ++r) std::copy_n(&dense[r * cols], cols, &x[r * src_stride]);
  const ao::strided_view<const float, 2> src(x.data(), {rows, cols}, {static_cast<std::ptrdiff_t>(src_stride), 1});
  std::vector<std::uint8_t> data(rows * data_stride, 0xA5);
  std::vector<ao::float8_e8m0fnu> scales(rows * scales_stride, ao::float8_e8m0fnu::from_bits(0x5A));
  ao::quantized_view<P> q{};
  q.data = data.data();
  q.data_stride = static_cast<std::ptrdiff_t>(data_stride);
  q.scales = scales.data();
  q.scales_stride = static_cast<std::ptrdiff_t>(scales_stride);
  q.rows = rows;
  q.cols = cols;
  ao::quantize<P>(src, q, Backend{});
  const ao::quantized_tensor<P> want = ao::quantize<P>(cview_of<float, 2>(dense, {rows, cols}), ao::backend::scalar{});
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t j = 0; j < data_stride; ++j) {
      ASSERT_EQ(data[r * data_stride + j], j < row_bytes ? want.data()[r * row_bytes + j] : 0xA5) << r << ", " << j;
    }
    for (std::size_t b = 0; b < scales_stride; ++b) {
      ASSERT_EQ(scales[r * scales_stride + b].bits(), b < blocks ? want.scales()[r * blocks + b].bits() : 0x5A);
    }
  }
  const std::size_t dst_stride = cols + 1;
  std::vector<float> out(rows * dst_stride, 1234.0f);
  ao::dequantize(ao::const_quantized_view<P>(q),
                 ao::strided_view<float, 2>(out.data(), {rows, cols}, {static_cast<std::ptrdiff_t>(dst_stride), 1}),
                 Backend{});
  const std::vector<float> dense_out = dequantize_all<P, float>(want, ao::backend::scalar{});
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < dst_stride; ++c) {
      ASSERT_EQ(bits_of(out[r * dst_stride + c]), bits_of(c < cols ? dense_out[r * cols + c] : 1234.0f))
          << r << ", " << c;
    }
  }
}

TEST(PackedFp6Format, StridedViews) {
  check_strided<packed_e3m2, ao::backend::scalar>();
  check_strided<packed_e3m2, ao::backend::highway>();
}

// ao::pad_last_dim: rows padded with zeros to whole blocks, as the unpacked format pads them.
TEST(PackedFp6Format, PaddedLastDim) {
  using U = ao::mxfp6_e2m3;
  const std::size_t rows = 5, cols = 30;
  const std::vector<float> x = fp6_inputs<float>(rows, cols, 1, 50);
  const auto src = cview_of<float, 2>(x, {rows, cols});
  const ao::quantized_tensor<packed_e2m3> qp = ao::quantize<packed_e2m3>(src, ao::pad_last_dim);
  const ao::quantized_tensor<U> qu = ao::quantize<U>(src, ao::pad_last_dim);
  ASSERT_EQ(qp.stored_cols(), 32u);
  ASSERT_EQ(qp.data().size(), rows * 24);
  EXPECT_TRUE(qp.data() == packed_rows(qu));
  std::vector<float> got(rows * cols), want(rows * cols);
  ao::dequantize(qp.cview(), ao::strided_view<float, 2>(got.data(), {rows, cols}), ao::pad_last_dim);
  ao::dequantize(qu.cview(), ao::strided_view<float, 2>(want.data(), {rows, cols}), ao::pad_last_dim);
  EXPECT_EQ(first_bit_difference(got, want), -1);
}

// ---- Errors ----

template <class Fn>
std::string error_of(Fn&& fn) {
  try {
    fn();
  } catch (const ao::error& e) {
    return e.what();
  }
  return "(no ao::error)";
}

TEST(PackedFp6Format, ColsNotAMultipleOfTheBlockIsAnError) {
  const std::vector<float> x(2 * 48, 1.0f);
  for (const std::string& m : {error_of([&] {
                                 (void)ao::quantize<packed_e2m3>(cview_of<float, 2>(x, {2, 48}));
                               }),
                               error_of([&] {
                                 (void)ao::quantize<packed_e2m3>(cview_of<float, 2>(x, {2, 48}), ao::backend::scalar{});
                               }),
                               error_of([&] { (void)ao::quantized_tensor<packed_e2m3>::allocate(2, 48); })}) {
    EXPECT_NE(m.find("2 x 48"), std::string::npos) << m;
    EXPECT_NE(m.find("blocks of 32"), std::string::npos) << m;
  }
  // Blocks of 4: 6 values are not whole blocks (nor whole groups of four codes).
  EXPECT_NE(error_of([&] {
              (void)ao::quantize<packed_e2m3::with_block_size<4>>(cview_of<float, 2>(x, {1, 6}));
            }).find("blocks of 4"),
            std::string::npos);
  // A view of 48 columns given to dequantize.
  std::vector<std::uint8_t> data(2 * 36);
  std::vector<ao::float8_e8m0fnu> scales(4);
  ao::const_quantized_view<packed_e2m3> q{};
  q.data = data.data();
  q.data_stride = 36;
  q.scales = scales.data();
  q.scales_stride = 2;
  q.rows = 2;
  q.cols = 48;
  std::vector<float> out(2 * 48);
  EXPECT_NE(error_of([&] {
              ao::dequantize(q, ao::strided_view<float, 2>(out.data(), {2, 48}));
            }).find("blocks of 32"),
            std::string::npos);
}

TEST(PackedFp6Format, DataStrideBelowThePackedRowIsAnError) {
  const std::vector<float> x(2 * 64, 1.0f);
  std::vector<std::uint8_t> data(2 * 64);
  std::vector<ao::float8_e8m0fnu> scales(4);
  ao::quantized_view<packed_e2m3> q{};
  q.data = data.data();
  q.data_stride = 47;  // a packed row is 48 bytes
  q.scales = scales.data();
  q.scales_stride = 2;
  q.rows = 2;
  q.cols = 64;
  const std::string m = error_of([&] { ao::quantize<packed_e2m3>(cview_of<float, 2>(x, {2, 64}), q); });
  EXPECT_NE(m.find("below the 48 bytes of a row"), std::string::npos) << m;
  q.data_stride = 48;
  EXPECT_EQ(error_of([&] { ao::quantize<packed_e2m3>(cview_of<float, 2>(x, {2, 64}), q); }), "(no ao::error)");
}

}  // namespace

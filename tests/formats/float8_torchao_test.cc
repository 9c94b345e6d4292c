// The scalar float8 oracle (torchao's Float8Tensor numerics, numerics spec §3.1) against torchao's own bytes:
// every float8.<e4m3|e5m2>.<tensor|row>.<input>.{scale,qdata} of ../shared/data/torchao/other.safetensors (fp32 and
// bf16 inputs), the float8_* checkpoints with their dequantize() results, and the Float8Tensor weights of the
// interop checkpoint. Per-block granularity and the fnuz elements have no torchao file: they are checked against a
// float64 reference written here from the formats' definitions (it shares no code with ao's codec). Plus the
// spec's worked example, the all-zero granule with and without an amax clamp, NaN/Inf, shapes and constexpr use.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "ao/backends/scalar/float8.hpp"
#include "ao/formats/float8.hpp"
#include "safetensors_test_reader.hpp"

namespace {

using ao::testing::bits_of;
using ao::testing::test_safetensors;


const char* const kInputs[] = {"gauss_f32", "gauss_bf16", "outlier_f32", "outlier_bf16", "special_f32"};

float float_of(std::uint32_t b) {
  float x;
  std::memcpy(&x, &b, 4);
  return x;
}
bool same_float(float a, float b) { return bits_of(a) == bits_of(b) || (std::isnan(a) && std::isnan(b)); }

// ---- A float64 reference, from the formats' definitions ----

struct fp8_def {
  int ebits, mbits, bias;
  bool fnuz;  // NaN is 0x80 only, no -0; otherwise e4m3 has NaN S.1111.111 and e5m2 is IEEE-like
  double max;
};
const fp8_def kE4m3fn{4, 3, 7, false, 448}, kE5m2{5, 2, 15, false, 57344}, kE4m3fnuz{4, 3, 8, true, 240},
    kE5m2fnuz{5, 2, 16, true, 57344};

// The value of a magnitude code (sign bit clear), NaN/Inf codes excluded by the callers.
double ref_magnitude(const fp8_def& d, int code) {
  const int e = code >> d.mbits, m = code & ((1 << d.mbits) - 1);
  if (e == 0) return std::ldexp(m, 1 - d.bias - d.mbits);
  return std::ldexp(double((1 << d.mbits) + m), e - d.bias - d.mbits);
}

// RNE of y (already clamped to +-max, or NaN) to the format: the nearest finite magnitude, ties to the even code.
std::uint8_t ref_encode(const fp8_def& d, double y) {
  if (std::isnan(y)) return d.fnuz ? 0x80 : static_cast<std::uint8_t>(std::signbit(y) ? 0xFF : 0x7F);
  const double a = std::fabs(y);
  int best = 0;
  for (int c = 1; c < 128; ++c) {
    const double v = ref_magnitude(d, c);
    if (v > d.max) break;
    const double db = std::fabs(ref_magnitude(d, best) - a), dc = std::fabs(v - a);
    if (dc < db || (dc == db && (c & 1) == 0)) best = c;
  }
  if (best == 0 && d.fnuz) return 0;  // no -0
  return static_cast<std::uint8_t>(best | (std::signbit(y) ? 0x80 : 0));
}

double ref_decode(const fp8_def& d, std::uint8_t code) {
  if (d.fnuz && code == 0x80) return std::numeric_limits<double>::quiet_NaN();
  const double v = ref_magnitude(d, code & 0x7F);
  return (code & 0x80) ? -v : v;
}

// RNE of a finite float to bfloat16, from its bits.
float ref_bf16(float x) {
  const std::uint32_t u = bits_of(x);
  return float_of((u + 0x7FFFu + ((u >> 16) & 1u)) & 0xFFFF0000u);
}

// The reference of one granule of values (all finite, amax > 0): scale and codes.
void ref_granule(const fp8_def& d, bool bf16_input, const std::vector<float>& values, float& scale,
                 std::vector<std::uint8_t>& codes) {
  double amax = 0;
  for (float v : values) amax = std::max(amax, std::fabs(double(v)));
  // fp32 division is the exact quotient rounded once: the double quotient rounded to float (53 >= 2 * 24 + 2).
  scale = static_cast<float>(amax / d.max);
  if (bf16_input) scale = ref_bf16(scale);
  codes.clear();
  for (float v : values) {
    double y = static_cast<float>(double(v) / double(scale));  // fp32 x / scale, exactly rounded
    y = std::min(std::max(y, -d.max), d.max);
    codes.push_back(ref_encode(d, y));
  }
}

std::uint8_t float8_code_of(float y) { return ref_encode(kE4m3fn, y); }

struct result {
  std::vector<float> scale;
  std::vector<std::uint8_t> q;
};

template <class F>
result quantize(const ao::testing::test_tensor& src) {
  const std::vector<float> x = src.as_float();
  const auto rows = static_cast<std::size_t>(src.shape[0]), cols = static_cast<std::size_t>(src.shape[1]);
  result r;
  r.scale.resize(ao::scalar::scale_rows<F>(rows) * ao::scalar::scale_cols<F>(cols));
  r.q.resize(rows * cols);
  if (src.dtype == "BF16") {
    ao::scalar::quantize_rows<F, ao::bfloat16>(x.data(), rows, cols, r.q.data(), r.scale.data());
  } else {
    ao::scalar::quantize_rows<F>(x.data(), rows, cols, r.q.data(), r.scale.data());
  }
  return r;
}

template <class F>
std::vector<float> dequantize(const result& r, const ao::testing::test_tensor& src) {
  const auto rows = static_cast<std::size_t>(src.shape[0]), cols = static_cast<std::size_t>(src.shape[1]);
  std::vector<float> out(rows * cols);
  if (src.dtype == "BF16") {  // torchao's dequantize() returns the input's dtype
    ao::scalar::dequantize_rows<F, ao::bfloat16>(r.q.data(), r.scale.data(), rows, cols, out.data());
  } else {
    ao::scalar::dequantize_rows<F>(r.q.data(), r.scale.data(), rows, cols, out.data());
  }
  return out;
}

// Counts of compared values, over all calls (checked in the tests that use them).
struct counts {
  std::size_t scales = 0, bytes = 0, dequant = 0;
};

void compare(const result& got, const std::vector<float>& want_scale, const std::vector<std::uint8_t>& want_q,
             counts& n) {
  ASSERT_EQ(got.scale.size(), want_scale.size());
  ASSERT_EQ(got.q.size(), want_q.size());
  int bad_scales = 0, bad_q = 0;
  for (std::size_t i = 0; i < got.scale.size(); ++i) {
    if (bits_of(got.scale[i]) != bits_of(want_scale[i]) && bad_scales++ < 3) {
      ADD_FAILURE() << "scale " << i << ": ao " << got.scale[i] << " (0x" << std::hex << bits_of(got.scale[i])
                    << "), torchao " << want_scale[i] << " (0x" << bits_of(want_scale[i]) << ")";
    }
  }
  for (std::size_t i = 0; i < got.q.size(); ++i) {
    if (got.q[i] != want_q[i] && bad_q++ < 3) {
      ADD_FAILURE() << "qdata byte " << i << ": ao " << int(got.q[i]) << ", torchao " << int(want_q[i]);
    }
  }
  EXPECT_EQ(bad_scales, 0);
  EXPECT_EQ(bad_q, 0);
  n.scales += got.scale.size();
  n.bytes += got.q.size();
}

template <class F>
void check_other_file(const std::string& elem, const std::string& gran, counts& n) {
  for (const char* input : kInputs) {
    const std::string key = "float8." + elem + "." + gran + "." + input;
    SCOPED_TRACE(key);
    const auto src = ao::testing::torchao_inputs().get(input);
    compare(quantize<F>(src), ao::testing::torchao_other().get(key + ".scale").as_float(), ao::testing::torchao_other().get(key + ".qdata").bytes, n);
  }
}

TEST(Float8Torchao, OtherFile) {
  counts n;
  check_other_file<ao::float8_e4m3_per_tensor>("e4m3", "tensor", n);
  check_other_file<ao::float8_e4m3_per_row>("e4m3", "row", n);
  check_other_file<ao::float8_e5m2_per_tensor>("e5m2", "tensor", n);
  check_other_file<ao::float8_e5m2_per_row>("e5m2", "row", n);
  // 2 elements x 5 inputs x (1 + 64) scales, and 20 x 64 x 256 element bytes: all of them.
  EXPECT_EQ(n.scales, 2u * 5u * 65u);
  EXPECT_EQ(n.bytes, 20u * 64u * 256u);
}

// What torchao saves for Float8Tensor.from_hp over every weight (the float8_* checkpoints), and its dequantize().
template <class F>
void check_checkpoint(const std::string& config, counts& n) {
  const test_safetensors ckpt(ao::testing::torchao_data_dir() + "/checkpoints/" + config + ".safetensors");
  const test_safetensors deq(ao::testing::torchao_data_dir() + "/checkpoints/" + config + ".dequant.safetensors");
  for (const char* input : kInputs) {
    SCOPED_TRACE(config + " " + input);
    const auto src = ao::testing::torchao_inputs().get(input);
    const std::string name = std::string(input) + "._weight_";
    const result got = quantize<F>(src);
    compare(got, ckpt.get(name + "scale").as_float(), ckpt.get(name + "qdata").bytes, n);
    const std::vector<float> dq = dequantize<F>(got, src);
    const std::vector<float> want = deq.get(std::string(input) + ".weight.dequant_f32").as_float();
    ASSERT_EQ(dq.size(), want.size());
    int bad = 0;
    for (std::size_t i = 0; i < dq.size(); ++i) {
      if (!same_float(dq[i], want[i]) && bad++ < 3)
        ADD_FAILURE() << "dequant " << i << ": ao " << dq[i] << ", torchao " << want[i];
    }
    EXPECT_EQ(bad, 0);
    n.dequant += dq.size();
  }
}

TEST(Float8Torchao, Checkpoints) {
  counts n;
  check_checkpoint<ao::float8_e4m3_per_row>("float8_e4m3__granularity_row", n);
  check_checkpoint<ao::float8_e4m3_per_tensor>("float8_e4m3__granularity_tensor", n);
  check_checkpoint<ao::float8_e5m2_per_row>("float8_e5m2__granularity_row", n);
  check_checkpoint<ao::float8_e5m2_per_tensor>("float8_e5m2__granularity_tensor", n);
  EXPECT_EQ(n.scales, 2u * 5u * 65u);
  EXPECT_EQ(n.bytes, 20u * 64u * 256u);
  EXPECT_EQ(n.dequant, 20u * 64u * 256u);
}

// The Float8Tensor weights (per row, per tensor) of the interop checkpoint, from the 96x256 bf16 weight.
TEST(Float8Torchao, InteropCheckpoint) {
  const std::string dir = ao::testing::torchao_data_dir();
  const test_safetensors ckpt(dir + "/interop_torchao.safetensors"), ref(dir + "/interop_ref.safetensors");
  const auto w = ref.get("w_bf16");
  counts n;
  auto check = [&](const std::string& name, auto format) {
    using F = decltype(format);
    SCOPED_TRACE(name);
    const result got = quantize<F>(w);
    compare(got, ckpt.get(name + "._weight_scale").as_float(), ckpt.get(name + "._weight_qdata").bytes, n);
    const std::vector<float> dq = dequantize<F>(got, w), want = ref.get(name + ".dequant_f32").as_float();
    ASSERT_EQ(dq.size(), want.size());
    int bad = 0;
    for (std::size_t i = 0; i < dq.size(); ++i) bad += !same_float(dq[i], want[i]);
    EXPECT_EQ(bad, 0);
  };
  check("fp8row", ao::float8_e4m3_per_row{});
  check("fp8tensor", ao::float8_e4m3_per_tensor{});
  EXPECT_EQ(n.scales, 97u);
  EXPECT_EQ(n.bytes, 2u * 96u * 256u);
}

// §3.1: a row whose amax is 600 has scale bf16(600/448) = 1.3359375 from a bf16 input, fp32(600/448) = 1.3392857
// from an fp32 input.
TEST(Float8Spec, ScaleInTheInputDtype) {
  using F = ao::float8_e4m3_per_row;
  EXPECT_EQ((ao::scalar::float8_scale<F, ao::bfloat16>(600.0f)), 1.3359375f);
  EXPECT_EQ(ao::scalar::float8_scale<F>(600.0f), 600.0f / 448.0f);
  EXPECT_NEAR(ao::scalar::float8_scale<F>(600.0f), 1.3392857f, 1e-7f);
  const float row[4] = {600.0f, -300.0f, 1.0f, 0.0f};
  std::uint8_t q[4];
  float s_bf16 = 0, s_f32 = 0;
  ao::scalar::quantize_rows<F, ao::bfloat16>(row, 1, 4, q, &s_bf16);
  EXPECT_EQ(s_bf16, 1.3359375f);
  EXPECT_EQ(q[0], 0x7E);  // 600 / 1.3359375 = 449.1 is clamped to 448
  EXPECT_EQ(q[1], float8_code_of(-300.0f / 1.3359375f));
  ao::scalar::quantize_rows<F>(row, 1, 4, q, &s_f32);
  EXPECT_EQ(s_f32, 600.0f / 448.0f);
  EXPECT_EQ(q[0], 0x7E);
  EXPECT_EQ(q[3], 0x00);
  // float16 inputs round the quotient to half precision.
  EXPECT_EQ((ao::scalar::float8_scale<F, ao::float16>(600.0f)), float(ao::float16(600.0f / 448.0f)));
}

// A rows x cols matrix of finite values whose magnitudes vary by 10^(-4..4) per 32 x 32 tile, exactly
// representable in bf16 when `bf16`; a few exact ties and values at the element's max are mixed in.
std::vector<float> test_matrix(std::size_t rows, std::size_t cols, bool bf16, unsigned seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> expo(-4, 4);
  std::vector<float> tile_mag((rows / 32 + 1) * (cols / 32 + 1));
  for (float& m : tile_mag) m = std::pow(10.0f, expo(gen));
  std::vector<float> x(rows * cols);
  for (std::size_t r = 0; r < rows; ++r) {
    for (std::size_t c = 0; c < cols; ++c) {
      float v = normal(gen) * tile_mag[(r / 32) * (cols / 32 + 1) + c / 32];
      if ((r * cols + c) % 97 == 0) v = 0.0f;
      x[r * cols + c] = bf16 ? ref_bf16(v) : v;
    }
  }
  return x;
}

// ao's quantize_rows against the reference, granule by granule, for a per_block<R, C> or per_row format.
template <class F, class Input>
void check_against_reference(const fp8_def& d, std::size_t rows, std::size_t cols, unsigned seed) {
  constexpr bool bf16 = std::is_same_v<Input, ao::bfloat16>;
  SCOPED_TRACE(std::string(ao::name(typename F::element_type{})) + " " + F::granularity::name + " " +
               std::to_string(rows) + "x" + std::to_string(cols) + (bf16 ? " bf16" : " f32"));
  const std::vector<float> x = test_matrix(rows, cols, bf16, seed);
  const std::size_t srows = ao::scalar::scale_rows<F>(rows), scols = ao::scalar::scale_cols<F>(cols);
  std::vector<float> scale(srows * scols);
  std::vector<std::uint8_t> q(rows * cols);
  ao::scalar::quantize_rows<F, Input>(x.data(), rows, cols, q.data(), scale.data());
  const std::size_t br = rows / srows, bc = cols / scols;
  int bad_scales = 0, bad_q = 0, bad_dq = 0;
  std::vector<float> values;
  std::vector<std::uint8_t> codes;
  std::vector<float> dq(rows * cols);
  ao::scalar::dequantize_rows<F>(q.data(), scale.data(), rows, cols, dq.data());
  for (std::size_t i = 0; i < srows; ++i) {
    for (std::size_t j = 0; j < scols; ++j) {
      values.clear();
      for (std::size_t r = i * br; r < (i + 1) * br; ++r)
        for (std::size_t c = j * bc; c < (j + 1) * bc; ++c) values.push_back(x[r * cols + c]);
      float want_scale;
      ref_granule(d, bf16, values, want_scale, codes);
      if (bits_of(scale[i * scols + j]) != bits_of(want_scale) && bad_scales++ < 3) {
        ADD_FAILURE() << "scale (" << i << ", " << j << "): ao " << scale[i * scols + j] << ", reference "
                      << want_scale;
      }
      std::size_t k = 0;
      for (std::size_t r = i * br; r < (i + 1) * br; ++r) {
        for (std::size_t c = j * bc; c < (j + 1) * bc; ++c, ++k) {
          if (q[r * cols + c] != codes[k] && bad_q++ < 3) {
            ADD_FAILURE() << "code (" << r << ", " << c << ") of " << x[r * cols + c] << ": ao " << int(q[r * cols + c])
                          << ", reference " << int(codes[k]);
          }
          const float want_dq = static_cast<float>(ref_decode(d, codes[k]) * double(want_scale));
          bad_dq += !same_float(dq[r * cols + c], want_dq);
        }
      }
    }
  }
  EXPECT_EQ(bad_scales, 0);
  EXPECT_EQ(bad_q, 0);
  EXPECT_EQ(bad_dq, 0);
}

template <class E>
void check_all_granularities(const fp8_def& d) {
  using ao::float8_scaled;
  check_against_reference<float8_scaled<E, ao::per_block_1x128>, float>(d, 64, 384, 1);
  check_against_reference<float8_scaled<E, ao::per_block_1x128>, ao::bfloat16>(d, 64, 384, 2);
  check_against_reference<float8_scaled<E, ao::per_block_128x128>, float>(d, 256, 384, 3);
  check_against_reference<float8_scaled<E, ao::per_block_128x128>, ao::bfloat16>(d, 256, 384, 4);
  check_against_reference<float8_scaled<E, ao::per_block<32, 64>>, float>(d, 96, 192, 5);
  check_against_reference<float8_scaled<E, ao::per_row>, float>(d, 48, 200, 6);
  check_against_reference<float8_scaled<E, ao::per_row>, ao::bfloat16>(d, 48, 200, 7);
  check_against_reference<float8_scaled<E, ao::per_tensor>, float>(d, 40, 72, 8);
  check_against_reference<float8_scaled<E, ao::per_tensor>, ao::bfloat16>(d, 40, 72, 9);
}

TEST(Float8Reference, PerBlockAndOtherGranularities) {
  check_all_granularities<ao::float8_e4m3fn>(kE4m3fn);
  check_all_granularities<ao::float8_e5m2>(kE5m2);
}

// AMD MI300's fnuz elements: every scale divides by the element's own max (240 for e4m3fnuz), no -0.
TEST(Float8Reference, Fnuz) {
  check_all_granularities<ao::float8_e4m3fnuz>(kE4m3fnuz);
  check_all_granularities<ao::float8_e5m2fnuz>(kE5m2fnuz);
  using F = ao::float8_scaled<ao::float8_e4m3fnuz, ao::per_row>;
  EXPECT_EQ(F::max_value, 240.0f);
  EXPECT_EQ(ao::scalar::float8_scale<F>(480.0f), 2.0f);
  EXPECT_EQ((ao::scalar::float8_scale<F, ao::bfloat16>(600.0f)), 2.5f);
  EXPECT_EQ((ao::scalar::float8_scale<ao::float8_scaled<ao::float8_e5m2fnuz, ao::per_row>>(57344.0f * 3)), 3.0f);
  const float row[4] = {480.0f, -480.0f, -1e-9f, 3.0f};
  std::uint8_t q[4];
  float s = 0;
  ao::scalar::quantize_rows<F>(row, 1, 4, q, &s);
  EXPECT_EQ(s, 2.0f);
  EXPECT_EQ(q[0], 0x7F);  // 240
  EXPECT_EQ(q[1], 0xFF);  // -240
  EXPECT_EQ(q[2], 0x00);  // a negative value that rounds to zero is +0: fnuz has no -0
  EXPECT_EQ(q[3], ref_encode(kE4m3fnuz, 1.5));
}

// An all-zero granule. torchao (no clamp): scale 0 and 0/0 = NaN elements (x86's default NaN, negative: 0xFF for
// e4m3fn and e5m2, 0x80 for fnuz), which dequantize to NaN; special_f32's first row is one, and torchao's file holds
// exactly these bytes (OtherFile). With amax_clamp::min_1e_12 the scale is 1e-12 / max and every element is +0.
template <class E>
void check_zero_rows(std::uint8_t nan_code) {
  using F = ao::float8_scaled<E, ao::per_row>;
  using Clamped = typename F::template with_amax_clamp<ao::amax_clamp::min_1e_12>;
  const float max = float(std::numeric_limits<E>::max());
  std::vector<float> x(3 * 128, 0.0f);
  for (std::size_t c = 0; c < 128; ++c) x[128 + c] = 0.25f * float(c) - 16.0f;  // row 1 is not zero
  for (std::size_t c = 0; c < 128; ++c) x[256 + c] = c % 2 ? -0.0f : 0.0f;      // row 2: zeros of both signs
  std::vector<std::uint8_t> q(x.size()), qc(x.size());
  std::vector<float> s(3), sc(3), dq(x.size()), dqc(x.size());

  ao::scalar::quantize_rows<F>(x.data(), 3, 128, q.data(), s.data());
  ao::scalar::dequantize_rows<F>(q.data(), s.data(), 3, 128, dq.data());
  for (std::size_t r : {0u, 2u}) {
    EXPECT_EQ(bits_of(s[r]), 0u) << name(E{});
    for (std::size_t c = 0; c < 128; ++c) {
      EXPECT_EQ(q[r * 128 + c], nan_code) << name(E{}) << " " << r << " " << c;
      EXPECT_TRUE(std::isnan(dq[r * 128 + c]));
    }
  }

  ao::scalar::quantize_rows<Clamped>(x.data(), 3, 128, qc.data(), sc.data());
  ao::scalar::dequantize_rows<Clamped>(qc.data(), sc.data(), 3, 128, dqc.data());
  for (std::size_t r : {0u, 2u}) {
    EXPECT_EQ(sc[r], 1e-12f / max) << name(E{});
    for (std::size_t c = 0; c < 128; ++c) {
      // 0 / s = +-0: +0 for fnuz always, the zero's sign otherwise.
      const bool negative =
          !E::is_signed || E::nan == ao::nan_encoding::negative_zero ? false : std::signbit(x[r * 128 + c]);
      EXPECT_EQ(qc[r * 128 + c], negative ? 0x80 : 0x00) << name(E{}) << " " << r << " " << c;
      EXPECT_EQ(dqc[r * 128 + c], 0.0f);
    }
  }
  // A row with amax above the bound is untouched by the clamp.
  EXPECT_EQ(bits_of(s[1]), bits_of(sc[1]));
  for (std::size_t c = 0; c < 128; ++c) EXPECT_EQ(q[128 + c], qc[128 + c]);
  // bf16 input: the bound is rounded to bf16 first, then the quotient.
  float sb = 0;
  std::uint8_t qb[128];
  ao::scalar::quantize_rows<Clamped, ao::bfloat16>(x.data(), 1, 128, qb, &sb);
  EXPECT_EQ(sb, ref_bf16(ref_bf16(1e-12f) / max));
  EXPECT_EQ(qb[0], 0x00);
}

TEST(Float8Spec, AllZeroGranule) {
  check_zero_rows<ao::float8_e4m3fn>(0xFF);
  check_zero_rows<ao::float8_e5m2>(0xFF);
  check_zero_rows<ao::float8_e4m3fnuz>(0x80);
  check_zero_rows<ao::float8_e5m2fnuz>(0x80);
  // The same for per_tensor and per_block granules.
  std::vector<float> x(128 * 256, 0.0f);
  std::vector<std::uint8_t> q(x.size());
  std::vector<float> s(2);
  ao::scalar::quantize_rows<ao::float8_e4m3_per_block_128x128>(x.data(), 128, 256, q.data(), s.data());
  EXPECT_EQ(s[0], 0.0f);
  EXPECT_EQ(q[5], 0xFF);
  ao::scalar::quantize_rows<ao::float8_e4m3_per_tensor::with_amax_clamp<ao::amax_clamp::min_1e_12>>(x.data(), 128, 256,
                                                                                                    q.data(), s.data());
  EXPECT_EQ(s[0], 1e-12f / 448.0f);
  EXPECT_EQ(q[5], 0x00);
}

// A user's own clamp: any type with static constexpr float lower and upper (torchao's hp_value_lb/ub).
struct clamp_1_to_100 {
  static constexpr float lower = 1.0f;
  static constexpr float upper = 100.0f;
};

TEST(Float8Spec, UserAmaxClamp) {
  using F = ao::float8_e4m3_per_row::with_amax_clamp<clamp_1_to_100>;
  EXPECT_EQ(ao::scalar::float8_scale<F>(0.0f), 1.0f / 448.0f);
  EXPECT_EQ(ao::scalar::float8_scale<F>(50.0f), 50.0f / 448.0f);
  EXPECT_EQ(ao::scalar::float8_scale<F>(1000.0f), 100.0f / 448.0f);
  const float row[2] = {1000.0f, -1000.0f};
  std::uint8_t q[2];
  float s;
  ao::scalar::quantize_rows<F>(row, 1, 2, q, &s);
  EXPECT_EQ(q[0], 0x7E);  // clamped to 448
  EXPECT_EQ(q[1], 0xFE);
}

// NaN and Inf (torchao's files hold none for float8): a NaN makes its granule's scale NaN and every element NaN;
// an Inf makes the scale Inf, finite values +-0 and the Inf itself inf/inf = NaN (x86's, negative).
TEST(Float8Spec, NanAndInf) {
  using F = ao::float8_e4m3_per_row;
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const float x[8] = {1.0f, nan, -2.0f, 3.0f, 1.0f, inf, -2.0f, 0.0f};
  std::uint8_t q[8];
  float s[2], dq[8];
  ao::scalar::quantize_rows<F>(x, 2, 4, q, s);
  ao::scalar::dequantize_rows<F>(q, s, 2, 4, dq);
  EXPECT_TRUE(std::isnan(s[0]));
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(q[i] & 0x7F, 0x7F) << i;
    EXPECT_TRUE(std::isnan(dq[i])) << i;
  }
  EXPECT_EQ(s[1], inf);
  EXPECT_EQ(q[4], 0x00);
  EXPECT_EQ(q[5], 0xFF);
  EXPECT_EQ(q[6], 0x80);
  EXPECT_EQ(q[7], 0x00);
}

// torch on CUDA (float8_arithmetic::torch_cuda): an fp32 amax / max is amax * fl32(1 / max) there, a bf16 one gives
// the same scale as on the CPU, and every NaN is positive. The values were taken from torch 2.11 on an H200 running
// torchao's _choose_scale_float8 / _quantize_affine_float8 code, which ao matched byte for byte (e4m3fn, e5m2 and
// e4m3fnuz; per tensor, per row and 1 x 128; fp32 and bf16 inputs, with zero and subnormal rows).
TEST(Float8Spec, TorchCudaArithmetic) {
  using Cpu = ao::float8_e4m3_per_row;
  using Cuda = Cpu::with_arithmetic<ao::float8_arithmetic::torch_cuda>;
  const std::uint32_t amax[] = {0x40190EF9u, 0x3EB87B0Au, 0x3BDB5B97u};
  const std::uint32_t cuda_scale[] = {0x3BAEEC8Bu, 0x3A52D5C3u, 0x377AB1D2u};
  const std::uint32_t cpu_scale[] = {0x3BAEEC8Au, 0x3A52D5C2u, 0x377AB1D1u};
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(bits_of(ao::scalar::float8_scale<Cuda>(float_of(amax[i]))), cuda_scale[i]) << i;
    EXPECT_EQ(bits_of(ao::scalar::float8_scale<Cpu>(float_of(amax[i]))), cpu_scale[i]) << i;
  }
  // Over torchao's inputs: bf16 scales are the file's (CPU) scales; some fp32 ones differ by an ulp.
  for (const char* input : kInputs) {
    const auto src = ao::testing::torchao_inputs().get(input);
    const std::vector<float> want = ao::testing::torchao_other().get(std::string("float8.e4m3.row.") + input + ".scale").as_float();
    const result got = quantize<Cuda>(src);
    int differ = 0;
    for (std::size_t r = 0; r < want.size(); ++r) {
      if (bits_of(got.scale[r]) == bits_of(want[r])) continue;
      ++differ;
      EXPECT_EQ(std::llabs(static_cast<long long>(bits_of(got.scale[r])) - bits_of(want[r])), 1)
          << input << " row " << r;
    }
    if (src.dtype == "BF16") {
      EXPECT_EQ(differ, 0) << input;
    } else if (std::string(input) != "special_f32") {
      EXPECT_GT(differ, 0) << input;
    }
  }
  // The all-zero row: 0/0 is CUDA's canonical NaN, positive.
  const auto special = quantize<Cuda>(ao::testing::torchao_inputs().get("special_f32"));
  EXPECT_EQ(special.scale[0], 0.0f);
  for (std::size_t c = 0; c < 256; ++c) EXPECT_EQ(special.q[c], 0x7F) << c;
  static_assert(ao::scalar::quantize_value<Cuda>(0.0f, 0.0f) == 0x7F);
  static_assert(ao::scalar::quantize_value<Cuda::with_element<ao::float8_e4m3fnuz>>(0.0f, 0.0f) == 0x80);
  EXPECT_EQ(ao::scalar::quantize_value<Cuda>(-std::numeric_limits<float>::quiet_NaN(), 1.0f), 0x7F);
  EXPECT_EQ(ao::scalar::quantize_value<Cpu>(-std::numeric_limits<float>::quiet_NaN(), 1.0f), 0xFF);
}

TEST(Float8Shapes, BlocksMustDivideTheShape) {
  std::vector<float> x(256 * 256, 1.0f);
  std::vector<std::uint8_t> q(x.size());
  std::vector<float> s(256 * 4);
  EXPECT_THROW(ao::scalar::quantize_rows<ao::float8_e4m3_per_block_1x128>(x.data(), 2, 200, q.data(), s.data()),
               ao::error);
  EXPECT_THROW(ao::scalar::quantize_rows<ao::float8_e4m3_per_block_128x128>(x.data(), 100, 256, q.data(), s.data()),
               ao::error);
  EXPECT_THROW(ao::scalar::dequantize_rows<ao::float8_e4m3_per_block_128x128>(q.data(), s.data(), 128, 64, x.data()),
               ao::error);
  try {
    ao::scalar::quantize_rows<ao::float8_e4m3_per_block_128x128>(x.data(), 100, 256, q.data(), s.data());
    ADD_FAILURE() << "no error";
  } catch (const ao::error& e) {
    EXPECT_NE(std::string(e.what()).find("100 x 256"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("128 x 128"), std::string::npos) << e.what();
  }
  // 1 x 128 takes any number of rows; per_row and per_tensor take any shape.
  ao::scalar::quantize_rows<ao::float8_e4m3_per_block_1x128>(x.data(), 3, 256, q.data(), s.data());
  EXPECT_EQ(ao::scalar::scale_rows<ao::float8_e4m3_per_block_1x128>(3), 3u);
  EXPECT_EQ(ao::scalar::scale_cols<ao::float8_e4m3_per_block_1x128>(256), 2u);
  ao::scalar::quantize_rows<ao::float8_e4m3_per_row>(x.data(), 3, 7, q.data(), s.data());
  ao::scalar::quantize_rows<ao::float8_e4m3_per_tensor>(x.data(), 5, 3, q.data(), s.data());
  EXPECT_EQ(s[0], 1.0f / 448.0f);
}

TEST(Float8Shapes, EmptyTensors) {
  float x[1] = {0};
  std::uint8_t q[1] = {0x11};
  float s[4] = {-1, -1, -1, -1};
  ao::scalar::quantize_rows<ao::float8_e4m3_per_block_128x128>(x, 0, 256, q, s);
  ao::scalar::quantize_rows<ao::float8_e4m3_per_block_128x128>(x, 128, 0, q, s);
  ao::scalar::quantize_rows<ao::float8_e4m3_per_block_1x128>(x, 0, 0, q, s);
  ao::scalar::quantize_rows<ao::float8_e4m3_per_row>(x, 0, 16, q, s);
  EXPECT_EQ(s[0], -1.0f);  // no scales, nothing written
  EXPECT_EQ(q[0], 0x11);
  ao::scalar::quantize_rows<ao::float8_e4m3_per_row>(x, 2, 0, q, s);
  EXPECT_EQ(s[0], 0.0f);  // one scale per (empty) row, amax 0
  EXPECT_EQ(s[1], 0.0f);
  ao::scalar::quantize_rows<ao::float8_e4m3_per_tensor>(x, 0, 0, q, s);
  EXPECT_EQ(s[0], 0.0f);
  EXPECT_EQ(q[0], 0x11);
  ao::scalar::dequantize_rows<ao::float8_e4m3_per_block_128x128>(q, s, 0, 128, x);
  ao::scalar::dequantize_rows<ao::float8_e4m3_per_tensor>(q, s, 0, 0, x);
}

// The per-value and per-run helpers are constexpr (and host/device); quantize_run agrees with quantize_rows.
TEST(Float8Spec, ConstexprAndRuns) {
  using F = ao::float8_e4m3_per_row;
  static_assert(ao::scalar::float8_scale<F, ao::bfloat16>(600.0f) == 1.3359375f);
  static_assert(ao::scalar::float8_scale<F>(448.0f) == 1.0f);
  static_assert(ao::scalar::quantize_value<F>(600.0f, 1.3359375f) == 0x7E);
  static_assert(ao::scalar::quantize_value<F>(-1.0f, 0.5f) == 0xC0);
  static_assert(ao::scalar::quantize_value<F>(0.0f, 0.0f) == 0xFF);
  static_assert(ao::scalar::quantize_value<ao::float8_scaled<ao::float8_e4m3fnuz, ao::per_row>>(0.0f, 0.0f) == 0x80);
  static_assert(ao::scalar::dequantize_value<F>(0x7E, 2.0f) == 896.0f);
  static_assert(ao::scalar::dequantize_value<F, ao::bfloat16>(0x01, 1.0f / 3.0f) == 0x1.56p-11f);
  constexpr auto run = [] {
    const float x[3] = {1.0f, -2.0f, 4.0f};
    std::uint8_t c[3] = {};
    const float s = ao::scalar::quantize_run<F>(x, 3, c);
    return s == 4.0f / 448.0f && c[2] == 0x7E;
  };
  static_assert(run());

  const std::vector<float> x = test_matrix(8, 96, false, 11);
  std::vector<std::uint8_t> q(x.size()), qr(x.size());
  std::vector<float> s(8), dq(x.size()), dqr(x.size());
  ao::scalar::quantize_rows<F>(x.data(), 8, 96, q.data(), s.data());
  ao::scalar::dequantize_rows<F>(q.data(), s.data(), 8, 96, dq.data());
  for (std::size_t r = 0; r < 8; ++r) {
    EXPECT_EQ(bits_of(ao::scalar::quantize_run<F>(x.data() + r * 96, 96, qr.data() + r * 96)), bits_of(s[r]));
    ao::scalar::dequantize_run<F>(qr.data() + r * 96, 96, s[r], dqr.data() + r * 96);
  }
  EXPECT_EQ(q, qr);
  EXPECT_EQ(dq, dqr);
}

}  // namespace

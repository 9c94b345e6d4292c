// Cross-check of ao's conversions against NVIDIA's host implementations in the CUDA toolkit headers
// (cuda_fp8.h, cuda_fp6.h, cuda_fp4.h, cuda_bf16.h, cuda_fp16.h), compiled by the host compiler alone.
//
// A check pairs one NVIDIA conversion with the ao conversion that should agree with it, and a rule: for each input,
// the documented category of the outcome. Outcomes are classified as
//   match                 identical codes
//   nan_sign              both codes are NaN, only the sign bit differs
//   nan_payload           both codes are NaN, the sign agrees, the payload (mantissa) differs
//   nan_sign_and_payload  both codes are NaN, sign and payload differ
//   default_rounding      a CUDA class constructor uses another rounding mode than ao's T(x) (float8_e8m0fnu)
//   unexplained           anything else
// An outcome whose category is not the one the rule documents for that input fails the test (with the input bits
// and both codes); over a check's full domain every category must also have its exact documented count.
#pragma once

// The toolkit headers: host code paths only (no __CUDACC__), as NVIDIA ships them.
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_fp4.h>
#include <cuda_fp6.h>
#include <cuda_fp8.h>
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "ao/numeric.hpp"
#include "exhaustive.hpp"
#include "reference_formats.hpp"

namespace ao::nvidia_check {

using ao::testing::hex;
using ao::testing::mismatch_log;

enum class category : int { match, nan_sign, nan_payload, nan_sign_and_payload, default_rounding, unexplained };
inline constexpr int kCategories = 6;

inline const char* category_name(category c) {
  switch (c) {
    case category::match:
      return "match";
    case category::nan_sign:
      return "nan_sign";
    case category::nan_payload:
      return "nan_payload";
    case category::nan_sign_and_payload:
      return "nan_sign_and_payload";
    case category::default_rounding:
      return "default_rounding";
    case category::unexplained:
      return "unexplained";
  }
  return "?";
}

// ---- bits of inputs and outputs ------------------------------------------------------------------------------------

inline std::uint32_t bits_of(float x) {
  std::uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
}
inline std::uint64_t bits_of(double x) {
  std::uint64_t u;
  std::memcpy(&u, &x, 8);
  return u;
}
template <class Spec>
std::uint32_t bits_of(ao::float_exmy<Spec> x) {
  return x.bits();
}
inline float float_from(std::uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
inline double double_from(std::uint64_t u) {
  double d;
  std::memcpy(&d, &u, 8);
  return d;
}

inline bool is_nan(float x) { return std::isnan(x); }
inline bool is_nan(double x) { return std::isnan(x); }
template <class Spec>
bool is_nan(ao::float_exmy<Spec> x) {
  return ao::isnan(x);
}
inline bool is_negative(float x) { return std::signbit(x); }
inline bool is_negative(double x) { return std::signbit(x); }
template <class Spec>
bool is_negative(ao::float_exmy<Spec> x) {
  return ao::signbit(x);
}

inline std::string describe(float x) { return "float " + hex(bits_of(x)); }
inline std::string describe(double x) { return "double " + hex(bits_of(x)); }
template <class Spec>
std::string describe(ao::float_exmy<Spec> x) {
  return std::string(ao::name(x)) + " " + hex(x.bits());
}

// Output formats, for classifying two codes of the same format: which codes are NaN, where the sign is.
template <class T>
struct code_format {
  static constexpr std::uint32_t sign_mask = T::is_signed ? 1u << (T::bits_per_value - 1) : 0u;
  static bool is_nan(std::uint32_t c) { return ao::isnan(T::from_bits(static_cast<typename T::storage_type>(c))); }
};
struct float32_code {};  // the output is a float, compared by its bits
template <>
struct code_format<float32_code> {
  static constexpr std::uint32_t sign_mask = 0x80000000u;
  static bool is_nan(std::uint32_t c) { return (c & 0x7FFFFFFFu) > 0x7F800000u; }
};

template <class Format>
category classify(std::uint32_t ao_code, std::uint32_t nv_code) {
  if (ao_code == nv_code) return category::match;
  using F = code_format<Format>;
  if (F::is_nan(ao_code) && F::is_nan(nv_code)) {
    const std::uint32_t diff = ao_code ^ nv_code;
    if (diff == F::sign_mask) return category::nan_sign;
    return (diff & F::sign_mask) ? category::nan_sign_and_payload : category::nan_payload;
  }
  return category::unexplained;
}

// ---- rules: the documented category of each input ------------------------------------------------------------------

// No difference is documented.
struct rule_match {
  template <class In>
  category operator()(In) const {
    return category::match;
  }
};
// NVIDIA's result for a NaN input is +NaN (it drops the sign, NaN code otherwise the same); ao keeps the sign.
struct rule_nan_sign_dropped {
  template <class In>
  category operator()(In x) const {
    return is_nan(x) && is_negative(x) ? category::nan_sign : category::match;
  }
};
// NVIDIA's result for a NaN input is the positive all-ones-payload NaN (0x7F / 0x7FFF / 0x7FFFFFFF); ao gives its
// canonical quiet NaN (mantissa MSB only) with the input's sign.
struct rule_nan_all_ones {
  template <class In>
  category operator()(In x) const {
    if (!is_nan(x)) return category::match;
    return is_negative(x) ? category::nan_sign_and_payload : category::nan_payload;
  }
};

// ---- a check and its tally -----------------------------------------------------------------------------------------

struct tally {
  std::mutex mutex;
  std::array<std::uint64_t, kCategories> counts{};
  std::uint64_t compared = 0;
  mismatch_log log;  // outcomes whose category is not the documented one
};

struct local_tally {
  std::array<std::uint64_t, kCategories> counts{};
  std::uint64_t compared = 0;
};

using counts_list = std::vector<std::pair<category, std::uint64_t>>;

// A rule may also explain differences that are not about NaN: rule.explain(x, ao_code, nvidia_code) -> category.
template <class Rule, class In, class = void>
struct has_explain : std::false_type {};
template <class Rule, class In>
struct has_explain<Rule, In, std::void_t<decltype(std::declval<const Rule&>().explain(std::declval<In>(), 0u, 0u))>>
    : std::true_type {};

// Format: the output format, for classification. In: the input type (float, double, or an ao element type).
template <class Format, class In, class Nv, class Ao, class Rule>
struct check {
  using format = Format;
  using input = In;
  std::string name;
  Nv nvidia_fn;  // NVIDIA's conversion, as the output code
  Ao ao_fn;      // ao's conversion, as the output code
  Rule rule;
  counts_list full_counts;  // exact count of each difference category over the check's full domain
  std::string note;         // why the documented differences happen
  std::shared_ptr<tally> t = std::make_shared<tally>();

  void run(In x, local_tally& local) const {
    const std::uint32_t a = ao_fn(x);
    const std::uint32_t n = nvidia_fn(x);
    const category want = rule(x);
    category got = a == n ? category::match : classify<Format>(a, n);
    if constexpr (has_explain<Rule, In>::value) {
      if (got == category::unexplained) got = rule.explain(x, a, n);
    }
    ++local.compared;
    ++local.counts[static_cast<int>(got)];
    if (got != want) {
      t->log.add(name + ": " + describe(x) + " -> ao " + hex(a) + ", NVIDIA " + hex(n) + " (" + category_name(got) +
                 ", documented " + category_name(want) + ")");
    }
  }
  void flush(const local_tally& local) const {
    std::lock_guard<std::mutex> lock(t->mutex);
    t->compared += local.compared;
    for (int i = 0; i < kCategories; ++i) t->counts[i] += local.counts[i];
  }

  // One summary line; then: every outcome had its documented category, and with `full` (the whole domain was
  // visited) each category has its exact documented count.
  void finish(bool full) const {
    std::uint64_t differ = 0;
    std::string by_category;
    for (int i = 1; i < kCategories; ++i) {
      differ += t->counts[i];
      if (t->counts[i])
        by_category += std::string(" ") + category_name(category(i)) + "=" + std::to_string(t->counts[i]);
    }
    std::printf("[nvidia] %s: %llu compared, %llu differ%s%s%s\n", name.c_str(),
                static_cast<unsigned long long>(t->compared), static_cast<unsigned long long>(differ),
                by_category.empty() ? "" : ":", by_category.c_str(),
                differ && !note.empty() ? ("  [" + note + "]").c_str() : "");
    EXPECT_EQ(t->log.count(), 0u) << name << ": outcomes outside the documented categories\n" << t->log.messages();
    if (full) {
      for (int i = 1; i < kCategories; ++i) {
        std::uint64_t want = 0;
        for (const auto& [c, n] : full_counts)
          if (static_cast<int>(c) == i) want = n;
        EXPECT_EQ(t->counts[i], want) << name << ": count of " << category_name(category(i)) << " over the full domain";
      }
    }
  }
};

template <class Format, class In, class Nv, class Ao, class Rule>
check<Format, In, Nv, Ao, Rule> make_check(std::string name, Nv nv, Ao ao, Rule rule, counts_list full_counts = {},
                                           std::string note = {}) {
  return {std::move(name), nv, ao, rule, std::move(full_counts), std::move(note)};
}

// ---- drivers -------------------------------------------------------------------------------------------------------

template <class Tuple>
void finish_all(const Tuple& checks, bool full) {
  std::apply([&](const auto&... c) { (c.finish(full), ...); }, checks);
}

// Every float32 bit pattern (both signs) with the given stride; checks of double input get the widened float.
template <class Tuple>
void sweep_float32(const Tuple& checks, std::uint32_t stride) {
  ao::testing::parallel_chunks(0, std::uint64_t{1} << 32, [&](std::uint64_t begin, std::uint64_t end) {
    std::array<local_tally, std::tuple_size_v<Tuple>> local{};
    begin = (begin + stride - 1) / stride * stride;
    for (std::uint64_t m = begin; m < end; m += stride) {
      const float x = float_from(static_cast<std::uint32_t>(m));
      std::size_t i = 0;
      std::apply(
          [&](const auto&... c) {
            (c.run(static_cast<typename std::decay_t<decltype(c)>::input>(x), local[i++]), ...);
          },
          checks);
    }
    std::size_t i = 0;
    std::apply([&](const auto&... c) { (c.flush(local[i++]), ...); }, checks);
  });
}

// Every value of a list (all checks take the list's element type).
template <class In, class Tuple>
void sweep_values(const std::vector<In>& values, const Tuple& checks) {
  ao::testing::parallel_chunks(0, values.size(), [&](std::uint64_t begin, std::uint64_t end) {
    std::array<local_tally, std::tuple_size_v<Tuple>> local{};
    for (std::uint64_t k = begin; k < end; ++k) {
      std::size_t i = 0;
      std::apply([&](const auto&... c) { (c.run(values[k], local[i++]), ...); }, checks);
    }
    std::size_t i = 0;
    std::apply([&](const auto&... c) { (c.flush(local[i++]), ...); }, checks);
  });
}

// Every code of an ao element type.
template <class T>
std::vector<T> every_code() {
  std::vector<T> v;
  for (std::uint32_t c = 0; c < (1u << T::bits_per_value); ++c)
    v.push_back(T::from_bits(static_cast<typename T::storage_type>(c)));
  return v;
}

// ---- NVIDIA's conversions as functions of bits --------------------------------------------------------------------

inline std::uint32_t nv_bits(__nv_bfloat16 h) { return static_cast<__nv_bfloat16_raw>(h).x; }
inline std::uint32_t nv_bits(__half h) { return static_cast<__half_raw>(h).x; }
inline __half_raw half_raw(std::uint32_t c) {
  __half_raw r;
  r.x = static_cast<unsigned short>(c);
  return r;
}
inline __nv_bfloat16_raw bf16_raw(std::uint32_t c) {
  __nv_bfloat16_raw r;
  r.x = static_cast<unsigned short>(c);
  return r;
}

// Counts over every float32 pattern: NaN patterns of each sign (exponent all ones, mantissa != 0), and those whose
// mantissa bit 21 (bit 50 of the widened double) is clear.
inline constexpr std::uint64_t kNaNPerSign = (1u << 23) - 1;    // 8388607
inline constexpr std::uint64_t kNaNWithoutBit21 = 2 * ((1u << 22) - 1);  // 8388606, both signs

// ---- the checks, by target type ------------------------------------------------------------------------------------
// Float-input checks: their full domain is every float32 pattern. Double-input checks: their full domain (for the
// counts) is every float32 pattern widened to double.

inline const char* kNoteFp8FloatNaN =
    "NVIDIA's float path canonicalizes a NaN input to +NaN (0x7FFFFFFF) before converting; ao keeps the sign";
inline const char* kNoteE5m2NaN =
    "NVIDIA gives 0x7F for every NaN float (sign dropped); ao gives 0x7F / 0xFF by the NaN's sign, as PyTorch";
inline const char* kNoteE5m2DoubleNaN =
    "NVIDIA copies bit 50 of a NaN double into the e5m2 mantissa (0x7E | bit | sign); ao gives 0x7F | sign";
inline const char* kNote16NaN =
    "NVIDIA's host converters give 0x7FFF for every NaN (sign dropped, all-ones payload); ao gives the canonical "
    "quiet NaN (0x7FC0 / 0x7E00) with the input's sign";

template <class In>
auto checks_e4m3() {
  using T = ao::float8_e4m3fn;
  constexpr bool from_float = std::is_same_v<In, float>;
  const std::string src = from_float ? "float" : "double";
  auto nv_sat = [](In x) -> std::uint32_t {
    if constexpr (from_float)
      return __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E4M3);
    else
      return __nv_cvt_double_to_fp8(x, __NV_SATFINITE, __NV_E4M3);
  };
  auto nv_nosat = [](In x) -> std::uint32_t {
    if constexpr (from_float)
      return __nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E4M3);
    else
      return __nv_cvt_double_to_fp8(x, __NV_NOSAT, __NV_E4M3);
  };
  auto ao_sat = [](In x) -> std::uint32_t { return T(x).bits(); };
  auto ao_nosat = [](In x) -> std::uint32_t { return ao::convert<T, ao::overflow::to_inf_or_nan>(x).bits(); };
  if constexpr (from_float) {
    return std::make_tuple(
        make_check<T, In>(src + "->e4m3 __nv_cvt_float_to_fp8(SATFINITE) vs T(x)", nv_sat, ao_sat,
                          rule_nan_sign_dropped{}, {{category::nan_sign, kNaNPerSign}}, kNoteFp8FloatNaN),
        make_check<T, In>(src + "->e4m3 __nv_cvt_float_to_fp8(NOSAT) vs convert<to_inf_or_nan>", nv_nosat, ao_nosat,
                          rule_nan_sign_dropped{}, {{category::nan_sign, kNaNPerSign}}, kNoteFp8FloatNaN));
  } else {
    return std::make_tuple(
        make_check<T, In>(src + "->e4m3 __nv_cvt_double_to_fp8(SATFINITE) vs T(x)", nv_sat, ao_sat, rule_match{}),
        make_check<T, In>(src + "->e4m3 __nv_cvt_double_to_fp8(NOSAT) vs convert<to_inf_or_nan>", nv_nosat, ao_nosat,
                          rule_match{}));
  }
}

// __nv_cvt_double_to_fp8(E5M2) turns a NaN into 0x7E | (bit 50 of the double) | sign; ao gives 0x7F | sign. They
// differ exactly when bit 50 of the double is clear.
struct rule_e5m2_double_nan {
  category operator()(double x) const {
    return is_nan(x) && !((bits_of(x) >> 50) & 1) ? category::nan_payload : category::match;
  }
};

template <class In>
auto checks_e5m2() {
  using T = ao::float8_e5m2;
  constexpr bool from_float = std::is_same_v<In, float>;
  const std::string src = from_float ? "float" : "double";
  auto nv_sat = [](In x) -> std::uint32_t {
    if constexpr (from_float)
      return __nv_cvt_float_to_fp8(x, __NV_SATFINITE, __NV_E5M2);
    else
      return __nv_cvt_double_to_fp8(x, __NV_SATFINITE, __NV_E5M2);
  };
  auto nv_nosat = [](In x) -> std::uint32_t {
    if constexpr (from_float)
      return __nv_cvt_float_to_fp8(x, __NV_NOSAT, __NV_E5M2);
    else
      return __nv_cvt_double_to_fp8(x, __NV_NOSAT, __NV_E5M2);
  };
  auto ao_sat = [](In x) -> std::uint32_t { return T(x).bits(); };
  auto ao_nosat = [](In x) -> std::uint32_t { return ao::convert<T, ao::overflow::to_inf_or_nan>(x).bits(); };
  if constexpr (from_float) {
    const counts_list nan = {{category::nan_sign, kNaNPerSign}};
    return std::make_tuple(make_check<T, In>(src + "->e5m2 __nv_cvt_float_to_fp8(SATFINITE) vs T(x)", nv_sat, ao_sat,
                                             rule_nan_sign_dropped{}, nan, kNoteE5m2NaN),
                           make_check<T, In>(src + "->e5m2 __nv_cvt_float_to_fp8(NOSAT) vs convert<to_inf_or_nan>",
                                             nv_nosat, ao_nosat, rule_nan_sign_dropped{}, nan, kNoteE5m2NaN));
  } else {
    const counts_list nan = {{category::nan_payload, kNaNWithoutBit21}};
    const char* note = kNoteE5m2DoubleNaN;
    return std::make_tuple(make_check<T, In>(src + "->e5m2 __nv_cvt_double_to_fp8(SATFINITE) vs T(x)", nv_sat, ao_sat,
                                             rule_e5m2_double_nan{}, nan, note),
                           make_check<T, In>(src + "->e5m2 __nv_cvt_double_to_fp8(NOSAT) vs convert<to_inf_or_nan>",
                                             nv_nosat, ao_nosat, rule_e5m2_double_nan{}, nan, note));
  }
}

// fp6 (E2M3, E3M2) and fp4 (E2M1): cudaRoundNearest vs T(x), cudaRoundZero vs convert<toward_zero>. Both sides map
// NaN to +max and saturate everything else; no difference is documented. nv(x, mode) is NVIDIA's converter.
template <class T, class In, class Nv>
auto checks_fp6_fp4(const std::string& label, Nv nv) {
  return std::make_tuple(
      make_check<T, In>(
          label + "(cudaRoundNearest) vs T(x)", [nv](In x) { return nv(x, cudaRoundNearest); },
          [](In x) -> std::uint32_t { return T(x).bits(); }, rule_match{}),
      make_check<T, In>(
          label + "(cudaRoundZero) vs convert<toward_zero>", [nv](In x) { return nv(x, cudaRoundZero); },
          [](In x) -> std::uint32_t { return ao::convert<T, ao::rounding::toward_zero>(x).bits(); }, rule_match{}));
}
template <class In>
auto checks_e2m3() {
  if constexpr (std::is_same_v<In, float>) {
    return checks_fp6_fp4<ao::float6_e2m3fn, In>(
        "float->e2m3 __nv_cvt_float_to_fp6",
        [](float x, cudaRoundMode m) -> std::uint32_t { return __nv_cvt_float_to_fp6(x, __NV_E2M3, m); });
  } else {
    return checks_fp6_fp4<ao::float6_e2m3fn, In>(
        "double->e2m3 __nv_cvt_double_to_fp6",
        [](double x, cudaRoundMode m) -> std::uint32_t { return __nv_cvt_double_to_fp6(x, __NV_E2M3, m); });
  }
}
template <class In>
auto checks_e3m2() {
  if constexpr (std::is_same_v<In, float>) {
    return checks_fp6_fp4<ao::float6_e3m2fn, In>(
        "float->e3m2 __nv_cvt_float_to_fp6",
        [](float x, cudaRoundMode m) -> std::uint32_t { return __nv_cvt_float_to_fp6(x, __NV_E3M2, m); });
  } else {
    return checks_fp6_fp4<ao::float6_e3m2fn, In>(
        "double->e3m2 __nv_cvt_double_to_fp6",
        [](double x, cudaRoundMode m) -> std::uint32_t { return __nv_cvt_double_to_fp6(x, __NV_E3M2, m); });
  }
}
template <class In>
auto checks_e2m1() {
  if constexpr (std::is_same_v<In, float>) {
    return checks_fp6_fp4<ao::float4_e2m1fn, In>(
        "float->e2m1 __nv_cvt_float_to_fp4",
        [](float x, cudaRoundMode m) -> std::uint32_t { return __nv_cvt_float_to_fp4(x, __NV_E2M1, m); });
  } else {
    return checks_fp6_fp4<ao::float4_e2m1fn, In>(
        "double->e2m1 __nv_cvt_double_to_fp4",
        [](double x, cudaRoundMode m) -> std::uint32_t { return __nv_cvt_double_to_fp4(x, __NV_E2M1, m); });
  }
}

// e8m0: {cudaRoundZero, cudaRoundPosInf} x {SATFINITE, NOSAT} vs convert<{toward_zero, up}, {saturate, to_inf_or_nan}>.
template <class In>
auto checks_e8m0() {
  using T = ao::float8_e8m0fnu;
  using ao::overflow;
  using ao::rounding;
  constexpr bool from_float = std::is_same_v<In, float>;
  const std::string src = from_float ? "float" : "double";
  const std::string fn = from_float ? "__nv_cvt_float_to_e8m0" : "__nv_cvt_double_to_e8m0";
  auto nv = [](In x, __nv_saturation_t sat, cudaRoundMode mode) -> std::uint32_t {
    if constexpr (from_float)
      return __nv_cvt_float_to_e8m0(x, sat, mode);
    else
      return __nv_cvt_double_to_e8m0(x, sat, mode);
  };
  return std::make_tuple(
      make_check<T, In>(
          src + "->e8m0 " + fn + "(RZ, SATFINITE) vs convert<toward_zero, saturate>",
          [nv](In x) { return nv(x, __NV_SATFINITE, cudaRoundZero); },
          [](In x) -> std::uint32_t { return ao::convert<T, rounding::toward_zero, overflow::saturate>(x).bits(); },
          rule_match{}),
      make_check<T, In>(
          src + "->e8m0 " + fn + "(RZ, NOSAT) vs convert<toward_zero, to_inf_or_nan>",
          [nv](In x) { return nv(x, __NV_NOSAT, cudaRoundZero); },
          [](In x) -> std::uint32_t {
            return ao::convert<T, rounding::toward_zero, overflow::to_inf_or_nan>(x).bits();
          },
          rule_match{}),
      make_check<T, In>(
          src + "->e8m0 " + fn + "(RP, SATFINITE) vs convert<up, saturate>",
          [nv](In x) { return nv(x, __NV_SATFINITE, cudaRoundPosInf); },
          [](In x) -> std::uint32_t { return ao::convert<T, rounding::up, overflow::saturate>(x).bits(); },
          rule_match{}),
      make_check<T, In>(
          src + "->e8m0 " + fn + "(RP, NOSAT) vs convert<up, to_inf_or_nan>",
          [nv](In x) { return nv(x, __NV_NOSAT, cudaRoundPosInf); },
          [](In x) -> std::uint32_t { return ao::convert<T, rounding::up, overflow::to_inf_or_nan>(x).bits(); },
          rule_match{}));
}

// bfloat16: __float2bfloat16_{rn,rz,ru,rd} vs bfloat16(x) / convert<toward_zero, up, down>; from double only
// __double2bfloat16 (round to nearest) exists.
template <class In>
auto checks_bf16() {
  using T = ao::bfloat16;
  using ao::rounding;
  const counts_list nan = {{category::nan_payload, kNaNPerSign}, {category::nan_sign_and_payload, kNaNPerSign}};
  if constexpr (std::is_same_v<In, float>) {
    return std::make_tuple(
        make_check<T, In>(
            "float->bf16 __float2bfloat16_rn vs bfloat16(x)", [](float x) { return nv_bits(__float2bfloat16_rn(x)); },
            [](float x) -> std::uint32_t { return T(x).bits(); }, rule_nan_all_ones{}, nan, kNote16NaN),
        make_check<T, In>(
            "float->bf16 __float2bfloat16_rz vs convert<toward_zero>",
            [](float x) { return nv_bits(__float2bfloat16_rz(x)); },
            [](float x) -> std::uint32_t { return ao::convert<T, rounding::toward_zero>(x).bits(); },
            rule_nan_all_ones{}, nan, kNote16NaN),
        make_check<T, In>(
            "float->bf16 __float2bfloat16_ru vs convert<up>", [](float x) { return nv_bits(__float2bfloat16_ru(x)); },
            [](float x) -> std::uint32_t { return ao::convert<T, rounding::up>(x).bits(); }, rule_nan_all_ones{}, nan,
            kNote16NaN),
        make_check<T, In>(
            "float->bf16 __float2bfloat16_rd vs convert<down>", [](float x) { return nv_bits(__float2bfloat16_rd(x)); },
            [](float x) -> std::uint32_t { return ao::convert<T, rounding::down>(x).bits(); }, rule_nan_all_ones{}, nan,
            kNote16NaN));
  } else {
    return std::make_tuple(make_check<T, In>(
        "double->bf16 __double2bfloat16 vs bfloat16(x)", [](double x) { return nv_bits(__double2bfloat16(x)); },
        [](double x) -> std::uint32_t { return T(x).bits(); }, rule_nan_all_ones{}, nan, kNote16NaN));
  }
}

// float16: __float2half_{rn,rz,ru,rd} vs float16(x) / convert<...>; from double __double2half (round to nearest).
template <class In>
auto checks_f16() {
  using T = ao::float16;
  using ao::rounding;
  const counts_list nan = {{category::nan_payload, kNaNPerSign}, {category::nan_sign_and_payload, kNaNPerSign}};
  if constexpr (std::is_same_v<In, float>) {
    return std::make_tuple(
        make_check<T, In>(
            "float->f16 __float2half_rn vs float16(x)", [](float x) { return nv_bits(__float2half_rn(x)); },
            [](float x) -> std::uint32_t { return T(x).bits(); }, rule_nan_all_ones{}, nan, kNote16NaN),
        make_check<T, In>(
            "float->f16 __float2half_rz vs convert<toward_zero>", [](float x) { return nv_bits(__float2half_rz(x)); },
            [](float x) -> std::uint32_t { return ao::convert<T, rounding::toward_zero>(x).bits(); },
            rule_nan_all_ones{}, nan, kNote16NaN),
        make_check<T, In>(
            "float->f16 __float2half_ru vs convert<up>", [](float x) { return nv_bits(__float2half_ru(x)); },
            [](float x) -> std::uint32_t { return ao::convert<T, rounding::up>(x).bits(); }, rule_nan_all_ones{}, nan,
            kNote16NaN),
        make_check<T, In>(
            "float->f16 __float2half_rd vs convert<down>", [](float x) { return nv_bits(__float2half_rd(x)); },
            [](float x) -> std::uint32_t { return ao::convert<T, rounding::down>(x).bits(); }, rule_nan_all_ones{}, nan,
            kNote16NaN));
  } else {
    return std::make_tuple(make_check<T, In>(
        "double->f16 __double2half vs float16(x)", [](double x) { return nv_bits(__double2half(x)); },
        [](double x) -> std::uint32_t { return T(x).bits(); }, rule_nan_all_ones{}, nan, kNote16NaN));
  }
}

}  // namespace ao::nvidia_check

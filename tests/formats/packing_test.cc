// Sub-byte packing (ao/layout/bit_packing.hpp, ao/layout/lowbit_packing.hpp) against torchao's bytes: the spec's
// examples (§1.4 fp4 nibbles, §5.1 uintx docstring examples, §5.4 golden vectors), every uintx.w<1..7> entry of
// ../shared/data/torchao/other.safetensors, torchao's ARM golden buffers (lowbit_golden_bytes.hpp) and rows packed
// by torchao's fallback C++ code. The LSB-first stream is checked against a bit-by-bit reference written here from
// its definition. Expected bytes never come from the code under test.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ao/error.hpp"
#include "ao/layout/bit_packing.hpp"
#include "ao/layout/lowbit_packing.hpp"
#include "lowbit_golden_bytes.hpp"
#include "safetensors_test_reader.hpp"

namespace {

using bytes = std::vector<std::uint8_t>;
namespace L = ao::layout;

// ---------------------------------------------------------------------------------------------------------------
// Nibbles
// ---------------------------------------------------------------------------------------------------------------

TEST(Nibbles, SpecFp4ExampleLowFirst) {
  // §1.4 test_fp4_pack_unpack: [[0, .5, 4, -0], [-0, 1, -6, 3]] -> [[0b00010000, 0b10000110], [0b00101000,
  // 0b01011111]]. e2m1 codes (numerics.md): 0 -> 0x0, 0.5 -> 0x1, 1 -> 0x2, 3 -> 0x5, 4 -> 0x6, -0 -> 0x8, -6 -> 0xF.
  const bytes codes = {0x0, 0x1, 0x6, 0x8, 0x8, 0x2, 0xF, 0x5};
  const bytes want = {0b00010000, 0b10000110, 0b00101000, 0b01011111};
  bytes got(4, 0xAA);
  L::pack_nibbles<L::nibble_order::low_first>(codes.data(), codes.size(), got.data());
  EXPECT_EQ(got, want);
  bytes back(8, 0xAA);
  L::unpack_nibbles<L::nibble_order::low_first>(want.data(), 8, back.data());
  EXPECT_EQ(back, codes);
}

TEST(Nibbles, HighFirstPutsTheFirstElementInBits4To7) {
  // §5.2: NF4 and tinygemm's input hold element 2i in the high nibble.
  const bytes codes = {0x1, 0x2, 0x3, 0x4, 0xF, 0x0};
  bytes got(3);
  L::pack_nibbles<L::nibble_order::high_first>(codes.data(), codes.size(), got.data());
  EXPECT_EQ(got, (bytes{0x12, 0x34, 0xF0}));
  L::pack_nibbles<L::nibble_order::low_first>(codes.data(), codes.size(), got.data());
  EXPECT_EQ(got, (bytes{0x21, 0x43, 0x0F}));
}

TEST(Nibbles, OddCountPadsWithZeroAndHighBitsAreMasked) {
  const bytes codes = {0x1F, 0xE2, 0x93};  // only the low nibbles count: 0xF, 0x2, 0x3
  bytes got(L::packed_nibble_bytes(3), 0xFF);
  ASSERT_EQ(got.size(), 2u);
  L::pack_nibbles<L::nibble_order::high_first>(codes.data(), 3, got.data());
  EXPECT_EQ(got, (bytes{0xF2, 0x30}));
  L::pack_nibbles<L::nibble_order::low_first>(codes.data(), 3, got.data());
  EXPECT_EQ(got, (bytes{0x2F, 0x03}));
  bytes back(3);
  L::unpack_nibbles<L::nibble_order::low_first>(got.data(), 3, back.data());
  EXPECT_EQ(back, (bytes{0xF, 0x2, 0x3}));
}

TEST(Nibbles, EveryPairRoundTrips) {
  for (unsigned a = 0; a < 16; ++a) {
    for (unsigned b = 0; b < 16; ++b) {
      const bytes codes = {static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b)};
      std::uint8_t lo = 0, hi = 0;
      L::pack_nibbles<L::nibble_order::low_first>(codes.data(), 2, &lo);
      L::pack_nibbles<L::nibble_order::high_first>(codes.data(), 2, &hi);
      EXPECT_EQ(unsigned{lo}, a | b << 4);
      EXPECT_EQ(unsigned{hi}, a << 4 | b);
      bytes back(2);
      L::unpack_nibbles<L::nibble_order::high_first>(&hi, 2, back.data());
      EXPECT_EQ(back, codes);
      L::unpack_nibbles<L::nibble_order::low_first>(&lo, 2, back.data());
      EXPECT_EQ(back, codes);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// LSB-first stream
// ---------------------------------------------------------------------------------------------------------------

// The definition, bit by bit: stream bit k (bit k % 8 of byte k / 8) is bit k - i*b of code i.
bytes reference_lsb_first(const bytes& codes, int b) {
  bytes out((codes.size() * static_cast<std::size_t>(b) + 7) / 8, 0);
  for (std::size_t i = 0; i < codes.size(); ++i) {
    for (int t = 0; t < b; ++t) {
      const std::size_t k = i * static_cast<std::size_t>(b) + static_cast<std::size_t>(t);
      if ((codes[i] >> t) & 1) out[k / 8] = static_cast<std::uint8_t>(out[k / 8] | 1u << (k % 8));
    }
  }
  return out;
}

TEST(LsbFirst, HandWorkedThreeBitExample) {
  // c0..c7 = 1..7, 0 with 3 bits: byte0 = 1 | 2<<3 | (3&3)<<6 = 209, byte1 = 3>>2 | 4<<1 | 5<<4 | (6&1)<<7 = 88,
  // byte2 = 6>>1 | 7<<2 | 0<<5 = 31.
  const bytes codes = {1, 2, 3, 4, 5, 6, 7, 0};
  bytes got(3, 0xEE);
  L::pack_lsb_first(codes.data(), 8, 3, got.data());
  EXPECT_EQ(got, (bytes{209, 88, 31}));
  bytes back(8);
  L::unpack_lsb_first(got.data(), 8, 3, back.data());
  EXPECT_EQ(back, codes);
}

TEST(LsbFirst, MatchesTheBitByBitDefinitionForEveryWidth) {
  std::mt19937 rng(12345);
  for (int b = 1; b <= 8; ++b) {
    for (std::size_t n = 0; n <= 41; ++n) {
      bytes codes(n);
      for (auto& c : codes) c = static_cast<std::uint8_t>(rng() & ((1u << b) - 1));
      const bytes want = reference_lsb_first(codes, b);
      ASSERT_EQ(L::packed_lsb_first_bytes(n, b), want.size());
      bytes got(want.size() + 1, 0xFF);  // one guard byte: nothing past the packed size is written
      L::pack_lsb_first(codes.data(), n, b, got.data());
      EXPECT_EQ(got.back(), 0xFF) << "b=" << b << " n=" << n;
      got.pop_back();
      EXPECT_EQ(got, want) << "b=" << b << " n=" << n;
      bytes back(n);
      L::unpack_lsb_first(got.data(), n, b, back.data());
      EXPECT_EQ(back, codes) << "b=" << b << " n=" << n;
    }
  }
}

TEST(LsbFirst, LastBytePaddedWithZerosAndCodesMasked) {
  const bytes codes = {0xFF, 0xFF, 0xFF};  // 3 codes of 3 bits: 9 bits, 2 bytes; only the low 3 bits count
  bytes got(2, 0xAA);
  L::pack_lsb_first(codes.data(), 3, 3, got.data());
  EXPECT_EQ(got, (bytes{0xFF, 0x01}));
}

TEST(LsbFirst, FourBitsIsLowFirstNibblesAndEightBitsACopy) {
  const bytes codes = {3, 12, 7, 1, 15, 0, 9};
  bytes a(4), b(4);
  L::pack_lsb_first(codes.data(), codes.size(), 4, a.data());
  L::pack_nibbles<L::nibble_order::low_first>(codes.data(), codes.size(), b.data());
  EXPECT_EQ(a, b);
  bytes c(codes.size());
  L::pack_lsb_first(codes.data(), codes.size(), 8, c.data());
  EXPECT_EQ(c, codes);
}

TEST(LsbFirst, BadWidthThrows) {
  std::uint8_t buf[4] = {};
  EXPECT_THROW(L::pack_lsb_first(buf, 1, 0, buf), ao::error);
  EXPECT_THROW(L::pack_lsb_first(buf, 1, 9, buf), ao::error);
  EXPECT_THROW(L::unpack_lsb_first(buf, 1, -1, buf), ao::error);
  try {
    L::unpack_lsb_first(buf, 1, 9, buf);
    ADD_FAILURE() << "no throw";
  } catch (const ao::error& e) {
    EXPECT_NE(std::string(e.what()).find("bits = 9"), std::string::npos) << e.what();
  }
}

TEST(Fp6FourInThree, BitPositions) {
  // c0 in bits 0-5 of byte 0; c1 in bits 6-7 of byte 0 and 0-3 of byte 1; c2 in bits 4-7 of byte 1 and 0-1 of
  // byte 2; c3 in bits 2-7 of byte 2.
  const std::uint8_t one_hot[4][4] = {{0x3F, 0, 0, 0}, {0, 0x3F, 0, 0}, {0, 0, 0x3F, 0}, {0, 0, 0, 0x3F}};
  const bytes want[4] = {{0x3F, 0x00, 0x00}, {0xC0, 0x0F, 0x00}, {0x00, 0xF0, 0x03}, {0x00, 0x00, 0xFC}};
  for (int k = 0; k < 4; ++k) {
    bytes got(3);
    L::pack_fp6_4in3(one_hot[k], 4, got.data());
    EXPECT_EQ(got, want[k]) << "c" << k;
    bytes back(4);
    L::unpack_fp6_4in3(got.data(), 4, back.data());
    EXPECT_EQ(0, std::memcmp(back.data(), one_hot[k], 4)) << "c" << k;
  }
  // c = 0x21 (e2m3 1.125), 0x05, 0x30, 0x1A: byte0 = 0x21 | (5&3)<<6 = 0x61, byte1 = 5>>2 | (0x30&0xF)<<4 = 0x01,
  // byte2 = 0x30>>4 | 0x1A<<2 = 0x6B.
  const std::uint8_t c[4] = {0x21, 0x05, 0x30, 0x1A};
  bytes got(L::packed_fp6_4in3_bytes(4));
  L::pack_fp6_4in3(c, 4, got.data());
  EXPECT_EQ(got, (bytes{0x61, 0x01, 0x6B}));
  EXPECT_THROW(L::pack_fp6_4in3(c, 3, got.data()), ao::error);
  EXPECT_THROW(L::unpack_fp6_4in3(got.data(), 6, got.data()), ao::error);
}

// The packers are constexpr.
constexpr unsigned constexpr_packed() {
  const std::uint8_t codes[4] = {1, 2, 3, 0x3F};
  std::uint8_t nib[2] = {}, six[3] = {};
  L::pack_nibbles<L::nibble_order::high_first>(codes, 4, nib);
  L::pack_fp6_4in3(codes, 4, six);
  return unsigned{nib[0]} | unsigned{six[2]} << 8;
}
static_assert(constexpr_packed() == (0x12u | 0xFCu << 8), "3 >> 4 | 0x3F << 2 = 0xFC");

// ---------------------------------------------------------------------------------------------------------------
// torchao's uintx (chunk-planar shards)
// ---------------------------------------------------------------------------------------------------------------

TEST(Uintx, ShardWidths) {
  // §5.1: 1->[1], 2->[2], 3->[2, 1], 4->[4], 5->[4, 1], 6->[4, 2], 7->[4, 2, 1]
  const std::vector<std::vector<int>> want = {{1}, {2}, {2, 1}, {4}, {4, 1}, {4, 2}, {4, 2, 1}};
  const std::vector<std::vector<int>> want_shift = {{0}, {0}, {0, 2}, {0}, {0, 4}, {0, 4}, {0, 4, 6}};
  for (int bits = 1; bits <= 7; ++bits) {
    const L::uintx_shards s = L::uintx_shard_widths(bits);
    const auto& w = want[static_cast<std::size_t>(bits - 1)];
    ASSERT_EQ(s.count, static_cast<int>(w.size())) << bits;
    int total = 0;
    for (std::size_t k = 0; k < w.size(); ++k) {
      EXPECT_EQ(s.width[k], w[k]) << bits;
      EXPECT_EQ(s.shift[k], want_shift[static_cast<std::size_t>(bits - 1)][k]) << bits;
      total += s.width[k];
    }
    EXPECT_EQ(total, bits);
  }
  static_assert(L::uintx_shard_widths(7).count == 3, "constexpr");
  EXPECT_THROW(L::uintx_shard_widths(0), ao::error);
  EXPECT_THROW(L::uintx_shard_widths(8), ao::error);
}

TEST(Uintx, DocstringUint6Example) {
  // bitpacking.py's docstring: [0x30,0x29,0x17,0x05,0x20,0x16,0x09,0x22] -> [[0, 105, 151, 37], [39, 146]]
  const bytes codes = {0x30, 0x29, 0x17, 0x05, 0x20, 0x16, 0x09, 0x22};
  bytes s0(4), s1(2);
  std::uint8_t* shards[] = {s0.data(), s1.data()};
  L::pack_uintx(codes.data(), 1, 8, 6, shards);
  EXPECT_EQ(s0, (bytes{0, 105, 151, 37}));
  EXPECT_EQ(s1, (bytes{39, 146}));
  bytes back(8);
  const std::uint8_t* in[] = {s0.data(), s1.data()};
  L::unpack_uintx(in, 1, 8, 6, back.data());
  EXPECT_EQ(back, codes);
}

TEST(Uintx, SpecUint4Example) {
  // §5.1: [5,10,15,4,9,14,3,8,13,2,7,12,1,6,11,0] -> [213,42,127,196,25,110,179,8] (5 | 13<<4 = 213)
  const bytes codes = {5, 10, 15, 4, 9, 14, 3, 8, 13, 2, 7, 12, 1, 6, 11, 0};
  bytes s0(8);
  std::uint8_t* shards[] = {s0.data()};
  L::pack_uintx(codes.data(), 1, 16, 4, shards);
  EXPECT_EQ(s0, (bytes{213, 42, 127, 196, 25, 110, 179, 8}));
}

TEST(Uintx, EveryWidthMatchesTorchaoFile) {
  const auto& f = ao::testing::torchao_other();
  std::size_t compared = 0;
  for (int bits = 1; bits <= 7; ++bits) {
    SCOPED_TRACE("w" + std::to_string(bits));
    const std::string key = "uintx.w" + std::to_string(bits);
    const auto codes = f.get(key + ".codes");
    ASSERT_EQ(codes.dtype, "U8");
    ASSERT_EQ(codes.shape.size(), 2u);
    const auto rows = static_cast<std::size_t>(codes.shape[0]), n = static_cast<std::size_t>(codes.shape[1]);
    const L::uintx_shards sh = L::uintx_shard_widths(bits);
    ASSERT_FALSE(f.has(key + ".shard" + std::to_string(sh.count)));
    std::vector<bytes> got(static_cast<std::size_t>(sh.count));
    std::vector<std::uint8_t*> out;
    std::vector<const std::uint8_t*> in;
    for (int s = 0; s < sh.count; ++s) {
      const auto want = f.get(key + ".shard" + std::to_string(s));
      ASSERT_EQ(want.shape, (std::vector<std::int64_t>{
                                codes.shape[0], static_cast<std::int64_t>(L::uintx_shard_row_bytes(bits, s, n))}));
      got[static_cast<std::size_t>(s)].assign(want.bytes.size(), 0xAA);
      out.push_back(got[static_cast<std::size_t>(s)].data());
    }
    L::pack_uintx(codes.bytes.data(), rows, n, bits, out.data());
    for (int s = 0; s < sh.count; ++s) {
      EXPECT_EQ(got[static_cast<std::size_t>(s)], f.get(key + ".shard" + std::to_string(s)).bytes) << "shard " << s;
      compared += got[static_cast<std::size_t>(s)].size();
      in.push_back(got[static_cast<std::size_t>(s)].data());
    }
    bytes back(rows * n);
    L::unpack_uintx(in.data(), rows, n, bits, back.data());
    EXPECT_EQ(back, codes.bytes);
  }
  EXPECT_EQ(compared, 16u * 64u * 28u / 8u);  // 16 x 64 codes of 1 + 2 + ... + 7 bits
}

TEST(Uintx, BadInputThrows) {
  std::uint8_t buf[16] = {};
  std::uint8_t* shards[] = {buf, buf, buf};
  EXPECT_THROW(L::pack_uintx(buf, 1, 12, 4, shards), ao::error);  // n % 8 != 0
  EXPECT_THROW(L::pack_uintx(buf, 1, 8, 8, shards), ao::error);
  EXPECT_THROW(L::pack_uintx(buf, 1, 8, 0, shards), ao::error);
  const std::uint8_t* in[] = {buf, buf, buf};
  EXPECT_THROW(L::unpack_uintx(in, 1, 4, 2, buf), ao::error);
}

// ---------------------------------------------------------------------------------------------------------------
// torchao's C++ lowbit layouts
// ---------------------------------------------------------------------------------------------------------------

std::int32_t le32(const std::int8_t* p) {
  std::uint32_t u = 0;
  for (int k = 3; k >= 0; --k) u = u << 8 | static_cast<std::uint8_t>(p[k]);
  return static_cast<std::int32_t>(u);
}

TEST(Lowbit, GoldenHeaderIsTheDocumentedOne) {
  // §6.1: 16 little-endian int32 [6712, 2, 1, nbit, 32, 128, 0 x 10]
  for (int nbit = 1; nbit <= 7; ++nbit) {
    const std::int8_t* g = ao::testing::lowbit_golden[nbit - 1];
    ASSERT_EQ(ao::testing::lowbit_golden_size[nbit - 1], 64u + 128u * static_cast<unsigned>(nbit));
    const std::int32_t want[16] = {6712, 2, 1, nbit, 32, 128, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int k = 0; k < 16; ++k) EXPECT_EQ(le32(g + 4 * k), want[k]) << "nbit " << nbit << " word " << k;
  }
}

TEST(Lowbit, GoldenVectorsFromArm) {
  // §5.4: weight[i][j] = (i + j) % 2^nbit (int8, 16 x 64), packed row by row after the 64-byte header. After the
  // +2^(nbit-1) bias these values exceed nbit bits, so the unmasked fields are exercised.
  for (int nbit = 1; nbit <= 7; ++nbit) {
    SCOPED_TRACE("nbit " + std::to_string(nbit));
    const std::size_t row_bytes = L::lowbit_row_bytes(64, nbit);
    ASSERT_EQ(row_bytes, 8u * static_cast<unsigned>(nbit));
    const std::int8_t* data = ao::testing::lowbit_golden[nbit - 1] + 64;
    int bad = 0;
    for (int i = 0; i < 16; ++i) {
      std::int8_t w[64];
      for (int j = 0; j < 64; ++j) w[j] = static_cast<std::int8_t>((i + j) % (1 << nbit));
      bytes got(row_bytes, 0xAA);
      L::pack_lowbit_int_row(w, 64, nbit, got.data());
      for (std::size_t k = 0; k < row_bytes; ++k) {
        const auto want = static_cast<std::uint8_t>(data[static_cast<std::size_t>(i) * row_bytes + k]);
        if (got[k] != want && bad++ < 5)
          ADD_FAILURE() << "row " << i << " byte " << k << ": ao " << int(got[k]) << ", torchao " << int(want);
      }
    }
    EXPECT_EQ(bad, 0);
  }
  // The spec quotes the start of nbit 4's data.
  const std::int8_t want4[16] = {-120, -103, -86, -69, -52, -35, -18, -1, 16, 17, 50, 51, 84, 85, 118, 119};
  std::int8_t w[64];
  for (int j = 0; j < 64; ++j) w[j] = static_cast<std::int8_t>(j % 16);
  bytes got(32);
  L::pack_lowbit_int_row(w, 64, 4, got.data());
  for (int k = 0; k < 16; ++k) EXPECT_EQ(static_cast<std::int8_t>(got[static_cast<std::size_t>(k)]), want4[k]) << k;
}

TEST(Lowbit, EveryChunkSizeMatchesTorchaoFallbackRows) {
  // Rows of 224 = 128 + 64 + 32 values, packed by torchao's own fallback code (lowbit_golden_bytes.hpp).
  for (int nbit = 1; nbit <= 8; ++nbit) {
    SCOPED_TRACE("nbit " + std::to_string(nbit));
    const std::size_t nb = L::lowbit_row_bytes(224, nbit);
    const int bias = nbit < 8 ? 1 << (nbit - 1) : 128;
    std::int8_t in_range[224], wide[224];
    for (int j = 0; j < 224; ++j) {
      in_range[j] = static_cast<std::int8_t>((j * 7 + 3) % (1 << nbit) - bias);
      wide[j] = static_cast<std::int8_t>(static_cast<std::uint8_t>(j % (1 << nbit)));
    }
    bytes got(nb + 1, 0xAA);
    L::pack_lowbit_int_row(in_range, 224, nbit, got.data());
    EXPECT_EQ(got.back(), 0xAA);
    EXPECT_EQ(bytes(got.begin(), got.end() - 1),
              bytes(ao::testing::lowbit_row224[nbit - 1], ao::testing::lowbit_row224[nbit - 1] + nb));
    std::int8_t back[224];
    L::unpack_lowbit_int_row(got.data(), 224, nbit, back);
    EXPECT_EQ(0, std::memcmp(back, in_range, 224));
    L::pack_lowbit_int_row(wide, 224, nbit, got.data());
    EXPECT_EQ(bytes(got.begin(), got.end() - 1),
              bytes(ao::testing::lowbit_row224_wide[nbit - 1], ao::testing::lowbit_row224_wide[nbit - 1] + nb));
  }
}

TEST(Lowbit, RoundTripsInRangeValuesOfEveryWidthAndRowLength) {
  std::mt19937 rng(7);
  for (int nbit = 1; nbit <= 8; ++nbit) {
    for (std::size_t n : {32u, 64u, 96u, 128u, 160u, 192u, 224u, 256u, 288u, 416u}) {
      SCOPED_TRACE("nbit " + std::to_string(nbit) + " n " + std::to_string(n));
      bytes u(n);
      for (auto& v : u) v = static_cast<std::uint8_t>(rng() & ((1u << nbit) - 1));
      bytes packed(L::lowbit_row_bytes(n, nbit) + 1, 0x5C);
      L::pack_lowbit_uint_row(u.data(), n, nbit, packed.data());
      EXPECT_EQ(packed.back(), 0x5C);  // nothing written past n * nbit / 8 bytes
      bytes back(n);
      L::unpack_lowbit_uint_row(packed.data(), n, nbit, back.data());
      EXPECT_EQ(back, u);

      std::vector<std::int8_t> s(n), sback(n);
      const int lo = nbit < 8 ? -(1 << (nbit - 1)) : -128;
      for (auto& v : s) v = static_cast<std::int8_t>(lo + static_cast<int>(rng() % (1u << nbit)));
      L::pack_lowbit_int_row(s.data(), n, nbit, packed.data());
      L::unpack_lowbit_int_row(packed.data(), n, nbit, sback.data());
      EXPECT_EQ(sback, s);
      if (nbit < 8) {  // signed = unsigned packing of the biased values
        bytes biased(n), via_uint(packed.size() - 1);
        for (std::size_t i = 0; i < n; ++i) biased[i] = static_cast<std::uint8_t>(s[i] - lo);
        L::pack_lowbit_uint_row(biased.data(), n, nbit, via_uint.data());
        EXPECT_EQ(via_uint, bytes(packed.begin(), packed.end() - 1));
      }
    }
  }
}

TEST(Lowbit, BadInputThrows) {
  std::uint8_t buf[64] = {};
  std::int8_t sbuf[64] = {};
  EXPECT_THROW(L::pack_lowbit_uint_row(buf, 48, 4, buf), ao::error);
  EXPECT_THROW(L::unpack_lowbit_uint_row(buf, 16, 4, buf), ao::error);
  EXPECT_THROW(L::pack_lowbit_int_row(sbuf, 32, 0, buf), ao::error);
  EXPECT_THROW(L::unpack_lowbit_int_row(buf, 32, 9, sbuf), ao::error);
  try {
    L::pack_lowbit_int_row(sbuf, 40, 3, buf);
    ADD_FAILURE() << "no throw";
  } catch (const ao::error& e) {
    EXPECT_NE(std::string(e.what()).find("multiple of 32"), std::string::npos) << e.what();
  }
}

}  // namespace

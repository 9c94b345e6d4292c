// Sub-byte packing at every width (ao/layout/bit_packing.hpp, ao/layout/lowbit_packing.hpp), without torchao's
// files (packing_test.cc compares with those): round trips of every width 1..7 (and 8 where the packing has it) in
// every packing, over many row lengths and several rows, and byte patterns derived by hand from the spec's
// formulas for the widths the spec gives no example of:
//   uintx (§5.1)    hand-packed shards for widths 1, 2, 3, 5 and 7 (the spec's own 4 and 6 are in packing_test.cc);
//                   bits above the width are ignored.
//   lowbit (§5.3)   for every nbit 1..8 and every chunk size (32, 64, 128), where each bit of each value lands,
//                   written here from §5.3's formulas and checked one bit at a time (a one-hot value packs to
//                   exactly one bit: the whole linear map for in-range values), and a 32-value chunk of the ramp
//                   v[j] = j mod 2^nbit worked by hand per nbit (§5.4's golden vectors use 64-value rows).
//   lsb_first       a hand-worked stream for widths 1, 2, 5 and 7 (3 and 6 are in packing_test.cc).
// Expected bytes never come from the code under test.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "ao/layout/bit_packing.hpp"
#include "ao/layout/lowbit_packing.hpp"

namespace {

using bytes = std::vector<std::uint8_t>;
namespace L = ao::layout;

// ---------------------------------------------------------------------------------------------------------------
// uintx (§5.1): packed_shard[k] = OR_{j < 8/w} shard[j * (N / (8/w)) + k] << (j * w)
// ---------------------------------------------------------------------------------------------------------------

// Packs one row of codes with pack_uintx; returns the shards.
std::vector<bytes> uintx_pack(const bytes& codes, std::size_t rows, int bits) {
  const std::size_t n = codes.size() / rows;
  const L::uintx_shards sh = L::uintx_shard_widths(bits);
  std::vector<bytes> shards(static_cast<std::size_t>(sh.count));
  std::vector<std::uint8_t*> out;
  for (int s = 0; s < sh.count; ++s) {
    shards[static_cast<std::size_t>(s)].assign(rows * L::uintx_shard_row_bytes(bits, s, n) + 1, 0xC3);  // + guard
    out.push_back(shards[static_cast<std::size_t>(s)].data());
  }
  L::pack_uintx(codes.data(), rows, n, bits, out.data());
  for (auto& s : shards) {
    EXPECT_EQ(s.back(), 0xC3) << "written past the shard";
    s.pop_back();
  }
  return shards;
}

bytes uintx_unpack(const std::vector<bytes>& shards, std::size_t rows, std::size_t n, int bits) {
  std::vector<const std::uint8_t*> in;
  for (const auto& s : shards) in.push_back(s.data());
  bytes codes(rows * n, 0xEE);
  L::unpack_uintx(in.data(), rows, n, bits, codes.data());
  return codes;
}

TEST(UintxWidths, HandPackedShards) {
  // uint1, 16 codes: one shard of w = 1, 8 slots a byte, L = 2 bytes: byte k = OR_j v[2j + k] << j.
  //   v = 1,0,0,1, 1,1,0,0, 0,0,0,1, 1,0,1,1: even codes v0,v2,..,v14 = 1,0,1,0,0,0,1,1 -> bits 0,2,6,7 = 197;
  //   odd codes v1,v3,..,v15 = 0,1,1,0,0,1,0,1 -> bits 1,2,5,7 = 166.
  EXPECT_EQ(uintx_pack({1, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 1, 1}, 1, 1), (std::vector<bytes>{{197, 166}}));
  // uint2, 8 codes: w = 2, 4 slots, L = 2: byte k = v[k] | v[2+k] << 2 | v[4+k] << 4 | v[6+k] << 6.
  //   v = 3,1,2,0,1,3,0,2: byte 0 = 3 | 2<<2 | 1<<4 | 0<<6 = 27; byte 1 = 1 | 0<<2 | 3<<4 | 2<<6 = 177.
  EXPECT_EQ(uintx_pack({3, 1, 2, 0, 1, 3, 0, 2}, 1, 2), (std::vector<bytes>{{27, 177}}));
  // uint3, 8 codes: shard 0 = bits 0-1 (as uint2), shard 1 = bit 2 (as uint1, L = 1).
  //   v = 7,0,5,2,6,1,3,4: v & 3 = 3,0,1,2,2,1,3,0 -> 3 | 1<<2 | 2<<4 | 3<<6 = 231, 0 | 2<<2 | 1<<4 | 0<<6 = 24;
  //   bit 2 = 1,0,1,0,1,0,0,1 -> bits 0,2,4,7 = 149.
  EXPECT_EQ(uintx_pack({7, 0, 5, 2, 6, 1, 3, 4}, 1, 3), (std::vector<bytes>{{231, 24}, {149}}));
  // uint5, 8 codes: shard 0 = bits 0-3 (w = 4, L = 4: byte k = u[k] | u[4+k] << 4), shard 1 = bit 4.
  //   v = 31,16,5,20,9,0,27,14: low nibbles 15,0,5,4,9,0,11,14 -> 15|9<<4 = 159, 0|0<<4 = 0, 5|11<<4 = 181,
  //   4|14<<4 = 228; bit 4 = 1,1,0,1,0,0,1,0 -> bits 0,1,3,6 = 75.
  EXPECT_EQ(uintx_pack({31, 16, 5, 20, 9, 0, 27, 14}, 1, 5), (std::vector<bytes>{{159, 0, 181, 228}, {75}}));
  // uint7, 8 codes: shards bits 0-3 (w 4), bits 4-5 (w 2), bit 6 (w 1).
  //   v = 127,64,35,90,1,100,77,18: low nibbles 15,0,3,10,1,4,13,2 -> 15|1<<4 = 31, 0|4<<4 = 64, 3|13<<4 = 211,
  //   10|2<<4 = 42; bits 4-5: 3,0,2,1,0,2,0,1 -> 3|2<<2|0<<4|0<<6 = 11, 0|1<<2|2<<4|1<<6 = 100;
  //   bit 6: 1,1,0,1,0,1,1,0 -> bits 0,1,3,5,6 = 107.
  EXPECT_EQ(uintx_pack({127, 64, 35, 90, 1, 100, 77, 18}, 1, 7),
            (std::vector<bytes>{{31, 64, 211, 42}, {11, 100}, {107}}));
}

TEST(UintxWidths, RoundTripsEveryWidthRowLengthAndRowCount) {
  std::mt19937 rng(2024);
  std::size_t checked = 0;
  for (int bits = 1; bits <= 7; ++bits) {
    const L::uintx_shards sh = L::uintx_shard_widths(bits);
    for (std::size_t n : {8u, 16u, 24u, 40u, 64u, 72u, 128u, 136u, 256u}) {
      for (std::size_t rows : {1u, 2u, 5u}) {
        SCOPED_TRACE("bits " + std::to_string(bits) + " n " + std::to_string(n) + " rows " + std::to_string(rows));
        bytes codes(rows * n);
        for (auto& c : codes) c = static_cast<std::uint8_t>(rng() & ((1u << bits) - 1));
        std::size_t total = 0;
        for (int s = 0; s < sh.count; ++s) total += L::uintx_shard_row_bytes(bits, s, n);
        EXPECT_EQ(total, n * static_cast<std::size_t>(bits) / 8);  // the shards hold exactly n * bits bits a row
        const std::vector<bytes> shards = uintx_pack(codes, rows, bits);
        EXPECT_EQ(uintx_unpack(shards, rows, n, bits), codes);
        // Bits above the width are ignored: the same shards.
        bytes dirty = codes;
        for (auto& c : dirty) c = static_cast<std::uint8_t>(c | (rng() << bits));
        EXPECT_EQ(uintx_pack(dirty, rows, bits), shards);
        // Extremes: all zeros and all ones pack to all-zero and all-one shards.
        for (unsigned fill : {0u, (1u << bits) - 1}) {
          const std::vector<bytes> s = uintx_pack(bytes(rows * n, static_cast<std::uint8_t>(fill)), rows, bits);
          for (const auto& shard : s) {
            for (std::uint8_t b : shard) ASSERT_EQ(b, fill ? 0xFF : 0x00);
          }
        }
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 7u * 9u * 3u);
}

// ---------------------------------------------------------------------------------------------------------------
// lowbit (§5.3)
// ---------------------------------------------------------------------------------------------------------------

struct bit_position {
  int byte, bit;
};

// Where bit t of value j of a chunk of `size` values (32, 64 or 128) lands, for nbit 1..8, from §5.3's formulas.
bit_position lowbit_position(int nbit, int size, int j, int t) {
  switch (nbit) {
    case 1:
      if (size == 128) return {j % 16, 7 - j / 16};  // p[i] = v[i]<<7 | v[i+16]<<6 | ... | v[i+112]
      if (size == 64) {  // p[i] = (v[i]<<3|v[16+i]<<2|v[32+i]<<1|v[48+i]) | (v[i+8]<<3|...|v[56+i])<<4, i < 8
        const int r = j % 16, q = j / 16;
        return r < 8 ? bit_position{r, 3 - q} : bit_position{r - 8, 7 - q};
      }
      return {j / 8, 7 - j % 8};  // 32: MSB-first bytes of 8 consecutive values
    case 2: {
      if (size == 128) {  // two 64-chunks
        const bit_position p = lowbit_position(2, 64, j % 64, t);
        return {p.byte + 16 * (j / 64), p.bit};
      }
      const int s = size / 4;  // 32: p[i] = v[i]<<6 | v[i+8]<<4 | v[i+16]<<2 | v[i+24]; 64: stride 16
      return {j % s, 6 - 2 * (j / s) + t};
    }
    case 3: {
      // A unit of 8 values v0..v7 into 3 bytes b0, b1, b2:
      //   b0 = (v6&3)<<6 | v0<<3 | v1,  b1 = (v7&3)<<6 | v2<<3 | v3,  b2 = (v6&4)<<5 | (v7&4)<<4 | v4<<3 | v5.
      int k, base, stride;
      if (size == 32) {  // four sequential units
        k = j % 8;
        base = 3 * (j / 8);
        stride = 1;
      } else {  // 64: v_k = v[i+8k] into bytes i, i+8, i+16; 128: stride 16
        stride = size / 8;
        k = j / stride;
        base = j % stride;
      }
      int m, bit;
      if (k < 6) {
        m = k / 2;
        bit = (k % 2 == 0 ? 3 : 0) + t;
      } else if (t < 2) {
        m = k - 6;  // v6 -> b0, v7 -> b1
        bit = 6 + t;
      } else {
        m = 2;
        bit = k == 6 ? 7 : 6;
      }
      return {base + stride * m, bit};
    }
    case 4: {  // 32: p[i] = (v[i+16]&0xF)<<4 | v[i]; 64 and 128: 2 or 4 such chunks
      const int c = j / 32, r = j % 32;
      return r < 16 ? bit_position{16 * c + r, t} : bit_position{16 * c + r - 16, 4 + t};
    }
    case 5:
      if (size == 32) {  // units of 8 into 5 bytes: p_k = v_{2k} | (v_{2k+1}&0x1F)<<5, p_4 = OR_k (v_{2k+1}>>3) << 2k
        const int u = j / 8, e = j % 8;
        if (e % 2 == 0) return {5 * u + e / 2, t};
        const int k = e / 2;
        return t < 3 ? bit_position{5 * u + k, 5 + t} : bit_position{5 * u + 4, 2 * k + t - 3};
      }
      if (size == 64) {
        // p[i] = v[i] | v[i+16]<<5, p[i+16] = v[i+32] | v[i+48]<<5 (i < 16),
        // p[32+i] = v[16+i]>>3 | (v[24+i]>>3)<<2 | (v[48+i]>>3)<<4 | (v[56+i]>>3)<<6 (i < 8)
        if (j < 16) return {j, t};
        if (j >= 32 && j < 48) return {j - 16, t};
        const int low_byte = j < 32 ? j - 16 : j - 32;  // v[16+i] -> p[i], v[48+i] -> p[16+i]
        if (t < 3) return {low_byte, 5 + t};
        const int field = (j < 32 ? 0 : 2) + ((j % 16) < 8 ? 0 : 1);
        return {32 + j % 8, 2 * field + t - 3};
      } else {
        // 128: p[i+16k] = v[i+32k] | v[i+16+32k]<<5 (k < 4), p[64+i] = OR_k (v[i+16+32k]>>3) << 2k (i < 16)
        const int k = j / 32, r = j % 32;
        if (r < 16) return {r + 16 * k, t};
        return t < 3 ? bit_position{r - 16 + 16 * k, 5 + t} : bit_position{64 + r - 16, 2 * k + t - 3};
      }
    case 6: {
      if (size == 128) {  // two 64-chunks
        const bit_position p = lowbit_position(6, 64, j % 64, t);
        return {p.byte + 48 * (j / 64), p.bit};
      }
      // A unit of 4 values u_k = v[i + s*k] into p[i] = u0 | (u3&3)<<6, p[i+s] = u1 | (u3&0xC)<<4,
      // p[i+2s] = u2 | (u3&0x30)<<2; 32: s = 8, 64: s = 16.
      const int s = size / 4, i = j % s, k = j / s;
      if (k < 3) return {i + s * k, t};
      return {i + s * (t / 2), 6 + t % 2};
    }
    case 7: {
      // A unit of 8: p_k = (v_k&0x7F) | bit_k(v_7)<<7 (k < 7). 64: p[8i+j] = v[8i+j] | bit_i(v[56+j])<<7;
      // 128: p[16i+j] = v[16i+j] | bit_i(v[112+j])<<7; 32: four sequential units.
      if (size == 32) {
        const int u = j / 8, e = j % 8;
        return e < 7 ? bit_position{7 * u + e, t} : bit_position{7 * u + t, 7};
      }
      const int s = size / 8;
      return j < 7 * s ? bit_position{j, t} : bit_position{s * t + j - 7 * s, 7};
    }
    default:  // 8: a copy
      return {j, t};
  }
}

TEST(LowbitWidths, EveryBitLandsWhereTheSpecSays) {
  std::size_t bits_checked = 0;
  for (int nbit = 1; nbit <= 8; ++nbit) {
    for (int size : {32, 64, 128}) {
      SCOPED_TRACE("nbit " + std::to_string(nbit) + " chunk " + std::to_string(size));
      const std::size_t nbytes = L::lowbit_row_bytes(static_cast<std::size_t>(size), nbit);
      ASSERT_EQ(nbytes, static_cast<std::size_t>(size * nbit / 8));
      std::vector<int> hits(nbytes * 8, 0);
      for (int j = 0; j < size; ++j) {
        for (int t = 0; t < nbit; ++t) {
          const bit_position want = lowbit_position(nbit, size, j, t);
          ASSERT_GE(want.byte, 0);
          ASSERT_LT(static_cast<std::size_t>(want.byte), nbytes);
          ASSERT_TRUE(want.bit >= 0 && want.bit < 8);
          ++hits[static_cast<std::size_t>(want.byte * 8 + want.bit)];
          bytes v(static_cast<std::size_t>(size), 0), got(nbytes + 1, 0xA7);
          v[static_cast<std::size_t>(j)] = static_cast<std::uint8_t>(1u << t);
          // A row of `size` values is one chunk of that size (the greedy split of 32, 64 and 128).
          L::pack_lowbit_uint_row(v.data(), v.size(), nbit, got.data());
          ASSERT_EQ(got.back(), 0xA7);
          got.pop_back();
          bytes want_bytes(nbytes, 0);
          want_bytes[static_cast<std::size_t>(want.byte)] = static_cast<std::uint8_t>(1u << want.bit);
          ASSERT_EQ(got, want_bytes) << "value " << j << " bit " << t;
          bytes back(v.size(), 0xEE);
          L::unpack_lowbit_uint_row(got.data(), v.size(), nbit, back.data());
          ASSERT_EQ(back, v) << "value " << j << " bit " << t;
          ++bits_checked;
        }
      }
      // The spec's layout is a bijection: every bit of the chunk's bytes holds exactly one value bit.
      for (std::size_t k = 0; k < hits.size(); ++k) EXPECT_EQ(hits[k], 1) << "byte " << k / 8 << " bit " << k % 8;
    }
  }
  EXPECT_EQ(bits_checked, 36u * (32u + 64u + 128u));  // sum of nbit = 36
}

// A 32-value chunk of the ramp v[j] = j mod 2^nbit (unsigned, in range), worked by hand from §5.3.
TEST(LowbitWidths, HandWorkedRampChunks) {
  auto pack32 = [](int nbit) {
    bytes v(32);
    for (std::size_t j = 0; j < 32; ++j) v[j] = static_cast<std::uint8_t>(j % (1u << nbit));
    bytes p(L::lowbit_row_bytes(32, nbit));
    L::pack_lowbit_uint_row(v.data(), 32, nbit, p.data());
    bytes back(32);
    L::unpack_lowbit_uint_row(p.data(), 32, nbit, back.data());
    EXPECT_EQ(back, v) << "nbit " << nbit;
    return p;
  };
  // nbit 1: 0,1,0,1,... MSB first, 8 values a byte: 0b01010101.
  EXPECT_EQ(pack32(1), bytes(4, 0x55));
  // nbit 2: p[i] = v[i]<<6 | v[i+8]<<4 | v[i+16]<<2 | v[i+24], and v[i+8k] = i % 4: p[i] = (i % 4) * 0b01010101.
  EXPECT_EQ(pack32(2), (bytes{0, 85, 170, 255, 0, 85, 170, 255}));
  // nbit 3: every unit is v0..v7 = 0..7: b0 = (6&3)<<6 | 0<<3 | 1 = 129, b1 = (7&3)<<6 | 2<<3 | 3 = 211,
  // b2 = (6&4)<<5 | (7&4)<<4 | 4<<3 | 5 = 128 + 64 + 32 + 5 = 229.
  bytes want3;
  for (int u = 0; u < 4; ++u) want3.insert(want3.end(), {129, 211, 229});
  EXPECT_EQ(pack32(3), want3);
  // nbit 4: p[i] = v[i+16]<<4 | v[i] = i<<4 | i = 17 i.
  bytes want4;
  for (int i = 0; i < 16; ++i) want4.push_back(static_cast<std::uint8_t>(17 * i));
  EXPECT_EQ(pack32(4), want4);
  // nbit 5: units of 8 into 5 bytes, p_k = v_{2k} | (v_{2k+1}&0x1F)<<5 (low 8 bits), p_4 = OR_k (v_{2k+1}>>3) << 2k.
  //   unit 0 (0..7): 0|1<<5 = 32, 2|3<<5 = 98, 4|5<<5 = 164, 6|7<<5 = 230, p4 = 0 (every odd value < 8).
  //   unit 1 (8..15): 8|(9<<5 & 0xFF) = 8|32 = 40, 10|96 = 106, 12|160 = 172, 14|224 = 238, p4 = 1|1<<2|1<<4|1<<6 = 85.
  //   unit 2 (16..23): 16|(17<<5 & 0xFF = 32) = 48, 18|96 = 114, 20|160 = 180, 22|224 = 246,
  //                    p4 = 2|2<<2|2<<4|2<<6 = 170.
  //   unit 3 (24..31): 24|32 = 56, 26|96 = 122, 28|160 = 188, 30|224 = 254, p4 = 3|3<<2|3<<4|3<<6 = 255.
  EXPECT_EQ(pack32(5),
            (bytes{32, 98, 164, 230, 0, 40, 106, 172, 238, 85, 48, 114, 180, 246, 170, 56, 122, 188, 254, 255}));
  // nbit 6: u_k = v[i+8k] = i + 8k; p[i] = i | ((i+24)&3)<<6, p[i+8] = (i+8) | ((i+24)&0xC)<<4,
  // p[i+16] = (i+16) | ((i+24)&0x30)<<2. i = 0 (u3 = 24 = 0b011000): 0, 8|8<<4 = 136, 16|16<<2 = 80;
  // i = 1 (u3 = 25): 1|1<<6 = 65, 9|8<<4 = 137, 17|16<<2 = 81.
  const bytes p6 = pack32(6);
  EXPECT_EQ(p6[0], 0);
  EXPECT_EQ(p6[8], 136);
  EXPECT_EQ(p6[16], 80);
  EXPECT_EQ(p6[1], 65);
  EXPECT_EQ(p6[9], 137);
  EXPECT_EQ(p6[17], 81);
  // i = 7 (u3 = 31 = 0b011111): 7|3<<6 = 199, 15|12<<4 = 207, 23|16<<2 = 87.
  EXPECT_EQ(p6[7], 199);
  EXPECT_EQ(p6[15], 207);
  EXPECT_EQ(p6[23], 87);
  // nbit 7: units of 8: p_k = v_k | bit_k(v_7)<<7. Unit 0: v7 = 7 = 0b111: 128, 129, 130, 3, 4, 5, 6.
  // Unit 1: v7 = 15 = 0b1111: 136, 137, 138, 139, 12, 13, 14. Unit 3: v7 = 31: 152, 153, 154, 155, 156, 29, 30.
  const bytes p7 = pack32(7);
  EXPECT_EQ(bytes(p7.begin(), p7.begin() + 14), (bytes{128, 129, 130, 3, 4, 5, 6, 136, 137, 138, 139, 12, 13, 14}));
  EXPECT_EQ(bytes(p7.begin() + 21, p7.end()), (bytes{152, 153, 154, 155, 156, 29, 30}));
}

// Signed rows of every width: the bias 2^(nbit-1) (§5.3), checked on the extremes: qmin packs as the all-zero
// unsigned value and qmax as the all-ones one, whatever the layout.
TEST(LowbitWidths, SignedExtremesAreTheBiasedEnds) {
  for (int nbit = 1; nbit <= 7; ++nbit) {
    for (std::size_t n : {32u, 96u, 224u}) {
      const int qmin = -(1 << (nbit - 1)), qmax = (1 << (nbit - 1)) - 1;
      for (int v : {qmin, qmax}) {
        std::vector<std::int8_t> row(n, static_cast<std::int8_t>(v));
        bytes p(L::lowbit_row_bytes(n, nbit));
        L::pack_lowbit_int_row(row.data(), n, nbit, p.data());
        EXPECT_EQ(p, bytes(p.size(), v == qmin ? 0x00 : 0xFF)) << "nbit " << nbit << " n " << n << " v " << v;
        std::vector<std::int8_t> back(n);
        L::unpack_lowbit_int_row(p.data(), n, nbit, back.data());
        EXPECT_EQ(back, row);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// LSB-first stream
// ---------------------------------------------------------------------------------------------------------------

TEST(LsbFirstWidths, HandWorkedStreams) {
  auto pack = [](const bytes& codes, int b) {
    bytes out(L::packed_lsb_first_bytes(codes.size(), b), 0xEE);
    L::pack_lsb_first(codes.data(), codes.size(), b, out.data());
    bytes back(codes.size());
    L::unpack_lsb_first(out.data(), codes.size(), b, back.data());
    EXPECT_EQ(back, codes) << "b = " << b;
    return out;
  };
  // b = 1: 1,0,1,1,0,0,1,0 | 1: bits 0,2,3,6 of byte 0 = 77; byte 1 = 1 (the other 7 bits zero).
  EXPECT_EQ(pack({1, 0, 1, 1, 0, 0, 1, 0, 1}, 1), (bytes{77, 1}));
  // b = 2: 3 | 1<<2 | 2<<4 | 0<<6 = 39; then 1.
  EXPECT_EQ(pack({3, 1, 2, 0, 1}, 2), (bytes{39, 1}));
  // b = 5: 31 in bits 0-4, 1 in bits 5-9 (bit 5), 16 in bits 10-14 (bit 14), 7 in bits 15-19 (bits 15, 16, 17):
  // byte 0 = 31 | 32 = 63, byte 1 = bit 14 | bit 15 = 64 + 128 = 192, byte 2 = bits 16, 17 = 3.
  EXPECT_EQ(pack({31, 1, 16, 7}, 5), (bytes{63, 192, 3}));
  // b = 7: 127 in bits 0-6, 0 in bits 7-13, 85 = 0b1010101 in bits 14-20 (bits 14, 16, 18, 20):
  // byte 0 = 127, byte 1 = 64, byte 2 = 1 + 4 + 16 = 21.
  EXPECT_EQ(pack({127, 0, 85}, 7), (bytes{127, 64, 21}));
}

}  // namespace

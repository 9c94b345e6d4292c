// ao/layout/lowbit_packing.hpp: torchao's C++ "lowbit" layouts (numerics spec §5.3), the byte layout of its ARM NEON
// kernels and of their x86/fallback ports (torchao/csrc/cpu/torch_free_kernels/fallback/bitpacking/), which the
// low-bit embedding ops (_pack_embedding_{n}bit) write row by row. Pure functions over raw pointers; ao::error on
// bad input (host only).
//
// A row of n values (n % 32 == 0) is cut greedily into chunks of 128 values, then at most one of 64, then at most
// one of 32; chunk c of `size` values takes size * nbit / 8 bytes, right after the previous chunk's. Inside a chunk
// the layout depends on nbit and on the chunk size; below v[.] is the chunk's (unsigned) values, p[.] its bytes,
// and "unit(s)" a group of values v[i + s*k] whose fields land in bytes p[i + s*m] (i < s).
//
//   nbit 1  128: p[i] = v[i]<<7 | v[i+16]<<6 | ... | v[i+112]                                   (i < 16)
//            64: p[i] = (v[i]<<3 | v[i+16]<<2 | v[i+32]<<1 | v[i+48]) & 0xF
//                       | (v[i+8]<<3 | v[i+24]<<2 | v[i+40]<<1 | v[i+56]) << 4                    (i < 8)
//            32: p[b] = v[8b]<<7 | v[8b+1]<<6 | ... | v[8b+7]  (MSB first)                       (b < 4)
//   nbit 2   32: p[i] = v[i]<<6 | v[i+8]<<4 | v[i+16]<<2 | v[i+24] (i < 8); 64: stride 16; 128: two 64-chunks
//   nbit 3  unit of 8 values v0..v7 (v_k = v[i + s*k]) into 3 bytes (p[i], p[i+s], p[i+2s]):
//                b0 = (v6&3)<<6 | (v0&7)<<3 | v1,   b1 = (v7&3)<<6 | (v2&7)<<3 | v3,
//                b2 = (v6&4)<<5 | (v7&4)<<4 | (v4&7)<<3 | v5
//            32: four units with s = 1 (values 8u.., bytes 3u..); 64: one with s = 8; 128: one with s = 16
//   nbit 4   32: p[i] = (v[i+16]&0xF)<<4 | v[i] (i < 16); 64 and 128: two or four 32-chunks
//   nbit 5   32: four units of 8 values into 5 bytes each: p_k = v_{2k} | (v_{2k+1}&0x1F)<<5 (k < 4),
//                p_4 = OR_k ((v_{2k+1}&0x1F) >> 3) << 2k
//            64: p[i] = v[i] | v[i+16]<<5, p[i+16] = v[i+32] | v[i+48]<<5                         (i < 16)
//                p[32+i] = v[16+i]>>3 | (v[24+i]>>3)<<2 | (v[48+i]>>3)<<4 | (v[56+i]>>3)<<6        (i < 8)
//           128: p[i+16k] = v[i+32k] | v[i+16+32k]<<5 (k < 4), p[64+i] = OR_k (v[i+16+32k]>>3) << 2k (i < 16)
//   nbit 6  unit of 4 values u0..u3 (u_k = v[i + s*k]) into p[i] = u0 | (u3&3)<<6, p[i+s] = u1 | (u3&0xC)<<4,
//                p[i+2s] = u2 | (u3&0x30)<<2;  32: s = 8; 64: s = 16; 128: two 64-chunks
//   nbit 7  unit of 8 values (v_k = v[k*s + j]) into 7 bytes p[k*s + j] = (v_k&0x7F) | bit_k(v_7)<<7 (k < 7, j < s);
//                32: four units with s = 1 (values 8u.., bytes 7u..); 64: s = 8; 128: s = 16
//   nbit 8  a copy
//
// Masking, as torchao's NEON code and its ports do it: every shift is computed in int and the byte keeps its low 8
// bits. The fields written plain above (no "&") are NOT masked: a value wider than nbit bleeds into the
// neighbouring fields of its byte. They are: nbit 1 everything but the 64-chunk's low nibble; nbit 2 everything;
// nbit 3 v1, v3, v5 of 64/128-chunks (the 32-chunk masks every field: (v&7)); nbit 4 v[i]; nbit 5 v_{2k} and the
// >>3 high parts of 64/128-chunks; nbit 6 u0, u1, u2 of 64/128-chunks (the 32-chunk masks them: u&0x3F). nbit 7
// masks everything. Packing values in [0, 2^nbit) is unaffected; torchao's golden test (spec §5.4) feeds wider ones.
// Unpacking always masks, so it returns values in [0, 2^nbit).
//
// Signed values are stored biased: u = uint8(v + 2^(nbit-1)) (mod 256) for nbit < 8, the raw bits for nbit 8;
// unpacking subtracts the bias.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "ao/error.hpp"

namespace ao::layout {

// Bytes of a packed row of n values: n * nbit / 8.
constexpr std::size_t lowbit_row_bytes(std::size_t n, int nbit) noexcept {
  return n * static_cast<std::size_t>(nbit) / 8;
}

namespace detail {

constexpr std::uint8_t low8(unsigned x) noexcept { return static_cast<std::uint8_t>(x & 0xFFu); }

// One chunk of `size` (32, 64 or 128) unsigned values into size * nbit / 8 bytes.
inline void lowbit_pack_chunk(const std::uint8_t* v, int size, int nbit, std::uint8_t* p) {
  const auto V = [v](int i) { return static_cast<unsigned>(v[i]); };
  switch (nbit) {
    case 1:
      if (size == 64) {
        for (int i = 0; i < 8; ++i) {
          const unsigned lo = (V(i) << 3 | V(i + 16) << 2 | V(i + 32) << 1 | V(i + 48)) & 0xFu;
          const unsigned hi = V(i + 8) << 3 | V(i + 24) << 2 | V(i + 40) << 1 | V(i + 56);
          p[i] = low8(lo | hi << 4);
        }
      } else {  // 128: bit planes of stride 16; 32: 8 consecutive values a byte
        const int bytes = size / 8, stride = size == 128 ? 16 : 1, step = size == 128 ? 1 : 8;
        for (int b = 0; b < bytes; ++b) {
          unsigned x = 0;
          for (int k = 0; k < 8; ++k) x |= V(b * step + k * stride) << (7 - k);
          p[b] = low8(x);
        }
      }
      return;
    case 2: {
      if (size == 128) {
        lowbit_pack_chunk(v, 64, 2, p);
        lowbit_pack_chunk(v + 64, 64, 2, p + 16);
        return;
      }
      const int s = size / 4;
      for (int i = 0; i < s; ++i) p[i] = low8(V(i) << 6 | V(i + s) << 4 | V(i + 2 * s) << 2 | V(i + 3 * s));
      return;
    }
    case 3: {
      const auto unit = [&](int base_v, int base_p, int s, bool mask) {
        const auto u = [&](int k) { return V(base_v + s * k); };
        const auto plain = [mask](unsigned x) { return mask ? x & 7u : x; };
        p[base_p] = low8((u(6) & 3u) << 6 | (u(0) & 7u) << 3 | plain(u(1)));
        p[base_p + s] = low8((u(7) & 3u) << 6 | (u(2) & 7u) << 3 | plain(u(3)));
        p[base_p + 2 * s] = low8((u(6) & 4u) << 5 | (u(7) & 4u) << 4 | (u(4) & 7u) << 3 | plain(u(5)));
      };
      if (size == 32) {
        for (int g = 0; g < 4; ++g) unit(8 * g, 3 * g, 1, true);
      } else {
        const int s = size / 8;
        for (int i = 0; i < s; ++i) unit(i, i, s, false);
      }
      return;
    }
    case 4:
      for (int c = 0; c < size / 32; ++c) {
        for (int i = 0; i < 16; ++i) p[16 * c + i] = low8((V(32 * c + i + 16) & 0xFu) << 4 | V(32 * c + i));
      }
      return;
    case 5:
      if (size == 32) {
        for (int g = 0; g < 4; ++g) {
          unsigned high = 0;
          for (int k = 0; k < 4; ++k) {
            const unsigned odd = V(8 * g + 2 * k + 1) & 0x1Fu;
            p[5 * g + k] = low8(V(8 * g + 2 * k) | odd << 5);
            high |= (odd >> 3) << (2 * k);
          }
          p[5 * g + 4] = low8(high);
        }
      } else if (size == 64) {
        for (int i = 0; i < 16; ++i) {
          p[i] = low8(V(i) | (V(i + 16) & 0x1Fu) << 5);
          p[i + 16] = low8(V(i + 32) | (V(i + 48) & 0x1Fu) << 5);
        }
        for (int i = 0; i < 8; ++i) {
          p[32 + i] = low8(V(16 + i) >> 3 | (V(24 + i) >> 3) << 2 | (V(48 + i) >> 3) << 4 | (V(56 + i) >> 3) << 6);
        }
      } else {
        for (int i = 0; i < 16; ++i) {
          unsigned high = 0;
          for (int k = 0; k < 4; ++k) {
            p[i + 16 * k] = low8(V(i + 32 * k) | (V(i + 16 + 32 * k) & 0x1Fu) << 5);
            high |= (V(i + 16 + 32 * k) >> 3) << (2 * k);
          }
          p[64 + i] = low8(high);
        }
      }
      return;
    case 6: {
      if (size == 128) {
        lowbit_pack_chunk(v, 64, 6, p);
        lowbit_pack_chunk(v + 64, 64, 6, p + 48);
        return;
      }
      const int s = size / 4;
      const bool mask = size == 32;
      for (int i = 0; i < s; ++i) {
        const auto plain = [&](int k) { return mask ? V(i + s * k) & 0x3Fu : V(i + s * k); };
        const unsigned u3 = V(i + 3 * s);
        p[i] = low8(plain(0) | (u3 & 0x03u) << 6);
        p[i + s] = low8(plain(1) | (u3 & 0x0Cu) << 4);
        p[i + 2 * s] = low8(plain(2) | (u3 & 0x30u) << 2);
      }
      return;
    }
    case 7: {
      const auto unit = [&](int base_v, int base_p, int s) {
        for (int j = 0; j < s; ++j) {
          const unsigned last = V(base_v + 7 * s + j) & 0x7Fu;
          for (int k = 0; k < 7; ++k) {
            p[base_p + k * s + j] = low8((V(base_v + k * s + j) & 0x7Fu) | ((last >> k) & 1u) << 7);
          }
        }
      };
      if (size == 32) {
        for (int g = 0; g < 4; ++g) unit(8 * g, 7 * g, 1);
      } else {
        unit(0, 0, size / 8);
      }
      return;
    }
    default:  // 8
      for (int i = 0; i < size; ++i) p[i] = v[i];
      return;
  }
}

// The inverse of lowbit_pack_chunk for values in [0, 2^nbit); every field is masked.
inline void lowbit_unpack_chunk(const std::uint8_t* p, int size, int nbit, std::uint8_t* v) {
  const auto P = [p](int i) { return static_cast<unsigned>(p[i]); };
  switch (nbit) {
    case 1:
      if (size == 64) {
        for (int i = 0; i < 16; ++i) {
          const unsigned nib = i < 8 ? P(i) & 0xFu : P(i - 8) >> 4;
          for (int k = 0; k < 4; ++k) v[i + 16 * k] = low8((nib >> (3 - k)) & 1u);
        }
      } else {
        const int bytes = size / 8, stride = size == 128 ? 16 : 1, step = size == 128 ? 1 : 8;
        for (int b = 0; b < bytes; ++b) {
          for (int k = 0; k < 8; ++k) v[b * step + k * stride] = low8((P(b) >> (7 - k)) & 1u);
        }
      }
      return;
    case 2: {
      if (size == 128) {
        lowbit_unpack_chunk(p, 64, 2, v);
        lowbit_unpack_chunk(p + 16, 64, 2, v + 64);
        return;
      }
      const int s = size / 4;
      for (int i = 0; i < s; ++i) {
        for (int k = 0; k < 4; ++k) v[i + s * k] = low8((P(i) >> (6 - 2 * k)) & 3u);
      }
      return;
    }
    case 3: {
      const auto unit = [&](int base_v, int base_p, int s) {
        const unsigned b0 = P(base_p), b1 = P(base_p + s), b2 = P(base_p + 2 * s);
        const unsigned u[8] = {(b0 >> 3) & 7u,
                               b0 & 7u,
                               (b1 >> 3) & 7u,
                               b1 & 7u,
                               (b2 >> 3) & 7u,
                               b2 & 7u,
                               b0 >> 6 | ((b2 >> 5) & 4u),
                               b1 >> 6 | ((b2 >> 4) & 4u)};
        for (int k = 0; k < 8; ++k) v[base_v + s * k] = low8(u[k]);
      };
      if (size == 32) {
        for (int g = 0; g < 4; ++g) unit(8 * g, 3 * g, 1);
      } else {
        const int s = size / 8;
        for (int i = 0; i < s; ++i) unit(i, i, s);
      }
      return;
    }
    case 4:
      for (int c = 0; c < size / 32; ++c) {
        for (int i = 0; i < 16; ++i) {
          v[32 * c + i] = low8(P(16 * c + i) & 0xFu);
          v[32 * c + i + 16] = low8(P(16 * c + i) >> 4);
        }
      }
      return;
    case 5:
      if (size == 32) {
        for (int g = 0; g < 4; ++g) {
          for (int k = 0; k < 4; ++k) {
            v[8 * g + 2 * k] = low8(P(5 * g + k) & 0x1Fu);
            v[8 * g + 2 * k + 1] = low8(P(5 * g + k) >> 5 | ((P(5 * g + 4) >> (2 * k)) & 3u) << 3);
          }
        }
      } else if (size == 64) {
        for (int i = 0; i < 16; ++i) {
          const unsigned high = P(32 + i % 8), field = i < 8 ? 0u : 1u;
          v[i] = low8(P(i) & 0x1Fu);
          v[i + 32] = low8(P(i + 16) & 0x1Fu);
          v[i + 16] = low8(P(i) >> 5 | ((high >> (2 * field)) & 3u) << 3);
          v[i + 48] = low8(P(i + 16) >> 5 | ((high >> (2 * (field + 2))) & 3u) << 3);
        }
      } else {
        for (int i = 0; i < 16; ++i) {
          for (int k = 0; k < 4; ++k) {
            v[i + 32 * k] = low8(P(i + 16 * k) & 0x1Fu);
            v[i + 16 + 32 * k] = low8(P(i + 16 * k) >> 5 | ((P(64 + i) >> (2 * k)) & 3u) << 3);
          }
        }
      }
      return;
    case 6: {
      if (size == 128) {
        lowbit_unpack_chunk(p, 64, 6, v);
        lowbit_unpack_chunk(p + 48, 64, 6, v + 64);
        return;
      }
      const int s = size / 4;
      for (int i = 0; i < s; ++i) {
        const unsigned p0 = P(i), p1 = P(i + s), p2 = P(i + 2 * s);
        v[i] = low8(p0 & 0x3Fu);
        v[i + s] = low8(p1 & 0x3Fu);
        v[i + 2 * s] = low8(p2 & 0x3Fu);
        v[i + 3 * s] = low8(p0 >> 6 | (p1 >> 6) << 2 | (p2 >> 6) << 4);
      }
      return;
    }
    case 7: {
      const auto unit = [&](int base_v, int base_p, int s) {
        for (int j = 0; j < s; ++j) {
          unsigned last = 0;
          for (int k = 0; k < 7; ++k) {
            v[base_v + k * s + j] = low8(P(base_p + k * s + j) & 0x7Fu);
            last |= (P(base_p + k * s + j) >> 7) << k;
          }
          v[base_v + 7 * s + j] = low8(last);
        }
      };
      if (size == 32) {
        for (int g = 0; g < 4; ++g) unit(8 * g, 7 * g, 1);
      } else {
        unit(0, 0, size / 8);
      }
      return;
    }
    default:
      for (int i = 0; i < size; ++i) v[i] = p[i];
      return;
  }
}

inline void lowbit_check(const char* op, std::size_t n, int nbit) {
  if (nbit < 1 || nbit > 8) throw ao::error(std::string(op) + ": nbit = " + std::to_string(nbit) + " is not in 1..8");
  if (n % 32 != 0) throw ao::error(std::string(op) + ": n = " + std::to_string(n) + " is not a multiple of 32");
}

// Calls f(value_offset, chunk_size) for the greedy 128/64/32 chunks of a row of n values (n % 32 == 0); the chunk's
// bytes start at value_offset * nbit / 8.
template <class F>
void lowbit_for_each_chunk(std::size_t n, F&& f) {
  std::size_t i = 0;
  for (; i + 128 <= n; i += 128) f(i, 128);
  if (i + 64 <= n) {
    f(i, 64);
    i += 64;
  }
  if (i + 32 <= n) f(i, 32);
}

}  // namespace detail

// Packs a row of n unsigned values (n % 32 == 0, nbit in 1..8; ao::error otherwise) into lowbit_row_bytes(n, nbit)
// bytes. Values should be below 2^nbit; wider ones bleed exactly as torchao's (see the header comment).
inline void pack_lowbit_uint_row(const std::uint8_t* values, std::size_t n, int nbit, std::uint8_t* packed) {
  detail::lowbit_check("pack_lowbit_uint_row", n, nbit);
  detail::lowbit_for_each_chunk(n, [&](std::size_t at, int size) {
    detail::lowbit_pack_chunk(values + at, size, nbit, packed + lowbit_row_bytes(at, nbit));
  });
}

// Unpacks a row of n unsigned values in [0, 2^nbit) (n % 32 == 0, nbit in 1..8).
inline void unpack_lowbit_uint_row(const std::uint8_t* packed, std::size_t n, int nbit, std::uint8_t* values) {
  detail::lowbit_check("unpack_lowbit_uint_row", n, nbit);
  detail::lowbit_for_each_chunk(n, [&](std::size_t at, int size) {
    detail::lowbit_unpack_chunk(packed + lowbit_row_bytes(at, nbit), size, nbit, values + at);
  });
}

// Packs a row of n signed values, biased: uint8(v + 2^(nbit-1)) for nbit < 8 (values should be in
// [-2^(nbit-1), 2^(nbit-1))), the raw byte for nbit 8. n % 32 == 0 and nbit in 1..8 (ao::error otherwise).
inline void pack_lowbit_int_row(const std::int8_t* values, std::size_t n, int nbit, std::uint8_t* packed) {
  detail::lowbit_check("pack_lowbit_int_row", n, nbit);
  const int bias = nbit < 8 ? 1 << (nbit - 1) : 0;
  std::uint8_t chunk[128];
  detail::lowbit_for_each_chunk(n, [&](std::size_t at, int size) {
    for (int i = 0; i < size; ++i)
      chunk[i] = static_cast<std::uint8_t>((values[at + static_cast<std::size_t>(i)] + bias) & 0xFF);
    detail::lowbit_pack_chunk(chunk, size, nbit, packed + lowbit_row_bytes(at, nbit));
  });
}

// Unpacks a row of n signed values in [-2^(nbit-1), 2^(nbit-1)) (the bias removed; nbit 8: the raw byte as int8).
inline void unpack_lowbit_int_row(const std::uint8_t* packed, std::size_t n, int nbit, std::int8_t* values) {
  detail::lowbit_check("unpack_lowbit_int_row", n, nbit);
  const int bias = nbit < 8 ? 1 << (nbit - 1) : 0;
  std::uint8_t chunk[128];
  detail::lowbit_for_each_chunk(n, [&](std::size_t at, int size) {
    detail::lowbit_unpack_chunk(packed + lowbit_row_bytes(at, nbit), size, nbit, chunk);
    for (int i = 0; i < size; ++i) {
      const int u = chunk[i];
      values[at + static_cast<std::size_t>(i)] =
          static_cast<std::int8_t>(nbit < 8 ? u - bias : (u >= 128 ? u - 256 : u));
    }
  });
}

}  // namespace ao::layout

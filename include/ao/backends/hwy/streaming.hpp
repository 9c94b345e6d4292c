// ao/backends/hwy/streaming.hpp: how the quantize kernels overlap their DRAM reads with their arithmetic. Out of
// cache, one core's kernels compute at about the speed DRAM delivers, and the hardware prefetchers alone leave the
// two mostly serialized (time ~ compute + transfer), so:
//   one-pass kernels (MX, NVFP4)  hint the source kStreamAheadBytes ahead of their reads: PrefetchLines(
//                                 AddressAhead(p, kStreamAheadBytes), bytes) as they read [p, p + bytes)
//   two-pass per-row kernels      (amax or range, then codes: FP8 and affine per row) interleave row r + 1's first
//                                 pass with row r's second, kRowChunkValues values at a time, so that the next
//                                 row's DRAM reads run under this row's arithmetic (row r is in cache by then);
//                                 FP8 per_block<R, C> does the same with tile k + 1's rows and tile k's;
//                                 the first pass hints kStreamAheadBytes ahead of its reads too (a chunk's demand
//                                 misses alone keep too few lines in flight behind the codes' arithmetic)
// Hints are only addresses: they may lie past the end of the data (a prefetch never faults, nothing here is
// dereferenced), and nothing here changes results.
#pragma once

#include <hwy/cache_control.h>

#include <cstddef>
#include <cstdint>

namespace ao::highway {

inline constexpr size_t kStreamAheadBytes = 4096;
inline constexpr size_t kRowChunkValues = 256;  // a multiple of every target's fp32 lane count

// The address p + bytes (as an address only).
inline const void* AddressAhead(const void* p, size_t bytes) {
  return reinterpret_cast<const void*>(reinterpret_cast<uintptr_t>(p) + bytes);
}

// Prefetch hints (into L1) for the cache lines of [p, p + bytes).
inline void PrefetchLines(const void* p, size_t bytes) {
  const uintptr_t end = reinterpret_cast<uintptr_t>(p) + bytes;
  for (uintptr_t a = reinterpret_cast<uintptr_t>(p) & ~uintptr_t{63}; a < end; a += 64) {
    ::hwy::Prefetch(reinterpret_cast<const char*>(a));
  }
}

}  // namespace ao::highway

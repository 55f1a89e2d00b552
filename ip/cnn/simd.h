// What every CNN kernel file needs to compile SIMD variants with per-function target attributes
// (the library runs on any x86-64 and picks the variant at run time), in one place.
#pragma once
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(__i386__)
#define DLVP_CNN_X86 1
// The register tiles only work fully unrolled (the accumulators must stay in registers).
#define DLVP_UNROLL _Pragma("GCC unroll 16")
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*(), which trips -Wmaybe-uninitialized
// (GCC bug 105593, fixed in GCC 13); the warning is attributed to the header, so silence it there.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
#define DLVP_TARGET_AVX2 __attribute__((target("avx2")))
#define DLVP_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl")))
#define DLVP_TARGET_VNNI __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))
#else
#define DLVP_CNN_X86 0
#endif

namespace dlvp::cnn {

// A little-endian 32-bit value at any alignment.
inline int32_t load_i32(const void* p) {
  int32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

}  // namespace dlvp::cnn

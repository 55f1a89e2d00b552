// The compute kernels of the CPU benchmark (docs/software.md, "cpu_bench"): integer work only, no
// device access, so the same code runs on the dlvp SoC (native or ISS) and on QEMU's virt machine.
// Each kernel has a second, independent implementation that checks it.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace bench {

// xorshift32 (Marsaglia): the deterministic input of every kernel.
class Random {
 public:
  explicit Random(uint32_t seed) : state_(seed ? seed : 1) {}
  uint32_t next() {
    state_ ^= state_ << 13;
    state_ ^= state_ >> 17;
    state_ ^= state_ << 5;
    return state_;
  }

 private:
  uint32_t state_;
};

// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, initial value and final xor 0xFFFFFFFF).
// The table-driven form is the kernel; the bit-at-a-time form checks it.
constexpr uint32_t kCrc32CheckValue = 0xCBF43926;  // CRC-32 of the ASCII "123456789" (the standard check)
void crc32_init_table();
uint32_t crc32_table_driven(const uint8_t* data, size_t bytes);
uint32_t crc32_bitwise(const uint8_t* data, size_t bytes);

// In-place heap sort, ascending.
void heap_sort(uint32_t* v, size_t n);
bool is_ascending(const uint32_t* v, size_t n);
// An order-independent fingerprint of a multiset of words: a sorted array must keep its input's.
struct MultisetFingerprint {
  uint32_t sum = 0, sum_of_squares = 0, hashed = 0;
  void add(uint32_t x);
  bool operator==(const MultisetFingerprint& o) const {
    return sum == o.sum && sum_of_squares == o.sum_of_squares && hashed == o.hashed;
  }
};

// 3x3 int8 convolution, no padding, stride 1, int32 accumulation: out[co][y][x] =
// sum over ci, ky, kx of in[ci][y + ky][x + kx] * w[co][ci][ky][kx].
constexpr int kConvSize = 64;                // input height and width
constexpr int kConvOut = kConvSize - 2;      // output height and width
constexpr int kConvIn = 4, kConvOutChannels = 4;
struct ConvData {
  int8_t input[kConvIn][kConvSize][kConvSize];
  int8_t weights[kConvOutChannels][kConvIn][3][3];
};
using ConvOutput = int32_t[kConvOutChannels][kConvOut][kConvOut];
// The kernel: one output pixel at a time, its 36 products summed in registers.
void conv3x3_direct(const ConvData& d, ConvOutput& out);
// The check: one weight tap at a time, added to whole output planes.
void conv3x3_by_taps(const ConvData& d, ConvOutput& out);

// FNV-1a over 32-bit words: a digest of a result array (or, chained, of several).
constexpr uint32_t kDigestStart = 2166136261u;  // the FNV-1a offset basis
uint32_t digest_words(const uint32_t* v, size_t n, uint32_t digest = kDigestStart);

}  // namespace bench

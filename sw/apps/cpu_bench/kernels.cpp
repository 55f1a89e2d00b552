#include "sw/apps/cpu_bench/kernels.h"

namespace bench {
namespace {

constexpr uint32_t kCrc32Polynomial = 0xEDB88320;  // reflected 0x04C11DB7
uint32_t g_crc_table[256];

// Moves the larger child up until v[root] is not smaller than its children (max-heap on [0, n)).
void sift_down(uint32_t* v, size_t root, size_t n) {
  const uint32_t value = v[root];
  for (size_t child = 2 * root + 1; child < n; child = 2 * root + 1) {
    if (child + 1 < n && v[child + 1] > v[child]) ++child;
    if (v[child] <= value) break;
    v[root] = v[child];
    root = child;
  }
  v[root] = value;
}

}  // namespace

void crc32_init_table() {
  for (uint32_t byte = 0; byte < 256; ++byte) {
    uint32_t crc = byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (crc & 1 ? kCrc32Polynomial : 0);
    g_crc_table[byte] = crc;
  }
}

uint32_t crc32_table_driven(const uint8_t* data, size_t bytes) {
  uint32_t crc = 0xFFFFFFFF;
  for (size_t i = 0; i < bytes; ++i) crc = (crc >> 8) ^ g_crc_table[(crc ^ data[i]) & 0xFF];
  return crc ^ 0xFFFFFFFF;
}

uint32_t crc32_bitwise(const uint8_t* data, size_t bytes) {
  uint32_t crc = 0xFFFFFFFF;
  for (size_t i = 0; i < bytes; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (kCrc32Polynomial & (0u - (crc & 1)));
  }
  return crc ^ 0xFFFFFFFF;
}

void heap_sort(uint32_t* v, size_t n) {
  for (size_t root = n / 2; root-- > 0;) sift_down(v, root, n);
  for (size_t end = n; end > 1;) {
    --end;
    const uint32_t largest = v[0];
    v[0] = v[end];
    v[end] = largest;
    sift_down(v, 0, end);
  }
}

bool is_ascending(const uint32_t* v, size_t n) {
  for (size_t i = 1; i < n; ++i)
    if (v[i - 1] > v[i]) return false;
  return true;
}

void MultisetFingerprint::add(uint32_t x) {
  sum += x;
  sum_of_squares += x * x;
  hashed += (x * 2654435761u) ^ (x >> 15);
}

void conv3x3_direct(const ConvData& d, ConvOutput& out) {
  for (int co = 0; co < kConvOutChannels; ++co)
    for (int y = 0; y < kConvOut; ++y)
      for (int x = 0; x < kConvOut; ++x) {
        int32_t acc = 0;
        for (int ci = 0; ci < kConvIn; ++ci) {
          const int8_t(&w)[3][3] = d.weights[co][ci];
          for (int ky = 0; ky < 3; ++ky) {
            const int8_t* row = &d.input[ci][y + ky][x];
            acc += row[0] * w[ky][0] + row[1] * w[ky][1] + row[2] * w[ky][2];
          }
        }
        out[co][y][x] = acc;
      }
}

void conv3x3_by_taps(const ConvData& d, ConvOutput& out) {
  for (int co = 0; co < kConvOutChannels; ++co) {
    for (int y = 0; y < kConvOut; ++y)
      for (int x = 0; x < kConvOut; ++x) out[co][y][x] = 0;
    for (int ci = 0; ci < kConvIn; ++ci)
      for (int ky = 0; ky < 3; ++ky)
        for (int kx = 0; kx < 3; ++kx) {
          const int32_t w = d.weights[co][ci][ky][kx];
          for (int y = 0; y < kConvOut; ++y)
            for (int x = 0; x < kConvOut; ++x) out[co][y][x] += w * d.input[ci][y + ky][x + kx];
        }
  }
}

uint32_t digest_words(const uint32_t* v, size_t n, uint32_t digest) {
  for (size_t i = 0; i < n; ++i) digest = (digest ^ v[i]) * 16777619u;
  return digest;
}

}  // namespace bench

// Convolution as an implicit GEMM (docs/cnn_kernels.md):
//  - the input is rewritten once as unsigned quads of 4 channels, split into stride phases and
//    padded with the value of 0 (128 unsigned), so every kernel tap (ky, kx) of every output pixel
//    is a fixed offset from the pixel's own index: no im2col copy;
//  - output pixels are indexed oy x cols + ox over the phase-plane width `cols` >= out_w; the
//    columns ox >= out_w are computed and ignored;
//  - weights are reordered to the same quads and packed into blocks of kRowBlock channels;
//  - each accumulator starts at -128 x sum(weights) of its channel, which cancels the +128 offset.
#include "ip/cnn/conv_kernel.h"

#include "ip/cnn/parallel_kernel.h"

#include <algorithm>
#include <cstring>

#include "ip/cnn/simd.h"

namespace dlvp::cnn::kernels {
namespace {

constexpr uint64_t kParallelMacs = uint64_t{1} << 20;  // below this, handing half to a helper costs more than it saves
constexpr uint32_t kMaxExactGroups = static_cast<uint32_t>(kMaxExactTerms / 4);
constexpr uint8_t kUnsignedZero = 0x80;  // int8 0 + 128
// The int32 sums of one compute() call stay below this (more channels are computed in turns).
constexpr uint64_t kMaxSumBytes = uint64_t{64} << 20;

uint64_t round_up(uint64_t v, uint64_t m) { return (v + m - 1) / m * m; }
uint32_t window_count(uint32_t padded, uint32_t window, uint32_t stride) { return (padded - window) / stride + 1; }

// Splits [0, count) into `parts` contiguous ranges whose bounds are multiples of `grain`.
std::pair<uint64_t, uint64_t> part_range(uint64_t count, uint64_t grain, uint32_t parts, uint32_t index) {
  const uint64_t units = count / grain;
  const uint64_t begin = units * index / parts, end = units * (index + 1) / parts;
  return {begin * grain, end * grain};
}

// Four channel rows into quads: dst[4 i + j] = src[j][i * step] + 128 for i < n, j < 4.
void interleave_quads_scalar(const int8_t* const src[4], uint32_t step, uint32_t n, uint8_t* dst) {
  for (uint32_t i = 0; i < n; ++i)
    for (uint32_t j = 0; j < 4; ++j) dst[4 * i + j] = static_cast<uint8_t>(src[j][uint64_t{i} * step]) ^ kUnsignedZero;
}

#if DLVP_CNN_X86
// 16 pixels per step: a 4 x 16 byte transpose (punpck), the offset by xor; the tail with masked
// loads and stores (AVX-512BW/VL), so narrow rows stay vectorized and nothing is read past a row.
DLVP_TARGET_AVX512 inline void store_quads(uint8_t* dst, __m128i quads, uint32_t pixels) {
  const __m128i offset = _mm_set1_epi8(static_cast<char>(kUnsignedZero));
  _mm_mask_storeu_epi8(dst, static_cast<__mmask16>((1u << (4 * pixels)) - 1), _mm_xor_si128(quads, offset));
}

DLVP_TARGET_AVX512 void interleave_quads_avx512(const int8_t* const src[4], uint32_t n, uint8_t* dst) {
  const int8_t *s0 = src[0], *s1 = src[1], *s2 = src[2], *s3 = src[3];
  for (uint32_t i = 0; i < n; i += 16) {
    const uint32_t left = std::min<uint32_t>(16, n - i);
    const auto mask = static_cast<__mmask16>((1u << left) - 1);
    const __m128i a = _mm_maskz_loadu_epi8(mask, s0 + i), b = _mm_maskz_loadu_epi8(mask, s1 + i);
    const __m128i c = _mm_maskz_loadu_epi8(mask, s2 + i), d = _mm_maskz_loadu_epi8(mask, s3 + i);
    const __m128i ab_lo = _mm_unpacklo_epi8(a, b), ab_hi = _mm_unpackhi_epi8(a, b);
    const __m128i cd_lo = _mm_unpacklo_epi8(c, d), cd_hi = _mm_unpackhi_epi8(c, d);
    uint8_t* out = dst + 4 * i;
    store_quads(out, _mm_unpacklo_epi16(ab_lo, cd_lo), std::min<uint32_t>(left, 4));
    if (left > 4) store_quads(out + 16, _mm_unpackhi_epi16(ab_lo, cd_lo), std::min<uint32_t>(left - 4, 4));
    if (left > 8) store_quads(out + 32, _mm_unpacklo_epi16(ab_hi, cd_hi), std::min<uint32_t>(left - 8, 4));
    if (left > 12) store_quads(out + 48, _mm_unpackhi_epi16(ab_hi, cd_hi), left - 12);
  }
}
#endif

void interleave_quads(KernelIsa isa, const int8_t* const src[4], uint32_t step, uint32_t n, uint8_t* dst) {
#if DLVP_CNN_X86
  if (step == 1 && isa == KernelIsa::kAvx512Vnni) {
    interleave_quads_avx512(src, n, dst);
    return;
  }
#endif
  interleave_quads_scalar(src, step, n, dst);
}

// Sum of n int8 values.
int64_t sum_bytes(const int8_t* p, uint64_t n) {
  int64_t sum = 0;
  uint64_t i = 0;
#if defined(__SSE2__)
  // psadbw sums unsigned bytes; (v ^ 0x80) = v + 128 unsigned, so subtract 128 per byte after.
  const __m128i offset = _mm_set1_epi8(static_cast<char>(kUnsignedZero)), zero = _mm_setzero_si128();
  __m128i acc = zero;
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_xor_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i)), offset);
    acc = _mm_add_epi64(acc, _mm_sad_epu8(v, zero));
  }
  sum = _mm_cvtsi128_si64(acc) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(acc, acc)) - 128 * int64_t(i);
#endif
  for (; i < n; ++i) sum += p[i];
  return sum;
}

}  // namespace

ConvKernel::Geometry ConvKernel::geometry(const isa::Conv& c) {
  Geometry g;
  g.in_c = c.in_c, g.in_h = c.in_h, g.in_w = c.in_w, g.out_c = c.out_c;
  g.out_h = window_count(c.in_h + c.pad_top + c.pad_bottom, c.kernel_h, c.stride_h);
  g.out_w = window_count(c.in_w + c.pad_left + c.pad_right, c.kernel_w, c.stride_w);
  g.kernel_h = c.kernel_h, g.kernel_w = c.kernel_w, g.stride_h = c.stride_h, g.stride_w = c.stride_w;
  g.pad_top = c.pad_top, g.pad_left = c.pad_left;
  g.quads = (c.in_c + 3) / 4;
  g.taps = uint32_t{c.kernel_h} * c.kernel_w;
  g.groups = g.quads * g.taps;
  g.rows = (uint64_t{c.in_h} + c.pad_top + c.pad_bottom + c.stride_h - 1) / c.stride_h;
  g.cols = (uint64_t{c.in_w} + c.pad_left + c.pad_right + c.stride_w - 1) / c.stride_w;
  g.plane = g.rows * g.cols;
  g.quad_block = g.plane * c.stride_h * c.stride_w;
  g.pixels_padded = round_up(uint64_t{g.out_h} * g.cols, kPixelGrain);
  return g;
}

void ConvKernel::prepare(const isa::Conv& conv, const int8_t* input, KernelIsa isa) {
  g_ = geometry(conv);
  isa_ = isa;
  c_row_stride_ = g_.pixels_padded;
  const uint64_t fitting = kMaxSumBytes / (4 * c_row_stride_) / kRowBlock * kRowBlock;
  channel_chunk_ = static_cast<uint32_t>(std::clamp<uint64_t>(fitting, kRowBlock, g_.out_c));
  wide_ = g_.groups > kMaxExactGroups;
  const uint64_t macs = uint64_t{g_.out_c} * g_.out_h * g_.out_w * g_.in_c * g_.taps;
  transform_input(input, macs >= kParallelMacs ? kernel_threads() : 1);
  compute_taps();
}

void ConvKernel::compute(const int8_t* weights, uint32_t oc_begin, uint32_t oc_end) {
  const uint32_t channels = oc_end - oc_begin;
  const uint32_t row_blocks = (channels + kRowBlock - 1) / kRowBlock;
  const uint64_t c_size = uint64_t{row_blocks} * kRowBlock * c_row_stride_;
  if (c_.size() < c_size) c_.resize(c_size);
  const uint64_t macs = uint64_t{channels} * g_.out_h * g_.out_w * g_.in_c * g_.taps;
  if (!wide_) {
    pack_weights(weights, oc_begin, oc_end, 0, g_.groups);
    run_chunk(row_blocks, 0, g_.groups, macs);
    return;
  }
  // A reduction too long for int32: exact int32 chunks summed in int64.
  wide_sums_.assign(uint64_t{channels} * c_row_stride_, 0);
  for (uint32_t g0 = 0; g0 < g_.groups; g0 += kMaxExactGroups) {
    const uint32_t g1 = std::min(g_.groups, g0 + kMaxExactGroups);
    pack_weights(weights, oc_begin, oc_end, g0, g1);
    run_chunk(row_blocks, g0, g1, macs);
    for (uint64_t i = 0; i < wide_sums_.size(); ++i) wide_sums_[i] += c_[i];
  }
}

// act[q][py][px][row][col][j] = input[4q + j][row * stride_h + py - pad_top][col * stride_w + px - pad_left] + 128,
// 128 (a zero) outside the input and for the channels beyond in_c. A slack of one plane row and
// two pixel grains at the end keeps the over-reads of the ignored columns inside the buffer.
void ConvKernel::transform_input(const int8_t* input, uint32_t threads) {
  const Geometry& g = g_;
  const uint64_t quads_total = g.quads * g.quad_block + g.cols + 2 * kPixelGrain;
  act_.assign(4 * quads_total, kUnsignedZero);
  if (zero_row_.size() < g.in_w) zero_row_.assign(g.in_w, 0);
  parallel_for(std::min(threads, g.quads), [&](uint32_t part) {
    const auto [q0, q1] = part_range(g.quads, 1, std::min(threads, g.quads), part);
    for (uint64_t q = q0; q < q1; ++q) transform_quad(input, static_cast<uint32_t>(q));
  });
}

// The planes of channel quad q.
void ConvKernel::transform_quad(const int8_t* input, uint32_t q) {
  const Geometry& g = g_;
  const uint64_t map = uint64_t{g.in_h} * g.in_w;
  for (uint32_t py = 0; py < g.stride_h; ++py)
    for (uint32_t px = 0; px < g.stride_w; ++px) {
      uint8_t* plane = act_.data() + 4 * (q * g.quad_block + (uint64_t{py} * g.stride_w + px) * g.plane);
      // First column whose input x = col * stride_w + px - pad_left is >= 0, and the count.
      const uint32_t col0 = px >= g.pad_left ? 0 : (g.pad_left - px + g.stride_w - 1) / g.stride_w;
      const uint64_t x0 = uint64_t{col0} * g.stride_w + px - g.pad_left;
      if (x0 >= g.in_w) continue;
      const auto n = static_cast<uint32_t>((g.in_w - x0 + g.stride_w - 1) / g.stride_w);
      for (uint64_t row = 0; row < g.rows; ++row) {
        const int64_t y = int64_t(row * g.stride_h + py) - g.pad_top;
        if (y < 0 || y >= g.in_h) continue;
        const int8_t* src[4];
        for (uint32_t j = 0; j < 4; ++j) {
          const uint32_t ic = 4 * q + j;
          src[j] = ic < g.in_c ? input + ic * map + uint64_t(y) * g.in_w + x0 : zero_row_.data();
        }
        interleave_quads(isa_, src, g.stride_w, n, plane + 4 * (row * g.cols + col0));
      }
    }
}

// Group (q, ky, kx) reads quad block q, phase plane (ky mod stride_h, kx mod stride_w), shifted by
// (ky div stride_h) rows and (kx div stride_w) columns.
void ConvKernel::compute_taps() {
  const Geometry& g = g_;
  taps_.resize(g.groups);
  for (uint32_t q = 0; q < g.quads; ++q)
    for (uint32_t ky = 0; ky < g.kernel_h; ++ky)
      for (uint32_t kx = 0; kx < g.kernel_w; ++kx) {
        const uint64_t phase = uint64_t{ky % g.stride_h} * g.stride_w + kx % g.stride_w;
        const uint64_t offset = q * g.quad_block + phase * g.plane + (ky / g.stride_h) * g.cols + kx / g.stride_w;
        taps_[uint64_t{q} * g.taps + ky * g.kernel_w + kx] = static_cast<uint32_t>(offset);
      }
}

// Packs channels [oc_begin, oc_end) and groups [group_begin, group_end) into the kernels' blocked
// layout: packed[r / 8][g][r % 8][j] = weights[oc_begin + r][4q + j][t] for g = q * taps + t (0 for
// the channels beyond in_c and the rows beyond the range), and row_init[r] = -128 x the sum of
// row r's packed weights.
void ConvKernel::pack_weights(const int8_t* weights, uint32_t oc_begin, uint32_t oc_end, uint32_t group_begin,
                              uint32_t group_end) {
  static const int8_t kZeroTaps[15 * 15] = {};  // the channels beyond in_c
  const Geometry& g = g_;
  const uint32_t n = group_end - group_begin, channels = oc_end - oc_begin;
  const bool whole = group_begin == 0 && group_end == g.groups;
  packed_.assign(packed_quad_weight_bytes(channels, n), 0);
  row_init_.assign(round_up(channels, kRowBlock), 0);
  for (uint32_t r = 0; r < channels; ++r) {
    const int8_t* row = weights + uint64_t{oc_begin + r} * g.in_c * g.taps;
    uint8_t* block = reinterpret_cast<uint8_t*>(packed_.data()) + (uint64_t{r / kRowBlock} * n * kRowBlock + r % kRowBlock) * 4;
    int64_t sum = whole ? sum_bytes(row, uint64_t{g.in_c} * g.taps) : 0;
    for (uint32_t q = 0; q < g.quads; ++q) {
      const int8_t* ch[4];
      for (uint32_t j = 0; j < 4; ++j) ch[j] = 4 * q + j < g.in_c ? row + uint64_t{4 * q + j} * g.taps : kZeroTaps;
      const uint32_t g0 = q * g.taps;
      const uint32_t t_begin = std::clamp(group_begin, g0, g0 + g.taps) - g0;
      const uint32_t t_end = std::clamp(group_end, g0, g0 + g.taps) - g0;
      uint8_t* dst = block + uint64_t{g0 + t_begin - group_begin} * kRowBlock * 4;
      for (uint32_t t = t_begin; t < t_end; ++t, dst += kRowBlock * 4) {
        const uint8_t quad[4] = {uint8_t(ch[0][t]), uint8_t(ch[1][t]), uint8_t(ch[2][t]), uint8_t(ch[3][t])};
        std::memcpy(dst, quad, 4);
        if (!whole) sum += ch[0][t] + ch[1][t] + ch[2][t] + ch[3][t];
      }
    }
    row_init_[r] = static_cast<int32_t>(static_cast<uint32_t>(-128 * sum));
  }
}

void ConvKernel::run_chunk(uint32_t row_blocks, uint32_t group_begin, uint32_t group_end, uint64_t macs) {
  const uint32_t n = group_end - group_begin;
  QuadGemm whole;
  whole.act = act_.data();
  whole.tap_offset = taps_.data() + group_begin;
  whole.groups = n;
  whole.weights = packed_.data();
  whole.row_blocks = row_blocks;
  whole.row_init = row_init_.data();
  whole.c = c_.data();
  whole.c_row_stride = c_row_stride_;

  const uint32_t threads = macs >= kParallelMacs ? kernel_threads() : 1;
  // Split by channel blocks when there are enough of them (pixel tiles stay full), else by pixels.
  const bool by_rows = row_blocks >= 2 * threads;
  const KernelIsa isa = isa_;
  const uint64_t pixels = g_.pixels_padded;
  parallel_for(threads, [&](uint32_t part) {
    if (by_rows) {
      const auto [rb0, rb1] = part_range(row_blocks, 1, threads, part);
      QuadGemm slice = whole;
      slice.weights += rb0 * uint64_t{n} * kRowBlock * 4;
      slice.row_blocks = static_cast<uint32_t>(rb1 - rb0);
      slice.row_init += rb0 * kRowBlock;
      slice.c += rb0 * kRowBlock * c_row_stride_;
      quad_gemm(isa, slice, 0, pixels);
    } else {
      const auto [p0, p1] = part_range(pixels, kPixelGrain, threads, part);
      quad_gemm(isa, whole, p0, p1);
    }
  });
}

void fc_sums(const int8_t* input, const int8_t* weights, uint32_t n_in, uint32_t n_out, KernelIsa isa,
             std::vector<int64_t>& out) {
  out.assign(n_out, 0);
  thread_local std::vector<int32_t> chunk;
  chunk.resize(n_out);
  const uint32_t threads = uint64_t{n_in} * n_out >= kParallelMacs ? kernel_threads() : 1;
  for (uint64_t i0 = 0; i0 < n_in; i0 += kMaxExactTerms) {
    const uint32_t len = static_cast<uint32_t>(std::min<uint64_t>(kMaxExactTerms, n_in - i0));
    int32_t* sums = chunk.data();
    parallel_for(threads, [&](uint32_t part) {
      const auto [r0, r1] = part_range(n_out, 1, threads, part);
      gemv(isa, weights + r0 * n_in + i0, n_in, static_cast<uint32_t>(r1 - r0), input + i0, len, sums + r0);
    });
    for (uint32_t o = 0; o < n_out; ++o) out[o] += chunk[o];
  }
}

void direct_conv_sums(const isa::Conv& c, const int8_t* input, const int8_t* weights, std::vector<int64_t>& sums) {
  const uint32_t out_h = window_count(c.in_h + c.pad_top + c.pad_bottom, c.kernel_h, c.stride_h);
  const uint32_t out_w = window_count(c.in_w + c.pad_left + c.pad_right, c.kernel_w, c.stride_w);
  sums.assign(uint64_t{c.out_c} * out_h * out_w, 0);
  for (uint32_t oc = 0; oc < c.out_c; ++oc)
    for (uint32_t ic = 0; ic < c.in_c; ++ic)
      for (uint32_t ky = 0; ky < c.kernel_h; ++ky)
        for (uint32_t kx = 0; kx < c.kernel_w; ++kx) {
          const int64_t w = weights[((uint64_t{oc} * c.in_c + ic) * c.kernel_h + ky) * c.kernel_w + kx];
          for (uint32_t oy = 0; oy < out_h; ++oy) {
            const int64_t y = int64_t{oy} * c.stride_h + ky - c.pad_top;
            if (y < 0 || y >= c.in_h) continue;
            const int8_t* row = input + (uint64_t{ic} * c.in_h + uint64_t(y)) * c.in_w;
            int64_t* out = sums.data() + (uint64_t{oc} * out_h + oy) * out_w;
            for (uint32_t ox = 0; ox < out_w; ++ox) {
              const int64_t x = int64_t{ox} * c.stride_w + kx - c.pad_left;
              if (x >= 0 && x < c.in_w) out[ox] += w * row[x];
            }
          }
        }
}

}  // namespace dlvp::cnn::kernels

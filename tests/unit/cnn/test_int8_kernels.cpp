// The CNN engine's int8 kernels (ip/cnn/int8_kernels.h, output_kernel.h) in every variant this CPU
// supports, against plain computations in the test; then hand-computed CONV, FC, POOL and ELTWISE
// cases through dlvp::cnn::execute in every variant, and dlvp::cnn::check's errors.
#include "ip/cnn/cnn_arith.h"
#include "ip/cnn/conv_kernel.h"
#include "ip/cnn/int8_kernels.h"
#include "ip/cnn/output_kernel.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

namespace {

using namespace dlvp;
using cnn::kernels::KernelIsa;

std::vector<KernelIsa> supported_isas() {
  std::vector<KernelIsa> isas;
  for (int i = 0; i < cnn::kernels::kKernelIsaCount; ++i)
    if (cnn::kernels::cpu_supports(static_cast<KernelIsa>(i))) isas.push_back(static_cast<KernelIsa>(i));
  return isas;
}

// Runs `body` once per supported variant with that variant forced, then restores the automatic choice.
void for_each_isa(const std::function<void(KernelIsa)>& body) {
  for (KernelIsa isa : supported_isas()) {
    SCOPED_TRACE(cnn::kernels::kernel_isa_name(isa));
    ASSERT_TRUE(cnn::kernels::force_kernel_isa(isa));
    body(isa);
  }
  cnn::kernels::reset_kernel_isa();
}

int32_t wrap32(int64_t v) { return static_cast<int32_t>(static_cast<uint32_t>(static_cast<uint64_t>(v))); }

// ---- kernels against plain sums --------------------------------------------------------------

enum class Fill { kRandom, kMax, kMin, kMixedExtremes };

int8_t fill_value(Fill fill, std::mt19937& rng, bool weight) {
  switch (fill) {
    case Fill::kMax: return weight ? -128 : 127;
    case Fill::kMin: return -128;
    case Fill::kMixedExtremes: return (rng() & 1) ? 127 : -128;
    default: return static_cast<int8_t>(rng());
  }
}

struct QuadCase {
  uint32_t rows, groups, pixels;
  Fill fill;
};

// c[r][p] = init[r] + sum_g sum_j w[r][g][j] * act[4 (tap[g] + p) + j], modulo 2^32.
void check_quad_gemm(const QuadCase& k, uint32_t seed) {
  std::mt19937 rng(seed);
  const uint32_t span = 97;  // taps point anywhere in a window of this many quads
  std::vector<uint32_t> taps(k.groups);
  for (uint32_t& t : taps) t = rng() % span;
  std::vector<uint8_t> act(4ull * (span + k.pixels));
  for (uint8_t& a : act) a = static_cast<uint8_t>(fill_value(k.fill, rng, false)) ^ 0x80;
  std::vector<int8_t> w(uint64_t{k.rows} * k.groups * 4);
  for (int8_t& v : w) v = fill_value(k.fill, rng, true);
  const uint32_t blocks = (k.rows + cnn::kernels::kRowBlock - 1) / cnn::kernels::kRowBlock;
  std::vector<int32_t> init(uint64_t{blocks} * cnn::kernels::kRowBlock);
  for (int32_t& v : init) v = static_cast<int32_t>(rng());
  std::vector<int8_t> packed(cnn::kernels::packed_quad_weight_bytes(k.rows, k.groups));
  cnn::kernels::pack_quad_weights(w.data(), uint64_t{k.groups} * 4, k.rows, k.groups, packed.data());

  std::vector<int32_t> expected(uint64_t{k.rows} * k.pixels);
  for (uint32_t r = 0; r < k.rows; ++r)
    for (uint32_t p = 0; p < k.pixels; ++p) {
      int64_t sum = init[r];
      for (uint32_t g = 0; g < k.groups; ++g)
        for (uint32_t j = 0; j < 4; ++j)
          sum += int64_t{w[(uint64_t{r} * k.groups + g) * 4 + j]} * act[4 * (uint64_t{taps[g]} + p) + j];
      expected[uint64_t{r} * k.pixels + p] = wrap32(sum);
    }

  for (KernelIsa isa : supported_isas()) {
    SCOPED_TRACE(cnn::kernels::kernel_isa_name(isa));
    const uint64_t stride = k.pixels + 16;  // rows padded: the kernel must keep to its range
    std::vector<int32_t> c(uint64_t{blocks} * cnn::kernels::kRowBlock * stride, 0x5A5A5A5A);
    cnn::kernels::QuadGemm q;
    q.act = act.data();
    q.tap_offset = taps.data();
    q.groups = k.groups;
    q.weights = packed.data();
    q.row_blocks = blocks;
    q.row_init = init.data();
    q.c = c.data();
    q.c_row_stride = stride;
    // In two calls, to cover a range that does not start at pixel 0.
    const uint64_t split = k.pixels / 32 * 16;
    cnn::kernels::quad_gemm(isa, q, 0, split);
    cnn::kernels::quad_gemm(isa, q, split, k.pixels);
    for (uint32_t r = 0; r < k.rows; ++r) {
      for (uint32_t p = 0; p < k.pixels; ++p)
        ASSERT_EQ(c[r * stride + p], expected[uint64_t{r} * k.pixels + p]) << "row " << r << " pixel " << p;
      ASSERT_EQ(c[r * stride + k.pixels], 0x5A5A5A5A) << "wrote past the range, row " << r;
    }
  }
}

TEST(Int8Kernels, QuadGemmAllVariantsMatchPlainSumsOnOddSizes) {
  uint32_t seed = 1;
  for (uint32_t rows : {1u, 7u, 8u, 9u, 23u})
    for (uint32_t groups : {1u, 3u, 17u, 70u})
      for (uint32_t pixels : {16u, 32u, 48u, 64u, 80u, 208u}) check_quad_gemm({rows, groups, pixels, Fill::kRandom}, ++seed);
}

TEST(Int8Kernels, QuadGemmAllVariantsMatchOnExtremeValues) {
  uint32_t seed = 100;
  for (Fill fill : {Fill::kMax, Fill::kMin, Fill::kMixedExtremes})
    for (uint32_t groups : {5u, 300u}) check_quad_gemm({11, groups, 96, fill}, ++seed);
}

TEST(Int8Kernels, QuadGemmWrapsModulo2To32LikeThePlainSum) {
  // 255 x -128 per term over 4 x 20000 terms is below -2^31: every variant must wrap identically.
  check_quad_gemm({9, 20000, 32, Fill::kMax}, 7);
}

TEST(Int8Kernels, GemvAllVariantsMatchPlainDotProducts) {
  std::mt19937 rng(5);
  for (Fill fill : {Fill::kRandom, Fill::kMax, Fill::kMin, Fill::kMixedExtremes})
    for (uint32_t n : {1u, 15u, 16u, 17u, 63u, 64u, 65u, 129u, 1000u})
      for (uint32_t rows : {1u, 3u, 4u, 5u, 13u}) {
        const uint64_t stride = n + 3;
        std::vector<int8_t> w(rows * stride), x(n);
        for (int8_t& v : w) v = fill_value(fill, rng, true);
        for (int8_t& v : x) v = fill_value(fill, rng, false);
        std::vector<int32_t> expected(rows);
        for (uint32_t r = 0; r < rows; ++r) {
          int64_t sum = 0;
          for (uint32_t i = 0; i < n; ++i) sum += int64_t{w[r * stride + i]} * x[i];
          expected[r] = static_cast<int32_t>(sum);
        }
        for (KernelIsa isa : supported_isas()) {
          SCOPED_TRACE(cnn::kernels::kernel_isa_name(isa));
          std::vector<int32_t> out(rows + 1, 0x5A5A5A5A);
          cnn::kernels::gemv(isa, w.data(), stride, rows, x.data(), n, out.data());
          for (uint32_t r = 0; r < rows; ++r) ASSERT_EQ(out[r], expected[r]) << "n " << n << " row " << r;
          ASSERT_EQ(out[rows], 0x5A5A5A5A);
        }
      }
}

// The output stage in every variant against the contract's formula, written here with floor().
TEST(Int8Kernels, OutputRowAllVariantsMatchTheFormula) {
  std::mt19937 rng(9);
  for (uint32_t bits : {16u, 24u, 32u})
    for (int shift : {-31, -3, 0, 1, 2, 7, 20, 31})
      for (bool relu : {false, true})
        for (bool from_psum : {false, true}) {
          const uint32_t n = 37;
          std::vector<int32_t> sum(n);
          std::vector<uint8_t> psum(4 * n);
          for (int32_t& v : sum) v = static_cast<int32_t>(rng()) >> (rng() % 31);
          for (uint8_t& v : psum) v = static_cast<uint8_t>(rng());
          const int64_t base = static_cast<int32_t>(rng()) >> (rng() % 31);
          cnn::kernels::OutputRow stage;
          stage.acc_hi = (int64_t{1} << (bits - 1)) - 1;
          stage.acc_lo = -stage.acc_hi - 1;
          stage.output_shift = shift;
          stage.relu = relu;
          std::vector<int32_t> acc(n);
          std::vector<int8_t> y(n);
          for (uint32_t i = 0; i < n; ++i) {
            int32_t p;
            std::memcpy(&p, psum.data() + 4 * i, 4);
            acc[i] = static_cast<int32_t>(std::clamp<int64_t>((from_psum ? p : base) + sum[i], stage.acc_lo, stage.acc_hi));
            const double scaled = std::floor(std::ldexp(double(acc[i]), -shift) + (shift > 0 ? 0.5 : 0.0));
            y[i] = static_cast<int8_t>(std::clamp(scaled, relu ? 0.0 : -128.0, 127.0));
          }
          for (KernelIsa isa : supported_isas()) {
            SCOPED_TRACE(cnn::kernels::kernel_isa_name(isa));
            std::vector<int8_t> got_y(n + 1, 99);
            std::vector<uint8_t> got_psum(4 * n + 4, 0xEE);
            const uint8_t* start = from_psum ? psum.data() : nullptr;
            cnn::kernels::finish_row(isa, stage, sum.data(), start, base, n, nullptr, got_y.data());
            cnn::kernels::finish_row(isa, stage, sum.data(), start, base, n, got_psum.data(), nullptr);
            for (uint32_t i = 0; i < n; ++i) {
              int32_t got;
              std::memcpy(&got, got_psum.data() + 4 * i, 4);
              ASSERT_EQ(got, acc[i]) << "bits " << bits << " pixel " << i;
              ASSERT_EQ(got_y[i], y[i]) << "shift " << shift << " acc " << acc[i];
            }
            EXPECT_EQ(got_y[n], 99);
            EXPECT_EQ(got_psum[4 * n], 0xEE);
          }
        }
}

TEST(Int8Kernels, MaxPool2x2RowMatchesPlainMaximum) {
  std::mt19937 rng(11);
  for (uint32_t n : {1u, 15u, 16u, 17u, 40u}) {
    std::vector<int8_t> a(2 * n), b(2 * n), out(n + 1, 42);
    for (int8_t& v : a) v = fill_value(Fill::kMixedExtremes, rng, false) / ((rng() & 1) + 1);
    for (int8_t& v : b) v = static_cast<int8_t>(rng());
    cnn::kernels::max_pool_2x2_row(a.data(), b.data(), n, out.data());
    for (uint32_t i = 0; i < n; ++i)
      EXPECT_EQ(out[i], std::max({a[2 * i], a[2 * i + 1], b[2 * i], b[2 * i + 1]})) << "n " << n << " i " << i;
    EXPECT_EQ(out[n], 42);
  }
}

// ---- instructions through execute() -----------------------------------------------------------

// The engine's three buffers, filled with a marker so that stray writes show.
struct Machine {
  std::vector<uint8_t> mem[isa::kBufCount];
  cnn::BufferSet buffers;
  explicit Machine(uint64_t bytes = 1 << 16) {
    for (int b = 0; b < isa::kBufCount; ++b) {
      mem[b].assign(bytes, 0xA5);
      buffers.data[b] = mem[b].data();
      buffers.size[b] = bytes;
    }
  }
  void put8(isa::Buffer b, uint32_t offset, const std::vector<int8_t>& v) {
    std::memcpy(mem[b].data() + offset, v.data(), v.size());
  }
  void put32(isa::Buffer b, uint32_t offset, const std::vector<int32_t>& v) {
    std::memcpy(mem[b].data() + offset, v.data(), 4 * v.size());
  }
  std::vector<int8_t> get8(isa::Buffer b, uint32_t offset, uint64_t n) const {
    std::vector<int8_t> v(n);
    std::memcpy(v.data(), mem[b].data() + offset, n);
    return v;
  }
  std::vector<int32_t> get32(isa::Buffer b, uint32_t offset, uint64_t n) const {
    std::vector<int32_t> v(n);
    std::memcpy(v.data(), mem[b].data() + offset, 4 * n);
    return v;
  }
  void run(const isa::Instruction& ins, uint32_t accumulator_bits = 32) {
    ASSERT_EQ(cnn::check(ins, buffers), isa::kErrNone);
    cnn::ArithConfig config;
    config.accumulator_bits = accumulator_bits;
    cnn::execute(ins, buffers, config);
  }
};

constexpr uint32_t kIn = 0, kWeights = 0, kBias = 0x8000, kPsum = 0, kOut = 0x8000;

isa::Instruction conv_instruction(uint16_t in_c, uint16_t h, uint16_t w, uint16_t out_c, uint8_t k, uint8_t stride,
                                  uint8_t pad, uint16_t flags) {
  isa::Instruction ins{};
  isa::Conv& c = ins.conv;
  c.header.opcode = isa::kOpConv;
  c.header.flags = flags;
  c.in_c = in_c, c.in_h = h, c.in_w = w, c.out_c = out_c;
  c.kernel_h = c.kernel_w = k;
  c.stride_h = c.stride_w = stride;
  c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = pad;
  c.input_offset = kIn, c.weight_offset = kWeights, c.bias_offset = kBias, c.psum_offset = kPsum;
  c.output_offset = kOut;
  c.pool_size = c.pool_stride = 2;
  return ins;
}
constexpr uint16_t kOneShot = isa::kFlagAccFirst | isa::kFlagAccLast;

TEST(CnnExecute, ConvPaddingCountsTheTapsInsideTheInput) {
  for_each_isa([](KernelIsa) {
    Machine m;
    const uint16_t n = 5;
    m.put8(isa::kBufInput, kIn, std::vector<int8_t>(n * n, 1));
    m.put8(isa::kBufWeight, kWeights, std::vector<int8_t>(9, 1));
    m.put32(isa::kBufWeight, kBias, {0});
    m.run(conv_instruction(1, n, n, 1, 3, 1, 1, kOneShot));
    const auto out = m.get8(isa::kBufOutput, kOut, n * n);
    auto inside = [&](int i) { return 3 - (i == 0) - (i == n - 1); };  // taps of a 3-window inside 0..n-1
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) EXPECT_EQ(out[y * n + x], inside(y) * inside(x)) << y << "," << x;
  });
}

TEST(CnnExecute, ConvStride2PicksEverySecondPixel) {
  for_each_isa([](KernelIsa) {
    Machine m;
    const uint16_t n = 7, out_n = (n - 1) / 2 + 1;
    std::vector<int8_t> in(n * n);
    for (int i = 0; i < n * n; ++i) in[i] = static_cast<int8_t>(i - 20);
    m.put8(isa::kBufInput, kIn, in);
    m.put8(isa::kBufWeight, kWeights, {3});
    m.put32(isa::kBufWeight, kBias, {5});
    m.run(conv_instruction(1, n, n, 1, 1, 2, 0, kOneShot));
    const auto out = m.get8(isa::kBufOutput, kOut, out_n * out_n);
    for (int y = 0; y < out_n; ++y)
      for (int x = 0; x < out_n; ++x) EXPECT_EQ(out[y * out_n + x], 3 * in[2 * y * n + 2 * x] + 5);
  });
}

TEST(CnnExecute, Conv1x1IsAChannelMix) {
  for_each_isa([](KernelIsa) {
    Machine m;
    const uint16_t in_c = 6, out_c = 11, pixels = 9;  // channel counts not multiples of 4 or 8
    std::vector<int8_t> in(in_c * pixels), w(out_c * in_c);
    for (size_t i = 0; i < in.size(); ++i) in[i] = static_cast<int8_t>((i * 7) % 19 - 9);
    for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<int8_t>((i * 5) % 13 - 6);
    m.put8(isa::kBufInput, kIn, in);
    m.put8(isa::kBufWeight, kWeights, w);
    m.put32(isa::kBufWeight, kBias, std::vector<int32_t>(out_c, 0));
    m.run(conv_instruction(in_c, 3, 3, out_c, 1, 1, 0, isa::kFlagAccFirst));  // psum keeps the exact sums
    const auto psum = m.get32(isa::kBufOutput, kPsum, out_c * pixels);
    for (int oc = 0; oc < out_c; ++oc)
      for (int p = 0; p < pixels; ++p) {
        int32_t sum = 0;
        for (int ic = 0; ic < in_c; ++ic) sum += w[oc * in_c + ic] * in[ic * pixels + p];
        EXPECT_EQ(psum[oc * pixels + p], sum) << oc << "," << p;
      }
  });
}

// A kernel with a single 1 at (ky, kx) shifts the input by (ky - pad, kx - pad), zeros outside.
TEST(CnnExecute, Conv5x5And7x7DeltaKernelsShiftTheInput) {
  for_each_isa([](KernelIsa) {
    for (uint8_t k : {5, 7}) {
      const uint8_t pad = k / 2, ky = 1, kx = k - 2;
      const uint16_t n = 9;
      Machine m;
      std::vector<int8_t> in(n * n), w(k * k, 0);
      for (int i = 0; i < n * n; ++i) in[i] = static_cast<int8_t>(i % 50 - 25);
      w[ky * k + kx] = 1;
      m.put8(isa::kBufInput, kIn, in);
      m.put8(isa::kBufWeight, kWeights, w);
      m.put32(isa::kBufWeight, kBias, {0});
      m.run(conv_instruction(1, n, n, 1, k, 1, pad, kOneShot));
      const auto out = m.get8(isa::kBufOutput, kOut, n * n);
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) {
          const int sy = y + ky - pad, sx = x + kx - pad;
          const int expected = (sy >= 0 && sy < n && sx >= 0 && sx < n) ? in[sy * n + sx] : 0;
          EXPECT_EQ(out[y * n + x], expected) << "k " << int(k) << " at " << y << "," << x;
        }
    }
  });
}

// Splitting the input channels over AccFirst / (none) / AccLast instructions through psum gives
// the one-shot result, and the intermediate psum holds the partial sums.
TEST(CnnExecute, ConvPartialSumsThroughPsumEqualOneShot) {
  for_each_isa([](KernelIsa) {
    const uint16_t in_c = 9, out_c = 5, n = 6;
    const uint8_t k = 3;
    std::mt19937 rng(21);
    std::vector<int8_t> in(in_c * n * n), w(out_c * in_c * k * k);
    for (int8_t& v : in) v = static_cast<int8_t>(rng());
    for (int8_t& v : w) v = static_cast<int8_t>(rng());
    std::vector<int32_t> bias(out_c);
    for (int32_t& b : bias) b = static_cast<int32_t>(rng() % 2001) - 1000;
    const uint16_t flags_tail = isa::kFlagRelu;

    Machine one;
    one.put8(isa::kBufInput, kIn, in);
    one.put8(isa::kBufWeight, kWeights, w);
    one.put32(isa::kBufWeight, kBias, bias);
    isa::Instruction whole = conv_instruction(in_c, n, n, out_c, k, 1, 1, kOneShot | flags_tail);
    whole.conv.bias_shift = 2;
    whole.conv.output_shift = 9;
    one.run(whole);
    const auto expected = one.get8(isa::kBufOutput, kOut, out_c * n * n);

    // Three passes of 4, 4 and 1 channels: weights of a pass are [out_c][its channels][k][k].
    Machine split;
    split.put32(isa::kBufWeight, kBias, bias);
    const uint16_t parts[3][2] = {{0, 4}, {4, 8}, {8, 9}};
    const uint16_t flags[3] = {isa::kFlagAccFirst, 0, isa::kFlagAccLast};
    for (int p = 0; p < 3; ++p) {
      const uint16_t c0 = parts[p][0], cn = parts[p][1] - parts[p][0];
      split.put8(isa::kBufInput, kIn, std::vector<int8_t>(in.begin() + c0 * n * n, in.begin() + (c0 + cn) * n * n));
      std::vector<int8_t> wp;
      for (int oc = 0; oc < out_c; ++oc)
        wp.insert(wp.end(), w.begin() + (oc * in_c + c0) * k * k, w.begin() + (oc * in_c + c0 + cn) * k * k);
      split.put8(isa::kBufWeight, kWeights, wp);
      isa::Instruction ins = conv_instruction(cn, n, n, out_c, k, 1, 1, flags[p] | flags_tail);
      ins.conv.bias_shift = 2;
      ins.conv.output_shift = 9;
      split.run(ins);
      if (p == 0) {  // psum = bias << 2 + the sums over channels 0..3, checked at the centre pixel
        const auto psum = split.get32(isa::kBufOutput, kPsum, out_c * n * n);
        const int y = 2, x = 3;
        for (int oc = 0; oc < out_c; ++oc) {
          int32_t sum = bias[oc] * 4;
          for (int ic = 0; ic < 4; ++ic)
            for (int dy = 0; dy < k; ++dy)
              for (int dx = 0; dx < k; ++dx)
                sum += w[((oc * in_c + ic) * k + dy) * k + dx] * in[(ic * n + y + dy - 1) * n + x + dx - 1];
          EXPECT_EQ(psum[(oc * n + y) * n + x], sum) << "oc " << oc;
        }
      }
    }
    EXPECT_EQ(split.get8(isa::kBufOutput, kOut, out_c * n * n), expected);
  });
}

// acc = bias only (input 0): the int8 result is round_half_up(bias / 2^shift), saturated.
std::vector<int8_t> outputs_for_biases(const std::vector<int32_t>& bias, int output_shift, uint16_t extra_flags,
                                       uint32_t accumulator_bits = 32) {
  Machine m;
  const auto out_c = static_cast<uint16_t>(bias.size());
  m.put8(isa::kBufInput, kIn, {0});
  m.put8(isa::kBufWeight, kWeights, std::vector<int8_t>(out_c, 1));
  m.put32(isa::kBufWeight, kBias, bias);
  isa::Instruction ins = conv_instruction(1, 1, 1, out_c, 1, 1, 0, kOneShot | extra_flags);
  ins.conv.output_shift = static_cast<int8_t>(output_shift);
  m.run(ins, accumulator_bits);
  return m.get8(isa::kBufOutput, kOut, out_c);
}

int8_t round_half_up_sat8(double v) { return static_cast<int8_t>(std::clamp(std::floor(v + 0.5), -128.0, 127.0)); }

TEST(CnnExecute, RoundingOfHalvesGoesUpForPositiveAndNegative) {
  for_each_isa([](KernelIsa) {
    for (int shift : {1, 2, 3}) {
      const int32_t half = 1 << (shift - 1), one = 1 << shift;
      const std::vector<int32_t> bias = {half, -half, 3 * half, -3 * half, 5 * half, -5 * half, half - 1, 1 - half,
                                         half + 1, -half - 1, one, -one};
      const auto out = outputs_for_biases(bias, shift, 0);
      for (size_t i = 0; i < bias.size(); ++i)
        EXPECT_EQ(out[i], round_half_up_sat8(std::ldexp(double(bias[i]), -shift))) << bias[i] << " >> " << shift;
    }
  });
}

TEST(CnnExecute, SaturationAtBothEndsAndReluAndLeftShift) {
  for_each_isa([](KernelIsa) {
    const std::vector<int32_t> bias = {127, 128, 100000, -128, -129, -100000, 0, 5, -5};
    EXPECT_EQ(outputs_for_biases(bias, 0, 0), (std::vector<int8_t>{127, 127, 127, -128, -128, -128, 0, 5, -5}));
    EXPECT_EQ(outputs_for_biases(bias, 0, isa::kFlagRelu), (std::vector<int8_t>{127, 127, 127, 0, 0, 0, 0, 5, 0}));
    // Negative output_shift multiplies: 5 << 4 = 80, -5 << 4 = -80, others saturate.
    EXPECT_EQ(outputs_for_biases(bias, -4, 0), (std::vector<int8_t>{127, 127, 127, -128, -128, -128, 0, 80, -80}));
    EXPECT_EQ(outputs_for_biases({2147483647, -2147483647 - 1, 1}, -31, 0), (std::vector<int8_t>{127, -128, 127}));
  });
}

TEST(CnnExecute, SixteenBitAccumulatorsClampBeforeTheShift) {
  for_each_isa([](KernelIsa) {
    const int32_t max16 = (1 << 15) - 1, min16 = -(1 << 15);
    // 40000 clamps to 32767: 32767 / 2^8 = 127.996 -> 128 -> 127, but 32767 / 2^9 rounds to 64.
    EXPECT_EQ(outputs_for_biases({40000, -40000}, 9, 0, 16),
              (std::vector<int8_t>{round_half_up_sat8(max16 / 512.0), round_half_up_sat8(min16 / 512.0)}));
    // Sums of products clamp too: 4 x 127 x 127 = 64516 in a 1x1 conv with psum output.
    Machine m;
    m.put8(isa::kBufInput, kIn, {127, 127, 127, 127});
    m.put8(isa::kBufWeight, kWeights, {127, 127, 127, 127, -128, -128, -128, -128});
    m.put32(isa::kBufWeight, kBias, {0, 0});
    m.run(conv_instruction(4, 1, 1, 2, 1, 1, 0, isa::kFlagAccFirst), 16);
    EXPECT_EQ(m.get32(isa::kBufOutput, kPsum, 2), (std::vector<int32_t>{max16, min16}));
    // And the same with a 32-bit accumulator keeps the exact values.
    Machine wide;
    wide.put8(isa::kBufInput, kIn, {127, 127, 127, 127});
    wide.put8(isa::kBufWeight, kWeights, {127, 127, 127, 127, -128, -128, -128, -128});
    wide.put32(isa::kBufWeight, kBias, {0, 0});
    wide.run(conv_instruction(4, 1, 1, 2, 1, 1, 0, isa::kFlagAccFirst), 32);
    EXPECT_EQ(wide.get32(isa::kBufOutput, kPsum, 2), (std::vector<int32_t>{4 * 127 * 127, -4 * 128 * 127}));
  });
}

// Fused max pooling equals pooling the unpooled output; 2x2/2 (vector path) and 3x3/2.
TEST(CnnExecute, ConvMaxPoolingEqualsPoolingTheUnpooledOutput) {
  for_each_isa([](KernelIsa) {
    for (uint8_t size : {2, 3}) {
      const uint16_t in_c = 3, out_c = 4, n = 37;  // 37 - 2 + 1 = 36 conv columns: more than 16 per row pooled
      std::mt19937 rng(size);
      std::vector<int8_t> in(in_c * n * n), w(out_c * in_c * 9);
      for (int8_t& v : in) v = static_cast<int8_t>(rng());
      for (int8_t& v : w) v = static_cast<int8_t>(rng());
      Machine m;
      m.put8(isa::kBufInput, kIn, in);
      m.put8(isa::kBufWeight, kWeights, w);
      m.put32(isa::kBufWeight, kBias, {-300, 0, 300, 7});
      isa::Instruction plain = conv_instruction(in_c, n, n, out_c, 3, 1, 0, kOneShot);
      plain.conv.output_shift = 7;
      m.run(plain);
      const uint16_t conv_n = n - 2;
      const auto maps = m.get8(isa::kBufOutput, kOut, out_c * conv_n * conv_n);
      isa::Instruction pooled = plain;
      pooled.conv.header.flags |= isa::kFlagPool;
      pooled.conv.pool_size = size;
      pooled.conv.pool_stride = 2;
      m.run(pooled);
      const uint32_t pn = (conv_n - size) / 2 + 1;
      ASSERT_EQ(cnn::conv_shape(pooled.conv).pool_h, pn);
      const auto out = m.get8(isa::kBufOutput, kOut, out_c * pn * pn);
      for (int oc = 0; oc < out_c; ++oc)
        for (uint32_t y = 0; y < pn; ++y)
          for (uint32_t x = 0; x < pn; ++x) {
            int8_t best = -128;
            for (int dy = 0; dy < size; ++dy)
              for (int dx = 0; dx < size; ++dx)
                best = std::max(best, maps[(oc * conv_n + 2 * y + dy) * conv_n + 2 * x + dx]);
            EXPECT_EQ(out[(oc * pn + y) * pn + x], best) << "size " << int(size) << " oc " << oc;
          }
    }
  });
}

TEST(CnnExecute, FcComputesDotProductsWithBiasShiftAndExtremes) {
  for_each_isa([](KernelIsa) {
    Machine m;
    const std::vector<int8_t> x = {1, -2, 3, -4, 5};
    const std::vector<int8_t> w = {1, 1, 1, 1, 1, 2, 0, -1, 0, 3, -128, 127, -128, 127, -128};
    const std::vector<int32_t> bias = {10, -10, 0};
    m.put8(isa::kBufInput, 0, x);
    m.put8(isa::kBufWeight, 0, w);
    m.put32(isa::kBufWeight, 100, bias);
    isa::Instruction ins{};
    isa::Fc& f = ins.fc;
    f.header.opcode = isa::kOpFc;
    f.header.flags = isa::kFlagAccFirst;
    f.n_in = 5, f.n_out = 3, f.weight_offset = 0, f.bias_offset = 100, f.psum_offset = 0x100;
    f.output_offset = 0x200, f.bias_shift = 1, f.output_shift = 1;
    m.run(ins);
    std::vector<int32_t> expected(3);
    for (int o = 0; o < 3; ++o) {
      expected[o] = bias[o] * 2;
      for (int i = 0; i < 5; ++i) expected[o] += w[o * 5 + i] * x[i];
    }
    EXPECT_EQ(m.get32(isa::kBufOutput, 0x100, 3), expected);
    // Accumulate once more from psum, to int8 with ReLU.
    f.header.flags = isa::kFlagAccLast | isa::kFlagRelu;
    m.run(ins);
    const auto y = m.get8(isa::kBufOutput, 0x200, 3);
    for (int o = 0; o < 3; ++o) {
      const int32_t acc = expected[o] + (expected[o] - bias[o] * 2);
      EXPECT_EQ(y[o], std::max<int8_t>(0, round_half_up_sat8(acc / 2.0))) << o;
    }

    // Long rows (not a multiple of any vector width) of -128 x -128: the largest products.
    Machine big(1 << 20);
    const uint32_t n = 1000 + 37;
    big.put8(isa::kBufInput, 0, std::vector<int8_t>(n, -128));
    big.put8(isa::kBufWeight, 0, std::vector<int8_t>(7 * n, -128));
    ins.fc.n_in = n, ins.fc.n_out = 7, ins.fc.header.flags = isa::kFlagAccFirst, ins.fc.bias_offset = 8 * n;
    big.put32(isa::kBufWeight, 8 * n, std::vector<int32_t>(7, 0));
    big.run(ins);
    EXPECT_EQ(big.get32(isa::kBufOutput, 0x100, 7), std::vector<int32_t>(7, int32_t(n) * 128 * 128));
  });
}

isa::Instruction pool_instruction(uint16_t c, uint16_t h, uint16_t w, uint8_t size, uint8_t stride, uint8_t pad,
                                  uint16_t flags) {
  isa::Instruction ins{};
  isa::Pool& p = ins.pool;
  p.header.opcode = isa::kOpPool;
  p.header.flags = flags;
  p.source = isa::kBufInput;
  p.size = size, p.stride = stride;
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
  p.c = c, p.in_h = h, p.in_w = w;
  p.input_offset = 0, p.output_offset = 0x100;
  return ins;
}

TEST(CnnExecute, PoolMaxIgnoresPaddingAndAverageCountsOnlyRealElements) {
  Machine m;
  // 3x3 of negative values: with padding 1, a max must still be negative, never 0.
  const std::vector<int8_t> in = {-9, -8, -7, -6, -5, -4, -3, -2, -1};
  m.put8(isa::kBufInput, 0, in);
  m.run(pool_instruction(1, 3, 3, 3, 1, 1, 0));
  const auto mx = m.get8(isa::kBufOutput, 0x100, 9);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 3; ++x) {
      int8_t best = -128;
      for (int yy = std::max(0, y - 1); yy <= std::min(2, y + 1); ++yy)
        for (int xx = std::max(0, x - 1); xx <= std::min(2, x + 1); ++xx) best = std::max(best, in[yy * 3 + xx]);
      EXPECT_EQ(mx[y * 3 + x], best);
    }
  // Average: the corner (0,0) sees 4 real elements: (-9 - 8 - 6 - 5) / 4 = -7; the edge (0,1) 6:
  // -39 / 6 = -6.5 -> -6 (half up). With ReLU all become 0.
  m.run(pool_instruction(1, 3, 3, 3, 1, 1, isa::kFlagAvgPool));
  const auto avg = m.get8(isa::kBufOutput, 0x100, 9);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 3; ++x) {
      int sum = 0, count = 0;
      for (int yy = std::max(0, y - 1); yy <= std::min(2, y + 1); ++yy)
        for (int xx = std::max(0, x - 1); xx <= std::min(2, x + 1); ++xx) sum += in[yy * 3 + xx], ++count;
      EXPECT_EQ(avg[y * 3 + x], round_half_up_sat8(double(sum) / count)) << y << "," << x;
    }
  EXPECT_EQ(avg[1], -6);
  m.run(pool_instruction(1, 3, 3, 3, 1, 1, isa::kFlagAvgPool | isa::kFlagRelu));
  EXPECT_EQ(m.get8(isa::kBufOutput, 0x100, 9), std::vector<int8_t>(9, 0));
  // Halves round up on both sides of zero: 2 / 4 = 0.5 -> 1 and -2 / 4 = -0.5 -> 0 (2x2, stride 2).
  m.put8(isa::kBufInput, 0, {1, 1, -1, -1, 0, 0, 0, 0});
  m.run(pool_instruction(1, 2, 4, 2, 2, 0, isa::kFlagAvgPool));
  EXPECT_EQ(m.get8(isa::kBufOutput, 0x100, 2), (std::vector<int8_t>{round_half_up_sat8(0.5), round_half_up_sat8(-0.5)}));
}

TEST(CnnExecute, PoolFromTheOutputBufferOntoItselfReadsBeforeWriting) {
  Machine m;
  const std::vector<int8_t> in = {1, 5, 2, 7, 3, 3, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0};  // 2 x 8
  m.put8(isa::kBufOutput, 0, in);
  isa::Instruction ins = pool_instruction(1, 2, 8, 2, 2, 0, 0);
  ins.pool.source = isa::kBufOutput;
  ins.pool.input_offset = 0, ins.pool.output_offset = 1;  // overlaps its own source
  m.run(ins);
  EXPECT_EQ(m.get8(isa::kBufOutput, 1, 4), (std::vector<int8_t>{5, 7, 3, 9}));
}

TEST(CnnExecute, EltwiseAddsShiftsRoundsSaturates) {
  Machine m;
  const std::vector<int8_t> a = {100, 127, -128, 3, -3, 1};
  const std::vector<int8_t> b = {100, 127, -128, 0, 0, -2};
  m.put8(isa::kBufInput, 0, a);
  m.put8(isa::kBufInput, 16, b);
  isa::Instruction ins{};
  isa::Eltwise& e = ins.eltwise;
  e.header.opcode = isa::kOpEltwise;
  e.a_offset = 0, e.b_offset = 16, e.output_offset = 32, e.count = 6;
  for (int a_shift : {0, 2})
    for (int out_shift : {0, 1, 3})
      for (bool relu : {false, true}) {
        e.a_shift = static_cast<uint8_t>(a_shift);
        e.b_shift = 1;
        e.output_shift = static_cast<int8_t>(out_shift);
        e.header.flags = relu ? isa::kFlagRelu : 0;
        m.run(ins);
        const auto y = m.get8(isa::kBufOutput, 32, 6);
        for (int i = 0; i < 6; ++i) {
          const double v = std::ldexp(double(a[i] * (1 << a_shift) + b[i] * 2), -out_shift);
          int8_t expected = out_shift ? round_half_up_sat8(v) : static_cast<int8_t>(std::clamp(v, -128.0, 127.0));
          if (relu) expected = std::max<int8_t>(expected, 0);
          EXPECT_EQ(y[i], expected) << i << " a_shift " << a_shift << " out_shift " << out_shift;
        }
      }
}

// Larger random convolutions: every variant equals the plain direct loop (sums through psum),
// including strides, asymmetric padding, multi-threaded sizes and a reduction longer than int32
// can hold exactly (split into 64-bit chunks).
TEST(CnnExecute, RandomConvolutionsEqualTheDirectLoopInEveryVariant) {
  struct Shape {
    uint16_t in_c, h, w, out_c;
    uint8_t kh, kw, sh, sw, pt, pl, pb, pr;
  };
  const Shape shapes[] = {
      {3, 17, 19, 5, 3, 3, 1, 1, 1, 1, 1, 1},   {13, 20, 11, 9, 5, 3, 2, 1, 2, 0, 1, 2},
      {8, 9, 9, 17, 7, 7, 3, 2, 3, 3, 0, 6},    {64, 40, 40, 64, 3, 3, 1, 1, 1, 1, 1, 1},
      {5, 30, 30, 3, 1, 1, 2, 2, 0, 0, 0, 0},   {3000, 7, 7, 2, 7, 7, 1, 1, 0, 0, 0, 0},  // 147000 terms
      {32, 64, 61, 16, 3, 3, 1, 1, 1, 1, 1, 1},  // few channel blocks: threads split the pixels
  };
  for (const Shape& s : shapes) {
    isa::Instruction ins = conv_instruction(s.in_c, s.h, s.w, s.out_c, 1, 1, 0, isa::kFlagAccFirst);
    isa::Conv& c = ins.conv;
    c.kernel_h = s.kh, c.kernel_w = s.kw, c.stride_h = s.sh, c.stride_w = s.sw;
    c.pad_top = s.pt, c.pad_left = s.pl, c.pad_bottom = s.pb, c.pad_right = s.pr;
    const uint64_t in_bytes = uint64_t{s.in_c} * s.h * s.w, w_bytes = uint64_t{s.out_c} * s.in_c * s.kh * s.kw;
    const cnn::ConvShape shape = cnn::conv_shape(c);
    const uint64_t outputs = uint64_t{s.out_c} * shape.out_h * shape.out_w;
    Machine m(std::max<uint64_t>({in_bytes, w_bytes + 4 * s.out_c, 4 * outputs}) + 64);
    c.bias_offset = static_cast<uint32_t>(w_bytes);
    std::mt19937 rng(s.in_c);
    std::vector<int8_t> in(in_bytes), w(w_bytes);
    for (int8_t& v : in) v = static_cast<int8_t>(rng());
    for (int8_t& v : w) v = s.in_c == 3000 ? -128 : static_cast<int8_t>(rng());  // the long one at the extreme
    if (s.in_c == 3000) std::fill(in.begin(), in.end(), -128);
    m.put8(isa::kBufInput, 0, in);
    m.put8(isa::kBufWeight, 0, w);
    m.put32(isa::kBufWeight, c.bias_offset, std::vector<int32_t>(s.out_c, 0));
    std::vector<int64_t> direct;
    cnn::kernels::direct_conv_sums(c, in.data(), w.data(), direct);
    std::vector<int32_t> expected(outputs);
    for (uint64_t i = 0; i < outputs; ++i)
      expected[i] = static_cast<int32_t>(std::clamp<int64_t>(direct[i], INT32_MIN, INT32_MAX));
    if (s.in_c == 3000) {
      ASSERT_EQ(expected[0], INT32_MAX);  // 147000 x 2^14 > 2^31: saturates, not wraps
    }
    for_each_isa([&](KernelIsa) {
      m.run(ins);
      ASSERT_EQ(m.get32(isa::kBufOutput, 0, outputs), expected) << "in_c " << s.in_c << " kernel " << int(s.kh);
    });
  }
}

// An instruction whose int32 sums exceed the kernel's scratch bound (64 MB) is computed in turns of
// output channels; each turn's channels equal a separate instruction computing just those channels.
TEST(CnnExecute, OutputChannelsBeyondTheScratchBoundAreComputedInExactTurns) {
  const uint16_t n = 1200, out_c = 20;  // 1200 x 1202 sums x 4 B = 5.8 MB per channel: turns of 8
  const uint64_t in_bytes = uint64_t{n} * n, pooled = uint64_t{n / 2} * (n / 2);
  std::mt19937 rng(77);
  std::vector<int8_t> in(in_bytes), w(out_c * 9);
  for (int8_t& v : in) v = static_cast<int8_t>(rng());
  for (int8_t& v : w) v = static_cast<int8_t>(rng());
  std::vector<int32_t> bias(out_c);
  for (int32_t& b : bias) b = static_cast<int32_t>(rng() % 4001) - 2000;
  auto layer = [&](uint16_t oc0, uint16_t count) {
    Machine m(std::max(in_bytes, out_c * pooled) + 64);
    m.put8(isa::kBufInput, 0, in);
    m.put8(isa::kBufWeight, 0, std::vector<int8_t>(w.begin() + oc0 * 9, w.begin() + (oc0 + count) * 9));
    m.put32(isa::kBufWeight, 0x1000, std::vector<int32_t>(bias.begin() + oc0, bias.begin() + oc0 + count));
    isa::Instruction ins = conv_instruction(1, n, n, count, 3, 1, 1, kOneShot | isa::kFlagPool | isa::kFlagRelu);
    ins.conv.bias_offset = 0x1000, ins.conv.output_offset = 0, ins.conv.output_shift = 6;
    m.run(ins);
    return m.get8(isa::kBufOutput, 0, count * pooled);
  };
  for_each_isa([&](KernelIsa isa) {
    if (isa == KernelIsa::kScalar) return;  // 26 M MACs twice: too slow for a unit test in plain loops
    const auto whole = layer(0, out_c);
    for (uint16_t oc0 = 0; oc0 < out_c; oc0 += 4) {  // turns of 4: seams fall inside and between turns
      const auto part = layer(oc0, 4);
      ASSERT_TRUE(std::equal(part.begin(), part.end(), whole.begin() + oc0 * pooled)) << "channels from " << oc0;
    }
  });
}

// ---- check() ------------------------------------------------------------------------------------

TEST(CnnCheck, RejectsEveryOutOfRangeConvField) {
  Machine m;
  const isa::Instruction good = conv_instruction(2, 8, 8, 3, 3, 1, 1, kOneShot | isa::kFlagPool);
  ASSERT_EQ(cnn::check(good, m.buffers), isa::kErrNone);
  const std::vector<std::function<void(isa::Conv&)>> breakers = {
      [](isa::Conv& c) { c.in_c = 0; },          [](isa::Conv& c) { c.out_c = 0; },
      [](isa::Conv& c) { c.in_h = 0; },          [](isa::Conv& c) { c.in_w = 0; },
      [](isa::Conv& c) { c.kernel_h = 0; },      [](isa::Conv& c) { c.kernel_w = 16; },
      [](isa::Conv& c) { c.stride_h = 0; },      [](isa::Conv& c) { c.stride_w = 16; },
      [](isa::Conv& c) { c.pad_top = 3; },       [](isa::Conv& c) { c.pad_right = 3; },
      [](isa::Conv& c) { c.bias_shift = 32; },   [](isa::Conv& c) { c.bias_shift = -1; },
      [](isa::Conv& c) { c.output_shift = 32; }, [](isa::Conv& c) { c.output_shift = -32; },
      [](isa::Conv& c) { c.pool_size = 0; },     [](isa::Conv& c) { c.pool_size = 9; },  // output is 8 x 8
      [](isa::Conv& c) { c.pool_stride = 0; },   [](isa::Conv& c) { c.pool_stride = 9; },
      [](isa::Conv& c) { c.in_h = 2, c.pad_top = c.pad_bottom = 0; },  // no output row
  };
  for (size_t i = 0; i < breakers.size(); ++i) {
    isa::Instruction bad = good;
    breakers[i](bad.conv);
    EXPECT_EQ(cnn::check(bad, m.buffers), isa::kErrBadField) << "breaker " << i;
  }
  isa::Instruction no_pool = good;  // pooling fields do not matter without kFlagPool
  no_pool.conv.header.flags = kOneShot;
  no_pool.conv.pool_size = 0;
  EXPECT_EQ(cnn::check(no_pool, m.buffers), isa::kErrNone);
}

TEST(CnnCheck, RejectsOtherOutOfRangeFieldsAndOpcodes) {
  Machine m;
  isa::Instruction fc{};
  fc.fc.header.opcode = isa::kOpFc;
  fc.fc.n_in = 4, fc.fc.n_out = 2, fc.fc.header.flags = kOneShot;
  ASSERT_EQ(cnn::check(fc, m.buffers), isa::kErrNone);
  for (auto breaker : std::vector<std::function<void(isa::Fc&)>>{[](isa::Fc& f) { f.n_in = 0; },
                                                                [](isa::Fc& f) { f.n_out = 0; },
                                                                [](isa::Fc& f) { f.output_shift = -32; },
                                                                [](isa::Fc& f) { f.bias_shift = 40; }}) {
    isa::Instruction bad = fc;
    breaker(bad.fc);
    EXPECT_EQ(cnn::check(bad, m.buffers), isa::kErrBadField);
  }
  const isa::Instruction pool = pool_instruction(2, 5, 5, 3, 2, 1, 0);
  ASSERT_EQ(cnn::check(pool, m.buffers), isa::kErrNone);
  for (auto breaker : std::vector<std::function<void(isa::Pool&)>>{
           [](isa::Pool& p) { p.source = isa::kBufWeight; }, [](isa::Pool& p) { p.source = 7; },
           [](isa::Pool& p) { p.size = 0; }, [](isa::Pool& p) { p.size = 16; }, [](isa::Pool& p) { p.stride = 0; },
           [](isa::Pool& p) { p.pad_left = 3; }, [](isa::Pool& p) { p.c = 0; },
           [](isa::Pool& p) { p.in_w = 1, p.pad_left = p.pad_right = 0; }}) {
    isa::Instruction bad = pool;
    breaker(bad.pool);
    EXPECT_EQ(cnn::check(bad, m.buffers), isa::kErrBadField);
  }
  isa::Instruction elt{};
  elt.eltwise.header.opcode = isa::kOpEltwise;
  elt.eltwise.count = 10;
  ASSERT_EQ(cnn::check(elt, m.buffers), isa::kErrNone);
  for (auto breaker : std::vector<std::function<void(isa::Eltwise&)>>{
           [](isa::Eltwise& e) { e.count = 0; }, [](isa::Eltwise& e) { e.a_shift = 16; },
           [](isa::Eltwise& e) { e.b_shift = 255; }, [](isa::Eltwise& e) { e.output_shift = 32; }}) {
    isa::Instruction bad = elt;
    breaker(bad.eltwise);
    EXPECT_EQ(cnn::check(bad, m.buffers), isa::kErrBadField);
  }
  for (uint8_t op : std::vector<uint8_t>{isa::kOpEnd, isa::kOpLoad, isa::kOpStore, 0x14, 0xFF}) {
    isa::Instruction other{};
    other.header.opcode = op;
    EXPECT_EQ(cnn::check(other, m.buffers), isa::kErrUnknownOpcode) << int(op);
  }
}

TEST(CnnCheck, BufferOverrunsAtTheLastByteAndWithHugeValues) {
  Machine m(4096);
  // 2 x 10 x 10 input = 200 bytes: fits when it ends at the buffer's end, not one byte later.
  isa::Instruction c = conv_instruction(2, 10, 10, 4, 3, 1, 1, kOneShot);
  c.conv.bias_offset = 4096 - 16, c.conv.output_offset = 4096 - 400;
  c.conv.input_offset = 4096 - 200;
  EXPECT_EQ(cnn::check(c, m.buffers), isa::kErrNone);
  auto expect_overrun = [&](const std::function<void(isa::Conv&)>& change, const char* what) {
    isa::Instruction bad = c;
    change(bad.conv);
    EXPECT_EQ(cnn::check(bad, m.buffers), isa::kErrBufferOverrun) << what;
  };
  expect_overrun([](isa::Conv& v) { v.input_offset += 1; }, "input");
  expect_overrun([](isa::Conv& v) { v.weight_offset = 4096 - 71; }, "weights (72 bytes)");
  expect_overrun([](isa::Conv& v) { v.bias_offset += 1; }, "bias");
  expect_overrun([](isa::Conv& v) { v.output_offset += 1; }, "output");
  expect_overrun([](isa::Conv& v) { v.header.flags = isa::kFlagAccLast, v.psum_offset = 4096 - 1599; }, "psum read");
  expect_overrun([](isa::Conv& v) { v.header.flags = isa::kFlagAccFirst, v.psum_offset = 4096 - 1599; }, "psum write");
  // A bias past the end does not matter without AccFirst, nor an output without AccLast.
  isa::Instruction no_bias = c;
  no_bias.conv.header.flags = isa::kFlagAccLast;
  no_bias.conv.bias_offset = 0xFFFFFFFF, no_bias.conv.psum_offset = 0;
  EXPECT_EQ(cnn::check(no_bias, m.buffers), isa::kErrNone);
  // Sizes whose byte counts overflow 32 bits (and offsets near 2^32) are overruns, not wraps.
  expect_overrun([](isa::Conv& v) { v.in_c = v.in_h = v.in_w = 0xFFFF, v.input_offset = 0; }, "65535^3 input");
  expect_overrun([](isa::Conv& v) { v.in_c = v.out_c = 0xFFFF, v.kernel_h = v.kernel_w = 15,
                   v.pad_top = v.pad_left = v.pad_bottom = v.pad_right = 7; },
                 "huge weights");
  expect_overrun([](isa::Conv& v) { v.input_offset = 0xFFFFFFFF; }, "offset 2^32 - 1");
  expect_overrun([](isa::Conv& v) { v.output_offset = 0xFFFFFF00, v.out_c = 0xFFFF; }, "huge output");
  isa::Instruction fc{};
  fc.fc.header.opcode = isa::kOpFc;
  fc.fc.header.flags = kOneShot;
  fc.fc.n_in = 0xFFFFFFFF, fc.fc.n_out = 0xFFFFFFFF;  // (2^32 - 1)^2 weight bytes
  EXPECT_EQ(cnn::check(fc, m.buffers), isa::kErrBufferOverrun);
  fc.fc.n_in = 1, fc.fc.n_out = 0x40000001;  // 4 x n_out wraps in 32 bits
  EXPECT_EQ(cnn::check(fc, m.buffers), isa::kErrBufferOverrun);
  isa::Instruction elt{};
  elt.eltwise.header.opcode = isa::kOpEltwise;
  elt.eltwise.count = 0xFFFFFFFF;
  EXPECT_EQ(cnn::check(elt, m.buffers), isa::kErrBufferOverrun);
  isa::Instruction pool = pool_instruction(0xFFFF, 0xFFFF, 0xFFFF, 2, 2, 0, 0);
  EXPECT_EQ(cnn::check(pool, m.buffers), isa::kErrBufferOverrun);
}

// Rewrites the fields of a compute instruction with small random values, some out of range.
void make_small(isa::Instruction& ins, std::mt19937_64& rng) {
  auto small = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  switch (ins.header.opcode) {
    case isa::kOpConv: {
      isa::Conv& c = ins.conv;
      c.in_h = small(12), c.in_w = small(12), c.in_c = small(9), c.out_c = small(9);
      c.kernel_h = small(8), c.kernel_w = small(8), c.stride_h = small(4), c.stride_w = small(4);
      c.pad_top = small(4), c.pad_left = small(4), c.pad_bottom = small(4), c.pad_right = small(4);
      c.pool_size = small(4), c.pool_stride = small(4);
      c.input_offset = small(3000), c.weight_offset = small(3000), c.bias_offset = small(4096);
      c.psum_offset = small(4096), c.output_offset = small(4096);
      c.bias_shift = static_cast<int8_t>(small(40) - 4), c.output_shift = static_cast<int8_t>(small(70) - 35);
      break;
    }
    case isa::kOpFc: {
      isa::Fc& f = ins.fc;
      f.n_in = small(300), f.n_out = small(40);
      f.input_offset = small(4096), f.weight_offset = small(4096), f.bias_offset = small(4096);
      f.psum_offset = small(4096), f.output_offset = small(4096);
      f.bias_shift = static_cast<int8_t>(small(40) - 4), f.output_shift = static_cast<int8_t>(small(70) - 35);
      break;
    }
    case isa::kOpPool: {
      isa::Pool& p = ins.pool;
      p.source = static_cast<uint8_t>(small(4)), p.size = small(5), p.stride = small(5);
      p.pad_top = small(3), p.pad_left = small(3), p.pad_bottom = small(3), p.pad_right = small(3);
      p.c = small(6), p.in_h = small(20), p.in_w = small(20);
      p.input_offset = small(4096), p.output_offset = small(4096);
      break;
    }
    default: {
      isa::Eltwise& e = ins.eltwise;
      e.count = small(2000), e.a_offset = small(4096), e.b_offset = small(4096), e.output_offset = small(4096);
      e.a_shift = small(18), e.b_shift = small(18), e.output_shift = static_cast<int8_t>(small(70) - 35);
    }
  }
}

// Random bit patterns with compute opcodes: check() never crashes, and whatever it accepts
// executes inside the buffers (the buffers are followed by guard bytes that must survive).
TEST(CnnCheck, RandomInstructionsNeverEscapeTheBuffers) {
  std::mt19937_64 rng(33);
  const uint64_t size = 4096, guard = 256;
  std::vector<uint8_t> mem[isa::kBufCount];
  cnn::BufferSet buffers;
  for (int b = 0; b < isa::kBufCount; ++b) {
    mem[b].assign(size + guard, 0x3C);
    buffers.data[b] = mem[b].data();
    buffers.size[b] = size;
  }
  const uint8_t opcodes[] = {isa::kOpConv, isa::kOpFc, isa::kOpPool, isa::kOpEltwise};
  int accepted = 0;
  for (int i = 0; i < 200000; ++i) {
    isa::Instruction ins;
    for (uint8_t& byte : ins.bytes) byte = static_cast<uint8_t>(rng());
    ins.header.opcode = opcodes[i % 4];
    if (i % 2) make_small(ins, rng);  // half of them near the valid ranges, so that some pass
    const isa::ErrorCode e = cnn::check(ins, buffers);
    ASSERT_TRUE(e == isa::kErrNone || e == isa::kErrBadField || e == isa::kErrBufferOverrun);
    if (e != isa::kErrNone) continue;
    ++accepted;
    cnn::execute(ins, buffers, cnn::ArithConfig{});
  }
  EXPECT_GT(accepted, 100);
  for (int b = 0; b < isa::kBufCount; ++b)
    for (uint64_t k = size; k < size + guard; ++k) ASSERT_EQ(mem[b][k], 0x3C) << "buffer " << b << " byte " << k;
}

}  // namespace

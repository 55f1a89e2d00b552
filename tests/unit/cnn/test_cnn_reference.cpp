// The reference model itself (tests/reference): small cases computed by hand from docs/isa.md,
// so that the randomized engine comparison (test_cnn_arith.cpp) rests on a trusted model; plus
// the functional ISA interpreter's execution and error rules.
#include "tests/reference/cnn_reference.h"
#include "tests/reference/isa_interpreter.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

using namespace dlvp;
using namespace dlvp::ref;

namespace {

// ---------------------------------------------------------------------------------------------
// Helpers

std::vector<int8_t> iota8(size_t n, int first) {
  std::vector<int8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<int8_t>(first + static_cast<int>(i));
  return v;
}

// A single-channel 3x3 "sum of the window" convolution over `in_h x in_w`.
ConvLayer box3(uint32_t in_h, uint32_t in_w, uint32_t pad, uint32_t stride) {
  ConvLayer l;
  l.in_h = in_h, l.in_w = in_w, l.kernel_h = l.kernel_w = 3, l.stride_h = l.stride_w = stride;
  l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = pad;
  return l;
}

// 1x1 convolution of one channel: acc = bias << bias_shift + x * w.
int8_t one_tap(int8_t x, int8_t w, int32_t bias, int bias_shift, int output_shift, bool relu = false,
               uint32_t accumulator_bits = 32) {
  ConvLayer l;
  l.bias_shift = bias_shift, l.output_shift = output_shift, l.relu = relu, l.accumulator_bits = accumulator_bits;
  return conv2d(l, {x}, {w}, {bias}).at(0);
}

void put_i32(std::vector<uint8_t>& buf, size_t offset, int32_t v) { std::memcpy(buf.data() + offset, &v, 4); }
int32_t get_i32(const std::vector<uint8_t>& buf, size_t offset) {
  int32_t v;
  std::memcpy(&v, buf.data() + offset, 4);
  return v;
}

Buffers views(std::array<std::vector<uint8_t>, 3>& b) {
  Buffers v;
  for (int i = 0; i < 3; ++i) v.data[i] = b[i].data(), v.size[i] = b[i].size();
  return v;
}

isa::Instruction make(uint8_t opcode, uint16_t flags = 0, uint8_t deps = 0) {
  isa::Instruction i;
  std::memset(&i, 0, sizeof i);
  i.header.opcode = opcode, i.header.flags = flags, i.header.deps = deps;
  return i;
}

isa::Instruction transfer(uint8_t opcode, isa::Buffer buffer, uint32_t buffer_offset, uint8_t arg, uint64_t ddr_offset,
                          uint32_t bytes, uint8_t deps = 0) {
  isa::Instruction i = make(opcode, 0, deps);
  i.transfer.buffer = buffer, i.transfer.arg = arg, i.transfer.buffer_offset = buffer_offset;
  i.transfer.ddr_offset = ddr_offset, i.transfer.planes = 1, i.transfer.rows = 1, i.transfer.row_bytes = bytes;
  return i;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Scalar rules

TEST(Reference, RoundShiftRoundsHalfUpForBothSigns) {
  EXPECT_EQ(round_shift(5, 1), 3);    // 2.5 -> 3
  EXPECT_EQ(round_shift(-5, 1), -2);  // -2.5 -> -2 (half up, not away from zero)
  EXPECT_EQ(round_shift(6, 2), 2);    // 1.5 -> 2
  EXPECT_EQ(round_shift(-6, 2), -1);  // -1.5 -> -1
  EXPECT_EQ(round_shift(-7, 2), -2);  // -1.75 -> -2
  EXPECT_EQ(round_shift(-1, 1), 0);   // -0.5 -> 0
  EXPECT_EQ(round_shift(-3, 1), -1);  // -1.5 -> -1
  EXPECT_EQ(round_shift(9, 0), 9);
  EXPECT_EQ(round_shift(-3, -4), -48);                               // left shift
  EXPECT_EQ(round_shift(int64_t{1} << 31, 31), 1);                   // 1.0 exactly
  EXPECT_EQ(round_shift((int64_t{1} << 30) - 1, 31), 0);             // just under 0.5
  EXPECT_EQ(round_shift(int64_t{1} << 30, 31), 1);                   // exactly 0.5 -> 1
  EXPECT_EQ(round_shift(-(int64_t{1} << 30), 31), 0);                // exactly -0.5 -> 0
  EXPECT_EQ(round_shift(-(int64_t{1} << 30) - 1, 31), -1);           // just past -0.5
  EXPECT_EQ(round_shift(-(int64_t{1} << 31), -31), -(int64_t{1} << 62));  // extreme left shift, exact
  // Agrees with floor(v / 2^s + 1/2) computed in floating point over a range of values.
  for (int s = 1; s <= 6; ++s)
    for (int64_t v = -300; v <= 300; ++v)
      ASSERT_EQ(round_shift(v, s), static_cast<int64_t>(std::floor(static_cast<double>(v) / (1 << s) + 0.5)))
          << "v=" << v << " s=" << s;
}

TEST(Reference, SaturationAndAccumulatorClamp) {
  EXPECT_EQ(sat8(127), 127);
  EXPECT_EQ(sat8(128), 127);
  EXPECT_EQ(sat8(-128), -128);
  EXPECT_EQ(sat8(-129), -128);
  EXPECT_EQ(sat8(int64_t{1} << 40), 127);
  EXPECT_EQ(sat_acc(40000, 16), 32767);
  EXPECT_EQ(sat_acc(-40000, 16), -32768);
  EXPECT_EQ(sat_acc(-32768, 16), -32768);
  EXPECT_EQ(sat_acc(int64_t{1} << 40, 32), 2147483647);
  EXPECT_EQ(sat_acc(-(int64_t{1} << 40), 32), -2147483648LL);
  EXPECT_EQ(sat_acc(600000, 20), (1 << 19) - 1);
  EXPECT_EQ(sat_acc(500000, 20), 500000);
}

TEST(Reference, AverageRoundsHalfUp) {
  EXPECT_EQ(average_half_up(5, 2), 3);    // 2.5 -> 3
  EXPECT_EQ(average_half_up(-5, 2), -2);  // -2.5 -> -2
  EXPECT_EQ(average_half_up(7, 3), 2);    // 2.33 -> 2
  EXPECT_EQ(average_half_up(-7, 3), -2);  // -2.33 -> -2
  EXPECT_EQ(average_half_up(-8, 3), -3);  // -2.67 -> -3
  EXPECT_EQ(average_half_up(10, 4), 3);   // 2.5 -> 3
  EXPECT_EQ(average_half_up(-10, 4), -2);
  EXPECT_EQ(floor_div(-7, 2), -4);
  EXPECT_EQ(floor_div(7, 2), 3);
}

// ---------------------------------------------------------------------------------------------
// Convolution

TEST(Reference, ConvSumsWindowsWithZeroPadding) {
  // 1..9 in a 3x3 map, 3x3 box filter, padding 1: each output is the sum of its neighbourhood.
  const std::vector<int8_t> input = iota8(9, 1);
  const std::vector<int8_t> ones(9, 1);
  const std::vector<int8_t> y = conv2d(box3(3, 3, 1, 1), input, ones, {0});
  const std::vector<int8_t> expected = {12, 21, 16, 27, 45, 33, 24, 39, 28};
  EXPECT_EQ(y, expected);
}

TEST(Reference, ConvStrideSkipsPositions) {
  const std::vector<int8_t> input = iota8(9, 1);
  const ConvLayer l = box3(3, 3, 1, 2);
  ASSERT_EQ(l.out_h(), 2u);  // (3 + 2 - 3) / 2 + 1
  const std::vector<int8_t> y = conv2d(l, input, std::vector<int8_t>(9, 1), {0});
  const std::vector<int8_t> expected = {12, 16, 24, 28};  // the corners of the stride-1 result
  EXPECT_EQ(y, expected);
}

TEST(Reference, ConvAsymmetricPaddingAndRectangularKernel) {
  // 1x2 kernel [1, -1] over a 2x3 map, pad_left 1 only: y[r][c] = x[r][c-1] - x[r][c].
  ConvLayer l;
  l.in_h = 2, l.in_w = 3, l.kernel_h = 1, l.kernel_w = 2, l.pad_left = 1;
  ASSERT_EQ(l.out_w(), 3u);
  const std::vector<int8_t> input = {10, 20, 40, -5, 5, 0};
  const std::vector<int8_t> y = conv2d(l, input, {1, -1}, {0});
  const std::vector<int8_t> expected = {-10, -10, -20, 5, -10, 5};
  EXPECT_EQ(y, expected);
}

TEST(Reference, ConvSumsInputChannelsPerOutputChannel) {
  // 2 input channels of 1x1, 2 output channels: y[o] = sum_i x[i] * w[o][i] + bias[o].
  ConvLayer l;
  l.in_c = 2, l.out_c = 2;
  const std::vector<int8_t> y = conv2d(l, {3, -4}, {1, 2, -3, 5}, {100, -1});
  EXPECT_EQ(y[0], 3 * 1 + -4 * 2 + 100);
  EXPECT_EQ(y[1], 3 * -3 + -4 * 5 - 1);
}

TEST(Reference, ConvBiasShiftOutputShiftRoundingAndRelu) {
  EXPECT_EQ(one_tap(3, 5, -1, 4, 1), 0);    // 15 - 16 = -1; -0.5 rounds up to 0
  EXPECT_EQ(one_tap(3, 5, -1, 3, 1), 4);    // 15 - 8 = 7; 3.5 -> 4
  EXPECT_EQ(one_tap(1, -3, 0, 0, 1), -1);   // -1.5 -> -1
  EXPECT_EQ(one_tap(1, -5, 0, 0, 1), -2);   // -2.5 -> -2
  EXPECT_EQ(one_tap(3, 5, 0, 0, -2), 60);   // negative output shift multiplies
  EXPECT_EQ(one_tap(3, 5, 0, 0, -4), 127);  // 240 saturates
  EXPECT_EQ(one_tap(-3, 5, 0, 0, -4), -128);
  EXPECT_EQ(one_tap(-3, 5, 0, 0, -4, true), 0);  // ReLU after saturation
  EXPECT_EQ(one_tap(-3, -5, 0, 0, 0, true), 15);
  EXPECT_EQ(one_tap(127, 127, 0, 0, 0), 127);    // 16129
  EXPECT_EQ(one_tap(-128, 127, 0, 0, 0), -128);  // -16256
  EXPECT_EQ(one_tap(-128, -128, 0, 0, 7), 127);  // 16384 / 128 = 128 -> 127
  EXPECT_EQ(one_tap(0, 0, 1, 31, 31), 1);        // bias 2^31 >> 31, inside the 64-bit exact sum
}

TEST(Reference, ConvAccumulatorClampsBeforeTheOutputShift) {
  // 4 channels of 127 x 127 = 64516; a 16-bit accumulator holds 32767.
  ConvLayer l;
  l.in_c = 4, l.output_shift = 9;
  const std::vector<int8_t> x(4, 127), w(4, 127);
  EXPECT_EQ(conv2d(l, x, w, {0})[0], 126);  // 32-bit: (64516 + 256) / 512 = 126.5 -> 126
  l.accumulator_bits = 16;
  EXPECT_EQ(conv2d(l, x, w, {0})[0], 64);  // (32767 + 256) / 512 = 64.5 -> 64
  // The bias enters before the clamp: bias -40000 with 16 bits clamps to -32768 first.
  EXPECT_EQ(conv2d(l, {0, 0, 0, 0}, w, {-40000})[0], -64);  // -32768 / 512 = -64
}

TEST(Reference, ConvMaxPoolingAfterRelu) {
  // 1x1 identity convolution of a 4x4 map, ReLU, 2x2 max pooling with step 2.
  ConvLayer l;
  l.in_h = l.in_w = 4, l.relu = true, l.pool = true, l.pool_size = 2, l.pool_stride = 2;
  const std::vector<int8_t> input = {-1, -2, 5, 3,  //
                                     -3, -4, 1, 2,  //
                                     7, 0, -9, -9,  //
                                     1, 8, -9, -9};
  ASSERT_EQ(l.result_h(), 2u);
  const std::vector<int8_t> y = conv2d(l, input, {1}, {0});
  const std::vector<int8_t> expected = {0, 5, 8, 0};  // all-negative windows become 0 through ReLU
  EXPECT_EQ(y, expected);
  // Without ReLU the maximum of an all-negative window stays negative.
  l.relu = false;
  EXPECT_EQ(conv2d(l, input, {1}, {0})[0], -1);
  // Windows entirely inside the map: 3x3 pooling step 2 over 5x5 gives 2x2.
  l.in_h = l.in_w = 5, l.pool_size = 3, l.pool_stride = 2;
  EXPECT_EQ(l.result_h(), 2u);
  const std::vector<int8_t> y5 = conv2d(l, iota8(25, -12), {1}, {0});
  const std::vector<int8_t> expected5 = {0, 2, 10, 12};  // bottom-right corner of each window
  EXPECT_EQ(y5, expected5);
}

// ---------------------------------------------------------------------------------------------
// Pooling, element-wise, FC

TEST(Reference, MaxPoolPaddingNeverWins) {
  PoolLayer l;
  l.in_h = l.in_w = 2, l.size = 3, l.stride = 1, l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = 1;
  ASSERT_EQ(l.out_h(), 2u);
  const std::vector<int8_t> y = pool2d(l, {-5, -7, -2, -9});
  EXPECT_EQ(y, std::vector<int8_t>(4, -2));  // a zero from the padding would otherwise win
}

TEST(Reference, AveragePoolDividesByTheRealElements) {
  PoolLayer l;
  l.in_h = l.in_w = 2, l.size = 2, l.stride = 1, l.average = true;
  l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = 1;
  ASSERT_EQ(l.out_h(), 3u);
  // Windows: corner = 1 element, edge = 2, centre = 4.
  const std::vector<int8_t> positive = pool2d(l, {1, 2, 3, 4});
  const std::vector<int8_t> expected_positive = {1, 2, 2,   // 1; (1+2)/2 = 1.5 -> 2; 2
                                                 2, 3, 3,   // (1+3)/2 = 2; 10/4 = 2.5 -> 3; (2+4)/2 = 3
                                                 3, 4, 4};  // 3; (3+4)/2 = 3.5 -> 4; 4
  EXPECT_EQ(positive, expected_positive);
  const std::vector<int8_t> negative = pool2d(l, {-1, -2, -3, -4});
  const std::vector<int8_t> expected_negative = {-1, -1, -2,   // -1.5 -> -1
                                                 -2, -2, -3,   // -10/4 = -2.5 -> -2
                                                 -3, -3, -4};  // -3.5 -> -3
  EXPECT_EQ(negative, expected_negative);
  l.relu = true;
  EXPECT_EQ(pool2d(l, {-1, -2, -3, -4}), std::vector<int8_t>(9, 0));
}

TEST(Reference, PoolStrideAndChannels) {
  PoolLayer l;
  l.c = 2, l.in_h = 3, l.in_w = 3, l.size = 2, l.stride = 2;
  ASSERT_EQ(l.out_h(), 1u);  // (3 - 2) / 2 + 1: the last row and column are not covered
  const std::vector<int8_t> y = pool2d(l, iota8(18, 0));
  EXPECT_EQ(y, (std::vector<int8_t>{4, 13}));
  l.average = true;
  EXPECT_EQ(pool2d(l, iota8(18, 0)), (std::vector<int8_t>{2, 11}));  // (0+1+3+4)/4 = 2; (9+10+12+13)/4 = 11
}

TEST(Reference, EltwiseShiftsThenRoundsAndSaturates) {
  EltwiseLayer l;
  l.a_shift = 2, l.b_shift = 1, l.output_shift = 1;
  EXPECT_EQ(eltwise_add(l, {3}, {-5})[0], 1);  // 12 - 10 = 2 -> 1
  EXPECT_EQ(eltwise_add(l, {3}, {-7})[0], -1);  // 12 - 14 = -2 -> -1
  EXPECT_EQ(eltwise_add(l, {0}, {-3})[0], -3);  // -6 / 2
  EXPECT_EQ(eltwise_add(l, {0}, {1})[0], 1);    // 2 / 2
  l.a_shift = 0, l.b_shift = 0;
  EXPECT_EQ(eltwise_add(l, {0}, {-1})[0], 0);   // -0.5 -> 0
  EXPECT_EQ(eltwise_add(l, {0}, {-3})[0], -1);  // -1.5 -> -1
  l.output_shift = -3;
  EXPECT_EQ(eltwise_add(l, {1}, {1})[0], 16);
  l.a_shift = 15, l.b_shift = 15, l.output_shift = 0;
  EXPECT_EQ(eltwise_add(l, {127}, {127})[0], 127);
  EXPECT_EQ(eltwise_add(l, {-128}, {-128})[0], -128);
  l.output_shift = 16, l.relu = true;
  EXPECT_EQ(eltwise_add(l, {100}, {-128})[0], 0);  // -14 before ReLU
  l.relu = false;
  EXPECT_EQ(eltwise_add(l, {100}, {-128})[0], -14);
}

TEST(Reference, FullyConnectedMatchesHandSums) {
  FcLayer l;
  l.n_in = 3, l.n_out = 2, l.bias_shift = 2, l.output_shift = 2;
  const std::vector<int8_t> y = fully_connected(l, {1, -2, 3}, {4, 5, 6, -1, -1, -1}, {1, -3});
  EXPECT_EQ(y[0], 4);   // 4 - 10 + 18 + 4 = 16 -> 4
  EXPECT_EQ(y[1], -3);  // -1 + 2 - 3 - 12 = -14; -3.5 -> -3
}

// ---------------------------------------------------------------------------------------------
// Per-instruction execution against the layer functions

namespace {

// A CONV instruction and the three buffers it runs on.
struct ConvRig {
  std::array<std::vector<uint8_t>, 3> buffers;
  isa::Instruction instruction = make(isa::kOpConv);
};

}  // namespace

TEST(Reference, ConvInstructionEqualsTheLayerAndTouchesOnlyItsOutput) {
  std::mt19937_64 rng(7);
  ConvLayer l;
  l.in_c = 5, l.in_h = 7, l.in_w = 6, l.out_c = 3, l.kernel_h = 3, l.kernel_w = 3, l.stride_h = 2, l.stride_w = 1;
  l.pad_top = 1, l.pad_left = 2, l.pad_bottom = 0, l.pad_right = 1, l.output_shift = 6, l.relu = true;
  l.pool = true, l.pool_size = 2, l.pool_stride = 1;
  std::vector<int8_t> input(l.in_c * l.in_h * l.in_w), weights(l.out_c * l.in_c * 9);
  for (auto& v : input) v = static_cast<int8_t>(rng());
  for (auto& v : weights) v = static_cast<int8_t>(rng());
  const std::vector<int32_t> bias = {1000, -2000, 7};
  const std::vector<int8_t> expected = conv2d(l, input, weights, bias);

  ConvRig rig;
  rig.buffers = {std::vector<uint8_t>(512, 0xaa), std::vector<uint8_t>(512, 0xbb), std::vector<uint8_t>(512, 0xcc)};
  std::memcpy(rig.buffers[0].data() + 3, input.data(), input.size());
  std::memcpy(rig.buffers[1].data() + 1, weights.data(), weights.size());
  for (int i = 0; i < 3; ++i) put_i32(rig.buffers[1], 300 + 4 * i, bias[i]);
  isa::Conv& c = rig.instruction.conv;
  c.header.flags = isa::kFlagAccFirst | isa::kFlagAccLast | isa::kFlagRelu | isa::kFlagPool;
  c.input_offset = 3, c.in_h = 7, c.in_w = 6, c.in_c = 5, c.out_c = 3, c.weight_offset = 1, c.bias_offset = 300;
  c.psum_offset = 0, c.output_offset = 17, c.kernel_h = c.kernel_w = 3, c.stride_h = 2, c.stride_w = 1;
  c.pad_top = 1, c.pad_left = 2, c.pad_bottom = 0, c.pad_right = 1, c.output_shift = 6;
  c.pool_size = 2, c.pool_stride = 1;
  const std::array<std::vector<uint8_t>, 3> before = rig.buffers;
  ASSERT_EQ(execute_compute(rig.instruction, views(rig.buffers), 32), isa::kErrNone);

  std::vector<uint8_t> expected_output = before[2];
  std::memcpy(expected_output.data() + 17, expected.data(), expected.size());
  EXPECT_EQ(rig.buffers[2], expected_output);  // result in place, nothing else written (no psum)
  EXPECT_EQ(rig.buffers[0], before[0]);
  EXPECT_EQ(rig.buffers[1], before[1]);
}

TEST(Reference, MultiPassConvEqualsOnePassWithoutSaturation) {
  // Split 7 input channels into passes 3 + 2 + 2 through psum; small values never saturate.
  ConvLayer l;
  l.in_c = 7, l.in_h = 5, l.in_w = 5, l.out_c = 4, l.kernel_h = l.kernel_w = 3, l.pad_top = l.pad_left = 1;
  l.pad_bottom = l.pad_right = 1, l.bias_shift = 3, l.output_shift = 4;
  std::mt19937_64 rng(11);
  std::vector<int8_t> input(7 * 25), weights(4 * 7 * 9);
  for (auto& v : input) v = static_cast<int8_t>(static_cast<int>(rng() % 31) - 15);
  for (auto& v : weights) v = static_cast<int8_t>(static_cast<int>(rng() % 31) - 15);
  const std::vector<int32_t> bias = {5, -6, 70, -80};
  const std::vector<int8_t> expected = conv2d(l, input, weights, bias);

  std::array<std::vector<uint8_t>, 3> buffers = {std::vector<uint8_t>(256), std::vector<uint8_t>(2048),
                                                 std::vector<uint8_t>(1024)};
  std::memcpy(buffers[0].data(), input.data(), input.size());
  for (int i = 0; i < 4; ++i) put_i32(buffers[1], 1500 + 4 * i, bias[i]);
  const uint32_t splits[] = {0, 3, 5, 7};
  uint32_t weight_offset = 0;
  for (int pass = 0; pass < 3; ++pass) {
    const uint32_t c0 = splits[pass], cn = splits[pass + 1] - splits[pass];
    for (uint32_t o = 0; o < 4; ++o)  // this pass's weights [out_c][cn][3][3]
      std::memcpy(buffers[1].data() + weight_offset + o * cn * 9, weights.data() + (o * 7 + c0) * 9, cn * 9);
    isa::Instruction i = make(isa::kOpConv, (pass == 0 ? isa::kFlagAccFirst : 0) | (pass == 2 ? isa::kFlagAccLast : 0));
    isa::Conv& c = i.conv;
    c.input_offset = c0 * 25, c.in_h = 5, c.in_w = 5, c.in_c = static_cast<uint16_t>(cn), c.out_c = 4;
    c.weight_offset = weight_offset, c.bias_offset = 1500, c.psum_offset = 0, c.output_offset = 500;
    c.kernel_h = c.kernel_w = 3, c.stride_h = c.stride_w = 1, c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = 1;
    c.bias_shift = 3, c.output_shift = 4;
    ASSERT_EQ(execute_compute(i, views(buffers), 32), isa::kErrNone) << "pass " << pass;
    weight_offset += 4 * cn * 9;
  }
  const std::vector<int8_t> got(buffers[2].begin() + 500, buffers[2].begin() + 500 + expected.size());
  EXPECT_EQ(got, expected);
}

TEST(Reference, PsumPassesSaturateEachPass) {
  // AccFirst without AccLast writes the clamped int32 psum; AccLast alone reads it back.
  std::array<std::vector<uint8_t>, 3> buffers = {std::vector<uint8_t>(16, 0), std::vector<uint8_t>(64, 0),
                                                 std::vector<uint8_t>(64, 0)};
  buffers[0][0] = 127, buffers[1][0] = 127;  // x = w = 127
  put_i32(buffers[1], 8, 30000);             // bias
  isa::Instruction i = make(isa::kOpFc, isa::kFlagAccFirst);
  i.fc.n_in = 1, i.fc.n_out = 1, i.fc.bias_offset = 8, i.fc.psum_offset = 4, i.fc.output_offset = 0;
  ASSERT_EQ(execute_compute(i, views(buffers), 16), isa::kErrNone);
  EXPECT_EQ(get_i32(buffers[2], 4), 32767);  // 30000 + 16129 clamped to 16 bits
  i.header.flags = isa::kFlagAccLast, i.fc.output_shift = 8;
  buffers[0][0] = static_cast<uint8_t>(-128);  // x = -128: 32767 - 16256 = 16511
  ASSERT_EQ(execute_compute(i, views(buffers), 16), isa::kErrNone);
  EXPECT_EQ(static_cast<int8_t>(buffers[2][0]), 64);  // 16511 / 256 = 64.496 -> 64
  EXPECT_EQ(get_i32(buffers[2], 4), 32767);           // AccLast does not write psum
}

// ---------------------------------------------------------------------------------------------
// Checks

TEST(Reference, CheckRejectsFieldsOutOfRange) {
  std::array<std::vector<uint8_t>, 3> buffers = {std::vector<uint8_t>(4096), std::vector<uint8_t>(4096),
                                                 std::vector<uint8_t>(4096)};
  isa::Instruction good = make(isa::kOpConv, isa::kFlagAccFirst | isa::kFlagAccLast | isa::kFlagPool);
  isa::Conv& c = good.conv;
  c.in_h = c.in_w = 6, c.in_c = c.out_c = 2, c.kernel_h = c.kernel_w = 3, c.stride_h = c.stride_w = 1;
  c.pad_top = c.pad_bottom = c.pad_left = c.pad_right = 1, c.pool_size = 2, c.pool_stride = 2, c.bias_offset = 1024;
  ASSERT_EQ(check_compute(good, views(buffers)), isa::kErrNone);
  auto expect_bad = [&](const char* what, auto mutate) {
    isa::Instruction i = good;
    mutate(i.conv);
    EXPECT_EQ(check_compute(i, views(buffers)), isa::kErrBadField) << what;
  };
  expect_bad("in_c 0", [](isa::Conv& x) { x.in_c = 0; });
  expect_bad("kernel 0", [](isa::Conv& x) { x.kernel_w = 0; });
  expect_bad("kernel 16", [](isa::Conv& x) { x.kernel_h = 16; });
  expect_bad("stride 0", [](isa::Conv& x) { x.stride_h = 0; });
  expect_bad("stride 16", [](isa::Conv& x) { x.stride_w = 16; });
  expect_bad("padding = kernel", [](isa::Conv& x) { x.pad_right = 3; });
  expect_bad("output 0", [](isa::Conv& x) { x.in_h = 1, x.kernel_h = 5, x.pad_top = 1, x.pad_bottom = 1; });
  expect_bad("bias_shift 32", [](isa::Conv& x) { x.bias_shift = 32; });
  expect_bad("bias_shift -1", [](isa::Conv& x) { x.bias_shift = -1; });
  expect_bad("output_shift -32", [](isa::Conv& x) { x.output_shift = -32; });
  expect_bad("pool 0", [](isa::Conv& x) { x.pool_size = 0; });
  expect_bad("pool > map", [](isa::Conv& x) { x.pool_size = 7; });
  expect_bad("pool stride > map", [](isa::Conv& x) { x.pool_stride = 7; });
  isa::Instruction no_pool = good;
  no_pool.header.flags &= ~isa::kFlagPool;
  no_pool.conv.pool_size = 0;  // pooling fields are not looked at without kFlagPool
  EXPECT_EQ(check_compute(no_pool, views(buffers)), isa::kErrNone);
  isa::Instruction edge = good;
  edge.conv.output_shift = -31, edge.conv.bias_shift = 31, edge.conv.pool_size = 6;
  EXPECT_EQ(check_compute(edge, views(buffers)), isa::kErrNone);

  isa::Instruction pool = make(isa::kOpPool);
  pool.pool.source = isa::kBufInput, pool.pool.size = 3, pool.pool.stride = 2, pool.pool.c = 1;
  pool.pool.in_h = pool.pool.in_w = 4, pool.pool.pad_top = 2;
  EXPECT_EQ(check_compute(pool, views(buffers)), isa::kErrNone);
  pool.pool.source = isa::kBufWeight;
  EXPECT_EQ(check_compute(pool, views(buffers)), isa::kErrBadField);
  pool.pool.source = isa::kBufOutput, pool.pool.pad_left = 3;
  EXPECT_EQ(check_compute(pool, views(buffers)), isa::kErrBadField);

  isa::Instruction elt = make(isa::kOpEltwise);
  elt.eltwise.count = 1, elt.eltwise.a_shift = 15, elt.eltwise.output_shift = 31;
  EXPECT_EQ(check_compute(elt, views(buffers)), isa::kErrNone);
  elt.eltwise.b_shift = 16;
  EXPECT_EQ(check_compute(elt, views(buffers)), isa::kErrBadField);
  EXPECT_EQ(check_compute(make(isa::kOpLoad), views(buffers)), isa::kErrUnknownOpcode);
}

TEST(Reference, CheckFindsBufferOverrunAtExactlyOneBytePast) {
  std::array<std::vector<uint8_t>, 3> buffers = {std::vector<uint8_t>(100), std::vector<uint8_t>(100),
                                                 std::vector<uint8_t>(100)};
  isa::Instruction fc = make(isa::kOpFc, isa::kFlagAccFirst | isa::kFlagAccLast);
  fc.fc.n_in = 10, fc.fc.n_out = 5, fc.fc.input_offset = 90, fc.fc.weight_offset = 50;  // weights 50 bytes: 50..99
  fc.fc.bias_offset = 80, fc.fc.output_offset = 95;  // bias 20 bytes: 80..99 (overlap is not an error)
  fc.fc.psum_offset = 99;  // not accessed with AccFirst|AccLast
  ASSERT_EQ(check_compute(fc, views(buffers)), isa::kErrNone);
  auto expect_overrun = [&](const char* what, void (*move)(isa::Fc&)) {
    isa::Instruction i = fc;
    move(i.fc);
    EXPECT_EQ(check_compute(i, views(buffers)), isa::kErrBufferOverrun) << what;
  };
  expect_overrun("input", [](isa::Fc& f) { ++f.input_offset; });
  expect_overrun("weights", [](isa::Fc& f) { ++f.weight_offset; });
  expect_overrun("bias", [](isa::Fc& f) { ++f.bias_offset; });
  expect_overrun("output", [](isa::Fc& f) { ++f.output_offset; });
  fc.header.flags = isa::kFlagAccLast;  // now psum is read: 4 bytes at 99 overrun
  EXPECT_EQ(check_compute(fc, views(buffers)), isa::kErrBufferOverrun);
  fc.fc.psum_offset = 0, fc.fc.n_in = 0xffffffffu, fc.fc.n_out = 0xffffffffu;  // 64-bit product must not wrap
  EXPECT_EQ(check_compute(fc, views(buffers)), isa::kErrBufferOverrun);
}

// ---------------------------------------------------------------------------------------------
// The ISA interpreter

namespace {

constexpr uint64_t kDdrBase = 0x10000000;

struct Job {
  MachineConfig machine;
  DdrImage ddr;
  ArgWindows args{};
  Job() {
    machine.buffer_bytes = {1024, 1024, 1024};
    ddr.base = kDdrBase;
    ddr.bytes.assign(8192, 0);
    args[0] = {kDdrBase, 1024};         // input tensor
    args[1] = {kDdrBase + 1024, 1024};  // weights and bias
    args[2] = {kDdrBase + 4096, 256};   // output
  }
  uint8_t* at(int arg, uint64_t offset) { return ddr.bytes.data() + (args[arg].base - ddr.base) + offset; }
};

// LOAD input, LOAD weights+bias, CONV (3x3, 2 -> 2 channels on 5x5, pad 1), STORE, END.
std::vector<isa::Instruction> conv_program(const ConvLayer& l, uint32_t weight_bytes) {
  const uint32_t input_bytes = l.in_c * l.in_h * l.in_w;
  std::vector<isa::Instruction> p;
  p.push_back(transfer(isa::kOpLoad, isa::kBufInput, 0, 0, 0, input_bytes));
  p.push_back(transfer(isa::kOpLoad, isa::kBufWeight, 0, 1, 0, weight_bytes + 4 * l.out_c, isa::kPushNext));
  isa::Instruction conv = make(isa::kOpConv, isa::kFlagAccFirst | isa::kFlagAccLast | isa::kFlagRelu,
                               isa::kPopPrev | isa::kPushNext);
  isa::Conv& c = conv.conv;
  c.in_h = static_cast<uint16_t>(l.in_h), c.in_w = static_cast<uint16_t>(l.in_w);
  c.in_c = static_cast<uint16_t>(l.in_c), c.out_c = static_cast<uint16_t>(l.out_c);
  c.weight_offset = 0, c.bias_offset = weight_bytes, c.output_offset = 64;
  c.kernel_h = c.kernel_w = 3, c.stride_h = c.stride_w = 1, c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = 1;
  c.output_shift = static_cast<int8_t>(l.output_shift);
  p.push_back(conv);
  p.push_back(transfer(isa::kOpStore, isa::kBufOutput, 64, 2, 16, l.out_c * l.out_h() * l.out_w(), isa::kPopPrev));
  p.push_back(make(isa::kOpEnd));
  return p;
}

ConvLayer small_layer() {
  ConvLayer l;
  l.in_c = 2, l.in_h = l.in_w = 5, l.out_c = 2, l.kernel_h = l.kernel_w = 3;
  l.pad_top = l.pad_left = l.pad_bottom = l.pad_right = 1, l.output_shift = 5, l.relu = true;
  return l;
}

}  // namespace

TEST(Interpreter, RunsAConvLayerFromDdrToDdr) {
  Job job;
  const ConvLayer l = small_layer();
  std::mt19937_64 rng(3);
  std::vector<int8_t> input(2 * 25), weights(2 * 2 * 9);
  for (auto& v : input) v = static_cast<int8_t>(rng());
  for (auto& v : weights) v = static_cast<int8_t>(rng());
  const std::vector<int32_t> bias = {-300, 450};
  std::memcpy(job.at(0, 0), input.data(), input.size());
  std::memcpy(job.at(1, 0), weights.data(), weights.size());
  std::memcpy(job.at(1, weights.size()), bias.data(), 8);
  const std::vector<int8_t> expected = conv2d(l, input, weights, bias);

  IsaInterpreter interpreter(job.machine);
  const RunResult r = interpreter.run(conv_program(l, static_cast<uint32_t>(weights.size())), job.ddr, job.args);
  EXPECT_EQ(r.error, isa::kErrNone);
  EXPECT_EQ(r.executed, 4u);
  EXPECT_FALSE(r.token_underflow_index.has_value());
  const std::vector<int8_t> got(job.at(2, 16), job.at(2, 16) + expected.size());
  EXPECT_EQ(got, expected);
  EXPECT_EQ(*job.at(2, 15), 0);  // nothing around the stored block
  EXPECT_EQ(*job.at(2, 16 + expected.size()), 0);

  // The same program on other addresses: only the argument windows change.
  Job moved;
  moved.args[0].base += 2048, moved.args[2].base += 1024;
  std::memcpy(moved.at(0, 0), input.data(), input.size());
  std::memcpy(moved.at(1, 0), weights.data(), weights.size());
  std::memcpy(moved.at(1, weights.size()), bias.data(), 8);
  IsaInterpreter second(moved.machine);
  EXPECT_EQ(second.run(conv_program(l, static_cast<uint32_t>(weights.size())), moved.ddr, moved.args).error,
            isa::kErrNone);
  EXPECT_EQ(std::vector<int8_t>(moved.at(2, 16), moved.at(2, 16) + expected.size()), expected);
}

TEST(Interpreter, StridedTransfersCopyThreeDimensionalBlocks) {
  Job job;
  for (int i = 0; i < 1024; ++i) *job.at(0, i) = static_cast<uint8_t>(i % 251 + 1);  // never 0
  // 2 planes x 3 rows x 4 bytes; DDR rows 10 apart, planes 100 apart; buffer rows 5, planes 20.
  isa::Instruction load = transfer(isa::kOpLoad, isa::kBufInput, 7, 0, 3, 4);
  isa::Transfer& t = load.transfer;
  t.planes = 2, t.rows = 3, t.ddr_row_stride = 10, t.ddr_plane_stride = 100, t.buffer_row_stride = 5;
  t.buffer_plane_stride = 20;
  IsaInterpreter interpreter(job.machine);
  ASSERT_EQ(interpreter.run({load, make(isa::kOpEnd)}, job.ddr, job.args).error, isa::kErrNone);
  const std::vector<uint8_t>& buf = interpreter.buffer(isa::kBufInput);
  size_t copied = 0;
  for (uint32_t p = 0; p < 2; ++p)
    for (uint32_t r = 0; r < 3; ++r)
      for (uint32_t b = 0; b < 4; ++b, ++copied)
        ASSERT_EQ(buf[7 + p * 20 + r * 5 + b], *job.at(0, 3 + p * 100 + r * 10 + b)) << p << "," << r << "," << b;
  EXPECT_EQ(std::count(buf.begin(), buf.end(), 0), static_cast<long>(buf.size() - copied));
}

TEST(Interpreter, ErrorsNameTheirCodeAndIndex) {
  const ConvLayer l = small_layer();
  const std::vector<isa::Instruction> good = conv_program(l, 36);
  struct Case {
    const char* what;
    uint32_t index;
    isa::ErrorCode error;
    void (*mutate)(std::vector<isa::Instruction>&);
  };
  const Case cases[] = {
      {"unknown opcode", 2, isa::kErrUnknownOpcode, [](auto& p) { p[2].header.opcode = 0x14; }},
      {"load pops prev", 0, isa::kErrBadDeps, [](auto& p) { p[0].header.deps = isa::kPopPrev; }},
      {"load pushes prev", 1, isa::kErrBadDeps, [](auto& p) { p[1].header.deps |= isa::kPushPrev; }},
      {"store pushes next", 3, isa::kErrBadDeps, [](auto& p) { p[3].header.deps |= isa::kPushNext; }},
      {"store pops next", 3, isa::kErrBadDeps, [](auto& p) { p[3].header.deps |= isa::kPopNext; }},
      {"bad arg", 1, isa::kErrBadField, [](auto& p) { p[1].transfer.arg = 8; }},
      {"bad buffer", 0, isa::kErrBadField, [](auto& p) { p[0].transfer.buffer = isa::kBufCount; }},
      {"zero rows", 3, isa::kErrBadField, [](auto& p) { p[3].transfer.rows = 0; }},
      {"conv kernel 0", 2, isa::kErrBadField, [](auto& p) { p[2].conv.kernel_h = 0; }},
      {"conv overrun", 2, isa::kErrBufferOverrun, [](auto& p) { p[2].conv.output_offset = 1024 - 49; }},
      {"load overrun", 0, isa::kErrBufferOverrun, [](auto& p) { p[0].transfer.buffer_offset = 1024 - 49; }},
      {"window by one byte", 3, isa::kErrAddressWindow, [](auto& p) { p[3].transfer.ddr_offset = 256 - 49; }},
      {"window by stride", 0, isa::kErrAddressWindow,
       [](auto& p) { p[0].transfer.rows = 2, p[0].transfer.ddr_row_stride = 1024 - 49; }},
      {"huge offset", 0, isa::kErrAddressWindow, [](auto& p) { p[0].transfer.ddr_offset = ~uint64_t{0}; }},
      {"no END", 6, isa::kErrNoEnd, [](auto& p) { p[4] = p[3], p.push_back(p[3]); }},
  };
  for (const Case& c : cases) {
    Job job;
    std::vector<isa::Instruction> program = good;
    c.mutate(program);
    IsaInterpreter interpreter(job.machine);
    const RunResult r = interpreter.run(program, job.ddr, job.args);
    EXPECT_EQ(r.error, c.error) << c.what;
    EXPECT_EQ(r.error_index, c.index) << c.what;
    if (c.error != isa::kErrNoEnd) {
      EXPECT_EQ(r.executed, c.index) << c.what << ": everything before the fault ran, nothing after";
    }
  }
}

TEST(Interpreter, FaultStopsTheJobAndTheNextJobRunsClean) {
  Job job;
  const ConvLayer l = small_layer();
  std::vector<isa::Instruction> program = conv_program(l, 36);
  program[2].conv.stride_w = 0;  // CONV fails: the STORE after it must not run
  std::memset(job.at(0, 0), 5, 50);
  IsaInterpreter interpreter(job.machine);
  const RunResult bad = interpreter.run(program, job.ddr, job.args);
  EXPECT_EQ(bad.error, isa::kErrBadField);
  EXPECT_EQ(bad.error_index, 2u);
  EXPECT_EQ(std::count(job.at(2, 0), job.at(2, 256), 0), 256);
  const RunResult good = interpreter.run(conv_program(l, 36), job.ddr, job.args);
  EXPECT_EQ(good.error, isa::kErrNone);
  EXPECT_EQ(good.error_index, 0u);
}

TEST(Interpreter, DdrOutsideTheImageIsADmaErrorAndInstructionsAfterEndAreIgnored) {
  Job job;
  job.args[3] = {kDdrBase + 8000, 1000};  // the window runs past the end of DDR (8192 bytes)
  const isa::Instruction load = transfer(isa::kOpLoad, isa::kBufInput, 0, 3, 100, 200);
  IsaInterpreter interpreter(job.machine);
  RunResult r = interpreter.run({make(isa::kOpEnd), load}, job.ddr, job.args);
  EXPECT_EQ(r.error, isa::kErrNone);
  EXPECT_EQ(r.executed, 0u);
  r = interpreter.run({transfer(isa::kOpLoad, isa::kBufInput, 0, 3, 0, 192), load, make(isa::kOpEnd)}, job.ddr, job.args);
  EXPECT_EQ(r.error, isa::kErrDmaError);
  EXPECT_EQ(r.error_index, 1u);
  EXPECT_EQ(interpreter.run({}, job.ddr, job.args).error, isa::kErrNoEnd);
}

TEST(Interpreter, ReportsAPopWithoutAnEarlierPush) {
  Job job;
  std::vector<isa::Instruction> program = conv_program(small_layer(), 36);
  program[1].header.deps = 0;  // the CONV's POP has no earlier push from the load queue
  IsaInterpreter interpreter(job.machine);
  const RunResult r = interpreter.run(program, job.ddr, job.args);
  EXPECT_EQ(r.error, isa::kErrNone);
  ASSERT_TRUE(r.token_underflow_index.has_value());
  EXPECT_EQ(*r.token_underflow_index, 2u);
}

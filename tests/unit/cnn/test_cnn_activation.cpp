// ISA version 3's output-stage activation unit (kFlagClip, kFlagTable) on CONV, FC and ELTWISE,
// and ELTWISE's Mul with channel broadcast (docs/isa.md "Version 3: activations and Mul"):
// engine vs the reference model byte for byte over whole buffers on random cases for every kernel
// variant, hand-computed cases, the field checks, and the timing and activity formulas of
// docs/cnn.md ("Activation unit").
#include "ip/cnn/activation_unit.h"
#include "ip/cnn/cnn_arith.h"
#include "ip/cnn/cnn_engine.h"
#include "ip/cnn/cnn_timing.h"
#include "ip/cnn/int8_kernels.h"
#include "tests/reference/cnn_reference.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <random>
#include <string>
#include <vector>

using namespace dlvp;
namespace kernels = dlvp::cnn::kernels;

namespace {

constexpr uint64_t kBufferBytes = 8192;
using Bytes = std::array<std::vector<uint8_t>, isa::kBufCount>;

isa::Instruction blank(uint8_t opcode, uint16_t flags) {
  isa::Instruction i;
  std::memset(&i, 0, sizeof i);
  i.header.opcode = opcode;
  i.header.flags = flags;
  return i;
}

Bytes random_buffers(std::mt19937_64& rng) {
  Bytes b;
  for (int i = 0; i < isa::kCnnBufCount; ++i) {
    b[i].resize(kBufferBytes);
    for (auto& byte : b[i]) byte = static_cast<uint8_t>(rng());
  }
  return b;
}

cnn::BufferSet engine_view(Bytes& b) {
  cnn::BufferSet s;
  for (int i = 0; i < isa::kCnnBufCount; ++i) s.data[i] = b[i].data(), s.size[i] = b[i].size();
  return s;
}
ref::Buffers reference_view(Bytes& b) {
  ref::Buffers s;
  for (int i = 0; i < isa::kCnnBufCount; ++i) s.data[i] = b[i].data(), s.size[i] = b[i].size();
  return s;
}

int pick(std::mt19937_64& rng, int lo, int hi) { return lo + static_cast<int>(rng() % uint64_t(hi - lo + 1)); }

// Random activation fields: clip bounds in order, a table somewhere in the weight buffer.
template <typename T>
void random_activation(std::mt19937_64& rng, T& i, uint32_t table_offset) {
  if (pick(rng, 0, 1)) {
    i.header.flags |= isa::kFlagClip;
    const int a = pick(rng, -128, 127), b = pick(rng, -128, 127);
    i.clip_min = static_cast<int8_t>(std::min(a, b));
    i.clip_max = static_cast<int8_t>(std::max(a, b));
  }
  if (pick(rng, 0, 2)) {
    i.header.flags |= isa::kFlagTable;
    i.table_offset = table_offset;
  }
  if (pick(rng, 0, 1)) i.header.flags |= isa::kFlagRelu;
}

// Engine (every kernel variant) and reference on copies of the same buffers; "" when equal.
std::string compare(const isa::Instruction& i, const Bytes& initial) {
  Bytes reference = initial;
  const isa::ErrorCode ref_code = ref::execute_compute(i, reference_view(reference), 32);
  if (ref_code != isa::kErrNone) return "reference refuses with " + std::to_string(ref_code);
  for (int v = 0; v < kernels::kKernelIsaCount; ++v) {
    const auto variant = static_cast<kernels::KernelIsa>(v);
    if (!kernels::cpu_supports(variant)) continue;
    kernels::force_kernel_isa(variant);
    Bytes engine = initial;
    const isa::ErrorCode code = cnn::check(i, engine_view(engine));
    if (code == isa::kErrNone) cnn::execute(i, engine_view(engine), cnn::ArithConfig{});
    kernels::reset_kernel_isa();
    if (code != isa::kErrNone) return "engine refuses with " + std::to_string(code);
    for (int b = 0; b < isa::kCnnBufCount; ++b)
      for (uint64_t k = 0; k < kBufferBytes; ++k)
        if (engine[b][k] != reference[b][k])
          return std::string("kernel ") + kernels::kernel_isa_name(variant) + ": buffer " + std::to_string(b) +
                 " byte " + std::to_string(k) + " engine " + std::to_string(int8_t(engine[b][k])) + " reference " +
                 std::to_string(int8_t(reference[b][k]));
  }
  return "";
}

isa::Instruction random_conv(std::mt19937_64& rng) {
  isa::Instruction i = blank(isa::kOpConv, isa::kFlagAccFirst | isa::kFlagAccLast);
  isa::Conv& c = i.conv;
  c.in_c = static_cast<uint16_t>(pick(rng, 1, 6));
  c.out_c = static_cast<uint16_t>(pick(rng, 1, 9));
  c.in_h = static_cast<uint16_t>(pick(rng, 3, 12));
  c.in_w = static_cast<uint16_t>(pick(rng, 3, 12));
  c.kernel_h = c.kernel_w = static_cast<uint8_t>(pick(rng, 1, 3));
  c.stride_h = c.stride_w = 1;
  c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = static_cast<uint8_t>(c.kernel_h / 2);
  c.input_offset = 0;
  c.weight_offset = 0;
  c.bias_offset = 2048;
  c.output_offset = 0;
  c.bias_shift = static_cast<int8_t>(pick(rng, 0, 6));
  c.output_shift = static_cast<int8_t>(pick(rng, 4, 10));
  if (pick(rng, 0, 2) == 0) {
    c.header.flags |= isa::kFlagPool;
    c.pool_size = c.pool_stride = 2;
  }
  random_activation(rng, c, 4096 + static_cast<uint32_t>(pick(rng, 0, 3000)));
  if (pick(rng, 0, 5) == 0) {  // without AccLast the activation unit is not used at all
    c.header.flags &= static_cast<uint16_t>(~isa::kFlagAccLast);
    c.psum_offset = 0;
  }
  return i;
}

isa::Instruction random_fc(std::mt19937_64& rng) {
  isa::Instruction i = blank(isa::kOpFc, isa::kFlagAccFirst | isa::kFlagAccLast);
  isa::Fc& f = i.fc;
  f.n_in = static_cast<uint32_t>(pick(rng, 1, 60));
  f.n_out = static_cast<uint32_t>(pick(rng, 1, 30));
  f.weight_offset = 0;
  f.bias_offset = 2048;
  f.output_offset = 64;
  f.output_shift = static_cast<int8_t>(pick(rng, 3, 10));
  random_activation(rng, f, 4096 + static_cast<uint32_t>(pick(rng, 0, 3000)));
  return i;
}

isa::Instruction random_eltwise(std::mt19937_64& rng) {
  isa::Instruction i = blank(isa::kOpEltwise, 0);
  isa::Eltwise& e = i.eltwise;
  e.count = static_cast<uint32_t>(pick(rng, 1, 3000));
  e.op = static_cast<uint8_t>(pick(rng, 0, 1));
  e.broadcast = static_cast<uint32_t>(pick(rng, 0, 3) == 0 ? 0 : pick(rng, 1, 300));
  e.a_offset = 0;
  e.b_offset = static_cast<uint32_t>(pick(rng, 3000, 5000));
  e.output_offset = static_cast<uint32_t>(pick(rng, 0, 3000));
  if (e.op == isa::kEltwiseAdd) {
    e.a_shift = static_cast<uint8_t>(pick(rng, 0, 4));
    e.b_shift = static_cast<uint8_t>(pick(rng, 0, 4));
  }
  e.output_shift = static_cast<int8_t>(e.op == isa::kEltwiseMul ? pick(rng, 0, 9) : pick(rng, -2, 5));
  random_activation(rng, e, static_cast<uint32_t>(pick(rng, 0, 7000)));
  return i;
}

template <typename Make>
void random_suite(uint64_t seed, int cases, Make make) {
  for (int n = 0; n < cases; ++n) {
    std::mt19937_64 rng(seed + n);
    const isa::Instruction i = make(rng);
    const Bytes initial = random_buffers(rng);
    const std::string problem = compare(i, initial);
    ASSERT_EQ(problem, "") << "seed " << seed + n << " flags 0x" << std::hex << i.header.flags;
  }
}

// A 256-entry table in a weight buffer.
void put_table(std::vector<uint8_t>& weights, uint32_t offset, int (*f)(int)) {
  for (int v = -128; v <= 127; ++v) weights[offset + static_cast<uint32_t>(v + 128)] = static_cast<uint8_t>(f(v));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Engine vs reference

TEST(CnnActivation, RandomConvWithClipAndTableMatchesTheReference) { random_suite(31000, 300, random_conv); }
TEST(CnnActivation, RandomFcWithClipAndTableMatchesTheReference) { random_suite(32000, 300, random_fc); }
TEST(CnnActivation, RandomEltwiseAddAndMulWithBroadcastMatchTheReference) {
  random_suite(33000, 400, random_eltwise);
}

// ---------------------------------------------------------------------------------------------
// Hand-computed cases (docs/isa.md)

TEST(CnnActivation, EltwiseMulBroadcastsOneBPerRun) {
  Bytes b;
  for (auto& v : b) v.assign(1024, 0);
  const int8_t a[] = {10, -10, 127, -128, 3, 5, 7};
  const int8_t s[] = {64, -64, 127};  // b, one per run of 3
  std::memcpy(b[isa::kBufInput].data(), a, sizeof a);
  std::memcpy(b[isa::kBufInput].data() + 100, s, sizeof s);
  isa::Instruction i = blank(isa::kOpEltwise, 0);
  i.eltwise.op = isa::kEltwiseMul;
  i.eltwise.count = 7;
  i.eltwise.broadcast = 3;
  i.eltwise.b_offset = 100;
  i.eltwise.output_shift = 6;  // a x b / 64, rounded half up, saturated
  ASSERT_EQ(cnn::check(i, engine_view(b)), isa::kErrNone);
  cnn::execute(i, engine_view(b), cnn::ArithConfig{});
  // 10*64/64 = 10; -10; 127; -128*-64/64 = 128 -> 127; 3*-64/64 = -3; 5*-64/64 = -5; 7*127/64 = 13.89 -> 14
  const int8_t expected[] = {10, -10, 127, 127, -3, -5, 14};
  EXPECT_EQ(std::memcmp(b[isa::kBufOutput].data(), expected, sizeof expected), 0);
}

TEST(CnnActivation, ClipThenTableAfterReluOnAConv) {
  Bytes b;
  for (auto& v : b) v.assign(1024, 0);
  // 1x1 conv of one pixel per channel value: y = x (weight 1, shift 0), four channels.
  const int8_t x[] = {-100, -5, 50, 120};
  std::memcpy(b[isa::kBufInput].data(), x, sizeof x);
  for (int oc = 0; oc < 4; ++oc)
    for (int ic = 0; ic < 4; ++ic) b[isa::kBufWeight][oc * 4 + ic] = oc == ic ? 1 : 0;
  put_table(b[isa::kBufWeight], 512, [](int v) { return v / 2 + 1; });
  isa::Instruction i = blank(isa::kOpConv, isa::kFlagAccFirst | isa::kFlagAccLast | isa::kFlagClip | isa::kFlagTable);
  isa::Conv& c = i.conv;
  c.in_c = c.out_c = 4;
  c.in_h = c.in_w = 1;
  c.kernel_h = c.kernel_w = c.stride_h = c.stride_w = 1;
  c.bias_offset = 256;  // zeros
  c.output_offset = 64;
  c.clip_min = -20;
  c.clip_max = 100;
  c.table_offset = 512;
  ASSERT_EQ(cnn::check(i, engine_view(b)), isa::kErrNone);
  cnn::execute(i, engine_view(b), cnn::ArithConfig{});
  const int8_t expected[] = {-20 / 2 + 1, -5 / 2 + 1, 50 / 2 + 1, 100 / 2 + 1};
  EXPECT_EQ(std::memcmp(b[isa::kBufOutput].data() + 64, expected, sizeof expected), 0);
  // With ReLU first, the negative values become 0 before the clip.
  i.header.flags |= isa::kFlagRelu;
  cnn::execute(i, engine_view(b), cnn::ArithConfig{});
  const int8_t relu_expected[] = {1, 1, 50 / 2 + 1, 100 / 2 + 1};
  EXPECT_EQ(std::memcmp(b[isa::kBufOutput].data() + 64, relu_expected, sizeof relu_expected), 0);
}

// ---------------------------------------------------------------------------------------------
// Field checks

TEST(CnnActivation, BadFieldsAreRefused) {
  Bytes b;
  for (auto& v : b) v.assign(1024, 0);
  const cnn::BufferSet set = engine_view(b);
  isa::Instruction e = blank(isa::kOpEltwise, 0);
  e.eltwise.count = 16;
  e.eltwise.b_offset = 16;
  ASSERT_EQ(cnn::check(e, set), isa::kErrNone);
  isa::Instruction bad = e;
  bad.eltwise.op = 2;
  EXPECT_EQ(cnn::check(bad, set), isa::kErrBadField) << "undefined op";
  bad = e;
  bad.eltwise.op = isa::kEltwiseMul;
  bad.eltwise.a_shift = 1;
  EXPECT_EQ(cnn::check(bad, set), isa::kErrBadField) << "mul takes no input shifts";
  bad = e;
  bad.header.flags = isa::kFlagClip;
  bad.eltwise.clip_min = 5;
  bad.eltwise.clip_max = 4;
  EXPECT_EQ(cnn::check(bad, set), isa::kErrBadField) << "clip_min > clip_max";
  bad.header.flags = 0;
  EXPECT_EQ(cnn::check(bad, set), isa::kErrNone) << "clip bounds are ignored without kFlagClip";
  bad = e;
  bad.header.flags = isa::kFlagTable;
  bad.eltwise.table_offset = 1024 - 255;
  EXPECT_EQ(cnn::check(bad, set), isa::kErrBufferOverrun) << "table past the weight buffer";
  bad.eltwise.table_offset = 1024 - 256;
  EXPECT_EQ(cnn::check(bad, set), isa::kErrNone);
  bad = e;
  bad.eltwise.count = 1000;
  bad.eltwise.b_offset = 1000;
  EXPECT_EQ(cnn::check(bad, set), isa::kErrBufferOverrun) << "b of 1000 elements past the input buffer";
  bad.eltwise.broadcast = 40;  // 25 elements of b
  EXPECT_EQ(cnn::check(bad, set), isa::kErrBufferOverrun);
  bad.eltwise.b_offset = 1024 - 25;
  EXPECT_EQ(cnn::check(bad, set), isa::kErrNone) << "b holds ceil(count / broadcast) elements";

  isa::Instruction f = blank(isa::kOpFc, isa::kFlagAccFirst | isa::kFlagAccLast | isa::kFlagClip);
  f.fc.n_in = f.fc.n_out = 4;
  f.fc.bias_offset = 64;
  f.fc.clip_min = 1;
  f.fc.clip_max = 0;
  EXPECT_EQ(cnn::check(f, set), isa::kErrBadField);
  f.header.flags &= static_cast<uint16_t>(~isa::kFlagAccLast);
  EXPECT_EQ(cnn::check(f, set), isa::kErrNone) << "no output stage without AccLast: the unit's fields are unused";
  // The reference agrees on each.
  for (const isa::Instruction& i : {bad, f})
    EXPECT_EQ(ref::check_compute(i, reference_view(b)), cnn::check(i, set));
}

// ---------------------------------------------------------------------------------------------
// Timing and activity (docs/cnn.md "Activation unit")

namespace {
uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

isa::Instruction single_pass_conv(uint16_t extra_flags) {
  isa::Instruction i = blank(isa::kOpConv, isa::kFlagAccFirst | isa::kFlagAccLast | extra_flags);
  isa::Conv& c = i.conv;
  c.in_c = 2;
  c.out_c = 3;
  c.in_h = c.in_w = 8;
  c.kernel_h = c.kernel_w = c.stride_h = c.stride_w = 1;
  return i;
}
}  // namespace

TEST(CnnActivation, TableLoadAndStagesAddToTheConvAndFcTime) {
  CnnConfig cfg;
  cfg.weight_port_bytes = 24;  // 256 bytes: 11 cycles
  const cnn::TimingModel model(cfg);
  const uint64_t load = ceil_div(256, cfg.weight_port_bytes);
  EXPECT_EQ(model.table_load_cycles(isa::kFlagTable), load);
  EXPECT_EQ(model.table_load_cycles(isa::kFlagClip), 0u);

  const cnn::InstructionCost plain = model.cost(single_pass_conv(0));
  const cnn::InstructionCost both = model.cost(single_pass_conv(isa::kFlagClip | isa::kFlagTable));
  EXPECT_EQ(both.timing.weight_stall_cycles, plain.timing.weight_stall_cycles + load);
  EXPECT_EQ(both.timing.drain_cycles, plain.timing.drain_cycles + 2) << "one stage per unit";
  EXPECT_EQ(both.timing.cycles, plain.timing.cycles + load + 2);
  const uint64_t results = 3 * 8 * 8;
  EXPECT_EQ(both.activity.cmp8, plain.activity.cmp8 + 2 * results);
  EXPECT_EQ(both.activity.lut_accesses, 256 + results);
  EXPECT_EQ(both.activity.weight_bytes_read, plain.activity.weight_bytes_read + 256);

  isa::Instruction fc = blank(isa::kOpFc, isa::kFlagAccFirst | isa::kFlagAccLast);
  fc.fc.n_in = 100;
  fc.fc.n_out = 40;
  const cnn::InstructionCost fc_plain = model.cost(fc);
  fc.header.flags |= isa::kFlagTable;
  const cnn::InstructionCost fc_table = model.cost(fc);
  EXPECT_EQ(fc_table.timing.cycles, fc_plain.timing.cycles + load + 1);
  EXPECT_EQ(fc_table.activity.lut_accesses, 256u + 40u);
  // Without AccLast there is no output stage: nothing changes.
  fc.header.flags = isa::kFlagAccFirst | isa::kFlagTable;
  isa::Instruction fc_psum = fc;
  fc_psum.header.flags = isa::kFlagAccFirst;
  EXPECT_EQ(model.cost(fc).timing.cycles, model.cost(fc_psum).timing.cycles);
}

TEST(CnnActivation, EltwiseMulStreamsBOncePerRun) {
  CnnConfig cfg;
  const cnn::TimingModel model(cfg);
  isa::Instruction i = blank(isa::kOpEltwise, isa::kFlagTable);
  isa::Eltwise& e = i.eltwise;
  e.op = isa::kEltwiseMul;
  e.count = 14 * 14 * 96;
  e.broadcast = 14 * 14;
  e.output_shift = 7;
  const cnn::InstructionCost c = model.cost(i);
  const uint64_t b_count = 96;
  EXPECT_EQ(c.timing.postprocess_cycles, std::max(ceil_div(e.count + b_count, cfg.input_port_bytes),
                                                  ceil_div(e.count, cfg.output_port_bytes)));
  EXPECT_EQ(c.timing.drain_cycles, 2u + 1u) << "multiply and round stages, the table stage";
  EXPECT_EQ(c.timing.weight_stall_cycles, ceil_div(256, cfg.weight_port_bytes));
  EXPECT_EQ(c.timing.cycles, c.timing.postprocess_cycles + c.timing.drain_cycles + c.timing.weight_stall_cycles +
                                 cfg.instruction_overhead_cycles);
  EXPECT_EQ(c.activity.mul8, e.count);
  EXPECT_EQ(c.activity.add32, e.count) << "the rounding add only";
  EXPECT_EQ(c.activity.input_bytes_read, e.count + b_count);
  EXPECT_EQ(c.activity.lut_accesses, 256u + e.count);
  // Elementwise (broadcast 0): b is as long as a.
  e.broadcast = 0;
  EXPECT_EQ(model.cost(i).activity.input_bytes_read, 2ull * e.count);
}

TEST(CnnActivation, EngineCountsLutAccessesAtRegisterFileEnergy) {
  const TechTable tech =
      TechTable::load(std::string(DLVP_SOURCE_DIR) + "/scenarios/tech/horowitz-45nm.yaml");
  EnergyLedger ledger(tech);
  CnnEngine engine("cnn", CnnConfig{}, ledger, 0x4000'0000);
  isa::Instruction i = blank(isa::kOpEltwise, isa::kFlagTable);
  i.eltwise.count = 100;
  i.eltwise.b_offset = 100;
  i.header.tag = 3;
  sc_core::sc_time delay;
  ASSERT_EQ(engine.execute(i, 0, delay), isa::kErrNone);
  const CounterId lut = engine.counters().lut;
  EXPECT_EQ(ledger.count_of(lut), 256u + 100u);
  EXPECT_EQ(ledger.count_of(lut, engine.layer_tag(3)), 256u + 100u);
  EXPECT_DOUBLE_EQ(ledger.spec(lut).unit_energy, 0.5 * tech.energy("rf_access_16b"));
  EXPECT_EQ(ledger.spec(lut).level, Level::rf);
}

// CnnEngine as a TLM module in a small bench (no IFU): a thread with a quantum keeper calls
// execute() as the IFU's compute queue would, and initiator sockets play the CPU (registers) and
// the DMA (buffers). Checks results against the arithmetic library, the delay against the timing
// model, the error path, the registers, the energy counts against their formulas, the statistics.
#include "ip/cnn/cnn_arith.h"
#include "ip/cnn/cnn_engine.h"
#include "ip/cnn/cnn_regs.h"
#include "ip/common/config_error.h"
#include "ip/common/energy_tag.h"

#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/tlm_quantumkeeper.h>

#include <array>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

using namespace dlvp;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_US;

namespace {

constexpr uint64_t kLocalBase = 0x4000'0000;

TechTable tech() { return TechTable::load(std::string(DLVP_SOURCE_DIR) + "/scenarios/tech/horowitz-45nm.yaml"); }

// The IFU's compute queue and the CPU in one thread; one DMA-like initiator per buffer.
class Bench : public sc_core::sc_module {
 public:
  tlm_utils::simple_initiator_socket<Bench> reg{"reg"};
  std::array<tlm_utils::simple_initiator_socket<Bench>, isa::kCnnBufCount> dma{
      tlm_utils::simple_initiator_socket<Bench>{"dma_in"}, tlm_utils::simple_initiator_socket<Bench>{"dma_w"},
      tlm_utils::simple_initiator_socket<Bench>{"dma_out"}};
  EnergyLedger ledger;
  CnnEngine engine;
  tlm_utils::tlm_quantumkeeper quantum;
  std::function<void(Bench&)> script;
  bool finished = false;

  SC_HAS_PROCESS(Bench);
  explicit Bench(const CnnConfig& config = CnnConfig{})
      : sc_module("bench"), ledger(tech()), engine("cnn", config, ledger, kLocalBase) {
    reg.bind(engine.reg_socket);
    for (int b = 0; b < isa::kCnnBufCount; ++b) dma[b].bind(engine.buffer(static_cast<isa::Buffer>(b)).socket);
    tlm_utils::tlm_quantumkeeper::set_global_quantum(sc_time(1, SC_US));
    SC_THREAD(run);
  }

  // Executes as the IFU would: at the local time, then advances it by the annotated delay.
  isa::ErrorCode execute(const isa::Instruction& in, uint32_t index) {
    sc_time local = quantum.get_local_time();
    const isa::ErrorCode code = engine.execute(in, index, local);
    quantum.set(local);
    if (quantum.need_sync()) quantum.sync();
    return code;
  }
  sc_time now() const { return sc_core::sc_time_stamp() + quantum.get_local_time(); }

  tlm::tlm_response_status access(tlm_utils::simple_initiator_socket<Bench>& socket, tlm::tlm_command command,
                                  uint64_t address, void* data, unsigned length) {
    tlm::tlm_generic_payload t;
    setup_payload(t, command, address, static_cast<unsigned char*>(data), length);
    sc_time delay = quantum.get_local_time();
    socket->b_transport(t, delay);
    quantum.set(delay);
    return t.get_response_status();
  }
  uint64_t read_reg(uint32_t offset, unsigned width) {
    uint64_t value = 0;
    EXPECT_EQ(access(reg, tlm::TLM_READ_COMMAND, offset, &value, width), tlm::TLM_OK_RESPONSE) << offset;
    return value;
  }

 private:
  void run() {
    if (script) script(*this);
    quantum.sync();
    finished = true;
  }
};

void run(Bench& bench) {
  sc_core::sc_start();
  ASSERT_TRUE(bench.finished);
}

void fill_random(SramBuffer& buffer, uint32_t seed) {
  std::mt19937 rng(seed);
  for (uint64_t i = 0; i < buffer.size(); ++i) buffer.data()[i] = static_cast<uint8_t>(rng());
}

std::vector<uint8_t> snapshot(SramBuffer& b) { return std::vector<uint8_t>(b.data(), b.data() + b.size()); }

isa::Instruction blank(uint8_t opcode, uint32_t tag = 7) {
  isa::Instruction in;
  std::memset(&in, 0, sizeof in);
  in.header.opcode = opcode;
  in.header.tag = tag;
  return in;
}

// 20 -> 5 channels, 9 x 11, 3x3 pad 1, bias, ReLU, 2x2 max pooling: two groups of convolvers, an
// odd channel count for the PEs.
isa::Instruction example_conv() {
  isa::Instruction in = blank(isa::kOpConv);
  isa::Conv& c = in.conv;
  c.header.flags = isa::kFlagAccFirst | isa::kFlagAccLast | isa::kFlagRelu | isa::kFlagPool;
  c.in_c = 20;
  c.out_c = 5;
  c.in_h = 9;
  c.in_w = 11;
  c.kernel_h = c.kernel_w = 3;
  c.stride_h = c.stride_w = 1;
  c.pad_top = c.pad_left = c.pad_bottom = c.pad_right = 1;
  c.input_offset = 100;
  c.weight_offset = 64;
  c.bias_offset = 64 + 5 * 20 * 9;
  c.output_offset = 1000;
  c.bias_shift = 4;
  c.output_shift = 7;
  c.pool_size = c.pool_stride = 2;
  return in;
}

// The same computation through the arithmetic library on copies of the buffers.
std::array<std::vector<uint8_t>, isa::kCnnBufCount> expected_after(CnnEngine& e, const std::vector<isa::Instruction>& p,
                                                                 const CnnConfig& cfg) {
  std::array<std::vector<uint8_t>, isa::kCnnBufCount> copy;
  cnn::BufferSet set;
  for (int b = 0; b < isa::kCnnBufCount; ++b) {
    copy[b] = snapshot(e.buffer(static_cast<isa::Buffer>(b)));
    set.data[b] = copy[b].data();
    set.size[b] = copy[b].size();
  }
  for (const auto& in : p) {
    EXPECT_EQ(cnn::check(in, set), isa::kErrNone);
    cnn::execute(in, set, cnn::ArithConfig{cfg.accumulator_bits});
  }
  return copy;
}

uint64_t total_counts(const EnergyLedger& l) {
  uint64_t sum = 0;
  for (CounterId id = 0; id < l.counter_count(); ++id) sum += l.count_of(id);
  return sum;
}

uint64_t words(uint64_t bytes) { return (bytes + 7) / 8; }

}  // namespace

TEST(CnnEngine, ConvThroughTheModuleGivesTheArithmeticsBytes) {
  Bench bench;
  for (int b = 0; b < isa::kCnnBufCount; ++b) fill_random(bench.engine.buffer(static_cast<isa::Buffer>(b)), 11 + b);
  // A layer in two instructions: input channels 0..9 into psum, then 10..19 with bias-free finish.
  isa::Instruction first = example_conv();
  first.conv.header.flags = isa::kFlagAccFirst;
  first.conv.in_c = 10;
  first.conv.psum_offset = 4096;
  isa::Instruction second = example_conv();
  second.conv.header.flags = isa::kFlagAccLast | isa::kFlagRelu | isa::kFlagPool;
  second.conv.in_c = 10;
  second.conv.input_offset = 100 + 10 * 9 * 11;
  second.conv.psum_offset = 4096;
  const std::vector<isa::Instruction> program{example_conv(), first, second};
  const auto expected = expected_after(bench.engine, program, CnnConfig{});
  bench.script = [&](Bench& b) {
    for (uint32_t i = 0; i < program.size(); ++i) EXPECT_EQ(b.execute(program[i], i), isa::kErrNone);
  };
  run(bench);
  for (int b = 0; b < isa::kCnnBufCount; ++b)
    EXPECT_EQ(snapshot(bench.engine.buffer(static_cast<isa::Buffer>(b))), expected[b]) << "buffer " << b;
}

TEST(CnnEngine, DelayIsTheTimingModelsCycles) {
  Bench bench;
  const isa::Instruction in = example_conv();
  const cnn::InstructionCost cost = cnn::TimingModel(CnnConfig{}).cost(in);
  const ClockDomain clock(CnnConfig{}.clock_mhz);
  std::vector<sc_time> times;
  bench.script = [&](Bench& b) {
    times.push_back(b.now());
    for (uint32_t i = 0; i < 3; ++i) {
      EXPECT_EQ(b.execute(in, i), isa::kErrNone);
      times.push_back(b.now());
    }
  };
  run(bench);
  ASSERT_EQ(times.size(), 4u);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(times[i + 1] - times[i], clock.cycles(cost.timing.cycles)) << i;
  const auto& records = bench.engine.instruction_records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(records[1].start, records[0].end);
  EXPECT_EQ(records[2].end, times[3]);
  EXPECT_EQ(records[2].index, 2u);
  EXPECT_EQ(records[2].timing.cycles, cost.timing.cycles);
}

TEST(CnnEngine, CallerAheadOfTheDatapathWaitsForIt) {
  Bench bench;
  const isa::Instruction in = example_conv();
  const sc_time one = ClockDomain(CnnConfig{}.clock_mhz).cycles(cnn::TimingModel(CnnConfig{}).cost(in).timing.cycles);
  sc_time second_delay;
  bench.script = [&](Bench& b) {
    sc_time delay = sc_core::SC_ZERO_TIME;
    EXPECT_EQ(b.engine.execute(in, 0, delay), isa::kErrNone);
    second_delay = sc_core::SC_ZERO_TIME;  // a second caller at the same time: starts after the first
    EXPECT_EQ(b.engine.execute(in, 1, second_delay), isa::kErrNone);
  };
  run(bench);
  EXPECT_EQ(second_delay, 2 * one);
}

TEST(CnnEngine, BadInstructionsChangeNothing) {
  Bench bench;
  for (int b = 0; b < isa::kCnnBufCount; ++b) fill_random(bench.engine.buffer(static_cast<isa::Buffer>(b)), 3 + b);
  std::array<std::vector<uint8_t>, isa::kCnnBufCount> before;
  for (int b = 0; b < isa::kCnnBufCount; ++b) before[b] = snapshot(bench.engine.buffer(static_cast<isa::Buffer>(b)));

  isa::Instruction overrun = example_conv();
  overrun.conv.input_offset = static_cast<uint32_t>(bench.engine.buffer_size(isa::kBufInput) - 10);
  isa::Instruction bad_field = example_conv();
  bad_field.conv.kernel_h = 0;
  const isa::Instruction not_compute = blank(isa::kOpLoad);
  const isa::Instruction unknown = blank(0x7F);
  std::vector<std::pair<isa::Instruction, isa::ErrorCode>> cases{{overrun, isa::kErrBufferOverrun},
                                                                 {bad_field, isa::kErrBadField},
                                                                 {not_compute, isa::kErrUnknownOpcode},
                                                                 {unknown, isa::kErrUnknownOpcode}};
  bench.script = [&](Bench& b) {
    for (uint32_t i = 0; i < cases.size(); ++i) {
      sc_time delay(5, SC_NS);
      EXPECT_EQ(b.engine.execute(cases[i].first, i, delay), cases[i].second) << i;
      EXPECT_EQ(delay, sc_time(5, SC_NS)) << i;
    }
    EXPECT_EQ(b.read_reg(cnn_regs::ERRORS, 4), cases.size());
    EXPECT_EQ(b.read_reg(cnn_regs::INSTRUCTIONS, 4), 0u);
  };
  run(bench);
  for (int b = 0; b < isa::kCnnBufCount; ++b)
    EXPECT_EQ(snapshot(bench.engine.buffer(static_cast<isa::Buffer>(b))), before[b]) << "buffer " << b;
  EXPECT_EQ(total_counts(bench.ledger), 0u) << "no energy for rejected instructions";
  EXPECT_EQ(bench.engine.rejected_instructions(), cases.size());
  EXPECT_TRUE(bench.engine.instruction_records().empty());
}

// A program that never stops, each instruction under a layer tag of its own: the engine keeps its
// first instruction records and kMaxLayerTags layers (then one overflow layer), the ledger as many
// tags; everything is still counted.
TEST(CnnEngine, ARunawayProgramKeepsBoundedRecordsAndLayers) {
  Bench bench;
  constexpr uint64_t kExtra = 100;
  constexpr uint64_t kInstructions = EngineBase::kKeptInstructionRecords + kExtra;
  bench.script = [&](Bench& b) {
    for (uint64_t i = 0; i < kInstructions; ++i) {
      isa::Instruction in = blank(isa::kOpEltwise, static_cast<uint32_t>(i));
      in.eltwise.count = 1;
      ASSERT_EQ(b.execute(in, static_cast<uint32_t>(i)), isa::kErrNone);
    }
  };
  run(bench);
  EXPECT_EQ(bench.engine.instructions(), kInstructions);
  EXPECT_EQ(bench.engine.instruction_records().size(), EngineBase::kKeptInstructionRecords);
  EXPECT_EQ(bench.engine.instruction_records_not_kept(), kExtra);
  const auto& layers = bench.engine.layer_stats();  // by ledger tag
  ASSERT_EQ(layers.size(), kMaxLayerTags + 1);
  const TagId overflow = *bench.ledger.find_tag(layer_tag_name(kOverflowLayer));
  const TagId last = *bench.ledger.find_tag(layer_tag_name(kMaxLayerTags - 1));
  ASSERT_EQ(layers.count(overflow), 1u);
  EXPECT_EQ(layers.at(overflow).instructions, kInstructions - kMaxLayerTags);
  EXPECT_EQ(layers.at(overflow).tag, kOverflowLayer) << "several layers share the overflow tag";
  EXPECT_EQ(layers.at(last).instructions, 1u);
  EXPECT_EQ(layers.at(last).tag, kMaxLayerTags - 1);
  EXPECT_EQ(bench.ledger.tag_count(), kMaxLayerTags + 2);  // "untagged", the layers, the overflow
}

TEST(CnnEngine, RegistersShowTheConfigurationAndTheCounters) {
  CnnConfig cfg;
  cfg.pes = 3;
  cfg.clock_mhz = 250.5;
  Bench bench(cfg);
  const isa::Instruction in = example_conv();
  const cnn::InstructionCost cost = cnn::TimingModel(cfg).cost(in);
  bench.script = [&](Bench& b) {
    using namespace cnn_regs;
    EXPECT_EQ(b.read_reg(ID, 4), 0x434E4E30u);
    EXPECT_EQ(b.read_reg(VERSION, 4), 0x00010000u);
    EXPECT_EQ(b.read_reg(PES, 4), cfg.pes);
    EXPECT_EQ(b.read_reg(CONVOLVERS, 4), cfg.convolvers);
    EXPECT_EQ(b.read_reg(KERNEL, 4), cfg.kernel);
    EXPECT_EQ(b.read_reg(CLOCK_KHZ, 4), 250500u);
    EXPECT_EQ(b.read_reg(INPUT_BUFFER_BYTES, 4), cfg.input_buffer_bytes);
    EXPECT_EQ(b.read_reg(WEIGHT_BUFFER_BYTES, 4), cfg.weight_buffer_bytes);
    EXPECT_EQ(b.read_reg(OUTPUT_BUFFER_BYTES, 4), cfg.output_buffer_bytes);
    EXPECT_EQ(b.read_reg(ACCUMULATOR_BITS, 4), cfg.accumulator_bits);
    EXPECT_EQ(b.read_reg(MACS, 8), 0u);
    for (uint32_t i = 0; i < 2; ++i) EXPECT_EQ(b.execute(in, i), isa::kErrNone);
    EXPECT_EQ(b.read_reg(INSTRUCTIONS, 4), 2u);
    EXPECT_EQ(b.read_reg(MACS, 8), 2 * cost.timing.macs);
    EXPECT_EQ(b.read_reg(CYCLES, 8), 2 * cost.timing.cycles);
    EXPECT_EQ(b.read_reg(BUSY_CYCLES, 8), 2 * cost.timing.busy_cycles);
    EXPECT_EQ(b.read_reg(STALL_CYCLES, 8), 2 * cost.timing.stall_cycles());
    EXPECT_EQ(b.read_reg(RF_ACCESSES, 8), 2 * cost.activity.accumulator_accesses);
    EXPECT_EQ(b.read_reg(ARRAY_TRANSFERS, 8),
              2 * (cost.activity.line_buffer_transfers + cost.activity.broadcast_transfers));
    // An RV32 core reads an 8-byte counter as two halves.
    const uint64_t cycles = b.read_reg(CYCLES, 4) | (b.read_reg(CYCLES + 4, 4) << 32);
    EXPECT_EQ(cycles, 2 * cost.timing.cycles);
    uint32_t value = 1;
    EXPECT_EQ(b.access(b.reg, tlm::TLM_WRITE_COMMAND, PES, &value, 4), tlm::TLM_COMMAND_ERROR_RESPONSE);
    EXPECT_EQ(b.access(b.reg, tlm::TLM_READ_COMMAND, 0x800, &value, 4), tlm::TLM_ADDRESS_ERROR_RESPONSE);
    value = kPerfCtrlClear;
    EXPECT_EQ(b.access(b.reg, tlm::TLM_WRITE_COMMAND, PERF_CTRL, &value, 4), tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(b.read_reg(PERF_CTRL, 4), 0u);
    EXPECT_EQ(b.read_reg(MACS, 8), 0u);
    EXPECT_EQ(b.read_reg(CYCLES, 8), 0u);
  };
  run(bench);
  EXPECT_EQ(bench.engine.totals().macs, 2 * cost.timing.macs) << "statistics survive a counter clear";
}

TEST(CnnEngine, DmaWritesReachTheBuffersThroughTheirSockets) {
  Bench bench;
  CnnEngine& e = bench.engine;
  const CnnConfig cfg;
  EXPECT_EQ(e.buffer_base(isa::kBufInput), kLocalBase);
  EXPECT_EQ(e.buffer_base(isa::kBufWeight), kLocalBase + cfg.input_buffer_bytes);
  EXPECT_EQ(e.buffer_base(isa::kBufOutput), kLocalBase + cfg.input_buffer_bytes + cfg.weight_buffer_bytes);
  EXPECT_EQ(e.buffer_size(isa::kBufWeight), cfg.weight_buffer_bytes);
  EXPECT_EQ(e.buffer_size(isa::kBufOutput), cfg.output_buffer_bytes);
  bench.script = [&](Bench& b) {
    for (int buf = 0; buf < isa::kCnnBufCount; ++buf) {
      std::vector<uint8_t> data(256);
      for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 3 + buf);
      const uint64_t at = b.engine.buffer_size(static_cast<isa::Buffer>(buf)) - data.size();
      EXPECT_EQ(b.access(b.dma[buf], tlm::TLM_WRITE_COMMAND, at, data.data(), 256), tlm::TLM_OK_RESPONSE);
      EXPECT_EQ(std::memcmp(b.engine.buffer(static_cast<isa::Buffer>(buf)).data() + at, data.data(), 256), 0);
      std::vector<uint8_t> back(256);
      EXPECT_EQ(b.access(b.dma[buf], tlm::TLM_READ_COMMAND, at, back.data(), 256), tlm::TLM_OK_RESPONSE);
      EXPECT_EQ(back, data);
      EXPECT_EQ(b.access(b.dma[buf], tlm::TLM_WRITE_COMMAND, at + 1, data.data(), 256),
                tlm::TLM_ADDRESS_ERROR_RESPONSE);
    }
  };
  run(bench);
}

TEST(CnnEngine, EnergyCountsFollowTheirFormulasAndTheLayerTag) {
  Bench bench;
  const CnnConfig cfg;
  const isa::Instruction in = example_conv();
  bench.script = [&](Bench& b) { EXPECT_EQ(b.execute(in, 0), isa::kErrNone); };
  run(bench);
  const EnergyLedger& l = bench.ledger;
  const CnnEngine::Counters& n = bench.engine.counters();
  const TagId tag = bench.engine.layer_tag(7);
  EXPECT_EQ(l.tag_name(tag), "layer7");

  // The shape of example_conv(): 20 -> 5 channels, 9 x 11 with padding 1, 3x3, pooled 2x2.
  const uint64_t k = cfg.kernel, out_h = 9, out_w = 11, windows = out_h * out_w, pooled = 4 * 5;
  const uint64_t groups = (20 + cfg.convolvers - 1) / cfg.convolvers, steps = (5 + cfg.pes - 1) / cfg.pes;
  const uint64_t stream = (out_h - 1 + k) * (out_w - 1 + k), real = 9 * 11;
  const uint64_t macs = 5 * 20 * windows * 9;
  const std::vector<std::pair<CounterId, uint64_t>> expected{
      {n.mul8, macs},
      {n.add32, macs},
      {n.cmp8, 5 * pooled * 3},
      {n.add16, 0},
      {n.accumulator, 2 * 5 * windows * groups},
      {n.broadcast, 5 * 20 * stream},
      {n.line_buffer, 5 * 20 * stream * 2 * (k - 1)},
  };
  for (const auto& [id, count] : expected) {
    EXPECT_EQ(l.count_of(id), count) << l.spec(id).name;
    EXPECT_EQ(l.count_of(id, tag), count) << l.spec(id).name << " attributed to the layer";
  }
  auto buffer_counter = [&](isa::Buffer b, const char* what) {
    return l.find(bench.engine.buffer(b).name(), what);
  };
  const std::vector<std::pair<CounterId, uint64_t>> buffer_words{
      {buffer_counter(isa::kBufInput, "datapath.read"), words(steps * 20 * real)},
      {buffer_counter(isa::kBufWeight, "datapath.read"), words(5 * 20 * 9 + 4 * 5)},
      {buffer_counter(isa::kBufOutput, "datapath.read"), words(4 * 5 * windows * (groups - 1))},
      {buffer_counter(isa::kBufOutput, "datapath.write"), words(4 * 5 * windows * (groups - 1) + 5 * pooled)},
  };
  for (const auto& [id, count] : buffer_words) {
    EXPECT_EQ(l.count_of(id), count) << l.spec(id).module << "." << l.spec(id).name;
    EXPECT_EQ(l.count_of(id, tag), count) << l.spec(id).module << " attributed to the layer";
  }
  EXPECT_EQ(l.tag(), kUntagged) << "the caller's current tag is restored";

  // Unit energies from the technology table, at the stated widths.
  const TechTable& t = l.tech();
  EXPECT_DOUBLE_EQ(l.spec(n.mul8).unit_energy, t.energy("int8_mul"));
  EXPECT_DOUBLE_EQ(l.spec(n.add32).unit_energy, t.energy("int32_add"));
  EXPECT_DOUBLE_EQ(l.spec(n.accumulator).unit_energy, 2 * t.energy("rf_access_16b"));
  EXPECT_DOUBLE_EQ(l.spec(n.line_buffer).unit_energy, 0.5 * t.energy("array_transfer_16b"));
  EXPECT_DOUBLE_EQ(l.spec(n.broadcast).unit_energy, 0.5 * t.energy("array_transfer_16b"));
  EXPECT_EQ(l.spec(n.accumulator).level, Level::rf);
  EXPECT_EQ(l.spec(n.line_buffer).level, Level::array);
  EXPECT_EQ(l.spec(n.mul8).level, Level::mac);
}

TEST(CnnEngine, StatisticsPerLayerAndReport) {
  Bench bench;
  isa::Instruction a = example_conv();
  a.header.tag = 1;
  isa::Instruction b = example_conv();
  b.header.tag = 2;
  isa::Instruction pool = blank(isa::kOpPool, 2);
  pool.pool.source = isa::kBufOutput;
  pool.pool.size = pool.pool.stride = 2;
  pool.pool.c = 5;
  pool.pool.in_h = 4;
  pool.pool.in_w = 5;
  pool.pool.input_offset = 1000;
  pool.pool.output_offset = 2000;
  bench.script = [&](Bench& bb) {
    EXPECT_EQ(bb.execute(a, 0), isa::kErrNone);
    EXPECT_EQ(bb.execute(b, 1), isa::kErrNone);
    EXPECT_EQ(bb.execute(pool, 2), isa::kErrNone);
  };
  run(bench);
  const CnnEngine& e = bench.engine;
  const cnn::TimingModel model{CnnConfig{}};
  const auto conv_t = model.cost(a).timing, pool_t = model.cost(pool).timing;
  ASSERT_EQ(e.layer_stats().size(), 2u);
  const auto& layer2 = e.layer_stats().at(*bench.ledger.find_tag(layer_tag_name(2)));
  EXPECT_EQ(layer2.instructions, 2u);
  EXPECT_EQ(layer2.timing.cycles, conv_t.cycles + pool_t.cycles);
  EXPECT_EQ(layer2.timing.macs, conv_t.macs);
  EXPECT_EQ(e.totals().macs, 2 * conv_t.macs);
  EXPECT_EQ(e.instruction_records().at(2).opcode, isa::kOpPool);
  EXPECT_DOUBLE_EQ(e.utilization(),
                   double(2 * conv_t.macs) / (double(2 * conv_t.cycles + pool_t.cycles) * double(model.multipliers())));
  // Achieved GOPS over the busy time cannot exceed the peak.
  EXPECT_GT(e.achieved_gops_busy(), 0.0);
  EXPECT_LE(e.achieved_gops_busy(), model.peak_gops() + 1e-9);

  // The report's layers are those of completed jobs: this test is the IFU that ends the job.
  bench.engine.end_job(true);
  bench.ledger.end_job(true);
  nlohmann::json report;
  e.report(report, 1e6);
  EXPECT_DOUBLE_EQ(report["peak_GOPS"].get<double>(), model.peak_gops());
  EXPECT_EQ(report["instructions"].get<uint64_t>(), 3u);
  EXPECT_EQ(report["instructions_by_opcode"]["pool"].get<uint64_t>(), 1u);
  ASSERT_EQ(report["layers"].size(), 2u);
  const auto& l1 = report["layers"][0];
  EXPECT_EQ(l1["tag"].get<uint32_t>(), 1u);
  EXPECT_EQ(l1["cycles"].get<uint64_t>(), conv_t.cycles);
  // The layer's energy is the sum of its tagged counts times the unit energies.
  const EnergyLedger& l = bench.ledger;
  const TagId tag1 = *bench.ledger.find_tag(layer_tag_name(1));
  double mac_energy = 0;
  for (CounterId id = 0; id < l.counter_count(); ++id)
    if (l.spec(id).level == Level::mac) mac_energy += l.spec(id).unit_energy * double(l.count_of(id, tag1));
  EXPECT_GT(mac_energy, 0.0);
  EXPECT_DOUBLE_EQ(l1["energy_by_level_pJ"]["mac"].get<double>(), mac_energy);
  EXPECT_GT(l1["energy_by_level_pJ"]["buffer"].get<double>(), 0.0);
  EXPECT_GT(l1["energy_by_level_pJ"]["array"].get<double>(), 0.0);
  EXPECT_GT(l1["energy_by_level_pJ"]["rf"].get<double>(), 0.0);
}

TEST(CnnEngine, LayerReportHoldsTheLayersDramTrafficAndOtherModulesEnergy) {
  Bench bench;
  EnergyLedger& l = bench.ledger;
  // What the IFU's LOAD/STOREs of layer 1 caused elsewhere, under the tag it resolves by name.
  const TagId tag = layer_tag(l, 1);
  const CounterId dram =
      l.add_counter(CounterSpec{"ddr", "read_burst", Level::dram, Action::read, 100.0, "burst", "test"});
  l.count_tagged(dram, 3, tag);
  l.count(dram, 5);  // someone else's, untagged
  l.count_dram_traffic(tag, 640, false);
  l.count_dram_traffic(tag, 64, true);
  l.count_dram_traffic(kUntagged, 4096, false);
  isa::Instruction in = example_conv();
  in.header.tag = 1;
  bench.script = [&](Bench& b) { EXPECT_EQ(b.execute(in, 0), isa::kErrNone); };
  run(bench);
  EXPECT_EQ(bench.engine.layer_tag(1), tag) << "the engine and the IFU share the layer's tag";
  EXPECT_EQ(bench.engine.layer_stats().at(tag).ledger_tag, tag);
  bench.engine.end_job(true);  // as the IFU does at the job's end
  l.end_job(true);
  nlohmann::json report;
  bench.engine.report(report, 1e6);
  ASSERT_EQ(report["layers"].size(), 1u);
  const auto& layer = report["layers"][0];
  EXPECT_EQ(layer["dram_read_bytes"].get<uint64_t>(), 640u);
  EXPECT_EQ(layer["dram_write_bytes"].get<uint64_t>(), 64u);
  EXPECT_DOUBLE_EQ(layer["energy_by_level_pJ"]["dram"].get<double>(), 300.0);
  EXPECT_GT(layer["energy_by_level_pJ"]["mac"].get<double>(), 0.0);
}

TEST(CnnEngine, OutOfRangeConfigurationIsAConfigErrorNamingTheKey) {
  CnnConfig cfg;
  cfg.output_port_bytes = 0;
  EnergyLedger ledger(tech());
  try {
    CnnEngine engine("cnn", cfg, ledger, 0);
    FAIL() << "expected a ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("output_port_bytes"), std::string::npos) << e.what();
  }
}

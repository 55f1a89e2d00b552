// dlvpc's schedule prediction (tools/dlvpc/schedule_predictor, memory_path): hand-derivable
// schedules whose figures come from the hardware parameters, and a builder program and the shipped
// LSTM classifier (sparse and dense) predicted against the real IFU/DMA/bus/DDR/CNN/LSTM engine
// bench of tests/unit/ifu.
#include "tests/unit/ifu/ifu_test_bench.h"

#include "ip/cnn/cnn_timing.h"
#include "ip/lstm/lstm_timing.h"
#include "tools/builder/program.h"
#include "tools/dlvpc/lstm_compiler.h"
#include "tools/dlvpc/schedule_predictor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace dlvp;
using namespace dlvp::test;
using dlvp::ifu::ExecutedInstruction;
using dlvp::ifu::Picoseconds;

namespace {

// The bench's hardware (tests/unit/ifu/ifu_test_bench.h): every block at its defaults, DDR4-2400.
dlvpc::ScheduleHardware bench_hardware() {
  DdrConfig ddr;
  ddr.size_bytes = kDdrBytes;
  const DdrTiming timing = DdrTiming::load(std::string(DLVP_SOURCE_DIR) + "/scenarios/hw/ddr/ddr4-2400-x64.yaml");
  return dlvpc::schedule_hardware(IfuConfig{}, DmaConfig{}, BusConfig{}, ddr, timing, CnnConfig{}, LstmConfig{});
}

dlvpc::JobPlacement placement(uint64_t window_bytes) {
  std::array<uint64_t, isa::kArgCount> windows{};
  windows[0] = windows[1] = window_bytes;
  return dlvpc::driver_placement(4096, windows);
}

isa::Instruction transfer(uint8_t opcode, uint8_t arg, uint64_t ddr_offset, uint8_t buffer, uint32_t bytes, uint8_t deps) {
  isa::Instruction in{};
  isa::Transfer& t = in.transfer;
  t.header = {opcode, deps, 0, 0};
  t.buffer = buffer, t.arg = arg, t.ddr_offset = ddr_offset;
  t.planes = t.rows = 1;
  t.row_bytes = bytes;
  t.ddr_row_stride = t.buffer_row_stride = bytes;
  return in;
}

// FC of n_in x n_out from the input buffer's start, weights and bias in the weight buffer.
isa::Instruction fc(uint32_t n_in, uint32_t n_out, uint8_t deps) {
  isa::Instruction in{};
  isa::Fc& f = in.fc;
  f.header = {isa::kOpFc, deps, isa::kFlagAccFirst | isa::kFlagAccLast, 0};
  f.n_in = n_in, f.n_out = n_out;
  f.weight_offset = 0;
  f.bias_offset = (n_in * n_out + 15) / 16 * 16;
  f.output_offset = 0;
  return in;
}

Picoseconds cycles_of(const isa::Instruction& in) {
  return static_cast<Picoseconds>(cnn::TimingModel(CnnConfig{}).cost(in).timing.cycles) * dlvpc::period_ps(CnnConfig{}.clock_mhz);
}

const ExecutedInstruction& at(const dlvpc::SchedulePrediction& p, uint32_t index) {
  for (const ExecutedInstruction& e : p.instructions)
    if (e.index == index) return e;
  throw std::runtime_error("instruction " + std::to_string(index) + " not executed");
}

Picoseconds layers_total(const dlvpc::SchedulePrediction& p) {
  Picoseconds total = 0;
  for (const ifu::LayerTime& t : p.layers) total += t.time;
  return total;
}

}  // namespace

TEST(SchedulePredictor, OneLoadOneComputeOneStoreIsTheSumOfItsParts) {
  const dlvpc::ScheduleHardware hw = bench_hardware();
  const Picoseconds ifu_cycle = dlvpc::period_ps(hw.ifu_clock_mhz);
  const isa::Instruction compute = fc(1024, 16, isa::kPopPrev | isa::kPushNext);
  const std::vector<isa::Instruction> program = {
      transfer(isa::kOpLoad, 0, 0, isa::kBufInput, 1024, isa::kPushNext), compute,
      transfer(isa::kOpStore, 1, 0, isa::kBufOutput, 16, isa::kPopPrev), end_instruction()};
  const dlvpc::SchedulePrediction p = dlvpc::predict_schedule(program, hw, placement(1 << 20));
  ASSERT_EQ(p.instructions.size(), 3u);
  const ExecutedInstruction &load = at(p, 0), &conv = at(p, 1), &store = at(p, 2);
  EXPECT_GT(load.start, 0) << "after the first fetch and decode";
  EXPECT_GT(load.end, load.start + ifu_cycle);
  // Each consumer starts one IFU cycle (its pop) after the producer's end, which holds its push.
  EXPECT_EQ(conv.start, load.end + ifu_cycle);
  EXPECT_EQ(conv.end, conv.start + cycles_of(compute) + ifu_cycle);
  EXPECT_EQ(store.start, conv.end + ifu_cycle);
  EXPECT_GT(store.end, store.start);
  EXPECT_EQ(p.job, store.end);
  ASSERT_EQ(p.layers.size(), 1u);
  const ifu::LayerTime& layer = p.layers[0];
  EXPECT_EQ(layer.time, p.job);
  EXPECT_EQ(layer.engine_busy, conv.end - conv.start);
  EXPECT_EQ(layer.memory_stall, load.end - load.start);
  EXPECT_EQ(layer.store_tail, store.end - store.start);
  EXPECT_EQ(layer.time, layer.engine_busy + layer.memory_stall + layer.store_tail + layer.other);
}

// A long contiguous load is bound by the system bus port: per DMA burst arbitration + beats bus
// cycles; the rest is at most the pipeline's fill and drain (one DDR access with a row miss,
// a refresh, and the last burst's buffer write).
TEST(SchedulePredictor, LongLoadStreamsAtTheBusPortRate) {
  const dlvpc::ScheduleHardware hw = bench_hardware();
  const dlvpc::MemoryHardware& m = hw.memory;
  dlvpc::MemoryPath path(m);
  constexpr uint32_t kBursts = 256;
  DmaDescriptor d;
  d.rows = 1;
  d.row_bytes = kBursts * m.dma.burst_bytes;
  d.src_stride = d.dst_stride = d.row_bytes;
  const Picoseconds end = path.dma_job(0, d, true, isa::kBufInput, 0);
  const Picoseconds bus = dlvpc::period_ps(m.bus.clock_mhz);
  const Picoseconds occupancy = bus * (m.bus.arbitration_cycles + m.dma.burst_bytes / m.bus.width_bytes);
  const DdrTiming& t = m.ddr_timing;
  const Picoseconds ddr_access = static_cast<Picoseconds>(t.tCK_ps) *
                                 (m.ddr.controller_latency_cycles + t.tRP + t.tRCD + t.CL + t.burst_cycles() + t.tRFC + 1);
  EXPECT_GE(end, kBursts * occupancy);
  EXPECT_LE(end, kBursts * occupancy + ddr_access + 2 * occupancy);
}

// A small store issued while a long load streams through the same DDR port waits only for what
// was presented before it: the replay interleaves both DMA channels' transactions in time order, as
// the SoC's bus and DDR controller see them. So the store takes the same time whether the load
// goes on for 16 KiB or 64 KiB. (Before, each DMA job was replayed whole, and a pool layer's
// 512-B store waited behind the next layer's weight load: ResNet-18's global average pool +47.8 %.)
TEST(SchedulePredictor, SmallStoreDuringLongLoadDoesNotWaitForTheLoadsLaterTransactions) {
  const dlvpc::ScheduleHardware hw = bench_hardware();
  const isa::Instruction store = transfer(isa::kOpStore, 1, 0, isa::kBufOutput, 512, 0);
  const auto store_during_load = [&](uint32_t load_bytes) {
    const std::vector<isa::Instruction> program = {transfer(isa::kOpLoad, 0, 0, isa::kBufWeight, load_bytes, 0), store,
                                                   end_instruction()};
    const dlvpc::SchedulePrediction p = dlvpc::predict_schedule(program, hw, placement(1 << 20));
    const ExecutedInstruction &load = at(p, 0), &s = at(p, 1);
    EXPECT_LT(s.end, load.end) << "the store must overlap the load for this test to mean anything";
    return std::pair{s.end - s.start, load.end - load.start};
  };
  const std::vector<isa::Instruction> alone = {store, end_instruction()};
  const ExecutedInstruction& store_alone = at(dlvpc::predict_schedule(alone, hw, placement(1 << 20)), 0);
  const auto [short_store, short_load] = store_during_load(16 * 1024);
  const auto [long_store, long_load] = store_during_load(64 * 1024);
  EXPECT_GT(long_load, 3 * short_load);
  EXPECT_EQ(short_store, long_store);
  EXPECT_GE(short_store, store_alone.end - store_alone.start);
}

// Double buffering: six tiles, the load of tile n >= 2 waits for the compute of tile n - 2.
std::vector<isa::Instruction> double_buffered(uint32_t load_bytes, const isa::Instruction& compute) {
  std::vector<isa::Instruction> program;
  for (uint32_t n = 0; n < 6; ++n) {
    const uint8_t load_deps = isa::kPushNext | (n >= 2 ? isa::kPopNext : 0);
    program.push_back(transfer(isa::kOpLoad, 0, uint64_t{n} * load_bytes, isa::kBufInput, load_bytes, load_deps));
    program.push_back(compute);
    program.push_back(transfer(isa::kOpStore, 1, uint64_t{n} * 64, isa::kBufOutput, 64, isa::kPopPrev));
  }
  program.push_back(end_instruction());
  return program;
}

TEST(SchedulePredictor, DoubleBufferedComputeBoundStepsAtTheComputeTime) {
  const dlvpc::ScheduleHardware hw = bench_hardware();
  const Picoseconds ifu_cycle = dlvpc::period_ps(hw.ifu_clock_mhz);
  const isa::Instruction compute = fc(512, 64, isa::kPopPrev | isa::kPushPrev | isa::kPushNext);
  const dlvpc::SchedulePrediction p = dlvpc::predict_schedule(double_buffered(256, compute), hw, placement(1 << 20));
  ASSERT_GT(cycles_of(compute), at(p, 3).end - at(p, 3).start) << "the compute must outlast a load";
  for (uint32_t n = 1; n + 1 < 6; ++n)  // compute, two pushes, the next one's pop
    EXPECT_EQ(at(p, 3 * (n + 1) + 1).start - at(p, 3 * n + 1).start, cycles_of(compute) + 3 * ifu_cycle) << n;
  EXPECT_EQ(layers_total(p), p.job);
}

TEST(SchedulePredictor, DoubleBufferedLoadBoundStepsAtTheLoadTime) {
  const dlvpc::ScheduleHardware hw = bench_hardware();
  const Picoseconds ifu_cycle = dlvpc::period_ps(hw.ifu_clock_mhz);
  const isa::Instruction compute = fc(16, 1, isa::kPopPrev | isa::kPushPrev | isa::kPushNext);
  const dlvpc::SchedulePrediction p = dlvpc::predict_schedule(double_buffered(16384, compute), hw, placement(1 << 20));
  for (uint32_t n = 1; n + 1 < 6; ++n) {
    const ExecutedInstruction &load = at(p, 3 * n), &next_load = at(p, 3 * (n + 1));
    ASSERT_GT(load.end - load.start, cycles_of(compute)) << "a load must outlast the compute";
    // Loads run back to back (the next one's token from compute n - 1 came long ago: only its pop).
    EXPECT_EQ(next_load.start, load.end + ifu_cycle) << n;
    // Each compute starts one pop after its load.
    EXPECT_EQ(at(p, 3 * n + 1).start, load.end + ifu_cycle) << n;
  }
  EXPECT_EQ(layers_total(p), p.job);
}

TEST(SchedulePredictor, RefusesProgramsItCannotTime) {
  const dlvpc::ScheduleHardware hw = bench_hardware();
  // No END.
  EXPECT_THROW(dlvpc::predict_schedule({transfer(isa::kOpLoad, 0, 0, isa::kBufInput, 64, 0)}, hw, placement(4096)),
               ConfigError);
  // A load outside its window (the IFU's decode check).
  EXPECT_THROW(dlvpc::predict_schedule({transfer(isa::kOpLoad, 0, 8192, isa::kBufInput, 64, 0), end_instruction()}, hw,
                                       placement(4096)),
               ConfigError);
  // A token that never comes.
  EXPECT_THROW(dlvpc::predict_schedule({fc(16, 1, isa::kPopPrev), end_instruction()}, hw, placement(4096)), ConfigError);
}

// -------------------------------------------------------------------------------------------------
// Against the SoC: a three-layer builder program on the bench with the real CNN engine.

namespace {

std::vector<int8_t> random_int8(size_t n, std::mt19937& gen) {
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(static_cast<int>(gen() % 31) - 15);
  return v;
}

builder::Network small_network() {
  std::mt19937 gen(7);
  builder::ConvLayer conv;
  conv.name = "conv";
  conv.in_c = 8, conv.in_h = 32, conv.in_w = 32, conv.out_c = 32;
  conv.kernel_h = conv.kernel_w = 3;
  conv.pad_top = conv.pad_left = conv.pad_bottom = conv.pad_right = 1;
  conv.relu = true;
  conv.pool_size = conv.pool_stride = 2;
  conv.output_shift = 6;
  conv.weights = random_int8(size_t{32} * 8 * 9, gen);
  conv.bias.assign(32, 3);
  builder::FcLayer fc1;
  fc1.name = "fc1";
  fc1.n_in = 32 * 16 * 16, fc1.n_out = 64;
  fc1.output_shift = 8;
  fc1.weights = random_int8(size_t{fc1.n_in} * fc1.n_out, gen);
  fc1.bias.assign(64, 1);
  builder::FcLayer fc2 = fc1;
  fc2.name = "fc2";
  fc2.n_in = 64, fc2.n_out = 10;
  fc2.weights = random_int8(size_t{64} * 10, gen);
  fc2.bias.assign(10, 1);
  builder::Network net;
  net.add(conv);
  net.add(fc1);
  net.add(fc2);
  return net;
}

Picoseconds ps(const sc_core::sc_time& t) { return static_cast<Picoseconds>(std::llround(t.to_seconds() * 1e12)); }

// A job as the driver places it (driver_placement), its constants (and input) preloaded, run on
// the bench; its measured time and layers (ifu::attribute_layers over the IFU's trace).
struct SocJob {
  Picoseconds job = 0;
  std::vector<ifu::LayerTime> layers;
};

// With `warm_from` (a package's weight_load_instructions) a second, warm job follows from that
// instruction, as the driver starts every job after the first; the warm job is measured.
SocJob run_on_bench(Bench& b, const std::vector<isa::Instruction>& program, const dlvpc::JobPlacement& where,
                    const std::vector<uint8_t>& constants, const std::vector<uint8_t>& input = {},
                    uint32_t warm_from = 0) {
  JobSpec job;
  job.program = program;
  job.instr_base = kDdrBase + where.instructions;
  for (size_t a = 0; a < isa::kArgCount; ++a) job.args[a] = {kDdrBase + where.args[a], where.arg_bytes[a]};
  b.preload(job.args[builder::kArgConstants].base, constants);
  if (!input.empty()) b.preload(job.args[builder::kArgInput].base, input);
  JobSpec warm = job;
  warm.program.clear();  // already in memory
  warm.instr_base += uint64_t{warm_from} * isa::kInstructionBytes;
  warm.count = static_cast<uint32_t>(program.size() - warm_from);
  JobResult r;
  b.run([&](RegisterInitiator&) {
    r = b.run_job(job);
    if (warm_from == 0 || r.status != ifu::kStatusDone) return;
    b.acknowledge();
    r = b.run_job(warm);
  });
  EXPECT_EQ(r.status, ifu::kStatusDone) << "error " << r.error_code << " at " << r.error_index;
  const uint64_t measured_job = warm_from == 0 ? 0 : 1;
  if (b.ifu->job_summaries().size() <= measured_job) return {};
  const ifu::JobSummary& s = b.ifu->job_summaries().at(measured_job);
  std::vector<ExecutedInstruction> measured;
  for (const ifu::InstructionRecord& rec : b.ifu->trace())
    if (rec.queue != isa::kQueueNone && rec.job == measured_job)
      measured.push_back({rec.index + warm_from, rec.tag, rec.queue, ps(rec.issue), ps(rec.start), ps(rec.end)});
  return SocJob{ps(s.end) - ps(s.start), ifu::attribute_layers(ps(s.start), ps(s.end), measured)};
}

}  // namespace

TEST(SchedulePredictor, SmallNetworkWithinTenPercentOfTheSoc) {
  BenchOptions o;
  o.cnn = CnnConfig{};
  Bench b(o);
  const builder::Program program = builder::build(small_network(), *o.cnn);
  std::array<uint64_t, isa::kArgCount> windows{};
  std::copy(program.plan.window_bytes.begin(), program.plan.window_bytes.end(), windows.begin());
  windows[builder::kArgConstants] = program.constants.size();
  const dlvpc::JobPlacement where = dlvpc::driver_placement(program.instructions.size() * isa::kInstructionBytes, windows);
  const SocJob measured = run_on_bench(b, program.instructions, where, program.constants);
  const std::vector<ifu::LayerTime>& soc = measured.layers;
  const Picoseconds soc_job = measured.job;

  const dlvpc::SchedulePrediction p = dlvpc::predict_schedule(program.instructions, bench_hardware(), where);
  std::printf("job: predicted %.2f us, measured %.2f us\n", p.job * 1e-6, soc_job * 1e-6);
  EXPECT_NEAR(double(p.job), double(soc_job), 0.10 * double(soc_job));
  ASSERT_EQ(p.layers.size(), soc.size());
  for (size_t i = 0; i < soc.size(); ++i) {
    SCOPED_TRACE("layer " + std::to_string(i));
    EXPECT_EQ(p.layers[i].layer, soc[i].layer);
    std::printf("layer %zu: predicted %.2f us, measured %.2f us\n", i, p.layers[i].time * 1e-6, soc[i].time * 1e-6);
    if (soc[i].time * 100 > soc_job) {
      EXPECT_NEAR(double(p.layers[i].time), double(soc[i].time), 0.10 * double(soc[i].time));
    }
  }
}

// An LSTM program: a LOAD of the gate accumulators, one LSTM_GATES, a STORE of h. The GATES takes
// the engine's element-wise time, ceil(hidden x channels / lanes) + latency cycles of its clock.
TEST(SchedulePredictor, LstmGatesTakeTheElementwiseUnitsTime) {
  const dlvpc::ScheduleHardware hw = bench_hardware();
  const LstmConfig& lstm = hw.memory.lstm;
  const Picoseconds ifu_cycle = dlvpc::period_ps(hw.ifu_clock_mhz);
  constexpr uint32_t kHidden = 256;
  isa::Instruction gates{};
  isa::LstmGates& g = gates.lstm_gates;
  g.header = {isa::kOpLstmGates, isa::kPopPrev | isa::kPushNext, 0, 0};
  g.hidden = kHidden, g.channels = 1;
  g.acc_offset = 0, g.c_offset = kHidden * 4 * 8, g.h_offset = g.c_offset + kHidden * 2;
  isa::Instruction store = transfer(isa::kOpStore, 1, 0, isa::kBufLstmVector, kHidden * 2, isa::kPopPrev);
  store.transfer.buffer_offset = g.h_offset;
  const std::vector<isa::Instruction> program = {
      transfer(isa::kOpLoad, 0, 0, isa::kBufLstmVector, kHidden * 4 * 8, isa::kPushNext), gates, store,
      end_instruction()};
  const dlvpc::SchedulePrediction p = dlvpc::predict_schedule(program, hw, placement(1 << 20));
  const uint64_t cycles = (kHidden + lstm.elementwise_lanes - 1) / lstm.elementwise_lanes + lstm.elementwise_latency;
  EXPECT_EQ(lstm::gates_timing(lstm, kHidden, 1).cycles, cycles);
  const ExecutedInstruction &load = at(p, 0), &compute = at(p, 1), &drain = at(p, 2);
  EXPECT_EQ(compute.start, load.end + ifu_cycle);
  EXPECT_EQ(compute.end, compute.start + Picoseconds(cycles) * dlvpc::period_ps(lstm.clock_mhz) + ifu_cycle);
  EXPECT_EQ(drain.start, compute.end + ifu_cycle);
  EXPECT_EQ(p.job, drain.end);
  ASSERT_EQ(p.layers.size(), 1u);
  EXPECT_EQ(p.layers[0].engine_busy, compute.end - compute.start);
  EXPECT_EQ(p.layers[0].memory_stall, load.end - load.start);
  EXPECT_EQ(p.layers[0].store_tail, drain.end - drain.start);

  dlvpc::ScheduleHardware without = hw;
  without.memory.lstm.enabled = false;
  EXPECT_THROW(dlvpc::predict_schedule(program, without, placement(1 << 20)), ConfigError);
}

// Against the SoC: the shipped Fashion-MNIST LSTM classifier (its own sparse weights, and the same
// model in the engine's dense mode) compiled by dlvpc and run on the bench with the real engine.
void expect_lstm_prediction_near_the_soc(bool dense, bool warm) {
  dlvpc::LstmCompileOptions options;
  options.dense = dense;
  std::mt19937 gen(3);
  std::uniform_real_distribution<double> pixel(0.0, 1.0);
  std::vector<std::vector<double>> calibration(2, std::vector<double>(28 * 28));
  for (auto& image : calibration)
    for (double& v : image) v = pixel(gen);
  const dlvpc::LstmCompiled c = dlvpc::compile_lstm(
      dlvpc::import_onnx_lstm_file(std::string(DLVP_SOURCE_DIR) + "/scenarios/models/fashion_lstm.onnx"), calibration,
      options);
  ASSERT_FALSE(c.test_input.empty());
  BenchOptions o;
  o.lstm = options.hw;
  Bench b(o);
  std::array<uint64_t, isa::kArgCount> windows{};
  windows[builder::kArgConstants] = c.program.constants.size();
  windows[builder::kArgInput] = c.program.input_bytes;
  windows[builder::kArgOutput] = c.program.output_bytes;
  const dlvpc::JobPlacement where = dlvpc::driver_placement(c.program.instructions.size() * isa::kInstructionBytes, windows);
  std::vector<uint8_t> input(c.test_input.size() * 2);
  std::memcpy(input.data(), c.test_input.data(), input.size());
  const uint32_t warm_from = warm ? c.program.weight_load_instructions : 0;
  if (warm) {
    ASSERT_GT(warm_from, 0u);
  }
  const SocJob measured = run_on_bench(b, c.program.instructions, where, c.program.constants, input, warm_from);
  const std::vector<ifu::LayerTime>& soc = measured.layers;
  const Picoseconds soc_job = measured.job;
  ASSERT_GT(soc_job, 0);

  // Cold: from instruction 0, the weights' LOADs included; warm: the engine keeps them.
  dlvpc::JobPlacement start = where;
  start.first_instruction = warm_from;
  const dlvpc::SchedulePrediction p =
      dlvpc::predict_schedule(c.program.instructions, bench_hardware(), start, c.program.constants);
  std::printf("%s %s LSTM job: predicted %.2f us, measured %.2f us\n", warm ? "warm" : "cold", dense ? "dense" : "sparse",
              p.job * 1e-6, soc_job * 1e-6);
  EXPECT_NEAR(double(p.job), double(soc_job), 0.10 * double(soc_job));
  ASSERT_EQ(p.layers.size(), soc.size());
  for (size_t i = 0; i < soc.size(); ++i) {
    SCOPED_TRACE("layer " + std::to_string(i));
    EXPECT_EQ(p.layers[i].layer, soc[i].layer);
    std::printf("layer %u: predicted %.2f us (busy %.2f), measured %.2f us (busy %.2f)\n", soc[i].layer,
                p.layers[i].time * 1e-6, p.layers[i].engine_busy * 1e-6, soc[i].time * 1e-6, soc[i].engine_busy * 1e-6);
    EXPECT_EQ(p.layers[i].engine_busy, soc[i].engine_busy) << "the engine's own timing model";
    if (soc[i].time * 100 > soc_job) {
      EXPECT_NEAR(double(p.layers[i].time), double(soc[i].time), 0.10 * double(soc[i].time));
    }
  }
}

TEST(SchedulePredictor, SparseLstmWithinTenPercentOfTheSoc) { expect_lstm_prediction_near_the_soc(false, false); }
TEST(SchedulePredictor, DenseLstmWithinTenPercentOfTheSoc) { expect_lstm_prediction_near_the_soc(true, false); }
// A warm job begins with the head's LOAD while the IFU fetches: the DMA's DDR read waits in the
// FR-FCFS queue (the controller wait()s), which the bus once counted twice (the head at -32 %).
TEST(SchedulePredictor, WarmSparseLstmWithinTenPercentOfTheSoc) { expect_lstm_prediction_near_the_soc(false, true); }
TEST(SchedulePredictor, WarmDenseLstmWithinTenPercentOfTheSoc) { expect_lstm_prediction_near_the_soc(true, true); }

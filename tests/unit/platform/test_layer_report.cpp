// The per-layer report (platform/layer_report.h, docs/report.md "Per-layer report"): a CNN layer
// and a sparse LSTM layer, each a job on the IFU bench with both real engines. The report built
// from the modules' statistics has a row for each with its engine's figures, and layers.csv has
// them in their columns, the other engine's columns empty.
#include "platform/layer_report.h"
#include "platform/report.h"
#include "tests/unit/ifu/ifu_test_bench.h"
#include "tests/unit/lstm/lstm_test_util.h"
#include "tools/builder/lstm_program.h"
#include "tools/builder/program.h"
#include "tools/dlvpc/lstm_compress.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace dlvp::test {
namespace {

constexpr uint32_t kConvTag = 0;  // the builder tags layer i with i
constexpr uint32_t kLstmTag = 1;
constexpr uint32_t kLstmPes = 4;
constexpr uint64_t kDataBase = kDdrBase + 0x100000;  // argument windows side by side above the programs
constexpr uint64_t kLstmProgramBase = kDdrBase + 0x40000;  // the LSTM job's program: a second program

BenchOptions both_engines() {
  BenchOptions o;
  o.cnn = CnnConfig{};
  LstmConfig lstm;
  lstm.pes = kLstmPes;
  o.lstm = lstm;
  return o;
}

// The job of a program with `window_bytes` per builder argument, windows side by side.
JobSpec job_of(const std::vector<isa::Instruction>& program, const std::array<uint64_t, builder::kArgsUsed>& window_bytes) {
  JobSpec job;
  job.program = program;
  job.args = {};
  uint64_t at = kDataBase;
  for (uint8_t a = 0; a < builder::kArgsUsed; ++a) {
    job.args[a] = {at, window_bytes[a]};
    at += (window_bytes[a] + 4095) / 4096 * 4096;
  }
  return job;
}

// One 3x3 convolution, `in_c` -> `out_c` channels on `size` x `size` (8 -> 16 on 16 x 16 by default).
builder::Program conv_program(const CnnConfig& hw, uint32_t in_c = 8, uint32_t out_c = 16, uint32_t size = 16) {
  builder::ConvLayer conv;
  conv.name = "conv";
  conv.in_c = in_c, conv.in_h = size, conv.in_w = size, conv.out_c = out_c;
  conv.kernel_h = conv.kernel_w = 3;
  conv.pad_top = conv.pad_left = conv.pad_bottom = conv.pad_right = 1;
  conv.output_shift = 6;
  conv.weights.assign(size_t{out_c} * in_c * 9, 1);
  conv.bias.assign(out_c, 0);
  builder::Network net;
  net.add(conv);
  return builder::build(net, hw);
}

// A random LSTM (6 inputs, 8 cells) pruned to 40 % over the PEs, two steps of one sequence.
struct LstmJob {
  builder::LstmProgram program;
  std::vector<int16_t> input;
};

LstmJob lstm_job(const LstmConfig& hw) {
  std::mt19937 rng(21);
  const lstm_ref::FloatLstm model = lstm_test::random_lstm(rng, 6, 8, 0, false);
  const auto seqs = lstm_test::random_sequences(rng, 1, 2, 6);
  dlvpc::CompressOptions options;
  options.prune.density = 0.4;
  options.prune.pes = hw.pes;
  const dlvpc::CompressedLstm c = dlvpc::compress_lstm(model, seqs, options);
  builder::LstmProgramOptions o;
  o.steps = 2;
  o.tag = kLstmTag;
  return LstmJob{builder::build_lstm_program(c.fixed, c.sparse, hw, o), lstm_ref::quantize16(seqs[0], c.fixed.x_frac)};
}

// layers.csv as rows of cells by column name, keyed by "<package>/<layer>" ("program/0", "program/total").
std::map<std::string, std::map<std::string, std::string>> parse_csv(const std::string& text) {
  const auto split = [](const std::string& line) {
    std::vector<std::string> cells;
    std::stringstream in(line);
    std::string cell;
    while (std::getline(in, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.emplace_back();
    return cells;
  };
  std::stringstream in(text);
  std::string line;
  std::getline(in, line);
  const std::vector<std::string> header = split(line);
  std::map<std::string, std::map<std::string, std::string>> rows;
  while (std::getline(in, line)) {
    const std::vector<std::string> cells = split(line);
    EXPECT_EQ(cells.size(), header.size()) << line;
    for (size_t i = 0; i < cells.size() && i < header.size(); ++i) rows[cells[0] + "/" + cells[1]][header[i]] = cells[i];
  }
  return rows;
}

TEST(LayerReport, CnnAndLstmLayersEachWithTheirEnginesFigures) {
  const BenchOptions options = both_engines();
  Bench b(options);
  const builder::Program conv = conv_program(*options.cnn);
  const LstmJob lstm = lstm_job(*options.lstm);
  std::array<uint64_t, builder::kArgsUsed> lstm_windows{};
  lstm_windows[builder::kArgConstants] = lstm.program.constants.size();
  lstm_windows[builder::kArgInput] = lstm.program.input_bytes;
  lstm_windows[builder::kArgOutput] = lstm.program.output_bytes;
  const JobSpec conv_job = job_of(conv.instructions, conv.plan.window_bytes);
  JobSpec lstm_job_spec = job_of(lstm.program.instructions, lstm_windows);
  lstm_job_spec.instr_base = kLstmProgramBase;
  b.run([&](RegisterInitiator&) {
    b.write_memory(conv_job.args[builder::kArgConstants].base, conv.constants.data(), conv.constants.size());
    const JobResult c = b.run_job(conv_job);
    EXPECT_EQ(c.status & (ifu::kStatusDone | ifu::kStatusError), ifu::kStatusDone) << "CNN job: error " << c.error_code;
    b.acknowledge();
    b.write_memory(lstm_job_spec.args[builder::kArgConstants].base, lstm.program.constants.data(),
                   lstm.program.constants.size());
    b.write_memory(lstm_job_spec.args[builder::kArgInput].base, lstm.input.data(), lstm.input.size() * sizeof(int16_t));
    const JobResult l = b.run_job(lstm_job_spec);
    EXPECT_EQ(l.status & (ifu::kStatusDone | ifu::kStatusError), ifu::kStatusDone) << "LSTM job: error " << l.error_code;
    b.acknowledge();
  });
  ASSERT_EQ(b.lstm->layer_stats().size(), 1u);

  PlatformConfig config;  // no model package: the layers are named layer<tag>
  config.cnn = *options.cnn;
  config.lstm = *options.lstm;
  config.ddr = b.ddr->config();  // the DRAM peak of the report comes from the configuration
  config.ddr_timing = b.ddr->timing();
  RunOutcome outcome;
  outcome.simulated_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
  const nlohmann::json report =
      build_report(config, outcome, b.ledger, {b.cnn.get(), b.lstm.get(), b.ifu.get(), b.ddr.get()});
  const nlohmann::json a = build_layer_report(config, report);
  ASSERT_TRUE(a.is_object());
  ASSERT_EQ(a["packages"].size(), 2u) << "two programs: two tables";
  const nlohmann::json& cnn_pkg = a["packages"][0];
  const nlohmann::json& lstm_pkg = a["packages"][1];
  EXPECT_EQ(cnn_pkg["instr_base"], kProgramBase);
  EXPECT_EQ(lstm_pkg["instr_base"], kLstmProgramBase);
  EXPECT_EQ(cnn_pkg["jobs"], 1);
  EXPECT_EQ(lstm_pkg["batch_size"], 1);
  EXPECT_NE(lstm_pkg["precision"].get<std::string>().find("16-bit activations"), std::string::npos);
  ASSERT_EQ(cnn_pkg["layers"].size(), 1u);
  ASSERT_EQ(lstm_pkg["layers"].size(), 1u);
  const double dram_Bps = number_or(report["modules"][b.ddr->name()], "peak_bandwidth_GBps") * 1e9;
  ASSERT_GT(dram_Bps, 0.0);

  // The CNN layer: the job's whole time (it is the only layer), its MAC utilization over that time
  // and over the engine's busy cycles, a bound and roofline data.
  const nlohmann::json& c = cnn_pkg["layers"][0];
  EXPECT_EQ(c["tag"], kConvTag);
  EXPECT_EQ(c["engine"], "cnn");
  EXPECT_EQ(c["macs"].get<double>(), double(conv.layers[0].macs));
  EXPECT_EQ(cnn_pkg["layers_time_ps_total"], cnn_pkg["job_time_ps_total"]);
  EXPECT_DOUBLE_EQ(c["time_ns"].get<double>(), cnn_pkg["job_time_ns"].get<double>());
  EXPECT_DOUBLE_EQ(c["time_ns"].get<double>(), c["engine_busy_ns"].get<double>() + c["memory_stall_ns"].get<double>() +
                                                   c["store_tail_ns"].get<double>() + c["other_ns"].get<double>());
  EXPECT_DOUBLE_EQ(c["GOPS"].get<double>(), 2.0 * c["macs"].get<double>() / c["time_ns"].get<double>());
  const double multipliers = number_or(report["modules"][b.cnn->name()], "multipliers");
  EXPECT_DOUBLE_EQ(c["mac_utilization"].get<double>(),
                   c["macs"].get<double>() / (c["time_ns"].get<double>() * 1e-3 * options.cnn->clock_mhz * multipliers));
  EXPECT_GT(c["mac_utilization_busy"].get<double>(), c["mac_utilization"].get<double>()) << "the loads take time too";
  const double dram_bytes = c["dram_read_bytes"].get<double>() + c["dram_write_bytes"].get<double>();
  EXPECT_DOUBLE_EQ(c["utilization_by_resource"]["dram_utilization"].get<double>(),
                   dram_bytes / (c["span_ns"].get<double>() * 1e-9 * dram_Bps));  // its transfers lie in its span
  EXPECT_DOUBLE_EQ(c["utilization_by_resource"]["engine_utilization"].get<double>(),
                   c["engine_busy_ns"].get<double>() / c["time_ns"].get<double>());
  double highest = 0;
  for (const auto& [resource, u] : c["utilization_by_resource"].items()) highest = std::max(highest, u.get<double>());
  EXPECT_EQ(c["bound_utilization"].get<double>(), highest);
  EXPECT_DOUBLE_EQ(c["ops_per_dram_byte"].get<double>(), 2.0 * c["macs"].get<double>() / dram_bytes);
  EXPECT_DOUBLE_EQ(c["attainable_GOPS"].get<double>(),
                   std::min(b.cnn->timing_model().peak_gops(), c["ops_per_dram_byte"].get<double>() * dram_Bps / 1e9));
  EXPECT_FALSE(c.contains("pe_imbalance"));

  // The LSTM layer: the engine's figures of the layer's tag.
  const lstm::LstmTiming& t = b.lstm->layer_stats().begin()->second.timing;
  const lstm::PeLoad load = t.pe_load();
  const double clock_mhz = options.lstm->clock_mhz;
  const nlohmann::json& l = lstm_pkg["layers"][0];
  EXPECT_EQ(l["tag"], kLstmTag);
  EXPECT_EQ(l["name"], "layer1");
  EXPECT_EQ(l["engine"], "lstm");
  EXPECT_FALSE(l.contains("mac_utilization"));
  EXPECT_EQ(l["engine_busy_cycles"].get<double>(), double(t.cycles));
  // The engine's time, and the IFU cycles its compute instructions spend on token handshakes.
  EXPECT_GE(l["engine_busy_ns"].get<double>(), double(t.cycles) * 1e3 / clock_mhz);
  EXPECT_LT(l["engine_busy_ns"].get<double>(), double(t.cycles) * 1e3 / clock_mhz * 1.1);
  EXPECT_EQ(l["macs"].get<double>(), double(t.macs));
  EXPECT_EQ(l["nonzero_macs"].get<double>(), double(t.nonzero_macs));
  EXPECT_EQ(l["dense_macs"].get<double>(), double(t.dense_macs));
  EXPECT_EQ(l["pe_entries_min"].get<double>(), double(load.min));
  EXPECT_DOUBLE_EQ(l["pe_entries_mean"].get<double>(), load.mean);
  EXPECT_EQ(l["pe_entries_max"].get<double>(), double(load.max));
  EXPECT_DOUBLE_EQ(l["pe_imbalance"].get<double>(), load.imbalance());
  EXPECT_DOUBLE_EQ(l["effective_GOPS"].get<double>(), t.effective_gops(clock_mhz));
  EXPECT_DOUBLE_EQ(l["dense_equivalent_GOPS"].get<double>(), t.dense_equivalent_gops(clock_mhz));
  EXPECT_GT(t.cycles, 0u);
  EXPECT_LT(t.nonzero_macs, t.dense_macs) << "pruned to 40 %";
  EXPECT_GT(l["dram_read_bytes"].get<double>(), 0.0) << "its LOADs";
  EXPECT_GT(l["energy"].get<double>(), 0.0);
  EXPECT_DOUBLE_EQ(lstm_pkg["total"]["energy"].get<double>(), l["energy"].get<double>());

  // layers.csv: a table per package, each engine's columns filled in its row only, full precision.
  std::ostringstream csv;
  write_layers_csv(csv, a);
  const auto rows = parse_csv(csv.str());
  ASSERT_EQ(rows.size(), 4u) << csv.str();
  const auto& conv_row = rows.at("program@0x80000000/0");
  const auto& lstm_row = rows.at("program@0x80040000/1");
  EXPECT_EQ(conv_row.at("engine"), "cnn");
  EXPECT_FALSE(conv_row.at("mac_utilization").empty());
  for (const char* column : {"nonzero_macs", "dense_macs", "pe_entries_min", "pe_entries_mean", "pe_entries_max",
                             "pe_imbalance", "effective_GOPS", "dense_equivalent_GOPS"}) {
    EXPECT_TRUE(conv_row.at(column).empty()) << column;
    EXPECT_FALSE(lstm_row.at(column).empty()) << column;
  }
  EXPECT_EQ(lstm_row.at("engine"), "lstm");
  EXPECT_TRUE(lstm_row.at("mac_utilization").empty());
  EXPECT_EQ(std::stod(lstm_row.at("engine_busy_cycles")), double(t.cycles));
  EXPECT_EQ(std::stod(lstm_row.at("pe_entries_mean")), load.mean) << "no rounding";
  EXPECT_EQ(std::stod(lstm_row.at("pe_imbalance")), load.imbalance());
  EXPECT_EQ(std::stod(lstm_row.at("time_ns")), l["time_ns"].get<double>());
  EXPECT_EQ(std::stod(conv_row.at("GOPS")), c["GOPS"].get<double>());

  // The summary: a table per package (the LSTM one without a CNN), the job time and its check.
  std::ostringstream summary;
  print_layer_report(summary, a);
  const std::string table = summary.str();
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n') >= 10, true) << table;
  EXPECT_NE(table.find("(exact)"), std::string::npos) << table;
  const size_t at = table.find(" layer1 ");
  ASSERT_NE(at, std::string::npos) << table;
  const std::string line = table.substr(at, table.find('\n', at) - at);
  EXPECT_NE(line.find(" lstm "), std::string::npos) << line;
  std::printf("%s\n%s", csv.str().c_str(), table.c_str());
}

// A layer whose datapath keeps the input buffer's port busy (a port narrower than the convolvers'
// demand) while the DMA fills the next tile through the buffer's socket: each side is set against
// its own port, neither above 100 %, and the bound names the datapath side. Energy is the same
// however the sides are split: the buffers' counters add up to their level's energy.
TEST(LayerReport, BufferPortSidesEachAgainstTheirOwnPort) {
  BenchOptions options;
  CnnConfig hw;
  hw.input_port_bytes = 4;           // 16 convolvers want 16 B per cycle: the input port bounds the engine
  hw.input_buffer_bytes = 16 * 1024;  // several tiles, the next loaded while one computes
  options.cnn = hw;
  Bench b(options);
  const builder::Program conv = conv_program(hw, 16, 16, 48);
  const JobSpec job = job_of(conv.instructions, conv.plan.window_bytes);
  b.run([&](RegisterInitiator&) {
    b.write_memory(job.args[builder::kArgConstants].base, conv.constants.data(), conv.constants.size());
    const JobResult r = b.run_job(job);
    EXPECT_EQ(r.status & (ifu::kStatusDone | ifu::kStatusError), ifu::kStatusDone) << "error " << r.error_code;
    b.acknowledge();
  });
  PlatformConfig config;
  config.cnn = hw;
  config.ddr = b.ddr->config();
  config.ddr_timing = b.ddr->timing();
  RunOutcome outcome;
  outcome.simulated_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
  const nlohmann::json report =
      build_report(config, outcome, b.ledger,
                   {b.cnn.get(), b.ifu.get(), b.ddr.get(), &b.cnn->buffer(isa::kBufInput),
                    &b.cnn->buffer(isa::kBufWeight), &b.cnn->buffer(isa::kBufOutput)});
  const nlohmann::json a = build_layer_report(config, report);
  ASSERT_TRUE(a.is_object());
  const nlohmann::json& row = a["packages"][0]["layers"][0];
  const nlohmann::json& ifu_layer = report["modules"][b.ifu->name()]["programs"][0]["layers"][0];
  const double span_ns = row["span_ns"].get<double>();
  const std::string input = b.cnn->buffer(isa::kBufInput).name();
  ASSERT_TRUE(ifu_layer["buffer_accesses_64b"].contains(input)) << ifu_layer.dump();
  const nlohmann::json& sides = ifu_layer["buffer_accesses_64b"][input];
  // Each side's capacity from the configuration: the DMA's socket (SramBufferConfig: one port of
  // input_port_bytes at the engine clock) and the datapath's input port.
  const double one_port_bytes = span_ns * 1e-3 * hw.clock_mhz * hw.input_port_bytes;
  const double datapath = sides["datapath"].get<double>() * 8 / one_port_bytes;
  const double socket = sides["socket"].get<double>() * 8 / one_port_bytes;
  std::printf("input buffer over the layer's span: datapath %.4f, socket %.4f, both over one port %.4f\n", datapath,
              socket, datapath + socket);
  EXPECT_GT(socket, 0.0) << "the DMA filled the buffer during the layer";
  EXPECT_LE(datapath, 1.0);
  EXPECT_LE(socket, 1.0);
  // The engine is bound by its input port: while it is busy the port moves about its width a cycle.
  const double busy_port_bytes = row["engine_busy_ns"].get<double>() * 1e-3 * hw.clock_mhz * hw.input_port_bytes;
  std::printf("datapath over the engine's busy time %.4f\n", sides["datapath"].get<double>() * 8 / busy_port_bytes);
  EXPECT_GT(sides["datapath"].get<double>() * 8 / busy_port_bytes, 0.9);
  EXPECT_GT(datapath + socket, 1.0) << "both sides over one port's capacity would pass 100 %";
  EXPECT_DOUBLE_EQ(row["utilization_by_resource"]["buffer_port_utilization"].get<double>(), datapath);
  EXPECT_LE(row["bound_utilization"].get<double>(), 1.0);
  EXPECT_EQ(row["buffer_port"]["buffer"], input);
  EXPECT_EQ(row["buffer_port"]["side"], "datapath");
  EXPECT_EQ(report["modules"][input]["datapath"]["port_width_bytes"], hw.input_port_bytes);

  // The buffers' counters of both sides add up to the buffer level's energy; the sides share a unit energy.
  const EnergyLedger& l = b.ledger;
  double buffers = 0;
  for (CounterId id = 0; id < l.counter_count(); ++id) {
    const CounterSpec& spec = l.spec(id);
    if (spec.level == Level::buffer) buffers += l.energy_of(id, outcome.simulated_ns);
    if (spec.buffer_side == "datapath") {
      const CounterId socket_side = l.find(spec.module, spec.name.substr(std::string("datapath.").size()));
      EXPECT_EQ(spec.unit_energy, l.spec(socket_side).unit_energy) << spec.module << "." << spec.name;
    }
  }
  EXPECT_DOUBLE_EQ(report["energy"]["by_level"]["buffer"].get<double>(), buffers);

  // layers.csv and the table name the buffer and the side.
  std::ostringstream csv;
  write_layers_csv(csv, a);
  const auto rows = parse_csv(csv.str());
  const auto& conv_row = rows.at("program@0x80000000/0");
  EXPECT_EQ(conv_row.at("busiest_buffer"), input);
  EXPECT_EQ(conv_row.at("busiest_buffer_side"), "datapath");
}

}  // namespace
}  // namespace dlvp::test

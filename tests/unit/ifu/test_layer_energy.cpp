// Per-layer attribution of a program's memory traffic (docs/energy.md, "Attribution"): a small
// network built by tools/builder runs on the IFU bench with the real CNN engine. Every LOAD and
// STORE of layer i must be counted under the ledger tag "layer<i>" all along its path — DDR bytes,
// bursts and commands, the system and local bus beats, the DMA's staging FIFO, the engine buffers'
// DMA-side accesses — and reach the layer's entry of the engine's report (dram_read_bytes,
// dram_write_bytes, energy_by_level). Only what no layer caused stays untagged here: the
// instruction fetch, the CPU's register accesses, DDR refresh and power-state times.
#include "ifu_test_bench.h"

#include "ip/common/energy_tag.h"
#include "tools/builder/program.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

using namespace dlvp;
using namespace dlvp::test;

namespace {

constexpr uint64_t kDataBase = kDdrBase + 0x100000;  // the argument windows, above the program

std::vector<int8_t> random_int8(size_t n, std::mt19937& gen) {
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(static_cast<int>(gen() % 31) - 15);
  return v;
}

std::vector<int32_t> random_bias(size_t n, std::mt19937& gen) {
  std::vector<int32_t> v(n);
  for (auto& x : v) x = static_cast<int32_t>(gen() % 201) - 100;
  return v;
}

// CONV 3x3 with fused pooling -> CONV 3x3 -> FC: three layers, each with LOADs and STOREs.
builder::Network three_layers(unsigned seed) {
  std::mt19937 gen(seed);
  builder::ConvLayer conv1;
  conv1.name = "conv1";
  conv1.in_c = 8, conv1.in_h = 16, conv1.in_w = 16, conv1.out_c = 16;
  conv1.kernel_h = conv1.kernel_w = 3;
  conv1.pad_top = conv1.pad_left = conv1.pad_bottom = conv1.pad_right = 1;
  conv1.relu = true;
  conv1.pool_size = conv1.pool_stride = 2;
  conv1.output_shift = 6;
  conv1.weights = random_int8(size_t{16} * 8 * 9, gen);
  conv1.bias = random_bias(16, gen);

  builder::ConvLayer conv2 = conv1;
  conv2.name = "conv2";
  conv2.in_c = 16, conv2.in_h = 8, conv2.in_w = 8, conv2.out_c = 24;
  conv2.pool_size = conv2.pool_stride = 0;
  conv2.weights = random_int8(size_t{24} * 16 * 9, gen);
  conv2.bias = random_bias(24, gen);

  builder::FcLayer fc;
  fc.name = "fc";
  fc.n_in = 24 * 8 * 8, fc.n_out = 10;
  fc.output_shift = 8;
  fc.weights = random_int8(size_t{fc.n_in} * fc.n_out, gen);
  fc.bias = random_bias(fc.n_out, gen);

  builder::Network net;
  net.add(conv1);
  net.add(conv2);
  net.add(fc);
  return net;
}

// The job of a built program: its argument windows side by side above the program.
JobSpec job_of(const builder::Program& p) {
  JobSpec job;
  job.program = p.instructions;
  job.args = {};
  uint64_t at = kDataBase;
  for (uint8_t a = 0; a < builder::kArgsUsed; ++a) {
    job.args[a] = {at, p.plan.window_bytes[a]};
    at += (p.plan.window_bytes[a] + 4095) / 4096 * 4096;
  }
  EXPECT_LE(at, kDdrBase + kDdrBytes) << "the windows must fit the bench's DDR";
  return job;
}

std::vector<CounterId> counters_of(const EnergyLedger& l, const std::string& module) {
  std::vector<CounterId> ids;
  for (CounterId id = 0; id < l.counter_count(); ++id)
    if (l.spec(id).module == module) ids.push_back(id);
  return ids;
}

}  // namespace

TEST(IfuLayerEnergy, EachLayersDramTrafficAndEnergyIsAttributedToItsTag) {
  BenchOptions o;
  o.cnn = CnnConfig{};
  Bench b(o);
  const builder::Program p = builder::build(three_layers(5), *o.cnn);
  ASSERT_EQ(p.layers.size(), 3u);
  const JobSpec job = job_of(p);
  b.preload(job.args[builder::kArgConstants].base, p.constants);
  b.preload(job.args[builder::kArgInput].base, b.random_bytes(p.plan.input.bytes(), 9));
  JobResult r;
  b.run([&](RegisterInitiator&) { r = b.run_job(job); });
  ASSERT_TRUE(r.interrupted);
  ASSERT_EQ(r.status, ifu::kStatusDone) << "error " << r.error_code << " at instruction " << r.error_index;

  const EnergyLedger& l = b.ledger;
  const double elapsed_ns = sc_core::sc_time_stamp().to_seconds() * 1e9;
  nlohmann::json report;
  b.cnn->report(report, elapsed_ns);
  ASSERT_EQ(report["layers"].size(), p.layers.size());

  const std::vector<CounterId> ddr = counters_of(l, b.ddr->name());
  const std::vector<CounterId> dma = counters_of(l, b.dma->name());
  const std::vector<CounterId> ifu = counters_of(l, b.ifu->name());
  const CounterId system_beats = b.system_bus->transfer_counter(), local_beats = b.local_bus->transfer_counter();
  auto ddr_counter = [&](const std::string& name) { return l.find(b.ddr->name(), "ch0." + name); };
  const CounterId read_bursts = ddr_counter("read_burst"), write_bursts = ddr_counter("write_burst");
  const CounterId activates = ddr_counter("activate");
  const uint64_t burst_bytes = b.ddr->timing().burst_bytes();
  auto energy_of = [&](const std::vector<CounterId>& ids, TagId tag) {
    double e = 0;
    for (CounterId id : ids) e += l.energy_of(id, tag);
    return e;
  };

  std::vector<TagId> layer_tags;
  DramTraffic layers_traffic;
  for (size_t i = 0; i < p.layers.size(); ++i) {
    SCOPED_TRACE("layer " + std::to_string(i) + " (" + p.layers[i].name + ")");
    const builder::LayerInfo& info = p.layers[i];
    const nlohmann::json& layer = report["layers"][i];
    ASSERT_EQ(layer["tag"].get<uint32_t>(), i);
    const TagId tag = layer_tag(b.ledger, job.instr_base, static_cast<uint32_t>(i));
    layer_tags.push_back(tag);
    EXPECT_EQ(l.tag_name(tag), "layer" + std::to_string(i) + "@0x80000000");
    EXPECT_EQ(b.cnn->layer_stats().at(tag).tag, i) << "the IFU and the engine share the program's layer tag";

    // Requested bytes, not whole bursts: exactly what the builder's LOADs and STOREs move.
    ASSERT_GT(info.load_bytes, 0u);
    ASSERT_GT(info.store_bytes, 0u);
    EXPECT_EQ(layer["dram_read_bytes"].get<uint64_t>(), info.load_bytes);
    EXPECT_EQ(layer["dram_write_bytes"].get<uint64_t>(), info.store_bytes);
    const DramTraffic traffic = l.dram_traffic(tag);
    layers_traffic.read_bytes += traffic.read_bytes;
    layers_traffic.write_bytes += traffic.write_bytes;
    // Bursts are whole: at least the bytes' worth; an activate is caused by one of the layer's bursts.
    EXPECT_GE(l.count_of(read_bursts, tag), (info.load_bytes + burst_bytes - 1) / burst_bytes);
    EXPECT_GE(l.count_of(write_bursts, tag), (info.store_bytes + burst_bytes - 1) / burst_bytes);
    EXPECT_LE(l.count_of(activates, tag), l.count_of(read_bursts, tag) + l.count_of(write_bursts, tag));

    // The layer's energy per level holds its DRAM, bus and DMA energy next to the engine's.
    const nlohmann::json& levels = layer["energy_by_level_pJ"];
    const double dram = energy_of(ddr, tag);
    const double bus = l.energy_of(system_beats, tag) + l.energy_of(local_beats, tag);
    EXPECT_GT(dram, 0.0);
    EXPECT_GT(l.energy_of(local_beats, tag), 0.0);
    EXPECT_GT(l.energy_of(system_beats, tag), 0.0);
    EXPECT_GT(energy_of(dma, tag), 0.0) << "staging FIFO";
    EXPECT_DOUBLE_EQ(levels["dram"].get<double>(), dram);
    EXPECT_DOUBLE_EQ(levels["other"].get<double>(), bus + energy_of(ifu, tag))
        << "the IFU's decode and queue accesses of the layer's instructions are the layer's";
    EXPECT_GT(energy_of(ifu, tag), 0.0);
    EXPECT_GT(levels["buffer"].get<double>(), energy_of(dma, tag)) << "staging FIFO and engine buffers";
    std::printf("layer %zu %-6s LOAD %6llu B, STORE %6llu B: dram %8.1f nJ, bus %6.1f nJ, buffer %6.1f nJ, "
                "total %8.1f nJ\n",
                i, info.name.c_str(), static_cast<unsigned long long>(info.load_bytes),
                static_cast<unsigned long long>(info.store_bytes), dram / 1e3, bus / 1e3,
                levels["buffer"].get<double>() / 1e3, layer["energy_pJ"].get<double>() / 1e3);
  }

  // The only DDR traffic no layer caused: the instruction fetch (the CPU reaches no DDR here).
  const uint64_t fetch_bytes = b.ifu->stats().fetch_bytes;
  const DramTraffic untagged = l.dram_traffic(kUntagged);
  EXPECT_EQ(untagged.read_bytes, fetch_bytes);
  EXPECT_EQ(untagged.write_bytes, 0u);
  EXPECT_EQ(layers_traffic.read_bytes + fetch_bytes, b.ddr->stats().bytes_read);
  EXPECT_EQ(layers_traffic.write_bytes, b.ddr->stats().bytes_written);
  EXPECT_EQ(l.count_of(read_bursts, kUntagged), fetch_bytes / burst_bytes);  // 64 B aligned instructions
  EXPECT_EQ(l.count_of(write_bursts, kUntagged), 0u);
  EXPECT_LE(l.count_of(activates, kUntagged), l.count_of(read_bursts, kUntagged));

  // The DDR energy the transactions caused (activates, precharges, bursts) is the layers' plus
  // the fetch's, the only other DDR initiator; no other tag exists to take a share. Refresh and the
  // power-state times (static energy) are time, not transactions: never a layer's.
  EXPECT_EQ(l.tag_count(), 1 + layer_tags.size());
  double transaction_energy = 0, layers_energy = 0, fetch_energy = 0;
  for (CounterId id : ddr) {
    const CounterSpec& s = l.spec(id);
    uint64_t in_layers = 0;
    for (TagId tag : layer_tags) in_layers += l.count_of(id, tag);
    if (s.static_energy) {
      EXPECT_EQ(in_layers, 0u) << s.name;
      continue;
    }
    transaction_energy += l.energy_of(id, elapsed_ns);
    fetch_energy += l.energy_of(id, kUntagged);
    for (TagId tag : layer_tags) layers_energy += l.energy_of(id, tag);
  }
  EXPECT_GT(layers_energy, 0.0);
  EXPECT_NEAR(layers_energy, transaction_energy - fetch_energy, 1e-9 * transaction_energy);
  EXPECT_LT(fetch_energy, layers_energy);

  // All DMA traffic belongs to a layer: the staging FIFO, the local bus and the engine's buffers
  // have no untagged count; on the system bus only the CPU's and the fetch's beats are untagged.
  for (CounterId id : dma) EXPECT_EQ(l.count_of(id, kUntagged), 0u) << l.spec(id).name;
  EXPECT_EQ(l.count_of(local_beats, kUntagged), 0u);
  for (int buffer = 0; buffer < isa::kCnnBufCount; ++buffer)
    for (CounterId id : counters_of(l, b.cnn->buffer(static_cast<isa::Buffer>(buffer)).name()))
      EXPECT_EQ(l.count_of(id, kUntagged), 0u) << l.spec(id).module << "." << l.spec(id).name;
  uint64_t layer_beats = 0;
  for (TagId tag : layer_tags) layer_beats += l.count_of(system_beats, tag);
  EXPECT_EQ(layer_beats, b.system_bus->initiator_statistics(b.dma_port).beats);
  EXPECT_EQ(l.count_of(system_beats, kUntagged), b.system_bus->initiator_statistics(b.cpu_port).beats +
                                                     b.system_bus->initiator_statistics(b.fetch_port).beats);
  std::printf("untagged: fetch %llu B, DDR transaction energy %.1f nJ of %.1f nJ\n",
              static_cast<unsigned long long>(fetch_bytes), fetch_energy / 1e3, transaction_energy / 1e3);
}

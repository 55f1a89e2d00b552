// DDR controller: bandwidth of sequential and random streams, command latencies, page policy,
// refresh, contention, energy, error responses, data integrity (transport, DMI, debug) and
// the sparse host storage.
#include "ip/common/energy_ledger.h"
#include "ip/common/energy_tag.h"
#include "ip/common/tech_table.h"
#include "ip/common/tlm_util.h"
#include "ip/ddr/ddr_controller.h"
#include "tests/support/ddr_rig.h"

#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <set>
#include <vector>

using namespace dlvp;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_PS;
using sc_core::SC_US;

namespace {

using test::Initiator;
using test::preset;
using test::Rig;
using test::sequential;

double fraction_of_peak(uint64_t bytes, sc_time elapsed, double peak_Bps) {
  return double(bytes) / elapsed.to_seconds() / peak_Bps;
}

// The DDR controller's DMI accountant, asked for by a thread of the rig.
DmiAccountant* dmi_accountant(Initiator& cpu) {
  tlm::tlm_generic_payload request;
  setup_payload(request, tlm::TLM_READ_COMMAND, 0, nullptr, 0);
  DmiAccountingExtension extension;
  request.set_extension(&extension);
  tlm::tlm_dmi dmi;
  EXPECT_TRUE(cpu.socket->get_direct_mem_ptr(request, dmi));
  request.clear_extension(&extension);
  return extension.accountant;
}

// The rank stays awake and its rows stay as DMI leaves them: no power-down, no refresh.
DdrConfig awake_without_refresh() {
  DdrConfig config;
  config.power_down = "none";
  config.self_refresh = false;
  config.refresh = false;
  return config;
}

}  // namespace

TEST(DdrController, SequentialReadStreamApproachesPeakBandwidth) {
  const DdrTiming timing = preset("ddr4-2400-x64");
  const uint64_t bytes = 16u << 20, chunk = 4096;
  sc_time pipelined, blocking;
  Rig rig(DdrConfig{}, timing, [&](Initiator& cpu) {
    pipelined = cpu.stream(sequential(0, bytes, chunk), chunk, false, 4);
    const sc_time start = pipelined;
    wait(start - sc_core::sc_time_stamp());
    blocking = cpu.stream(sequential(bytes, bytes, chunk), chunk, false, 1) - start;
  });
  sc_core::sc_start();
  const double pipelined_fraction = fraction_of_peak(bytes, pipelined, timing.peak_bandwidth_Bps());
  const double blocking_fraction = fraction_of_peak(bytes, blocking, timing.peak_bandwidth_Bps());
  std::cout << "DDR4-2400 x64 sequential 4 KiB reads, 4 outstanding: "
            << pipelined_fraction * timing.peak_bandwidth_Bps() / 1e9 << " GB/s = " << pipelined_fraction * 100 << " % of peak; one at a time: "
            << blocking_fraction * timing.peak_bandwidth_Bps() / 1e9 << " GB/s = " << blocking_fraction * 100 << " %\n";
  EXPECT_GE(pipelined_fraction, 0.90);
  EXPECT_LE(pipelined_fraction, 1.00);
  EXPECT_LT(blocking_fraction, pipelined_fraction);  // the front end and CL are exposed once per transaction
  EXPECT_GE(blocking_fraction, 0.80);
  EXPECT_GT(rig.ddr->stats().row_hit_rate(), 0.95);
}

TEST(DdrController, SequentialStreamOnTheZynqDdr3ApproachesItsPeak) {
  const DdrTiming timing = preset("ddr3-1066-x32");
  const uint64_t bytes = 4u << 20;
  sc_time done;
  Rig rig(DdrConfig{}, timing, [&](Initiator& cpu) { done = cpu.stream(sequential(0, bytes, 4096), 4096, false, 4); });
  sc_core::sc_start();
  const double fraction = fraction_of_peak(bytes, done, timing.peak_bandwidth_Bps());
  std::cout << "DDR3-1066 x32 sequential 4 KiB reads, 4 outstanding: " << fraction * timing.peak_bandwidth_Bps() / 1e9
            << " GB/s = " << fraction * 100 << " % of peak\n";
  EXPECT_GE(fraction, 0.90);
  EXPECT_LE(fraction, 1.00);
}

TEST(DdrController, RandomSmallReadsStayFarBelowPeak) {
  const DdrTiming timing = preset("ddr4-2400-x64");
  const DdrConfig config;
  std::mt19937_64 random(12345);
  std::vector<uint64_t> addresses(20000);
  for (uint64_t& a : addresses) a = random() % config.size_bytes / 64 * 64;
  sc_time done;
  Rig rig(config, timing, [&](Initiator& cpu) { done = cpu.stream(addresses, 64, false, 4); });
  sc_core::sc_start();
  const double fraction = fraction_of_peak(addresses.size() * 64, done, timing.peak_bandwidth_Bps());
  std::cout << "DDR4-2400 x64 random 64-byte reads, 4 outstanding: " << fraction * timing.peak_bandwidth_Bps() / 1e9
            << " GB/s = " << fraction * 100 << " % of peak; row hit rate " << rig.ddr->stats().row_hit_rate() << "\n";
  EXPECT_LT(fraction, 0.5);
  EXPECT_LT(rig.ddr->stats().row_hit_rate(), 0.05);
}

TEST(DdrController, RowHitEmptyAndConflictLatencies) {
  const DdrTiming t = preset("ddr4-2400-x64");
  DdrConfig config;
  config.refresh = false;
  config.power_down = "none";  // accesses 1000 cycles apart: no power-down exit in the latencies
  const uint64_t front = config.controller_latency_cycles, burst = t.burst_length / t.data_rate;
  std::vector<sc_time> latency;
  Rig* rig_ptr = nullptr;
  Rig rig(config, t, [&](Initiator& cpu) {
    unsigned char data[64];
    const DdrAddressMap& map = rig_ptr->ddr->address_map();
    DdrLocation conflict = map.decode(0);
    conflict.row += 1;
    DdrLocation other_bank = map.decode(0);
    other_bank.bank += 1;
    // Each access starts long after the previous one ended, on a clock edge, so only the
    // row state differs: tRAS, tRTP and tWR are all satisfied.
    const std::pair<tlm::tlm_command, uint64_t> accesses[] = {
        {tlm::TLM_READ_COMMAND, 0},                          // row empty
        {tlm::TLM_READ_COMMAND, 0},                          // row hit
        {tlm::TLM_READ_COMMAND, map.encode(conflict)},       // row conflict
        {tlm::TLM_WRITE_COMMAND, map.encode(other_bank)},    // row empty, write
    };
    for (unsigned i = 0; i < 4; ++i) {
      const sc_time at = t.cycles(1000 * i);
      latency.push_back(cpu.access(accesses[i].first, accesses[i].second, data, 64, at).done - at);
    }
  });
  rig_ptr = &rig;
  sc_core::sc_start();
  ASSERT_EQ(latency.size(), 4u);
  EXPECT_EQ(latency[0], t.cycles(front + t.tRCD + t.CL + burst));
  EXPECT_EQ(latency[1], t.cycles(front + t.CL + burst));
  EXPECT_EQ(latency[2], t.cycles(front + t.tRP + t.tRCD + t.CL + burst));
  EXPECT_EQ(latency[3], t.cycles(front + t.tRCD + t.CWL + burst));
  const DdrStats& s = rig.ddr->stats();
  EXPECT_EQ(s.row_empties, 2u);
  EXPECT_EQ(s.row_hits, 1u);
  EXPECT_EQ(s.row_conflicts, 1u);
  EXPECT_EQ(s.activates, 3u);
  EXPECT_EQ(s.precharges, 1u);
  EXPECT_NEAR(s.max_read_latency_ns, latency[2].to_seconds() * 1e9, 1e-6);
}

TEST(DdrController, ReadWriteTurnaroundsDelayTheSecondAccess) {
  const DdrTiming t = preset("ddr4-2400-x64");
  DdrConfig config;
  config.refresh = false;
  config.power_down = "none";  // accesses 1000 cycles apart: no power-down exit in the latencies
  std::vector<sc_time> latency;
  Rig rig(config, t, [&](Initiator& cpu) {
    unsigned char data[64] = {};
    cpu.access(tlm::TLM_READ_COMMAND, 0, data, 64, sc_core::SC_ZERO_TIME);  // opens the row
    // Write then read of the same burst, both presented at once: the read waits tWTR_L after
    // the write data. Then read then write: the write data waits for the bus turnaround.
    const std::pair<tlm::tlm_command, sc_time> accesses[] = {
        {tlm::TLM_WRITE_COMMAND, t.cycles(1000)}, {tlm::TLM_READ_COMMAND, t.cycles(1000)},
        {tlm::TLM_READ_COMMAND, t.cycles(2000)}, {tlm::TLM_WRITE_COMMAND, t.cycles(2000)}};
    for (const auto& [command, at] : accesses) latency.push_back(cpu.access(command, 0, data, 64, at).done - at);
  });
  sc_core::sc_start();
  const uint64_t front = config.controller_latency_cycles, burst = t.burst_cycles();
  ASSERT_EQ(latency.size(), 4u);
  EXPECT_EQ(latency[0], t.cycles(front + t.CWL + burst));
  EXPECT_EQ(latency[1], t.cycles(front + t.CWL + burst + t.tWTR_L + t.CL + burst));
  EXPECT_EQ(latency[2], t.cycles(front + t.CL + burst));
  EXPECT_EQ(latency[3], t.cycles(front + t.CL + burst + DdrChannelModel::kBusTurnaroundCycles + burst));
}

TEST(DdrController, TransactionBurstsPipelineAcrossBanks) {
  const DdrTiming t = preset("ddr3-1066-x32");
  DdrConfig config;
  config.refresh = false;
  sc_time latency;
  // 16 KiB from an idle DDR: 4 rows in 4 banks. The later activates overlap earlier transfers, so
  // the transaction takes the first access plus one burst time per further burst.
  const uint64_t bytes = 4 * t.row_bytes(), bursts = bytes / t.burst_bytes();
  Rig rig(config, t, [&](Initiator& cpu) {
    std::vector<unsigned char> data(bytes);
    latency = cpu.access(tlm::TLM_READ_COMMAND, 0, data.data(), unsigned(bytes), sc_core::SC_ZERO_TIME).done;
  });
  sc_core::sc_start();
  const uint64_t burst = t.burst_cycles();
  EXPECT_EQ(latency, t.cycles(config.controller_latency_cycles + t.tRCD + t.CL + bursts * burst));
  EXPECT_EQ(rig.ddr->stats().activates, 4u);
}

TEST(DdrController, ClosedPageMakesTheRepeatAccessARowEmpty) {
  const DdrTiming t = preset("ddr4-2400-x64");
  DdrConfig config;
  config.refresh = false;
  config.power_down = "none";  // accesses 1000 cycles apart: no power-down exit in the latencies
  config.page_policy = "closed";
  std::vector<sc_time> latency;
  Rig rig(config, t, [&](Initiator& cpu) {
    unsigned char data[64];
    for (unsigned i = 0; i < 2; ++i) {
      const sc_time at = t.cycles(1000 * i);
      latency.push_back(cpu.access(tlm::TLM_READ_COMMAND, 0, data, 64, at).done - at);
    }
  });
  sc_core::sc_start();
  const uint64_t empty = config.controller_latency_cycles + t.tRCD + t.CL + t.burst_cycles();
  EXPECT_EQ(latency.at(0), t.cycles(empty));
  EXPECT_EQ(latency.at(1), t.cycles(empty));
  EXPECT_EQ(rig.ddr->stats().row_empties, 2u);
  EXPECT_EQ(rig.ddr->stats().row_hits, 0u);
  EXPECT_EQ(rig.ddr->stats().precharges, 2u);
}

TEST(DdrController, EnergyIsCommandCountsTimesIddEnergies) {
  const DdrTiming t = preset("ddr4-2400-x64");
  DdrConfig config;
  config.power_down = "none";  // standby throughout (test_ddr_power.cpp has the low-power states)
  config.self_refresh = false;
  const uint64_t front = config.controller_latency_cycles;
  Rig* rig_ptr = nullptr;
  Rig rig(config, t, [&](Initiator& cpu) {
    unsigned char data[64] = {};
    DdrLocation conflict = rig_ptr->ddr->address_map().decode(0);
    conflict.row += 1;
    const uint64_t other_row = rig_ptr->ddr->address_map().encode(conflict);
    cpu.access(tlm::TLM_READ_COMMAND, 0, data, 64, t.cycles(0));             // empty: ACT
    cpu.access(tlm::TLM_READ_COMMAND, 0, data, 64, t.cycles(1000));          // hit
    cpu.access(tlm::TLM_READ_COMMAND, other_row, data, 64, t.cycles(2000));  // conflict: PRE + ACT
    cpu.access(tlm::TLM_WRITE_COMMAND, other_row, data, 64, t.cycles(3000)); // hit
  });
  rig_ptr = &rig;
  sc_core::sc_start();
  const uint64_t end_cycle = 5000;
  rig.ddr->finalize(t.cycles(end_cycle));
  const double elapsed_ns = t.cycles(end_cycle).to_seconds() * 1e9;

  // Per-command energies of one rank from the datasheet currents: mA x V x ns = pJ.
  const double devices = double(t.bus_width_bits) / t.device_width_bits, tck_ns = t.tCK_ps / 1000.0;
  const double e_act = t.VDD * (t.IDD0 - t.IDD3N) * t.tRAS * tck_ns * devices;
  const double e_pre = t.VDD * (t.IDD0 - t.IDD2N) * t.tRP * tck_ns * devices;
  const double e_rd = t.VDD * (t.IDD4R - t.IDD3N) * (t.burst_length / 2.0) * tck_ns * devices;
  const double e_wr = t.VDD * (t.IDD4W - t.IDD3N) * (t.burst_length / 2.0) * tck_ns * devices;
  const double e_ref = t.VDD * (t.IDD5 - t.IDD3N) * t.tRFC * tck_ns * devices;
  const DdrStats& s = rig.ddr->stats();
  ASSERT_EQ(s.activates, 2u);
  ASSERT_EQ(s.precharges, 1u);
  ASSERT_EQ(s.read_bursts, 3u);
  ASSERT_EQ(s.write_bursts, 1u);
  EXPECT_DOUBLE_EQ(rig.energy("ch0.activate"), 2 * e_act);
  EXPECT_DOUBLE_EQ(rig.energy("ch0.precharge"), 1 * e_pre);
  EXPECT_DOUBLE_EQ(rig.energy("ch0.read_burst"), 3 * e_rd);
  EXPECT_DOUBLE_EQ(rig.energy("ch0.write_burst"), 1 * e_wr);
  EXPECT_DOUBLE_EQ(rig.energy("ch0.refresh"), 0.0);
  // A row is open (active standby) from the first ACT to the end, except during the conflict's
  // tRP; the rest of the time is precharge standby. Both are static energy.
  const uint64_t open_cycles = end_cycle - front - t.tRP;
  EXPECT_EQ(rig.count("ch0.active_standby"), open_cycles * t.tCK_ps / 1000);
  EXPECT_NEAR(rig.energy("ch0.active_standby"), t.VDD * t.IDD3N * devices * double(open_cycles * t.tCK_ps / 1000), 1e-6);
  EXPECT_EQ(rig.count("ch0.precharge_standby"), (end_cycle - open_cycles) * t.tCK_ps / 1000);
  EXPECT_NEAR(rig.energy("ch0.precharge_standby"),
              t.VDD * t.IDD2N * devices * double((end_cycle - open_cycles) * t.tCK_ps / 1000), 1e-6);
  EXPECT_NEAR(elapsed_ns, double(end_cycle * t.tCK_ps) / 1000.0, 1e-6);
  for (const char* name : {"active_standby", "precharge_standby", "refresh"})
    EXPECT_TRUE(rig.ledger.spec(rig.ledger.find("ddr", std::string("ch0.") + name)).static_energy) << name;
  for (const char* name : {"activate", "precharge", "read_burst", "write_burst"})
    EXPECT_FALSE(rig.ledger.spec(rig.ledger.find("ddr", std::string("ch0.") + name)).static_energy) << name;
  EXPECT_NE(rig.ledger.spec(rig.ledger.find("ddr", "ch0.activate")).source.find("IDD0"), std::string::npos);

  // Three refresh intervals later: three refreshes; the first closed the row. Idempotent.
  const uint64_t later = 3 * uint64_t(t.tREFI) + 10;
  rig.ddr->finalize(t.cycles(later));
  rig.ddr->finalize(t.cycles(later));
  EXPECT_EQ(s.refreshes, 3u);
  EXPECT_DOUBLE_EQ(rig.energy("ch0.refresh"), 3 * e_ref);
  EXPECT_EQ(s.precharges, 2u);
  EXPECT_EQ(rig.count("ch0.active_standby"), (t.tREFI - front - t.tRP) * t.tCK_ps / 1000);
}

TEST(DdrController, CommandsBurstsAndBytesGoToTheTransactionsEnergyTag) {
  const DdrTiming t = preset("ddr4-2400-x64");
  DdrConfig open_page, closed_page;
  closed_page.page_policy = "closed";
  closed_page.refresh = false;
  open_page.self_refresh = false;  // the refreshes below are the controller's
  TagId layer0 = kUntagged, layer1 = kUntagged, layer2 = kUntagged;
  DmiAccountant* accountant = nullptr;
  uint64_t other_row = 0;
  Rig* open_ptr = nullptr;
  auto tagged = [](Initiator& cpu, tlm::tlm_command command, uint64_t address, unsigned length, TagId tag,
                   sc_time at) {
    std::vector<unsigned char> data(length);
    tlm::tlm_generic_payload trans;
    setup_payload(trans, command, address, data.data(), length);
    EnergyTagExtension extension(tag);
    trans.set_extension(&extension);
    EXPECT_EQ(cpu.transport(trans, at).status, tlm::TLM_OK_RESPONSE);
    trans.clear_extension(&extension);
  };
  Rig open(open_page, t, [&](Initiator& cpu) {
    unsigned char data[64] = {};
    DdrLocation conflict = open_ptr->ddr->address_map().decode(0);
    conflict.row += 1;
    other_row = open_ptr->ddr->address_map().encode(conflict);
    tagged(cpu, tlm::TLM_READ_COMMAND, 0, 40, layer0, t.cycles(0));                // empty: ACT + burst, 40 B
    cpu.access(tlm::TLM_READ_COMMAND, 0, data, 64, t.cycles(1000));                 // hit, untagged
    tagged(cpu, tlm::TLM_WRITE_COMMAND, other_row, 64, layer1, t.cycles(2000));    // conflict: PRE + ACT + burst
    accountant = dmi_accountant(cpu);
  }, TechTable{}, "ddr_open");
  open_ptr = &open;
  Rig closed(closed_page, t, [&](Initiator& cpu) {
    tagged(cpu, tlm::TLM_READ_COMMAND, 0, 64, layer2, t.cycles(0));  // ACT + burst + auto-precharge
  }, TechTable{}, "ddr_closed");
  layer0 = open.ledger.tag_named("layer0");
  layer1 = open.ledger.tag_named("layer1");
  layer2 = closed.ledger.tag_named("layer2");
  sc_core::sc_start();
  ASSERT_NE(accountant, nullptr);
  accountant->account(other_row, 64, false, layer0);  // DMI: a row hit of layer0 in the row layer1 opened
  open.ddr->finalize(t.cycles(3 * uint64_t(t.tREFI) + 10));  // three refreshes; the first closes the row

  const EnergyLedger& l = open.ledger;
  auto counter = [](const Rig& rig, const char* name) {
    return rig.ledger.find(rig.ddr->name(), std::string("ch0.") + name);
  };
  const CounterId act = counter(open, "activate"), pre = counter(open, "precharge");
  const CounterId rd = counter(open, "read_burst"), wr = counter(open, "write_burst");
  const uint64_t dmi_bursts = 1;
  EXPECT_EQ(l.count_of(act, layer0), 1u);
  EXPECT_EQ(l.count_of(act, layer1), 1u);
  EXPECT_EQ(l.count_of(act, kUntagged), 0u);
  EXPECT_EQ(l.count_of(pre, layer1), 1u) << "the conflict's precharge belongs to the transaction that caused it";
  EXPECT_EQ(l.count_of(pre, kUntagged), 1u) << "the refresh's precharge belongs to no transaction";
  EXPECT_EQ(l.count_of(rd, layer0), 1u + dmi_bursts);
  EXPECT_EQ(l.count_of(rd, kUntagged), 1u);
  EXPECT_EQ(l.count_of(wr, layer1), 1u);
  EXPECT_EQ(l.count_of(counter(open, "refresh")), 3u);
  for (const char* time_driven : {"refresh", "active_standby"})
    for (TagId tag : {layer0, layer1}) EXPECT_EQ(l.count_of(counter(open, time_driven), tag), 0u) << time_driven;
  // Bytes as requested, not rounded to bursts; DMI blocks included.
  EXPECT_EQ(l.dram_traffic(layer0).read_bytes, 40u + 64u);
  EXPECT_EQ(l.dram_traffic(layer0).write_bytes, 0u);
  EXPECT_EQ(l.dram_traffic(layer1).write_bytes, 64u);
  EXPECT_EQ(l.dram_traffic(kUntagged).read_bytes, 64u);
  // Closed page: the auto-precharge is the transaction's.
  EXPECT_EQ(closed.ledger.count_of(counter(closed, "precharge"), layer2), 1u);
  EXPECT_EQ(closed.ledger.count_of(counter(closed, "activate"), layer2), 1u);
  EXPECT_EQ(closed.ledger.dram_traffic(layer2).read_bytes, 64u);
}

TEST(DdrController, TechnologyTableEntryReplacesTheCurrentModel) {
  const std::string path = testing::TempDir() + "normalized_tech.yaml";
  std::ofstream(path) << "name: normalized\nunit: MAC\nentries:\n"
                         "  dram_access_64b: {energy: 200, per: 64-bit access, source: Eyeriss 200x}\n";
  const DdrTiming t = preset("ddr4-2400-x64");
  Rig rig(DdrConfig{}, t, [&](Initiator& cpu) {
    std::vector<unsigned char> data(4096);
    cpu.access(tlm::TLM_READ_COMMAND, 0, data.data(), 4096, sc_core::SC_ZERO_TIME);
    cpu.access(tlm::TLM_WRITE_COMMAND, 8192, data.data(), 100, sc_core::sc_time_stamp());  // 2 bursts
  }, TechTable::load(path));
  sc_core::sc_start();
  EXPECT_EQ(rig.count("ch0.read_64b"), 4096u / 8);
  EXPECT_EQ(rig.count("ch0.write_64b"), 2 * t.burst_bytes() / 8);  // whole bursts move on the bus
  EXPECT_DOUBLE_EQ(rig.energy("ch0.read_64b"), 200.0 * 512);
  EXPECT_FALSE(rig.has("ch0.activate"));
  EXPECT_FALSE(rig.has("ch0.precharge_standby"));
  EXPECT_FALSE(rig.has("ch0.active_standby"));
  EXPECT_FALSE(rig.has("ch0.self_refresh"));
  EXPECT_EQ(rig.ledger.counter_count(), 2u);
}

TEST(DdrController, TableInAnotherUnitWithoutDramEntryIsAConfigError) {
  const std::string path = testing::TempDir() + "unit_tech.yaml";
  std::ofstream(path) << "name: other\nunit: MAC\nentries:\n  add_8b: {energy: 1, per: op, source: test}\n";
  EnergyLedger ledger(TechTable::load(path));
  EXPECT_THROW(DdrController("ddr", DdrConfig{}, preset("ddr3-1066-x32"), ledger), ConfigError);
}

TEST(DdrController, RefreshCountsAndStallsAStream) {
  const DdrTiming t = preset("ddr3-1066-x32");
  const uint64_t bytes = 4u << 20;
  DdrConfig with, without;
  without.refresh = false;
  sc_time end_with, end_without;
  Rig on(with, t, [&](Initiator& cpu) { end_with = cpu.stream(sequential(0, bytes, 4096), 4096, false, 4); },
         TechTable{}, "ddr_refresh");
  Rig off(without, t, [&](Initiator& cpu) { end_without = cpu.stream(sequential(0, bytes, 4096), 4096, false, 4); },
          TechTable{}, "ddr_no_refresh");
  sc_core::sc_start();
  on.ddr->finalize(end_with);
  off.ddr->finalize(end_without);
  const uint64_t elapsed_cycles = uint64_t(std::floor(end_with / t.cycles(1)));
  const uint64_t refreshes = elapsed_cycles / t.tREFI;
  EXPECT_GT(refreshes, 50u);
  EXPECT_EQ(on.ddr->stats().refreshes, refreshes);
  EXPECT_EQ(on.count("ch0.refresh"), refreshes);
  EXPECT_EQ(off.ddr->stats().refreshes, 0u);
  // Each refresh blocks the rank for tRFC and closes its rows (re-opening costs tRCD + CL).
  const double stall_cycles = (end_with - end_without) / t.cycles(1);
  std::cout << "refreshes " << refreshes << ", stall per refresh " << stall_cycles / refreshes << " cycles (tRFC "
            << t.tRFC << ")\n";
  EXPECT_GE(stall_cycles, 0.9 * refreshes * t.tRFC);
  EXPECT_LE(stall_cycles, 1.1 * refreshes * (t.tRFC + t.tRP + t.tRCD + t.CL + t.burst_cycles()));
}

TEST(DdrController, AccessDuringRefreshWaitsForTrfc) {
  const DdrTiming t = preset("ddr3-1066-x32");
  const DdrConfig config;
  sc_time latency;
  Rig rig(config, t, [&](Initiator& cpu) {
    unsigned char data[32];
    cpu.access(tlm::TLM_READ_COMMAND, 0, data, 32, sc_core::SC_ZERO_TIME);  // opens the row
    const sc_time at = t.cycles(t.tREFI);                                    // refresh 1 starts
    latency = cpu.access(tlm::TLM_READ_COMMAND, 0, data, 32, at).done - at;
  });
  sc_core::sc_start();
  // The refresh starts with a precharge-all (the row is open), then tRFC; it closed the row.
  const uint64_t wait = std::max<uint64_t>(config.controller_latency_cycles, t.tRP + t.tRFC);
  EXPECT_EQ(latency, t.cycles(wait + t.tRCD + t.CL + t.burst_cycles()));
  EXPECT_EQ(rig.ddr->stats().row_empties, 2u);
  EXPECT_EQ(rig.ddr->stats().refreshes, 1u);
}

TEST(DdrController, TwoInitiatorsShareTheBandwidth) {
  const DdrTiming t = preset("ddr4-2400-x64");
  const uint64_t bytes = 8u << 20;
  sc_time end_a, end_b;
  EnergyLedger ledger{TechTable{}};
  DdrController ddr("ddr", DdrConfig{}, t, ledger);
  Initiator a("a", [&](Initiator& cpu) { end_a = cpu.stream(sequential(0, bytes, 4096), 4096, false, 4); });
  Initiator b("b", [&](Initiator& cpu) { end_b = cpu.stream(sequential(512u << 20, bytes, 4096), 4096, false, 4); });
  // Both reach the one target socket through a trivial two-port router.
  struct Router : sc_core::sc_module {
    tlm_utils::simple_target_socket_tagged<Router> in[2];
    tlm_utils::simple_initiator_socket<Router> out;
    explicit Router(sc_core::sc_module_name n) : sc_module(n), out("out") {
      for (int i = 0; i < 2; ++i) in[i].register_b_transport(this, &Router::forward, i);
    }
    void forward(int, tlm::tlm_generic_payload& trans, sc_time& delay) { out->b_transport(trans, delay); }
  } router("router");
  a.socket.bind(router.in[0]);
  b.socket.bind(router.in[1]);
  router.out.bind(ddr.socket);
  sc_core::sc_start();
  const double peak = t.peak_bandwidth_Bps();
  const double share_a = fraction_of_peak(bytes, end_a, peak), share_b = fraction_of_peak(bytes, end_b, peak);
  std::cout << "two sequential streams: " << share_a * 100 << " % and " << share_b * 100 << " % of peak\n";
  EXPECT_GT(share_a, 0.35);
  EXPECT_LT(share_a, 0.60);
  EXPECT_GT(share_b, 0.35);
  EXPECT_LT(share_b, 0.60);
  EXPECT_LE(fraction_of_peak(2 * bytes, std::max(end_a, end_b), peak), 1.0);
}

TEST(DdrController, TwoChannelsDoubleThePeak) {
  const DdrTiming t = preset("ddr4-2400-x64");
  DdrConfig config;
  config.channels = 2;
  const uint64_t bytes = 8u << 20;
  sc_time done;
  Rig rig(config, t, [&](Initiator& cpu) { done = cpu.stream(sequential(0, bytes, 4096), 4096, false, 4); });
  sc_core::sc_start();
  EXPECT_DOUBLE_EQ(rig.ddr->peak_bandwidth_Bps(), 2 * t.peak_bandwidth_Bps());
  const double fraction = fraction_of_peak(bytes, done, rig.ddr->peak_bandwidth_Bps());
  EXPECT_GE(fraction, 0.85);
  EXPECT_LE(fraction, 1.0);
  EXPECT_GT(rig.count("ch1.read_burst"), 0u);
  EXPECT_EQ(rig.count("ch0.read_burst"), rig.count("ch1.read_burst"));
}

TEST(DdrController, MalformedAccessesGetErrorResponsesAndSimulationContinues) {
  const DdrTiming t = preset("ddr3-1066-x32");
  DdrConfig config;
  config.size_bytes = 16u << 20;
  std::vector<tlm::tlm_response_status> statuses;
  bool finished = false;
  std::vector<unsigned char> tail(4);
  Rig rig(config, t, [&](Initiator& cpu) {
    unsigned char data[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    const sc_time now = sc_core::SC_ZERO_TIME;
    statuses.push_back(cpu.access(tlm::TLM_READ_COMMAND, config.size_bytes, data, 4, now).status);
    statuses.push_back(cpu.access(tlm::TLM_WRITE_COMMAND, config.size_bytes - 4, data, 8, now).status);  // straddles the end
    tlm::tlm_generic_payload streaming;
    setup_payload(streaming, tlm::TLM_WRITE_COMMAND, 0, data, 8);
    streaming.set_streaming_width(4);
    statuses.push_back(cpu.transport(streaming, now).status);
    unsigned char bad_enables[2] = {0xff, 0x0f};
    tlm::tlm_generic_payload enabled;
    setup_payload(enabled, tlm::TLM_WRITE_COMMAND, 0, data, 8);
    enabled.set_byte_enable_ptr(bad_enables);
    enabled.set_byte_enable_length(2);
    statuses.push_back(cpu.transport(enabled, now).status);
    statuses.push_back(cpu.access(tlm::TLM_READ_COMMAND, config.size_bytes - 4, tail.data(), 4, now).status);
    finished = true;
  });
  sc_core::sc_start();
  ASSERT_TRUE(finished);
  const std::vector<tlm::tlm_response_status> expected = {
      tlm::TLM_ADDRESS_ERROR_RESPONSE, tlm::TLM_ADDRESS_ERROR_RESPONSE, tlm::TLM_BURST_ERROR_RESPONSE,
      tlm::TLM_BYTE_ENABLE_ERROR_RESPONSE, tlm::TLM_OK_RESPONSE};
  EXPECT_EQ(statuses, expected);
  EXPECT_EQ(tail, std::vector<unsigned char>(4, 0));  // the straddling write changed nothing
  EXPECT_EQ(rig.ddr->stats().error_responses, 4u);
  EXPECT_EQ(rig.ddr->stats().bytes_written, 0u);
}

TEST(DdrController, WrittenBytesReadBackThroughTransportDmiAndDebug) {
  const DdrTiming t = preset("ddr4-2400-x64");
  DdrConfig config;
  config.channels = 2;  // the data crosses channel boundaries
  config.size_bytes = 64u << 20;
  bool checked = false;
  Rig rig(config, t, [&](Initiator& cpu) {
    std::vector<unsigned char> pattern(10000), back(10000);
    for (size_t i = 0; i < pattern.size(); ++i) pattern[i] = static_cast<unsigned char>(i * 7 + 3);
    const uint64_t address = 123457;
    const sc_time now = sc_core::sc_time_stamp();
    EXPECT_EQ(cpu.access(tlm::TLM_WRITE_COMMAND, address, pattern.data(), 10000, now).status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(cpu.access(tlm::TLM_READ_COMMAND, address, back.data(), 10000, now).status, tlm::TLM_OK_RESPONSE);
    EXPECT_EQ(back, pattern);

    // Byte enables: only enabled bytes are written.
    unsigned char ones[8] = {0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee}, enables[2] = {0xff, 0x00};
    tlm::tlm_generic_payload masked;
    setup_payload(masked, tlm::TLM_WRITE_COMMAND, address, ones, 8);
    masked.set_byte_enable_ptr(enables);
    masked.set_byte_enable_length(2);
    EXPECT_EQ(cpu.transport(masked, now).status, tlm::TLM_OK_RESPONSE);
    for (int i = 0; i < 8; ++i) pattern[i] = (i % 2 == 0) ? 0xee : pattern[i];

    // DMI over the whole DDR.
    tlm::tlm_generic_payload request;
    setup_payload(request, tlm::TLM_READ_COMMAND, 0, nullptr, 0);
    tlm::tlm_dmi dmi;
    ASSERT_TRUE(cpu.socket->get_direct_mem_ptr(request, dmi));
    EXPECT_TRUE(dmi.is_read_write_allowed());
    EXPECT_EQ(dmi.get_start_address(), 0u);
    EXPECT_EQ(dmi.get_end_address(), config.size_bytes - 1);
    EXPECT_EQ(dmi.get_read_latency(), t.burst_time());
    EXPECT_EQ(std::memcmp(dmi.get_dmi_ptr() + address, pattern.data(), pattern.size()), 0);
    dmi.get_dmi_ptr()[config.size_bytes - 1] = 0x42;

    // Debug transport sees the DMI write and writes without timing.
    unsigned char last = 0, debug_data[3] = {9, 8, 7};
    tlm::tlm_generic_payload debug;
    setup_payload(debug, tlm::TLM_READ_COMMAND, config.size_bytes - 1, &last, 4);  // clipped to 1 byte
    EXPECT_EQ(cpu.socket->transport_dbg(debug), 1u);
    EXPECT_EQ(last, 0x42);
    setup_payload(debug, tlm::TLM_WRITE_COMMAND, 64, debug_data, 3);
    EXPECT_EQ(cpu.socket->transport_dbg(debug), 3u);
    EXPECT_EQ(std::memcmp(dmi.get_dmi_ptr() + 64, debug_data, 3), 0);
    setup_payload(debug, tlm::TLM_READ_COMMAND, config.size_bytes, &last, 1);
    EXPECT_EQ(cpu.socket->transport_dbg(debug), 0u);
    setup_payload(request, tlm::TLM_READ_COMMAND, config.size_bytes, nullptr, 0);
    EXPECT_FALSE(cpu.socket->get_direct_mem_ptr(request, dmi));
    checked = true;
  });
  sc_core::sc_start();
  EXPECT_TRUE(checked);
  // Debug accesses cost no bursts: only the two 10000-byte transfers and the masked write.
  const uint64_t expected_bursts = 2 * ((123457 + 10000 - 1) / 64 - 123457 / 64 + 1) + 1;
  EXPECT_EQ(rig.ddr->stats().bursts(), expected_bursts);
}

TEST(DdrController, DmiLineFillsGoThroughTheBanksRowState) {
  const DdrTiming t = preset("ddr4-2400-x64");
  DmiAccountant* accountant = nullptr;
  Rig rig(awake_without_refresh(), t, [&](Initiator& cpu) { accountant = dmi_accountant(cpu); });
  sc_core::sc_start();
  ASSERT_NE(accountant, nullptr);
  const DdrAddressMap& map = rig.ddr->address_map();
  ASSERT_EQ(t.burst_bytes(), 64u) << "one cache line = one burst below";
  auto line = [&](unsigned bank, uint64_t row, uint64_t burst_in_row) {
    return map.encode(DdrLocation{0, 0, bank, row, burst_in_row * t.burst_length});
  };
  const sc_time gap = t.cycles(t.tRC + t.tFAW);  // every bank limit has passed between two lines
  sc_time at = sc_core::sc_time_stamp();
  auto fill = [&](uint64_t address, bool write) {
    at += gap;
    return accountant->account_at(at, address, 64, write) - at;
  };
  const sc_time burst = t.cycles(t.burst_cycles()), read_cas = t.cycles(t.CL);

  // Sequential lines of one row of bank 2: one activate, the rest row hits.
  const uint64_t lines = 16;
  ASSERT_LE(lines, t.bursts_per_row());
  EXPECT_EQ(fill(line(2, 5, 0), false), t.cycles(t.tRCD) + burst + read_cas) << "the row is opened first";
  for (uint64_t i = 1; i < lines; ++i) EXPECT_EQ(fill(line(2, 5, i), false), burst + read_cas) << "row hit " << i;
  const DdrStats& s = rig.ddr->stats();
  EXPECT_EQ(s.activates, 1u);
  EXPECT_EQ(s.precharges, 0u);
  EXPECT_EQ(s.row_empties, 1u);
  EXPECT_EQ(s.row_hits, lines - 1);

  // Two rows of bank 3 alternately: every line precharges the other row and activates its own.
  for (uint64_t i = 0; i < lines; ++i) {
    const sc_time taken = fill(line(3, 7 + i % 2, i), i % 2 == 1);
    const sc_time cas = t.cycles(i % 2 ? t.CWL : t.CL);
    const sc_time row = t.cycles(i == 0 ? t.tRCD : t.tRP + t.tRCD);  // the first finds the bank closed
    EXPECT_EQ(taken, row + burst + cas) << "line " << i;
  }
  EXPECT_EQ(s.activates, 1 + lines);
  EXPECT_EQ(s.precharges, lines - 1);
  EXPECT_EQ(s.row_conflicts, lines - 1);
  EXPECT_EQ(s.row_empties, 2u);
  EXPECT_EQ(s.read_bursts, lines + lines / 2);
  EXPECT_EQ(s.write_bursts, lines / 2);
  const size_t bank3 = 3;  // channel 0, rank 0
  EXPECT_EQ(s.bank_activates[bank3], lines);
  EXPECT_EQ(s.bank_reads[bank3] + s.bank_writes[bank3], lines);
  // The commands are counted with their energy like a transaction's.
  EXPECT_EQ(rig.count("ch0.activate"), s.activates);
  EXPECT_EQ(rig.count("ch0.precharge"), s.precharges);
  EXPECT_EQ(rig.count("ch0.read_burst"), s.read_bursts);
  EXPECT_EQ(s.dmi_bytes_read, 64 * (lines + lines / 2));
  EXPECT_EQ(s.bytes_written, 64 * (lines / 2));

  // A block of several bursts in banks no line above touched: its bursts at peak bandwidth, each
  // row it opens adding its tRCD.
  const uint64_t block = 4096, bursts = block / t.burst_bytes();
  const uint64_t base = map.encode(DdrLocation{0, 0, 4, 64, 0});
  std::set<std::pair<unsigned, uint64_t>> rows;  // the block's (bank, row)
  for (uint64_t b = 0; b < bursts; ++b) {
    const DdrLocation loc = map.decode(base + b * t.burst_bytes());
    EXPECT_GT(loc.bank, 3u) << "a bank the lines above left closed";
    rows.emplace(loc.bank, loc.row);
  }
  const uint64_t activates_before = s.activates;
  at += gap;
  EXPECT_EQ(accountant->account_at(at, base, block, false) - at,
            t.cycles(bursts * t.burst_cycles() + rows.size() * t.tRCD + t.CL));
  EXPECT_EQ(s.activates - activates_before, rows.size());
}

TEST(DdrController, DmiAccessesWakeTheRankAndFollowThePagePolicy) {
  const DdrTiming t = preset("ddr4-2400-x64");
  // Self-refresh after 1 us idle: a line read at 50 us wakes the rank and waits tXSDLL.
  DdrConfig sleepy;
  sleepy.self_refresh_idle_ns = 1000;
  // Closed page: every line opens its row and closes it again.
  DdrConfig closed = awake_without_refresh();
  closed.page_policy = "closed";
  DmiAccountant* accountant = nullptr;
  DmiAccountant* closed_accountant = nullptr;
  Rig rig(sleepy, t, [&](Initiator& cpu) { accountant = dmi_accountant(cpu); });
  Rig closed_rig(closed, t, [&](Initiator& cpu) { closed_accountant = dmi_accountant(cpu); }, TechTable{},
                 "ddr_closed");
  sc_core::sc_start();
  ASSERT_NE(accountant, nullptr);
  ASSERT_NE(closed_accountant, nullptr);

  const sc_time at = sc_time(50, SC_US);
  EXPECT_EQ(accountant->account_at(at, 0, 64, false) - at, t.cycles(t.tXSDLL + t.tRCD + t.burst_cycles() + t.CL));
  EXPECT_EQ(rig.ddr->stats().power.self_refresh_exits, 1u);
  EXPECT_EQ(rig.ddr->stats().activates, 1u);

  for (uint64_t i = 0; i < 4; ++i) closed_accountant->account_at(sc_time(double(i + 1), SC_US), 64 * i, 64, false);
  EXPECT_EQ(closed_rig.ddr->stats().activates, 4u);
  EXPECT_EQ(closed_rig.ddr->stats().precharges, 4u);
}

TEST(DdrController, LargeDdrCostsOnlyTheTouchedPages) {
  auto resident_bytes = [] {
    std::ifstream statm("/proc/self/statm");
    uint64_t size = 0, resident = 0;
    statm >> size >> resident;
    return resident * uint64_t(sysconf(_SC_PAGESIZE));
  };
  const uint64_t before = resident_bytes();
  DdrConfig config;
  config.size_bytes = uint64_t(2) << 30;
  const DdrTiming t = preset("ddr4-2400-x64");
  bool done = false;
  Rig rig(config, t, [&](Initiator& cpu) {
    unsigned char word[4] = {1, 2, 3, 4};
    for (uint64_t a = 0; a < config.size_bytes; a += config.size_bytes / 8)
      EXPECT_EQ(cpu.access(tlm::TLM_WRITE_COMMAND, a + 100, word, 4, sc_core::sc_time_stamp()).status,
                tlm::TLM_OK_RESPONSE);
    unsigned char back[4] = {};
    cpu.access(tlm::TLM_READ_COMMAND, config.size_bytes / 2 + 100, back, 4, sc_core::sc_time_stamp());
    EXPECT_EQ(std::memcmp(back, word, 4), 0);
    done = true;
  });
  sc_core::sc_start();
  ASSERT_TRUE(done);
  const uint64_t growth = resident_bytes() - before;
  std::cout << "2 GiB DDR, 8 pages touched: resident set grew by " << growth / 1024 << " KiB\n";
  EXPECT_LT(growth, uint64_t(32) << 20);
}

// DDR request scheduling: FR-FCFS against in-order FCFS on random reads, a read/write mix, a
// two-row ping-pong and a sequential stream; bounded queues with back-pressure; the refresh's
// precharge-all. Every target derives from the preset's timing parameters.
#include "ip/common/energy_ledger.h"
#include "ip/common/tlm_util.h"
#include "ip/ddr/ddr_controller.h"

#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>

#include <algorithm>
#include <functional>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

using namespace dlvp;
using sc_core::sc_time;

namespace {

DdrTiming preset(const std::string& name) {
  return DdrTiming::load(std::string(DLVP_SOURCE_DIR) + "/scenarios/hw/ddr/" + name + ".yaml");
}

struct Request {
  uint64_t address = 0;
  bool write = false;
  sc_time at = sc_core::SC_ZERO_TIME;  // issued not before this time
};

// `workers` initiator threads sharing one socket; each has one 64-byte transaction in flight at a
// time (it waits for the completion before the next), as that many independent masters would.
// next(worker, request) supplies the requests; false ends the worker.
class Traffic : public sc_core::sc_module {
 public:
  using Next = std::function<bool(unsigned worker, Request& request)>;
  tlm_utils::simple_initiator_socket<Traffic> socket;
  sc_time start = sc_core::SC_ZERO_TIME, end = sc_core::SC_ZERO_TIME;
  uint64_t bytes = 0;
  sc_time max_latency = sc_core::SC_ZERO_TIME;

  Traffic(sc_core::sc_module_name name, unsigned workers, Next next)
      : sc_module(name), socket("socket"), next_(std::move(next)) {
    for (unsigned w = 0; w < workers; ++w) sc_core::sc_spawn([this, w] { run(w); }, ("worker" + std::to_string(w)).c_str());
  }

  double fraction_of(double bandwidth_Bps) const { return double(bytes) / (end - start).to_seconds() / bandwidth_Bps; }

 private:
  void run(unsigned worker) {
    unsigned char data[64] = {};
    Request r;
    while (next_(worker, r)) {
      if (r.at > sc_core::sc_time_stamp()) wait(r.at - sc_core::sc_time_stamp());
      tlm::tlm_generic_payload trans;
      setup_payload(trans, r.write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND, r.address, data, 64);
      sc_time delay = sc_core::SC_ZERO_TIME;
      const sc_time issued = sc_core::sc_time_stamp();
      socket->b_transport(trans, delay);
      EXPECT_EQ(trans.get_response_status(), tlm::TLM_OK_RESPONSE);
      wait(delay);
      bytes += 64;
      end = std::max(end, sc_core::sc_time_stamp());
      max_latency = std::max(max_latency, sc_core::sc_time_stamp() - issued);
    }
  }
  Next next_;
};

// One controller per scheduling policy, each driven by its own copy of the same traffic.
struct Comparison {
  EnergyLedger ledger{TechTable{}};
  std::unique_ptr<DdrController> frfcfs_ddr, fcfs_ddr;
  std::unique_ptr<Traffic> frfcfs, fcfs;

  Comparison(const DdrTiming& timing, DdrConfig config, unsigned workers,
             const std::function<Traffic::Next()>& make_traffic) {
    config.scheduler = "frfcfs";
    frfcfs_ddr = std::make_unique<DdrController>("frfcfs_ddr", config, timing, ledger);
    config.scheduler = "fcfs";
    fcfs_ddr = std::make_unique<DdrController>("fcfs_ddr", config, timing, ledger);
    frfcfs = std::make_unique<Traffic>("frfcfs_traffic", workers, make_traffic());
    fcfs = std::make_unique<Traffic>("fcfs_traffic", workers, make_traffic());
    frfcfs->socket.bind(frfcfs_ddr->socket);
    fcfs->socket.bind(fcfs_ddr->socket);
  }
};

// A fixed number of requests handed out in order, whichever worker asks.
Traffic::Next counted(uint64_t requests, std::function<Request(uint64_t index)> request_at) {
  auto issued = std::make_shared<uint64_t>(0);
  return [=](unsigned, Request& r) {
    if (*issued == requests) return false;
    r = request_at((*issued)++);
    return true;
  };
}

double gbps(double fraction, double peak_Bps) { return fraction * peak_Bps / 1e9; }

}  // namespace

// Random 64-byte reads are bound by the activate rate: at most four ACTs per tFAW and one per
// tRRD_S, each bringing one burst.
TEST(DdrScheduler, RandomReadsReachTheActivateRateBound) {
  const DdrTiming t = preset("ddr4-2400-x64");
  const DdrConfig config;
  const double act_interval_cycles = std::max(double(t.tFAW) / 4.0, double(t.tRRD_S));
  const double bound_Bps = double(t.burst_bytes()) / (act_interval_cycles * t.tCK_ps * 1e-12);
  Comparison run(t, config, 32, [&] {
    auto random = std::make_shared<std::mt19937_64>(12345);
    return counted(40000, [=, size = config.size_bytes](uint64_t) { return Request{(*random)() % size / 64 * 64, false}; });
  });
  sc_core::sc_start();
  const double fr = run.frfcfs->fraction_of(bound_Bps), in_order = run.fcfs->fraction_of(bound_Bps);
  std::cout << "DDR4-2400 x64 random 64-B reads, 32 outstanding: frfcfs " << gbps(fr, bound_Bps) << " GB/s = "
            << fr * 100 << " % of the activate-rate bound " << bound_Bps / 1e9 << " GB/s; fcfs "
            << gbps(in_order, bound_Bps) << " GB/s = " << in_order * 100 << " %\n";
  EXPECT_GE(fr, 0.85);
  EXPECT_LE(fr, 1.0);
  EXPECT_LT(in_order, 0.6);
  EXPECT_GT(run.frfcfs_ddr->stats().queued_transactions, 39000u);
  EXPECT_EQ(run.fcfs_ddr->stats().queued_transactions, 0u);
}

// One sequential stream of which every third 64-byte burst is a write: in order, every write
// costs a read-to-write and a write-to-read turnaround; grouped, a batch costs one of each.
TEST(DdrScheduler, ReadWriteMixIsGroupedByDirection) {
  const DdrTiming t = preset("ddr4-2400-x64");
  const DdrConfig config;
  Comparison run(t, config, 48, [&] {
    return counted(30000, [](uint64_t i) { return Request{i * 64, i % 3 == 2}; });
  });
  sc_core::sc_start();
  const double peak = t.peak_bandwidth_Bps();
  const double fr = run.frfcfs->fraction_of(peak), in_order = run.fcfs->fraction_of(peak);
  std::cout << "2:1 read:write sequential mix, 48 outstanding: frfcfs " << gbps(fr, peak) << " GB/s = " << fr * 100
            << " % of peak; fcfs " << gbps(in_order, peak) << " GB/s = " << in_order * 100 << " %\n";
  EXPECT_GE(fr, 0.80);
  EXPECT_LE(fr, 1.0);
  EXPECT_LT(in_order, 0.5);
}

// Requests alternate between two rows of one bank: in order, each one is a row conflict
// (tRP + tRCD); FR-FCFS serves the queued hits of the open row first (same bank: tCCD_L apart).
TEST(DdrScheduler, TwoRowPingPongInOneBankBatchesRowHits) {
  const DdrTiming t = preset("ddr4-2400-x64");
  const DdrConfig config;
  const DdrAddressMap map(config, t);
  const uint64_t bursts_per_row = t.bursts_per_row();
  Comparison run(t, config, 32, [&] {
    return counted(20000, [=](uint64_t i) {
      DdrLocation l = map.decode(0);
      l.row = 100 + i % 2;
      l.column = (i / 2) % bursts_per_row * t.burst_length;
      return Request{map.encode(l), false};
    });
  });
  sc_core::sc_start();
  const double peak = t.peak_bandwidth_Bps();
  const double fr = run.frfcfs->fraction_of(peak), in_order = run.fcfs->fraction_of(peak);
  std::cout << "two-row ping-pong in one bank, 32 outstanding: frfcfs " << gbps(fr, peak) << " GB/s = " << fr * 100
            << " % of peak (row hit rate " << run.frfcfs_ddr->stats().row_hit_rate() << "); fcfs "
            << gbps(in_order, peak) << " GB/s = " << in_order * 100 << " %\n";
  // Every burst in one bank: at best one column command per tCCD_L.
  EXPECT_LE(fr, double(t.burst_cycles()) / t.tCCD_L);
  EXPECT_GE(fr, 0.40);
  // In order, each burst pays a conflict: tRP + tRCD + tRTP (read to precharge) per burst.
  EXPECT_LE(in_order, 1.1 * double(t.burst_cycles()) / (t.tRTP + t.tRP + t.tRCD));
}

TEST(DdrScheduler, SequentialReadsThroughTheQueueStayAtPeak) {
  const DdrTiming t = preset("ddr4-2400-x64");
  const DdrConfig config;
  Comparison run(t, config, 32, [&] { return counted(60000, [](uint64_t i) { return Request{i * 64, false}; }); });
  sc_core::sc_start();
  const double peak = t.peak_bandwidth_Bps();
  const double fr = run.frfcfs->fraction_of(peak), in_order = run.fcfs->fraction_of(peak);
  std::cout << "sequential 64-B reads, 32 outstanding: frfcfs " << fr * 100 << " % of peak; fcfs " << in_order * 100
            << " %\n";
  EXPECT_GE(fr, 0.95);
  EXPECT_LE(fr, 1.0);
  EXPECT_GE(in_order, 0.95);
}

// More initiators than queue places: never more than the depth queued; a transaction's latency
// from acceptance is bounded by the requests ahead of it (each at worst a bank cycle tRC of one
// bank), the ones allowed to bypass it (the starvation cap) and one refresh.
TEST(DdrScheduler, FullQueueHoldsTheInitiatorsBack) {
  const DdrTiming t = preset("ddr4-2400-x64");
  DdrConfig shallow, deep;
  shallow.read_queue_depth = 4;
  deep.read_queue_depth = 64;
  EnergyLedger ledger{TechTable{}};
  DdrController shallow_ddr("shallow", shallow, t, ledger), deep_ddr("deep", deep, t, ledger);
  auto traffic = [&] {
    auto random = std::make_shared<std::mt19937_64>(7);
    return counted(10000, [=](uint64_t) { return Request{(*random)() % (uint64_t(1) << 30) / 64 * 64, false}; });
  };
  Traffic shallow_traffic("shallow_traffic", 64, traffic()), deep_traffic("deep_traffic", 64, traffic());
  shallow_traffic.socket.bind(shallow_ddr.socket);
  deep_traffic.socket.bind(deep_ddr.socket);
  sc_core::sc_start();
  const DdrStats& s = shallow_ddr.stats();
  const double tck_ns = t.tCK_ps / 1000.0;
  const double bound_ns =
      tck_ns * (shallow.controller_latency_cycles + (shallow.read_queue_depth + shallow.starvation_cap) * t.tRC +
                t.tRP + t.tRFC + t.tRCD + t.CL + t.burst_cycles());
  std::cout << "64 initiators, queue depth 4: peak occupancy " << s.max_read_queue << ", latency avg "
            << s.avg_read_latency_ns() << " ns, max " << s.max_read_latency_ns << " ns (bound " << bound_ns
            << " ns), " << s.backpressure_stalls << " stalls; depth 64: peak " << deep_ddr.stats().max_read_queue
            << ", latency avg " << deep_ddr.stats().avg_read_latency_ns() << " ns\n";
  EXPECT_LE(s.max_read_queue, shallow.read_queue_depth);
  EXPECT_EQ(s.max_read_queue, shallow.read_queue_depth);
  EXPECT_GT(s.backpressure_stalls, 0u);
  EXPECT_LE(s.max_read_latency_ns, bound_ns);
  EXPECT_LE(deep_ddr.stats().max_read_queue, deep.read_queue_depth);
  EXPECT_GT(deep_ddr.stats().max_read_queue, shallow.read_queue_depth);
  EXPECT_LT(s.avg_read_latency_ns(), deep_ddr.stats().avg_read_latency_ns());
}

// Two initiators read an open row exactly when refresh 1 is due: the refresh first precharges
// the open row (tRP), then takes tRFC; both reads then need an activate.
TEST(DdrScheduler, RefreshStartsWithThePrechargeAll) {
  const DdrTiming t = preset("ddr4-2400-x64");
  const DdrConfig config;
  EnergyLedger ledger{TechTable{}};
  DdrController ddr("ddr", config, t, ledger);
  // Worker 0 opens the row at time 0, then it and worker 1 read it as refresh 1 becomes due.
  const sc_time due = t.cycles(t.tREFI) - t.cycles(config.controller_latency_cycles);
  Traffic at_refresh("at_refresh", 2, counted(3, [&](uint64_t i) { return Request{0, false, i ? due : sc_time()}; }));
  at_refresh.socket.bind(ddr.socket);
  sc_core::sc_start();
  const sc_time worst = t.cycles(t.tRP + t.tRFC + t.tRCD + t.CL + t.burst_cycles());
  std::cout << "read at a refresh: " << at_refresh.max_latency.to_seconds() * 1e9 << " ns (front + tRP + tRFC + ...: "
            << (worst + t.cycles(config.controller_latency_cycles)).to_seconds() * 1e9 << " ns)\n";
  EXPECT_GE(at_refresh.max_latency, worst + t.cycles(config.controller_latency_cycles));
  EXPECT_LE(at_refresh.max_latency, worst + t.cycles(config.controller_latency_cycles + t.tCCD_L));
  EXPECT_EQ(ddr.stats().refreshes, 1u);
  EXPECT_EQ(ddr.stats().row_empties, 2u);  // the first read, and the first one after the refresh
  EXPECT_EQ(ddr.stats().row_hits, 1u);
}

// DDR request scheduling: FR-FCFS against in-order FCFS on random reads, a read/write mix, a
// two-row ping-pong and a sequential stream; bounded queues with back-pressure; the refresh's
// precharge-all; two streams sharing the channel fairly; power states on the queued path (exit
// latency, no entry while a request waits, self-refresh skipping refreshes). Every target derives
// from the preset's timing parameters.
#include "ip/common/energy_ledger.h"
#include "ip/common/tlm_util.h"
#include "ip/ddr/ddr_controller.h"
#include "tests/support/ddr_rig.h"

#include <gtest/gtest.h>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

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
  std::vector<sc_time> worker_end;  // per worker, when its last transaction finished
  std::vector<uint64_t> worker_bytes;

  Traffic(sc_core::sc_module_name name, unsigned workers, Next next)
      : sc_module(name), socket("socket"), worker_end(workers), worker_bytes(workers), next_(std::move(next)) {
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
      worker_bytes[worker] += 64;
      worker_end[worker] = sc_core::sc_time_stamp();
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

// Each worker's own list of requests, in order.
Traffic::Next scripted(std::vector<std::vector<Request>> per_worker) {
  auto lists = std::make_shared<std::vector<std::vector<Request>>>(std::move(per_worker));
  auto next = std::make_shared<std::vector<size_t>>(lists->size(), 0);
  return [=](unsigned worker, Request& r) {
    if ((*next)[worker] == (*lists)[worker].size()) return false;
    r = (*lists)[worker][(*next)[worker]++];
    return true;
  };
}

// Two initiators into the controller's one socket (as a bus does): transactions pass through in
// their initiators' own processes.
struct Join : sc_core::sc_module {
  tlm_utils::simple_target_socket<Join> in[2];
  tlm_utils::simple_initiator_socket<Join> out;
  explicit Join(sc_core::sc_module_name name) : sc_module(name), out("out") {
    for (auto& socket : in) socket.register_b_transport(this, &Join::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& trans, sc_time& delay) { out->b_transport(trans, delay); }
};

// Time at which a request must be presented for the controller to have it ready at `cycle`.
sc_time presented_for(const DdrTiming& t, const DdrConfig& c, uint64_t cycle) {
  return t.cycles(cycle - c.controller_latency_cycles);
}

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

// Two channels, one rank each, both in power-down. A read of channel 0 is served at once; a
// write to channel 1 a cycle later meets it in flight and is queued: the queued write wakes its
// rank and pays tXP before its column command (its row stayed open: active power-down), as a
// single request does.
TEST(DdrScheduler, QueuedRequestWakesItsRankAndPaysTheExitLatency) {
  const DdrTiming t = preset("ddr4-2400-x64");
  DdrConfig config;
  config.channels = 2;
  config.refresh = false;
  config.self_refresh = false;
  EnergyLedger ledger{TechTable{}};
  DdrController ddr("ddr", config, t, ledger);
  const uint64_t channel1 = config.channel_interleave_bytes, wake = 2000;
  const Request first{channel1, false, sc_time()}, queued{channel1, true, presented_for(t, config, wake + 1)};
  Traffic traffic("wake_traffic", 2, scripted({{first, queued}, {Request{0, false, presented_for(t, config, wake)}}}));
  traffic.socket.bind(ddr.socket);
  sc_core::sc_start();
  const DdrStats& s = ddr.stats();
  EXPECT_EQ(s.queued_transactions, 1u);
  EXPECT_EQ(s.row_hits, 1u);  // the queued write
  EXPECT_EQ(s.power.power_down_entries, 2u);
  EXPECT_EQ(s.power.power_down_exits, 2u);
  EXPECT_EQ(s.power.exit_delay_ps, 2 * uint64_t(t.tXP) * t.tCK_ps);
  // The queued row hit: ready, tXP, CWL, the burst; the read of channel 0 needed an activate too.
  EXPECT_EQ(traffic.worker_end[0], t.cycles(wake + 1 + t.tXP + t.CWL + t.burst_cycles()));
  EXPECT_EQ(traffic.worker_end[1], t.cycles(wake + t.tXP + t.tRCD + t.CL + t.burst_cycles()));
}

// A read queued inside a refresh window waits tRFC (longer than the power-down threshold) for its
// activate; a second read queued meanwhile finds the rank awake: no power-down entry while a
// request waits, and neither read pays an exit latency (the refresh woke the rank).
TEST(DdrScheduler, QueuedRequestKeepsItsRankOutOfPowerDown) {
  const DdrTiming t = preset("ddr4-2400-x64");
  DdrConfig config;
  config.channels = 2;
  config.self_refresh = false;
  ASSERT_GT(t.tRFC, config.power_down_idle_cycles + 100u);
  EnergyLedger ledger{TechTable{}};
  DdrController ddr("ddr", config, t, ledger);
  const uint64_t channel1 = config.channel_interleave_bytes, due = t.tREFI + 1;
  const uint64_t later = due + 1 + config.power_down_idle_cycles + 36;  // past the power-down threshold
  Traffic traffic("held_traffic", 3,
                  scripted({{Request{0, false, presented_for(t, config, due)}},
                            {Request{channel1, false, presented_for(t, config, due + 1)}},
                            {Request{channel1 + 64, false, presented_for(t, config, later)}}}));
  traffic.socket.bind(ddr.socket);
  sc_core::sc_start();
  const DdrStats& s = ddr.stats();
  EXPECT_EQ(s.queued_transactions, 2u);
  EXPECT_EQ(s.power.power_down_entries, 2u);  // each rank once, idle from time zero
  EXPECT_EQ(s.power.power_down_exits, 2u);
  EXPECT_EQ(s.power.exit_delay_ps, 0u);
  EXPECT_EQ(s.refreshes, 2u);
  // The last read: after the refresh, an activate, then behind the first read's burst.
  EXPECT_GE(traffic.end, t.cycles(t.tREFI + t.tRFC + t.tRCD + t.CL + t.burst_cycles()));
}

// Two ranks: rank 0 serves a stream of queued reads for five refresh intervals, rank 1 is idle
// from the start. Rank 1 enters self-refresh after self_refresh_idle_ns and issues no refresh
// from then on; rank 0 issues every one.
TEST(DdrScheduler, IdleRankInSelfRefreshSkipsItsRefreshesWhileAnotherIsBusy) {
  const DdrTiming t = preset("ddr4-2400-x64");
  DdrConfig config;
  config.ranks = 2;
  EnergyLedger ledger{TechTable{}};
  DdrController ddr("ddr", config, t, ledger);
  const DdrAddressMap map(config, t);
  const uint64_t stream_end = 5 * uint64_t(t.tREFI) + t.tREFI / 2;
  const sc_time last_issue = t.cycles(stream_end);
  auto sequence = std::make_shared<uint64_t>(0);
  Traffic traffic("rank0_stream", 4, [=, &map](unsigned, Request& r) {
    if (sc_core::sc_time_stamp() >= last_issue) return false;
    DdrLocation l = map.decode((*sequence)++ * 64 % (uint64_t(1) << 30));
    l.rank = 0;  // a sequential stream, folded into rank 0
    r = Request{map.encode(l), false, sc_core::sc_time_stamp()};
    return true;
  });
  traffic.socket.bind(ddr.socket);
  sc_core::sc_start();
  const uint64_t end = stream_end + 1000;
  ddr.finalize(t.cycles(end));
  const DdrStats& s = ddr.stats();
  const uint64_t refreshes = end / t.tREFI;
  const uint64_t self_refresh_entry = (config.self_refresh_idle_ns * 1000 + t.tCK_ps - 1) / t.tCK_ps;
  const uint64_t rank1_issued = self_refresh_entry / t.tREFI;  // the refreshes due before its entry
  EXPECT_GT(s.queued_transactions, 1000u);
  EXPECT_EQ(s.power.self_refresh_entries, 1u);
  EXPECT_EQ(s.power.refreshes_skipped, refreshes - rank1_issued);
  EXPECT_EQ(s.refreshes, refreshes + rank1_issued);
}

// Two initiators stream sequential 64-byte reads at once, each keeping 16 in flight (as two DMA
// channels do), in different banks, each synchronizing every 200 ns. Presented at their arrival
// times, the two share the data bus equally and keep it nearly as busy as one stream alone
// (presented a quantum at a time, the one that runs ahead takes most of it). With a 1 us quantum
// the second stream's first read waits behind the 1 us the first one committed ahead, which
// moves the streams into the same banks (row conflicts): 86 % together.
TEST(DdrScheduler, TwoStreamsShareTheChannelFairlyAtFullBandwidth) {
  const DdrTiming t = preset("ddr4-2400-x64");
  const DdrConfig config;
  const DdrAddressMap map(config, t);
  EnergyLedger ledger{TechTable{}};
  DdrController ddr("ddr", config, t, ledger);
  const unsigned length = 64, outstanding = 16;
  const sc_time quantum(200, sc_core::SC_NS);
  const uint64_t bytes = uint64_t(2) << 20;
  // The second stream two banks on in every group, and two groups on: read in turns, the two
  // streams' bursts never follow each other in one bank group (tCCD_S apart, as one stream's).
  DdrLocation other_banks = map.decode(0);
  other_banks.bank += 2 * t.bank_groups + 2;
  const uint64_t starts[2] = {0, map.encode(other_banks) + (uint64_t(64) << 20)};
  sc_time ends[2];
  Join join("join");
  join.out.bind(ddr.socket);
  std::vector<std::unique_ptr<test::Initiator>> streams;
  for (int i = 0; i < 2; ++i) {
    auto program = [&, i](test::Initiator& self) {
      ends[i] = self.stream(test::sequential(starts[i], bytes, length), length, false, outstanding, quantum);
    };
    streams.push_back(std::make_unique<test::Initiator>(("stream" + std::to_string(i)).c_str(), program));
    streams.back()->socket.bind(join.in[i]);
  }
  sc_core::sc_start();
  const double peak = t.peak_bandwidth_Bps();
  const double each[2] = {double(bytes) / ends[0].to_seconds(), double(bytes) / ends[1].to_seconds()};
  const double together = 2.0 * double(bytes) / std::max(ends[0], ends[1]).to_seconds();
  std::cout << "two sequential streams of 64-B reads, 16 in flight each: " << each[0] / 1e9 << " and " << each[1] / 1e9
            << " GB/s, together " << together / 1e9 << " GB/s = " << together / peak * 100 << " % of peak; "
            << ddr.stats().queued_transactions << " queued\n";
  EXPECT_GE(std::min(each[0], each[1]), 0.9 * std::max(each[0], each[1]));
  EXPECT_GE(together, 0.9 * peak);
  EXPECT_LE(together, peak);
  EXPECT_GT(ddr.stats().queued_transactions, 0u);  // the second stream's first request met the first's in flight
}

// Time order of transactions served at once: initiator A, running ahead, presents a read arriving
// at 1.5 us (at 1.0 us), before initiator B presents its earlier read arriving at 1.3 us (at
// 1.2 us) to another row of the same bank. The controller serves them in arrival order: B's read
// ends as it does with no A, and A's follows it. (Committed when presented, A's read took the
// bank first and B's queued behind its row: the Fashion LSTM head's first load behind the IFU's
// fetch, docs/ddr.md "Scheduling".) Both initiators read once at time 0 first, so each is known.
TEST(DdrScheduler, RunAheadReadDoesNotTakeTheBankBeforeAnEarlierOnePresentedAfterIt) {
  const DdrTiming t = preset("ddr4-2400-x64");
  const DdrConfig config;
  const DdrAddressMap map(config, t);
  DdrLocation loc = map.decode(0);
  const auto address_in = [&](unsigned bank, uint64_t row) {
    DdrLocation l = loc;
    l.bank = bank;
    l.row = row;
    return map.encode(l);
  };
  const sc_time us(1, sc_core::SC_US), ns(1, sc_core::SC_NS);
  EnergyLedger ledger{TechTable{}};
  sc_time done_a, done_b, done_b_alone;
  // Two controllers: with A's run-ahead read and without it.
  std::vector<std::unique_ptr<DdrController>> ddrs;
  std::vector<std::unique_ptr<Join>> joins;
  std::vector<std::unique_ptr<test::Initiator>> initiators;
  for (int with_a = 0; with_a < 2; ++with_a) {
    const std::string suffix = with_a ? "_with_a" : "_alone";
    ddrs.push_back(std::make_unique<DdrController>(("ddr" + suffix).c_str(), config, t, ledger));
    joins.push_back(std::make_unique<Join>(("join" + suffix).c_str()));
    joins.back()->out.bind(ddrs.back()->socket);
    auto a = [&, with_a](test::Initiator& self) {
      unsigned char data[64] = {};
      self.access(tlm::TLM_READ_COMMAND, address_in(5, 7), data, 64, sc_core::SC_ZERO_TIME);
      if (!with_a) return;
      sc_core::wait(us - sc_core::sc_time_stamp());
      done_a = self.access(tlm::TLM_READ_COMMAND, address_in(0, 1), data, 64, 1500 * ns).done;
    };
    auto b = [&, with_a](test::Initiator& self) {
      unsigned char data[64] = {};
      self.access(tlm::TLM_READ_COMMAND, address_in(6, 7), data, 64, sc_core::SC_ZERO_TIME);
      sc_core::wait(1200 * ns - sc_core::sc_time_stamp());
      (with_a ? done_b : done_b_alone) = self.access(tlm::TLM_READ_COMMAND, address_in(0, 2), data, 64, 1300 * ns).done;
    };
    initiators.push_back(std::make_unique<test::Initiator>(("a" + suffix).c_str(), a));
    initiators.back()->socket.bind(joins.back()->in[0]);
    initiators.push_back(std::make_unique<test::Initiator>(("b" + suffix).c_str(), b));
    initiators.back()->socket.bind(joins.back()->in[1]);
  }
  sc_core::sc_start();
  std::cout << "B's read (arrives 1.3 us) ends at " << done_b << " (alone " << done_b_alone << "), A's (arrives 1.5 us, "
            << "presented first) at " << done_a << "\n";
  EXPECT_EQ(done_b, done_b_alone);
  EXPECT_GT(done_a, done_b);
  // A's read waited for B's row to close: a row conflict after B's column command at the least.
  EXPECT_GE(done_a - 1500 * ns, t.cycles(t.tRP + t.tRCD + t.CL + t.burst_cycles()));
}

#include "tools/dlvpc/memory_path.h"

#include "ip/common/config_error.h"

#include <algorithm>
#include <cmath>

namespace dlvp::dlvpc {

Picoseconds period_ps(double mhz) { return static_cast<Picoseconds>(std::llround(1e6 / mhz)); }

namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

sc_core::sc_time to_sc_time(Picoseconds t) { return sc_core::sc_time::from_value(static_cast<uint64_t>(t)); }

}  // namespace

MemoryPath::MemoryPath(const MemoryHardware& hw)
    : hw_(hw),
      dma_period_(period_ps(hw.dma.clock_mhz)),
      bus_period_(period_ps(hw.bus.clock_mhz)),
      arbitration_(bus_period_ * hw.bus.arbitration_cycles),
      ledger_(TechTable{}),
      ddr_map_(hw_.ddr, hw_.ddr_timing),
      channel_free_(hw.dma.channels, 0) {
  // The arbiters count in time-resolution units: SystemC's default of 1 ps, which dlvpc keeps.
  if (sc_core::sc_get_time_resolution() != sc_core::sc_time(1, sc_core::SC_PS))
    throw ConfigError("dlvpc: the SystemC time resolution is not 1 ps");
  const sc_core::sc_time window = to_sc_time(bus_period_ * static_cast<Picoseconds>(PortArbiter::kMinimumWindowCycles));
  const auto replayed = [&window](PortArbiter& port) {
    port.set_window(window);
    port.set_time_ordered(true);
  };
  replayed(ddr_port_);
  for (PortArbiter& port : buffer_bus_ports_) replayed(port);
  ddr_stats_.bank_activates.assign(size_t{hw_.ddr.channels} * hw_.ddr.ranks * hw_.ddr_timing.banks, 0);
  ddr_stats_.bank_reads = ddr_stats_.bank_writes = ddr_stats_.bank_activates;
  ddr_channels_.reserve(hw_.ddr.channels);
  const DdrPowerParams power = DdrPowerParams::from(hw_.ddr, hw_.ddr_timing);  // the SoC's power states too
  for (unsigned c = 0; c < hw_.ddr.channels; ++c)
    ddr_channels_.emplace_back(hw_.ddr_timing, c, hw_.ddr.ranks, power, ledger_, "dlvpc.ddr", ddr_stats_);
  for (auto& ports : buffer_ports_free_) ports.assign(1, 0);  // the engines' buffers have one DMA-side port each
  buffer_port_bytes_ = {hw.cnn.input_port_bytes, hw.cnn.weight_port_bytes, hw.cnn.output_port_bytes,
                        hw.lstm.buffer_port_bytes, hw.lstm.buffer_port_bytes};
  const Picoseconds cnn_period = period_ps(hw.cnn.clock_mhz), lstm_period = period_ps(hw.lstm.clock_mhz);
  buffer_period_ = {cnn_period, cnn_period, cnn_period, lstm_period, lstm_period};
}

MemoryPath::~MemoryPath() = default;

Picoseconds MemoryPath::bus_beats(uint64_t bytes) const { return bus_period_ * ceil_div(bytes, hw_.bus.width_bytes); }

// Bus::b_transport then DdrController::b_transport: the port is booked for arbitration + beats;
// the controller sees the request after the arbitration, on the next clock edge plus its
// front-end latency; the bursts of the transaction pipeline from that cycle.
Picoseconds MemoryPath::ddr_access(size_t initiator, uint64_t ddr_offset, uint64_t bytes, bool write,
                                   Picoseconds arrival) {
  const Picoseconds beats = bus_beats(bytes);
  const Picoseconds wait = ddr_port_.book(initiator, to_sc_time(arrival), to_sc_time(arbitration_ + beats)).value();
  const Picoseconds at_target = arrival + wait + arbitration_;
  const DdrTiming& t = hw_.ddr_timing;
  const auto tck = static_cast<Picoseconds>(t.tCK_ps);
  const DdrCycle ready = (at_target + tck - 1) / tck + hw_.ddr.controller_latency_cycles;
  DdrCycle end = ready;
  std::vector<std::pair<unsigned, unsigned>> touched;  // closed page: (channel, rank x banks + bank)
  const uint64_t burst = t.burst_bytes();
  for (uint64_t a = ddr_offset / burst * burst; a < ddr_offset + bytes; a += burst) {
    const DdrLocation loc = ddr_map_.decode(a);
    end = std::max(end, ddr_channels_[loc.channel].access(BurstRequest{ready, loc.rank, loc.bank, loc.row, write}).data_end);
    const std::pair<unsigned, unsigned> bank{loc.channel, loc.rank * t.banks + loc.bank};
    if (hw_.ddr.closed_page() && std::find(touched.begin(), touched.end(), bank) == touched.end()) touched.push_back(bank);
  }
  for (const auto& [channel, bank] : touched) ddr_channels_[channel].auto_precharge(bank / t.banks, bank % t.banks, kUntagged);
  return std::max(end * tck, at_target + beats);
}

Picoseconds MemoryPath::fetch(uint64_t ddr_offset, uint64_t bytes, Picoseconds arrival) {
  return ddr_access(fetch_initiator(), ddr_offset, bytes, false, arrival);
}

// The buffer bus's port to the buffer, and one of the buffer's ports (SramBuffer::account_at).
Picoseconds MemoryPath::buffer_access(size_t initiator, unsigned buffer, uint64_t bytes, Picoseconds arrival) {
  const Picoseconds beats = bus_beats(bytes);
  const Picoseconds wait =
      buffer_bus_ports_[buffer].book(initiator, to_sc_time(arrival), to_sc_time(arbitration_ + beats)).value();
  std::vector<Picoseconds>& ports = buffer_ports_free_[buffer];
  auto port = std::min_element(ports.begin(), ports.end());
  *port = std::max(arrival, *port) + buffer_period_[buffer] * ceil_div(bytes, buffer_port_bytes_[buffer]);
  return arrival + wait + arbitration_ + std::max(*port - arrival, beats);
}

DmaJobReplay MemoryPath::start_dma_job(unsigned channel, const DmaDescriptor& d, bool load, unsigned buffer,
                                       Picoseconds start) const {
  return DmaJobReplay{channel, load, buffer,
                      dma::BurstPipeline<Picoseconds>(d, hw_.dma.burst_bytes, hw_.dma.max_outstanding,
                                                      hw_.dma.buffer_bytes / hw_.dma.burst_bytes,
                                                      std::max(start, channel_free_[channel]), dma_period_)};
}

// The DMA engine's burst pipeline (ip/dma/burst_pipeline.h) over this path's timing.
void MemoryPath::issue_next(DmaJobReplay& job) {
  job.pipeline.step([&](const DmaBurst& b, bool read, uint32_t, Picoseconds at, Picoseconds& done) {
    const bool ddr_side = read == job.load;  // a load reads the DDR, a store writes it
    done = ddr_side ? ddr_access(job.channel, read ? b.src : b.dst, b.bytes, !read, at)
                    : buffer_access(job.channel, job.buffer, b.bytes, at);
    return true;
  });
  if (job.pipeline.done()) channel_free_[job.channel] = std::max(channel_free_[job.channel], job.pipeline.result().end);
}

Picoseconds MemoryPath::dma_job(unsigned channel, const DmaDescriptor& d, bool load, unsigned buffer, Picoseconds start) {
  DmaJobReplay job = start_dma_job(channel, d, load, buffer, start);
  while (!job.pipeline.done()) issue_next(job);
  return job.pipeline.result().end;
}

void MemoryPath::forget_before(Picoseconds now) {
  ddr_port_.forget_before(to_sc_time(now));
  for (PortArbiter& port : buffer_bus_ports_) port.forget_before(to_sc_time(now));
}

}  // namespace dlvp::dlvpc

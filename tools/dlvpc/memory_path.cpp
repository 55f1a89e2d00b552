#include "tools/dlvpc/memory_path.h"

#include <algorithm>
#include <cmath>

namespace dlvp::dlvpc {

Picoseconds period_ps(double mhz) { return static_cast<Picoseconds>(std::llround(1e6 / mhz)); }

Picoseconds PortCalendar::book(Picoseconds arrival, Picoseconds length) {
  Picoseconds start = arrival;
  // The interval that may overlap `start` begins at or before it; later ones are walked in order.
  auto it = booked_.upper_bound(start);
  if (it != booked_.begin() && std::prev(it)->second > start) start = std::prev(it)->second;
  for (; it != booked_.end() && it->first < start + length; ++it) start = std::max(start, it->second);
  booked_.emplace(start, start + length);
  return start;
}

void PortCalendar::forget_before(Picoseconds now) {
  while (!booked_.empty() && booked_.begin()->second <= now) booked_.erase(booked_.begin());
}

namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }

uint32_t buffer_port_bytes(const CnnConfig& cnn, unsigned buffer) {
  switch (buffer) {
    case isa::kBufInput: return cnn.input_port_bytes;
    case isa::kBufWeight: return cnn.weight_port_bytes;
    default: return cnn.output_port_bytes;
  }
}

}  // namespace

MemoryPath::MemoryPath(const MemoryHardware& hw)
    : hw_(hw),
      dma_period_(period_ps(hw.dma.clock_mhz)),
      bus_period_(period_ps(hw.bus.clock_mhz)),
      buffer_period_(period_ps(hw.cnn.clock_mhz)),
      arbitration_(bus_period_ * hw.bus.arbitration_cycles),
      ledger_(TechTable{}),
      ddr_map_(hw_.ddr, hw_.ddr_timing),
      channel_free_(hw.dma.channels, 0) {
  ddr_stats_.bank_activates.assign(size_t{hw_.ddr.channels} * hw_.ddr.ranks * hw_.ddr_timing.banks, 0);
  ddr_stats_.bank_reads = ddr_stats_.bank_writes = ddr_stats_.bank_activates;
  ddr_channels_.reserve(hw_.ddr.channels);
  const DdrPowerParams power = DdrPowerParams::from(hw_.ddr, hw_.ddr_timing);  // the SoC's power states too
  for (unsigned c = 0; c < hw_.ddr.channels; ++c)
    ddr_channels_.emplace_back(hw_.ddr_timing, c, hw_.ddr.ranks, power, ledger_, "dlvpc.ddr", ddr_stats_);
  for (auto& ports : buffer_ports_free_) ports.assign(1, 0);  // the CNN buffers have one port each
}

MemoryPath::~MemoryPath() = default;

Picoseconds MemoryPath::bus_beats(uint64_t bytes) const { return bus_period_ * ceil_div(bytes, hw_.bus.width_bytes); }

// Bus::b_transport then DdrController::b_transport: the port is booked for arbitration + beats;
// the controller sees the request after the arbitration, on the next clock edge plus its
// front-end latency; the bursts of the transaction pipeline from that cycle.
Picoseconds MemoryPath::ddr_access(uint64_t ddr_offset, uint64_t bytes, bool write, Picoseconds arrival) {
  const Picoseconds beats = bus_beats(bytes);
  const Picoseconds at_target = ddr_port_.book(arrival, arbitration_ + beats) + arbitration_;
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

// The buffer bus's port to the buffer, and one of the buffer's ports (SramBuffer::account_at).
Picoseconds MemoryPath::buffer_access(unsigned buffer, uint64_t bytes, Picoseconds arrival) {
  const Picoseconds beats = bus_beats(bytes);
  const Picoseconds start = buffer_bus_ports_[buffer].book(arrival, arbitration_ + beats);
  std::vector<Picoseconds>& ports = buffer_ports_free_[buffer];
  auto port = std::min_element(ports.begin(), ports.end());
  *port = std::max(arrival, *port) + buffer_period_ * ceil_div(bytes, buffer_port_bytes(hw_.cnn, buffer));
  return start + arbitration_ + std::max(*port - arrival, beats);
}

// DmaEngine::transfer, burst by burst.
Picoseconds MemoryPath::dma_job(unsigned channel, const DmaDescriptor& d, bool load, unsigned buffer, Picoseconds start) {
  start = std::max(start, channel_free_[channel]);
  const uint32_t window = hw_.dma.max_outstanding;
  const uint32_t slots = hw_.dma.buffer_bytes / hw_.dma.burst_bytes;
  std::vector<Picoseconds> read_done(window), write_done(window), data_ready(slots), freed(slots);
  std::vector<DmaBurst> burst(slots);
  BurstWalker walker(d, hw_.dma.burst_bytes);
  Picoseconds end = start, next_read = start, next_write = start;
  uint64_t reads = 0, writes = 0;
  auto read = [&](const DmaBurst& b, Picoseconds at) {
    return load ? ddr_access(b.src, b.bytes, false, at) : buffer_access(buffer, b.bytes, at);
  };
  auto write = [&](const DmaBurst& b, Picoseconds at) {
    return load ? buffer_access(buffer, b.bytes, at) : ddr_access(b.dst, b.bytes, true, at);
  };
  for (;;) {
    const bool can_read = !walker.done() && reads - writes < slots;
    const bool can_write = writes < reads;
    if (!can_read && !can_write) break;
    Picoseconds read_at = next_read;
    if (reads >= window) read_at = std::max(read_at, read_done[reads % window]);
    if (reads >= slots) read_at = std::max(read_at, freed[reads % slots]);
    Picoseconds write_at = next_write;
    if (can_write) {
      write_at = std::max(write_at, data_ready[writes % slots]);
      if (writes >= window) write_at = std::max(write_at, write_done[writes % window]);
    }
    if (can_read && (!can_write || read_at <= write_at)) {
      DmaBurst& b = burst[reads % slots];
      b = walker.next();
      const Picoseconds done = read(b, read_at);
      data_ready[reads % slots] = read_done[reads % window] = done;
      end = std::max(end, done);
      next_read = read_at + dma_period_;
      ++reads;
    } else {
      const Picoseconds done = write(burst[writes % slots], write_at);
      freed[writes % slots] = write_done[writes % window] = done;
      end = std::max(end, done);
      next_write = write_at + dma_period_;
      ++writes;
    }
  }
  channel_free_[channel] = end;
  return end;
}

void MemoryPath::forget_before(Picoseconds now) {
  ddr_port_.forget_before(now);
  for (PortCalendar& port : buffer_bus_ports_) port.forget_before(now);
}

}  // namespace dlvp::dlvpc

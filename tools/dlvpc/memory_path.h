// dlvpc's timing of a LOAD/STORE (docs/dlvpc.md, "Predict"): the DMA's burst pipeline, the system
// bus's port to the DDR, the DDR's command timing and the buffer bus's port to an engine buffer,
// each derived from the hardware file's parameters, as the SoC's modules time them:
//   - the DMA (DmaEngine::transfer): reads issued one DMA cycle apart, at most max_outstanding in
//     flight, a read waits for the staging slot its data goes to (buffer_bytes / burst_bytes
//     slots); each write follows its read's data; a job's bursts never cross burst_bytes of the
//     source nor a row (BurstWalker);
//   - a bus port: arbitration_cycles + ceil(bytes / width_bytes) bus cycles of port time, booked in
//     the first gap at or after the arrival; the data streams while the target works
//     (completion = arbitration + the slower of target and data beats);
//   - the DDR: the controller's front-end latency, then every DDR burst through the channel's own
//     command timing model (ip/ddr/ddr_channel_model: open rows, tRCD/tRP/CL/CWL, tRRD/tFAW, tCCD,
//     tWTR, refresh, data-bus turnaround) on the address map of the hardware's DDR configuration;
//   - an engine buffer: one of its ports for ceil(bytes / port width) buffer cycles.
// Requests come in increasing time, as the predictor's event loop issues them.
#pragma once
#include "ip/bus/bus.h"
#include "ip/cnn/cnn_config.h"
#include "ip/common/energy_ledger.h"
#include "ip/ddr/ddr_address_map.h"
#include "ip/ddr/ddr_channel_model.h"
#include "ip/ddr/ddr_config.h"
#include "ip/ddr/ddr_stats.h"
#include "ip/ddr/ddr_timing.h"
#include "ip/dma/dma_descriptor.h"
#include "ip/dma/dma_engine.h"
#include "ip/ifu/layer_timeline.h"

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

namespace dlvp::dlvpc {

using ifu::Picoseconds;

// The hardware a transfer crosses (sections of a hardware file).
struct MemoryHardware {
  DmaConfig dma;
  BusConfig bus;  // the system bus and the buffer bus (the platform builds both from it)
  DdrConfig ddr;
  DdrTiming ddr_timing;
  CnnConfig cnn;  // the engine buffers' port widths and clock
};

// Clock period in integer picoseconds, rounded as the SoC's ClockDomain does.
Picoseconds period_ps(double mhz);

// Port time booked in the first gap at or after the arrival (a bus target port, an SRAM port).
class PortCalendar {
 public:
  // Books `length` from the first gap at or after `arrival`; returns the start.
  Picoseconds book(Picoseconds arrival, Picoseconds length);
  // Forgets bookings that end at or before `now` (no request arrives earlier any more).
  void forget_before(Picoseconds now);

 private:
  std::map<Picoseconds, Picoseconds> booked_;  // start -> end, disjoint
};

class MemoryPath {
 public:
  // Throws ConfigError when the DDR preset and configuration are inconsistent.
  explicit MemoryPath(const MemoryHardware& hw);
  ~MemoryPath();

  // One DMA job on `channel` that may start at `start`, DDR side at `ddr_offset` (from the DDR
  // base), buffer side in engine buffer `buffer` (isa::Buffer). Returns its completion time.
  Picoseconds dma_job(unsigned channel, const DmaDescriptor& descriptor, bool load, unsigned buffer, Picoseconds start);
  // A read of `bytes` at `ddr_offset` through the system bus (the IFU's instruction fetch).
  Picoseconds ddr_access(uint64_t ddr_offset, uint64_t bytes, bool write, Picoseconds arrival);
  // No request arrives before `now` any more.
  void forget_before(Picoseconds now);

 private:
  Picoseconds buffer_access(unsigned buffer, uint64_t bytes, Picoseconds arrival);
  Picoseconds bus_beats(uint64_t bytes) const;

  MemoryHardware hw_;
  Picoseconds dma_period_, bus_period_, buffer_period_, arbitration_;
  EnergyLedger ledger_;  // the channel models count into it; nothing reads it
  DdrStats ddr_stats_;
  DdrAddressMap ddr_map_;
  std::vector<DdrChannelModel> ddr_channels_;
  PortCalendar ddr_port_;
  std::array<PortCalendar, isa::kBufCount> buffer_bus_ports_;
  std::array<std::vector<Picoseconds>, isa::kBufCount> buffer_ports_free_;
  std::vector<Picoseconds> channel_free_;  // a DMA channel runs one job at a time
};

}  // namespace dlvp::dlvpc

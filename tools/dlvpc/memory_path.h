// dlvpc's timing of a LOAD/STORE (docs/dlvpc.md, "Predict"): the DMA's burst pipeline, the system
// bus's port to the DDR, the DDR's command timing and the buffer bus's port to an engine buffer,
// each derived from the hardware file's parameters, as the SoC's modules time them:
//   - the DMA (ip/dma/burst_pipeline.h, the function the DMA engine runs): reads issued one DMA
//     cycle apart, at most max_outstanding in flight, a read waits for the staging slot its data
//     goes to (buffer_bytes / burst_bytes slots); each write follows its read's data; a job's
//     bursts never cross burst_bytes of the source nor a row (BurstWalker);
//   - a bus port: arbitration_cycles + ceil(bytes / width_bytes) bus cycles of port time, booked by
//     the bus's own arbiter (ip/bus/port_arbiter: first gap at or after the arrival among earlier
//     requests, at most one turn of each other active initiator); the data streams while the
//     target works (completion = arbitration + the slower of target and data beats);
//   - the DDR: the controller's front-end latency, then every DDR burst through the channel's own
//     command timing model (ip/ddr/ddr_channel_model: open rows, tRCD/tRP/CL/CWL, tRRD/tFAW, tCCD,
//     tWTR, refresh, data-bus turnaround) on the address map of the hardware's DDR configuration;
//   - an engine buffer (CNN or LSTM): its DMA-side port for ceil(bytes / port width) cycles of the
//     engine's clock.
// Requests come in increasing time, as the predictor's event loop issues them (one DMA
// transaction at a time: DmaJobReplay).
#pragma once
#include "ip/bus/bus.h"
#include "ip/bus/port_arbiter.h"
#include "ip/cnn/cnn_config.h"
#include "ip/common/energy_ledger.h"
#include "ip/ddr/ddr_address_map.h"
#include "ip/ddr/ddr_channel_model.h"
#include "ip/ddr/ddr_config.h"
#include "ip/ddr/ddr_stats.h"
#include "ip/ddr/ddr_timing.h"
#include "ip/dma/burst_pipeline.h"
#include "ip/dma/dma_descriptor.h"
#include "ip/dma/dma_engine.h"
#include "ip/ifu/layer_timeline.h"
#include "ip/lstm/lstm_config.h"

#include <array>
#include <cstdint>
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
  CnnConfig cnn;    // the CNN buffers' port widths and clock
  LstmConfig lstm;  // the LSTM buffers' port width and clock
};

// Clock period in integer picoseconds, rounded as the SoC's ClockDomain does.
Picoseconds period_ps(double mhz);

// A DMA job being replayed one transaction at a time (ip/dma/burst_pipeline.h), so that the
// transactions of both DMA channels and the IFU's fetches reach the bus and the DDR in time order,
// as the SoC's bus and DDR controller see them.
struct DmaJobReplay {
  unsigned channel = 0;
  bool load = true;     // DDR -> engine buffer; false: buffer -> DDR
  unsigned buffer = 0;  // isa::Buffer
  dma::BurstPipeline<Picoseconds> pipeline;
};

class MemoryPath {
 public:
  // Throws ConfigError when the DDR preset and configuration are inconsistent.
  explicit MemoryPath(const MemoryHardware& hw);
  ~MemoryPath();

  // One DMA job on `channel` that may start at `start` (and once the channel's previous job has
  // ended), DDR side at the descriptor's DDR offset (from the DDR base), buffer side in engine
  // buffer `buffer` (isa::Buffer). Its transactions are issued by issue_next().
  DmaJobReplay start_dma_job(unsigned channel, const DmaDescriptor& descriptor, bool load, unsigned buffer,
                             Picoseconds start) const;
  // Issues the job's next transaction, at job.pipeline.next_at(): the caller interleaves all
  // requests in time order. The job's end is job.pipeline.result().end once done().
  void issue_next(DmaJobReplay& job);
  // A whole job at once (for a single initiator: nothing to interleave with); returns its end.
  Picoseconds dma_job(unsigned channel, const DmaDescriptor& descriptor, bool load, unsigned buffer, Picoseconds start);
  // A read of `bytes` at `ddr_offset` through the system bus by the IFU's instruction fetch.
  Picoseconds fetch(uint64_t ddr_offset, uint64_t bytes, Picoseconds arrival);
  // No request arrives before `now` any more.
  void forget_before(Picoseconds now);

 private:
  Picoseconds ddr_access(size_t initiator, uint64_t ddr_offset, uint64_t bytes, bool write, Picoseconds arrival);
  Picoseconds buffer_access(size_t initiator, unsigned buffer, uint64_t bytes, Picoseconds arrival);
  Picoseconds bus_beats(uint64_t bytes) const;
  size_t fetch_initiator() const { return hw_.dma.channels; }  // after the DMA channels

  MemoryHardware hw_;
  Picoseconds dma_period_, bus_period_, arbitration_;
  std::array<Picoseconds, isa::kBufCount> buffer_period_{};
  std::array<uint32_t, isa::kBufCount> buffer_port_bytes_{};
  EnergyLedger ledger_;  // the channel models count into it; nothing reads it
  DdrStats ddr_stats_;
  DdrAddressMap ddr_map_;
  std::vector<DdrChannelModel> ddr_channels_;
  // The bus's ports, arbitrated as the SoC's bus arbitrates them (round robin, time order).
  PortArbiter ddr_port_;
  std::array<PortArbiter, isa::kBufCount> buffer_bus_ports_;
  std::array<std::vector<Picoseconds>, isa::kBufCount> buffer_ports_free_;
  std::vector<Picoseconds> channel_free_;  // a DMA channel runs one job at a time
};

}  // namespace dlvp::dlvpc

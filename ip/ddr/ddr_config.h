// Scenario section `ddr`: how the DDR subsystem is built from a preset (channels, ranks, size,
// page policy, address mapping). The device itself is described by a DdrTiming preset.
#pragma once
#include "ip/common/params.h"

#include <cstdint>
#include <string>

namespace dlvp {

struct DdrConfig {
  std::string preset = "ddr3-1066-x32";      // resolved to scenarios/hw/ddr/<preset>.yaml by the platform
  uint64_t size_bytes = uint64_t(1) << 30;   // addressable DDR, bytes
  uint32_t channels = 1;
  uint64_t channel_interleave_bytes = 256;   // consecutive bytes mapped to one channel
  uint32_t ranks = 1;                        // ranks per channel
  std::string page_policy = "open";          // open | closed
  std::string address_mapping = "row_bank_col";  // row_bank_col | bank_row_col
  uint32_t controller_latency_cycles = 4;    // front-end (queue + scheduling) latency, DDR clock cycles
  bool refresh = true;
  // Request scheduling (docs/ddr.md "Scheduling"): per channel, read and write queues of
  // transactions; an initiator waits while its queue is full.
  std::string scheduler = "frfcfs";          // fcfs | frfcfs
  uint32_t read_queue_depth = 32;            // transactions per channel
  uint32_t write_queue_depth = 32;
  uint32_t write_high_watermark = 16;        // queued writes that start a write drain
  uint32_t write_low_watermark = 4;          // a drain stops at this many (while reads wait)
  uint32_t starvation_cap = 16;              // bursts of younger requests served before a request must go next
  // Low-power states of an idle rank (docs/ddr.md, "Power states").
  std::string power_down = "active_and_precharge";  // none | precharge | active_and_precharge
  uint32_t power_down_idle_cycles = 64;      // idle DDR clocks before power-down entry
  std::string power_down_exit = "fast";      // fast (DLL on, tXP) | slow (DLL off, tXPDLL to reads)
  bool self_refresh = true;
  uint64_t self_refresh_idle_ns = 10000;     // idle time before self-refresh entry

  static void bind(ParamBinder& binder, DdrConfig& config);

  bool closed_page() const { return page_policy == "closed"; }
  bool bank_interleaved() const { return address_mapping == "row_bank_col"; }
  bool reorders() const { return scheduler == "frfcfs"; }
  bool slow_exit() const { return power_down_exit == "slow"; }
};

}  // namespace dlvp

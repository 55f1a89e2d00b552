// A DRAM device type and its organization on one channel (a preset from scenarios/hw/ddr/*.yaml):
// the datasheet timing parameters in clock cycles, the IDD currents for the energy model, and
// how many devices of which width form the channel's data bus.
#pragma once
#include "ip/common/params.h"

#include <systemc>

#include <cstdint>
#include <string>

namespace dlvp {

using DdrCycle = int64_t;                                // DDR clock cycles since time zero
constexpr DdrCycle kNeverCycle = -(DdrCycle(1) << 40);  // before every cycle: no constraint

struct DdrTiming {
  std::string name;               // preset name, as scenarios refer to it (ddr.preset)

  // Clock and bursts.
  uint64_t tCK_ps = 0;            // clock period
  uint32_t burst_length = 0;      // data beats per burst (BL)
  uint32_t data_rate = 0;         // beats per clock (2 for DDR)

  // Organization of one device, and of the channel.
  uint32_t bank_groups = 0;       // 1 when the device has no bank groups (DDR3)
  uint32_t banks = 0;             // banks per device, all groups together
  uint64_t rows = 0;              // rows per bank
  uint32_t columns = 0;           // columns per row, in device-width words
  uint32_t device_width_bits = 0; // x4 / x8 / x16
  uint32_t bus_width_bits = 0;    // channel data bus; devices per rank = bus / device width

  // Timing, in clock cycles (tCK).
  uint32_t CL = 0, CWL = 0, tRCD = 0, tRP = 0, tRAS = 0, tRC = 0, tFAW = 0, tWR = 0;
  uint32_t tWTR_L = 0, tWTR_S = 0, tRTP = 0, tRRD_L = 0, tRRD_S = 0, tCCD_L = 0, tCCD_S = 0;
  uint32_t tRFC = 0, tREFI = 0;
  // Power-down and self-refresh: minimum residency (tCKE, tCKESR) and exit to the next command
  // (tXP; tXPDLL to a read after a DLL-off power-down, 0 where the device has none; tXS; tXSDLL
  // to a read after self-refresh, the DLL relock).
  uint32_t tCKE = 0, tXP = 0, tXPDLL = 0, tCKESR = 0, tXS = 0, tXSDLL = 0;

  // Supply voltage (V) and datasheet currents per device (mA).
  double VDD = 0, IDD0 = 0, IDD2N = 0, IDD3N = 0, IDD4R = 0, IDD4W = 0, IDD5 = 0;
  // Low-power states: precharge power-down with the DLL off (IDD2P0, slow exit; 0 where the
  // device has none) and on (IDD2P1, fast exit), active power-down (IDD3P), self-refresh (IDD6).
  double IDD2P0 = 0, IDD2P1 = 0, IDD3P = 0, IDD6 = 0;

  static void bind(ParamBinder& binder, DdrTiming& timing);
  // Loads a preset; every key is required. Throws ConfigError naming the file and the key.
  static DdrTiming load(const std::string& path);

  // Derived figures.
  uint32_t devices_per_rank() const { return bus_width_bits / device_width_bits; }
  uint32_t bus_bytes() const { return bus_width_bits / 8; }
  uint32_t banks_per_group() const { return banks / bank_groups; }
  uint64_t burst_bytes() const { return uint64_t(burst_length) * bus_bytes(); }
  // Clock cycles one burst occupies the data bus: BL / data rate, rounded up.
  uint32_t burst_cycles() const { return (burst_length + data_rate - 1) / data_rate; }
  uint64_t bursts_per_row() const { return columns / burst_length; }
  uint64_t row_bytes() const { return uint64_t(columns) * bus_bytes(); }  // one row across a rank
  uint64_t rank_bytes() const { return row_bytes() * rows * banks; }
  // Peak data bandwidth of one channel, bytes/s: data rate x clock x bus width.
  double peak_bandwidth_Bps() const { return data_rate * (1e12 / double(tCK_ps)) * bus_bytes(); }
  sc_core::sc_time cycles(uint64_t n) const { return sc_core::sc_time(double(n * tCK_ps), sc_core::SC_PS); }
  sc_core::sc_time burst_time() const { return cycles(burst_cycles()); }
};

}  // namespace dlvp

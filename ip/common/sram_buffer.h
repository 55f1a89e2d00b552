// An on-chip SRAM array as a TLM target: the input/weight/output buffers the accelerator engines
// expose and the DMA fills and drains.
//
// Timing: an access occupies one of `ports` ports for ceil(length / port_width_bytes) buffer
// cycles; each port keeps a busy-until reservation, so more simultaneous accesses than ports
// serialize. Energy: 64-bit words, with unit energies from the technology table's SRAM curve at
// this array's size, counted per side of the array: "read"/"write" for the TLM socket (transport
// and DMI users, accounted through the DmiAccountingExtension), "datapath.read"/"datapath.write"
// for the owning engine, which works on data() directly and reports what it moved through
// count_reads()/count_writes() (its own port, docs/cnn.md). Either way no byte moves uncounted,
// and each side's traffic can be set against its own port's capacity. A transaction's counts go to
// the ledger tag its EnergyTagExtension carries (energy_tag.h), a DMI block's to the accountant's.
#pragma once
#include "energy_ledger.h"
#include "params.h"
#include "range_check.h"
#include "reportable.h"
#include "tlm_util.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <vector>

namespace dlvp {

struct SramBufferConfig {
  uint64_t size_bytes = 64 * 1024;
  uint32_t port_width_bytes = 8;  // bytes one port moves per cycle
  double clock_mhz = 200.0;
  uint32_t ports = 1;             // independent access ports (1..4)

  static void bind(ParamBinder& b, SramBufferConfig& c);
};

// The owning engine's own port into the array (its datapath side); the engine times its accesses
// itself, the buffer only reports the port's width and clock beside its traffic. Width 0: none.
struct DatapathPort {
  uint32_t width_bytes = 0;
  double clock_mhz = 0;
};

class SramBuffer : public sc_core::sc_module, public Reportable, private DmiAccountant {
 public:
  tlm_utils::simple_target_socket<SramBuffer> socket;

  // Throws ConfigError (naming the module) when the configuration is out of range.
  SramBuffer(sc_core::sc_module_name name, const SramBufferConfig& config, EnergyLedger& ledger,
             Level level = Level::buffer);

  // Raw storage for the owning engine's fast path; pair every use with count_reads/count_writes.
  uint8_t* data() { return storage_.data(); }
  const uint8_t* data() const { return storage_.data(); }
  uint64_t size() const { return storage_.size(); }
  const SramBufferConfig& config() const { return config_; }
  void set_datapath_port(const DatapathPort& port) { datapath_port_ = port; }

  // Energy and statistics for the owner's datapath accesses, made without a TLM transaction (one
  // call per bulk access), attributed to `tag` (kUntagged: the ledger's current tag).
  void count_reads(uint64_t bytes, TagId tag = kUntagged) { count_access(Side::datapath, false, bytes, tag); }
  void count_writes(uint64_t bytes, TagId tag = kUntagged) { count_access(Side::datapath, true, bytes, tag); }
  // Changes with every write (transport, accounted DMI, debug, the owner's counted raw writes): an
  // owner may keep what it derived from the contents (e.g. validated streams) while it is unchanged.
  uint64_t write_generation() const { return write_generation_; }
  // Time one port needs for an access of `bytes`: ceil(bytes / port width) cycles.
  sc_core::sc_time access_time(uint64_t bytes) const;

  // Both sides together; datapath_bytes_* is the owner's share of bytes_*.
  struct Stats {
    uint64_t read_accesses = 0, write_accesses = 0;
    uint64_t bytes_read = 0, bytes_written = 0;
    uint64_t words_read = 0, words_written = 0;      // 64-bit words: the energy counts
    uint64_t datapath_bytes_read = 0, datapath_bytes_written = 0;
    sc_core::sc_time port_wait = sc_core::SC_ZERO_TIME;  // time TLM accesses waited for a free port
  };
  const Stats& stats() const { return stats_; }

  std::string report_name() const override { return name(); }
  void report(nlohmann::json& out, double elapsed_ns) const override;

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
  bool get_direct_mem_ptr(tlm::tlm_generic_payload& trans, tlm::tlm_dmi& dmi);
  sc_core::sc_time account(uint64_t address, uint64_t bytes, bool write, TagId tag) override;
  // Books one of the ports from `arrival`, like b_transport does.
  sc_core::sc_time account_at(const sc_core::sc_time& arrival, uint64_t address, uint64_t bytes, bool write,
                              TagId tag) override;
  enum class Side { socket, datapath };
  void count_access(Side side, bool write, uint64_t bytes, TagId tag);

  bool in_range(uint64_t address, uint64_t length) const;
  // Reserves the earliest free port from `arrival` on; returns the time the access completes.
  sc_core::sc_time reserve_port(const sc_core::sc_time& arrival, uint64_t bytes);
  void copy(tlm::tlm_generic_payload& trans);

  SramBufferConfig config_;
  ClockDomain clock_;
  EnergyLedger& ledger_;
  CounterId read_counter_[2], write_counter_[2];  // by Side
  DatapathPort datapath_port_;
  std::vector<uint8_t> storage_;
  uint64_t write_generation_ = 0;
  std::vector<sc_core::sc_time> port_free_at_;
  Stats stats_;
};

}  // namespace dlvp

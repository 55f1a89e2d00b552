// Pieces every peripheral register window shares: the access timing (each access occupies the
// block's register interface for a few cycles of its clock, annotated on the TLM delay) and the
// access statistics.
#pragma once
#include "ip/common/params.h"
#include "ip/common/tlm_util.h"

#include <nlohmann/json.hpp>
#include <tlm>

#include <cstdint>

namespace dlvp {

struct RegisterTiming {
  double clock_mhz = 100.0;    // clock of the block's register interface
  uint32_t access_cycles = 1;  // cycles one register access takes

  // Binds the two fields into the owning block's section (e.g. uart.clock_mhz).
  static void bind(ParamBinder& b, RegisterTiming& t) {
    b.real("clock_mhz", t.clock_mhz, "MHz", "clock of the register interface", 1.0, 10000.0);
    b.integer("access_cycles", t.access_cycles, "cycles", "duration of one register access", 0u, 1000u);
  }
  sc_core::sc_time access_delay() const { return ClockDomain(clock_mhz).cycles(access_cycles); }
};

struct RegisterAccessStats {
  uint64_t reads = 0;
  uint64_t writes = 0;
  uint64_t refused = 0;  // answered with a TLM error response

  // Called after the bank answered `trans`.
  void count(const tlm::tlm_generic_payload& trans) {
    if (!trans.is_response_ok()) ++refused;
    else if (trans.is_read()) ++reads;
    else if (trans.is_write()) ++writes;
  }
  void report(nlohmann::json& out) const {
    out["register_reads"] = reads;
    out["register_writes"] = writes;
    out["refused_accesses"] = refused;
  }
};

}  // namespace dlvp

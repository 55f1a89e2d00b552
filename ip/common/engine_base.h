// What every compute engine behind the IFU shares (the CNN cluster, the sparse LSTM engine): a
// clock, a register window — a RegisterBank behind a TLM target socket that answers in one engine
// cycle —, on-chip buffers laid out one after another from local_base in the DMA's local space, and
// a datapath that runs one instruction at a time. The engines add their datapath, registers and
// energy counters; this holds the plumbing once.
#pragma once
#include "ip/common/energy_ledger.h"
#include "ip/common/register_bank.h"
#include "ip/common/sram_buffer.h"
#include "ip/common/tlm_util.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

namespace dlvp {

class EngineBase : public sc_core::sc_module {
 public:
  // Executed instructions each engine keeps a record of (the rest are counted): a program running
  // for hours must not grow the simulator's memory.
  static constexpr uint64_t kKeptInstructionRecords = uint64_t{1} << 16;

  tlm_utils::simple_target_socket<EngineBase> reg_socket;  // the register window

  RegisterBank& registers() { return bank_; }

 protected:
  // The engine sets clock_ once it has validated its configuration.
  EngineBase(sc_core::sc_module_name name, EnergyLedger& ledger, uint64_t local_base, uint32_t window_bytes);

  // Appends a buffer after the previous ones in the local space; returns it.
  SramBuffer& add_buffer(const char* name, const SramBufferConfig& config);
  // The index-th buffer (in the order added); its local address; its size (0 past the last).
  SramBuffer& buffer_at(size_t index);
  uint64_t buffer_base_at(size_t index) const;
  uint64_t buffer_size_at(size_t index) const;

  // An instruction issued at now + delay starts when the previous one has left the datapath and
  // takes `cycles`: delay becomes its end - now; returns its start and end.
  std::pair<sc_core::sc_time, sc_core::sc_time> occupy_datapath(uint64_t cycles, sc_core::sc_time& delay);

  ClockDomain clock_;
  EnergyLedger& ledger_;
  RegisterBank bank_;

 private:
  void reg_b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int reg_transport_dbg(tlm::tlm_generic_payload& trans);

  uint64_t local_base_;
  std::vector<std::unique_ptr<SramBuffer>> buffers_;
  sc_core::sc_time free_at_ = sc_core::SC_ZERO_TIME;  // when the datapath takes the next instruction
};

}  // namespace dlvp

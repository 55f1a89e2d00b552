// What the IFU needs of a compute engine (the CNN cluster, the sparse LSTM engine). The IFU holds
// several: it dispatches a compute instruction to the engine that handles its opcode, and LOAD/STORE
// to the buffers of the engine that reports a non-zero size for the buffer.
#pragma once
#include "ip/common/energy_ledger.h"
#include "ip/ifu/isa.h"

#include <systemc>

#include <cstdint>

namespace dlvp {

class ComputeEngineIf {
 public:
  virtual ~ComputeEngineIf() = default;

  // True for the compute opcodes this engine executes.
  virtual bool handles(uint8_t opcode) const = 0;

  // The engine's buffers in the DMA's local space (LOAD/STORE target them): base and size; size 0
  // for a buffer the engine does not own.
  virtual uint64_t buffer_base(isa::Buffer buffer) const = 0;
  virtual uint64_t buffer_size(isa::Buffer buffer) const = 0;

  // Checks and executes one compute instruction (program index `index`) as if it started at the
  // caller's local time (sc_time_stamp() + delay), counting its energy and per-layer figures under
  // `ledger_tag` (its program's layer, energy_tag.h). On success adds the instruction's execution
  // time to `delay` and returns kErrNone; on error changes nothing and returns the error code.
  // Called from the IFU's compute-queue thread; it never calls wait().
  virtual isa::ErrorCode execute(const isa::Instruction& instruction, uint32_t index, TagId ledger_tag,
                                 sc_core::sc_time& delay) = 0;

  // The IFU's job ended: the per-layer figures of what executed since the last call count as a
  // completed job's, or are dropped when the job did not complete (whole_job_stats.h).
  virtual void end_job(bool completed) = 0;
};

}  // namespace dlvp

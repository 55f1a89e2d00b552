// The sparse LSTM engine (Descartes / ESE) as a TLM module behind the IFU: two on-chip buffers the
// DMA fills and drains (the PEs' weight memories, the vector buffer), a register window with its
// configuration, performance counters and the last stream fault, and execute() for the IFU's
// compute queue: exact arithmetic (lstm_arith), time from the micro-architecture (lstm_timing),
// energy at the buffer, array, rf and mac levels, figures per layer tag. docs/lstm.md, "Engine".
#pragma once
#include "ip/lstm/lstm_arith.h"
#include "ip/lstm/lstm_config.h"
#include "ip/lstm/lstm_timing.h"

#include "ip/common/bounded_records.h"
#include "ip/common/engine_base.h"
#include "ip/common/energy_tag.h"
#include "ip/common/reportable.h"
#include "ip/common/whole_job_stats.h"
#include "ip/ifu/compute_engine_if.h"

#include <systemc>

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

namespace dlvp {

class LstmEngine : public EngineBase, public ComputeEngineIf, public Reportable {
 public:
  // reg_socket (EngineBase): the 4 KiB register window (lstm_regs.h).

  // The weight buffer sits in the DMA's local space at local_base (PE p's memory at p x
  // weight_memory_bytes), the vector buffer right after it. Throws ConfigError (naming the module
  // and the key) when the configuration is out of range.
  LstmEngine(sc_core::sc_module_name name, const LstmConfig& config, EnergyLedger& ledger, uint64_t local_base);

  // ComputeEngineIf: LSTM_SPMV, LSTM_GATES, GRU_GATES (version 3); the buffers kBufLstmWeight and kBufLstmVector.
  bool handles(uint8_t opcode) const override { return isa::is_lstm_opcode(opcode); }
  uint64_t buffer_base(isa::Buffer buffer) const override;
  uint64_t buffer_size(isa::Buffer buffer) const override;
  isa::ErrorCode execute(const isa::Instruction& instruction, uint32_t index, TagId ledger_tag,
                         sc_core::sc_time& delay) override;
  void end_job(bool completed) override { layers_.end_job(completed); }
  // Without an IFU (tests): the instruction's energy and figures go to the bare "layer<tag>".
  isa::ErrorCode execute(const isa::Instruction& instruction, uint32_t index, sc_core::sc_time& delay) {
    return execute(instruction, index, dlvp::layer_tag(ledger_, instruction.header.tag), delay);
  }

  // kBufLstmWeight or kBufLstmVector; the platform binds each one's `socket` to the DMA's local bus.
  SramBuffer& buffer(isa::Buffer buffer);
  const LstmConfig& config() const { return config_; }

  struct InstructionRecord {
    uint32_t index = 0;  // program index
    uint8_t opcode = 0;
    uint32_t tag = 0;    // layer tag (Header.tag)
    TagId ledger_tag = kUntagged;  // the layer of its program (energy_tag.h)
    sc_core::sc_time start, end;
    lstm::LstmTiming timing;
  };
  // The first EngineBase::kKeptInstructionRecords executed instructions; the rest are counted.
  const std::vector<InstructionRecord>& instruction_records() const { return records_.kept(); }
  uint64_t instruction_records_not_kept() const { return records_.not_kept(); }

  using LayerStats = EngineLayerStats<lstm::LstmTiming>;
  // By ledger tag (a program's layer; the ledger bounds them, energy_tag.h): every instruction
  // executed, and those of completed jobs only (what the reports give, whole_job_stats.h).
  const std::map<TagId, LayerStats>& layer_stats() const { return layers_.all(); }
  const std::map<TagId, LayerStats>& completed_layer_stats() const { return layers_.completed(); }
  const lstm::LstmTiming& totals() const { return totals_; }
  uint64_t instructions() const { return instructions_; }
  uint64_t rejected_instructions() const { return rejected_; }

  // A malformed weight stream the engine refused (kErrBadStream).
  struct StreamFaultRecord {
    uint32_t index = 0;  // program index of the LSTM_SPMV
    lstm::StreamFault fault;
  };
  // The first kKeptStreamFaults (each stops a job; a program may retry forever); all are counted
  // (the STREAM_ERRORS register).
  static constexpr uint64_t kKeptStreamFaults = 256;
  const std::vector<StreamFaultRecord>& stream_faults() const { return stream_faults_.kept(); }

  struct Counters {
    CounterId weight_read, pointer_read, broadcast, accumulator, multiply, accumulate, lut_read, elementwise_multiply,
        elementwise_add;
  };
  const Counters& counters() const { return counters_; }

  std::string report_name() const override { return name(); }
  void report(nlohmann::json& out, double elapsed_ns) const override;

 private:
  struct Pmu {
    uint64_t cycles = 0, macs = 0, nonzero_macs = 0, dense_macs = 0, instructions = 0, errors = 0, stream_errors = 0;
  };

  void build_registers();
  void register_counters();
  lstm::EngineMemory memory();

  // An LSTM_SPMV's validated streams, what the PEs walk (`work`) and its timing.
  struct CheckedSpmv {
    lstm::SpmvWork work;
    lstm::LstmTiming timing;
  };
  // Checks the instruction's stream chunks, or finds the verdict of an earlier check of the same
  // chunks (weight_offset, chunk_bytes, rows, cols) with the same channels and flags while the weight
  // memory has not been written since: a resident layer's streams are walked once, not every step.
  // Null when a stream is malformed (`verdict`, `fault` say why).
  const CheckedSpmv* checked_spmv(const isa::LstmSpmv& spmv, const lstm::EngineMemory& memory, lstm::Verdict& verdict,
                                  lstm::StreamFault& fault);
  isa::ErrorCode refuse(const lstm::Verdict& verdict, const isa::Instruction& instruction, uint32_t index);
  lstm::LstmTiming run_spmv(const isa::LstmSpmv& spmv, TagId tag, const CheckedSpmv& checked);
  lstm::LstmTiming run_gates(const isa::LstmGates& gates, TagId tag);
  lstm::LstmTiming run_gru_gates(const isa::GruGates& gates, TagId tag);
  void record(const isa::Instruction& instruction, uint32_t index, TagId ledger_tag, const lstm::LstmTiming& timing,
              const sc_core::sc_time& start, const sc_core::sc_time& end);
  nlohmann::json timing_report(const lstm::LstmTiming& timing) const;
  nlohmann::json layer_report(const LayerStats& layer) const;

  LstmConfig config_;
  SramBuffer* weight_ = nullptr;  // the PEs' weight memories (EngineBase's buffer 0)
  SramBuffer* vector_ = nullptr;  // the vector buffer (buffer 1)
  Counters counters_{};

  using SpmvKey = std::tuple<uint32_t, uint32_t, uint32_t, uint32_t, uint32_t, uint32_t>;
  std::map<SpmvKey, CheckedSpmv> checked_spmv_;
  uint64_t checked_generation_ = 0;  // the weight memory's write generation the verdicts hold for

  BoundedRecords<InstructionRecord> records_{kKeptInstructionRecords};
  EngineLayers<lstm::LstmTiming> layers_;
  lstm::LstmTiming totals_;
  std::array<uint64_t, 3> opcode_counts_{};  // LSTM_SPMV, LSTM_GATES, GRU_GATES
  BoundedRecords<StreamFaultRecord> stream_faults_{kKeptStreamFaults};
  uint64_t instructions_ = 0, rejected_ = 0;
  Pmu pmu_;
};

}  // namespace dlvp

// The CNN PE cluster (Aristotle) as a TLM module: three on-chip buffers the DMA fills and drains,
// a register window with configuration and performance counters, and execute() for the IFU's
// compute queue: exact arithmetic (cnn_arith), time from the micro-architecture (cnn_timing),
// energy at the buffer, array, rf and mac levels, statistics per layer tag. docs/cnn.md.
#pragma once
#include "ip/cnn/cnn_arith.h"
#include "ip/cnn/cnn_config.h"
#include "ip/cnn/cnn_timing.h"

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
#include <vector>

namespace dlvp {

class CnnEngine : public EngineBase, public ComputeEngineIf, public Reportable {
 public:
  // reg_socket (EngineBase): the 4 KiB register window (cnn_regs.h).

  // The buffers sit in the DMA's local space at local_base + {0, input, input + weight} bytes.
  // Throws ConfigError (naming the module and the key) when the configuration is out of range.
  CnnEngine(sc_core::sc_module_name name, const CnnConfig& config, EnergyLedger& ledger, uint64_t local_base);

  // ComputeEngineIf: CONV, FC, POOL, ELTWISE; the buffers 0 .. isa::kCnnBufCount - 1.
  bool handles(uint8_t opcode) const override { return isa::is_cnn_opcode(opcode); }
  uint64_t buffer_base(isa::Buffer buffer) const override;
  uint64_t buffer_size(isa::Buffer buffer) const override;
  isa::ErrorCode execute(const isa::Instruction& instruction, uint32_t index, TagId ledger_tag,
                         sc_core::sc_time& delay) override;
  void end_job(bool completed) override { layers_.end_job(completed); }
  // Without an IFU (tests): the instruction's energy and figures go to the bare "layer<tag>".
  isa::ErrorCode execute(const isa::Instruction& instruction, uint32_t index, sc_core::sc_time& delay) {
    return execute(instruction, index, dlvp::layer_tag(ledger_, instruction.header.tag), delay);
  }

  // The buffers (kBufInput, kBufWeight, kBufOutput); the platform binds each one's `socket` to
  // the DMA's local buffer bus.
  SramBuffer& buffer(isa::Buffer buffer);
  const CnnConfig& config() const { return config_; }
  const cnn::TimingModel& timing_model() const { return timing_; }
  // The ledger tag counts of layer `tag` go to: dlvp::layer_tag ("layer<tag>", energy_tag.h), the
  // one the IFU gives the layer's DMA traffic; created on first use.
  TagId layer_tag(uint32_t tag);

  // One executed instruction.
  struct InstructionRecord {
    uint32_t index = 0;  // program index
    uint8_t opcode = 0;
    uint32_t tag = 0;    // layer tag (Header.tag)
    TagId ledger_tag = kUntagged;  // the layer of its program (energy_tag.h)
    sc_core::sc_time start, end;
    cnn::InstructionTiming timing;  // cycles, busy/stall split, MACs, utilization
  };
  // The first EngineBase::kKeptInstructionRecords executed instructions; the rest are counted.
  const std::vector<InstructionRecord>& instruction_records() const { return records_.kept(); }
  uint64_t instruction_records_not_kept() const { return records_.not_kept(); }

  using LayerStats = EngineLayerStats<cnn::InstructionTiming>;
  // By ledger tag (a program's layer; the ledger bounds them, energy_tag.h): every instruction
  // executed, and those of completed jobs only (what the reports give, whole_job_stats.h).
  const std::map<TagId, LayerStats>& layer_stats() const { return layers_.all(); }
  const std::map<TagId, LayerStats>& completed_layer_stats() const { return layers_.completed(); }
  const cnn::InstructionTiming& totals() const { return totals_; }
  uint64_t instructions() const { return instructions_; }
  uint64_t rejected_instructions() const { return rejected_; }
  double utilization() const;       // MACs / (cycles x multipliers)
  double achieved_gops_busy() const;  // 2 x MACs over the busy time

  // Energy counters of the engine (the buffers have their own: "datapath.read"/"datapath.write" for
  // what the engine moves, "read"/"write" for the DMA's side).
  struct Counters {
    CounterId mul8, add32, cmp8, add16, accumulator, line_buffer, broadcast, lut;
  };
  const Counters& counters() const { return counters_; }

  std::string report_name() const override { return name(); }
  void report(nlohmann::json& out, double elapsed_ns) const override;

 private:
  // Performance counters software reads (PERF_CTRL.CLEAR zeroes them; the statistics stay).
  struct Pmu {
    uint64_t cycles = 0, busy = 0, stall = 0, macs = 0, instructions = 0, errors = 0;
    uint64_t buffer_read = 0, buffer_write = 0, array = 0, rf = 0;
  };

  void build_registers();
  void register_counters();

  cnn::BufferSet buffer_set();
  void count_energy(TagId tag, const cnn::InstructionActivity& activity);
  void record(const isa::Instruction& instruction, uint32_t index, TagId ledger_tag, const cnn::InstructionTiming& t,
              const sc_core::sc_time& start, const sc_core::sc_time& end);
  nlohmann::json layer_report(const LayerStats& layer) const;

  CnnConfig config_;
  cnn::TimingModel timing_;
  cnn::ArithConfig arith_;
  Counters counters_{};

  BoundedRecords<InstructionRecord> records_{kKeptInstructionRecords};
  EngineLayers<cnn::InstructionTiming> layers_;
  cnn::InstructionTiming totals_;
  std::array<uint64_t, 4> opcode_counts_{};  // CONV, FC, POOL, ELTWISE
  uint64_t instructions_ = 0, rejected_ = 0;
  Pmu pmu_;
};

}  // namespace dlvp

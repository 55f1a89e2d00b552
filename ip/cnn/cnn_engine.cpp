#include "ip/cnn/cnn_engine.h"

#include "ip/cnn/cnn_regs.h"
#include "ip/common/log.h"

#include <algorithm>
#include <cmath>

namespace dlvp {

using sc_core::sc_time;

namespace {

constexpr const char* kBufferNames[isa::kCnnBufCount] = {"input_buffer", "weight_buffer", "output_buffer"};
constexpr const char* kOpcodeNames[] = {"conv", "fc", "pool", "eltwise"};
constexpr uint32_t kAccessBits = 16;  // the technology table gives RF energy per 16-bit access

const CnnConfig& checked(const CnnConfig& c, const std::string& module) {
  cnn::validate(c, module);
  return c;
}

uint32_t opcode_slot(uint8_t opcode) { return opcode - isa::kOpConv; }  // compute opcodes are 0x10..0x13

}  // namespace

CnnEngine::CnnEngine(sc_core::sc_module_name name, const CnnConfig& config, EnergyLedger& ledger,
                     uint64_t local_base)
    : EngineBase(name, ledger, local_base, cnn_regs::kWindowBytes),
      config_(checked(config, this->name())),
      timing_(config_),
      arith_{config.accumulator_bits} {
  clock_ = ClockDomain(config_.clock_mhz);
  const uint64_t sizes[isa::kCnnBufCount] = {config_.input_buffer_bytes, config_.weight_buffer_bytes,
                                          config_.output_buffer_bytes};
  const uint32_t ports[isa::kCnnBufCount] = {config_.input_port_bytes, config_.weight_port_bytes,
                                          config_.output_port_bytes};
  for (int b = 0; b < isa::kCnnBufCount; ++b) {
    SramBufferConfig c;
    c.size_bytes = sizes[b];
    c.port_width_bytes = ports[b];
    c.clock_mhz = config_.clock_mhz;
    c.ports = 1;  // the DMA side of a dual-port array; the datapath has its own port (docs/cnn.md)
    // buffer b is the b-th added: input, weight, output
    add_buffer(kBufferNames[b], c).set_datapath_port(DatapathPort{ports[b], config_.clock_mhz});
  }
  register_counters();
  build_registers();
}

// ---------------------------------------------------------------------------------------------
// Buffers

SramBuffer& CnnEngine::buffer(isa::Buffer b) { return buffer_at(b); }

uint64_t CnnEngine::buffer_base(isa::Buffer b) const { return buffer_base_at(b); }

uint64_t CnnEngine::buffer_size(isa::Buffer b) const { return buffer_size_at(b); }

cnn::BufferSet CnnEngine::buffer_set() {
  cnn::BufferSet set;
  for (int b = 0; b < isa::kCnnBufCount; ++b) {
    set.data[b] = buffer_at(b).data();
    set.size[b] = buffer_size_at(b);
  }
  return set;
}

// ---------------------------------------------------------------------------------------------
// Energy

void CnnEngine::register_counters() {
  const std::string module = name();
  // 8-bit transfers at half the table's 16-bit transfer energy (transfer energy ~ width).
  constexpr double kByteOfHalfword = 0.5;
  const double acc_words = std::ceil(double(config_.accumulator_bits) / kAccessBits);
  counters_.mul8 = ledger_.add_counter_from_table(module, "mul8", Level::mac, Action::compute, "int8_mul");
  counters_.add32 = ledger_.add_counter_from_table(module, "add32", Level::mac, Action::compute, "int32_add");
  counters_.cmp8 = ledger_.add_counter_from_table(module, "cmp8", Level::mac, Action::compute, "int8_compare");
  counters_.add16 = ledger_.add_counter_from_table(module, "add16", Level::mac, Action::compute, "int16_add");
  counters_.accumulator =
      ledger_.add_counter_from_table(module, "accumulator", Level::rf, Action::update, "rf_access_16b", acc_words);
  counters_.line_buffer = ledger_.add_counter_from_table(module, "line_buffer", Level::array, Action::update,
                                                         "array_transfer_16b", kByteOfHalfword);
  counters_.broadcast = ledger_.add_counter_from_table(module, "broadcast", Level::array, Action::update,
                                                       "array_transfer_16b", kByteOfHalfword);
  // The activation unit's 256 x 8-bit LUT register file (its fill and its reads), as the LSTM
  // engine's tables: register-file accesses, 8 bits at half the table's 16-bit access.
  counters_.lut = ledger_.add_counter_from_table(module, "activation_lut", Level::rf, Action::update,
                                                 "rf_access_16b", kByteOfHalfword);
}

TagId CnnEngine::layer_tag(uint32_t tag) { return dlvp::layer_tag(ledger_, tag); }

void CnnEngine::count_energy(TagId tag, const cnn::InstructionActivity& a) {
  ledger_.count_tagged(counters_.mul8, a.mul8, tag);
  ledger_.count_tagged(counters_.add32, a.add32, tag);
  ledger_.count_tagged(counters_.cmp8, a.cmp8, tag);
  ledger_.count_tagged(counters_.add16, a.add16, tag);
  ledger_.count_tagged(counters_.accumulator, a.accumulator_accesses, tag);
  ledger_.count_tagged(counters_.line_buffer, a.line_buffer_transfers, tag);
  ledger_.count_tagged(counters_.broadcast, a.broadcast_transfers, tag);
  ledger_.count_tagged(counters_.lut, a.lut_accesses, tag);
  if (a.input_bytes_read) buffer_at(isa::kBufInput).count_reads(a.input_bytes_read, tag);
  if (a.weight_bytes_read) buffer_at(isa::kBufWeight).count_reads(a.weight_bytes_read, tag);
  if (a.output_bytes_read) buffer_at(isa::kBufOutput).count_reads(a.output_bytes_read, tag);
  if (a.output_bytes_written) buffer_at(isa::kBufOutput).count_writes(a.output_bytes_written, tag);

  pmu_.buffer_read += a.input_bytes_read + a.weight_bytes_read + a.output_bytes_read;
  pmu_.buffer_write += a.output_bytes_written;
  pmu_.array += a.line_buffer_transfers + a.broadcast_transfers;
  pmu_.rf += a.accumulator_accesses + a.lut_accesses;
}

// ---------------------------------------------------------------------------------------------
// Execution

isa::ErrorCode CnnEngine::execute(const isa::Instruction& instruction, uint32_t index, TagId ledger_tag,
                                  sc_time& delay) {
  const uint8_t opcode = instruction.header.opcode;
  const cnn::BufferSet set = buffer_set();
  const isa::ErrorCode code = handles(opcode) ? cnn::check(instruction, set) : isa::kErrUnknownOpcode;
  if (code != isa::kErrNone) {
    ++rejected_;
    ++pmu_.errors;
    DLVP_LOG_INFO_LIMITED(name(), "instruction " << index << " (opcode 0x" << std::hex << unsigned(opcode) << std::dec
                                                 << ") rejected with error code " << code);
    return code;
  }
  cnn::execute(instruction, set, arith_);
  const cnn::InstructionCost cost = timing_.cost(instruction);
  const auto [start, end] = occupy_datapath(cost.timing.cycles, delay);
  const TagId tag = ledger_tag;
  count_energy(tag, cost.activity);
  record(instruction, index, tag, cost.timing, start, end);
  return isa::kErrNone;
}

void CnnEngine::record(const isa::Instruction& instruction, uint32_t index, TagId ledger_tag,
                       const cnn::InstructionTiming& t, const sc_time& start, const sc_time& end) {
  const uint32_t tag = instruction.header.tag;
  records_.add(InstructionRecord{index, instruction.header.opcode, tag, ledger_tag, start, end, t});
  layers_.add(ledger_tag, tag, t);
  totals_ += t;
  ++instructions_;
  ++opcode_counts_[opcode_slot(instruction.header.opcode)];

  pmu_.cycles += t.cycles;
  pmu_.busy += t.busy_cycles;
  pmu_.stall += t.stall_cycles();
  pmu_.macs += t.macs;
  ++pmu_.instructions;
}

// ---------------------------------------------------------------------------------------------
// Registers

void CnnEngine::build_registers() {
  using namespace cnn_regs;
  bank_.add_all(kRegisters);
  bank_.set(PES, config_.pes);
  bank_.set(CONVOLVERS, config_.convolvers);
  bank_.set(KERNEL, config_.kernel);
  bank_.set(CLOCK_KHZ, static_cast<uint64_t>(std::llround(config_.clock_mhz * 1000.0)));
  bank_.set(INPUT_BUFFER_BYTES, config_.input_buffer_bytes);
  bank_.set(WEIGHT_BUFFER_BYTES, config_.weight_buffer_bytes);
  bank_.set(OUTPUT_BUFFER_BYTES, config_.output_buffer_bytes);
  bank_.set(INPUT_PORT_BYTES, config_.input_port_bytes);
  bank_.set(WEIGHT_PORT_BYTES, config_.weight_port_bytes);
  bank_.set(OUTPUT_PORT_BYTES, config_.output_port_bytes);
  bank_.set(ACCUMULATOR_BITS, config_.accumulator_bits);
  bank_.bind_counters(pmu_,
                      {{CYCLES, &Pmu::cycles},
                       {BUSY_CYCLES, &Pmu::busy},
                       {STALL_CYCLES, &Pmu::stall},
                       {MACS, &Pmu::macs},
                       {INSTRUCTIONS, &Pmu::instructions},
                       {ERRORS, &Pmu::errors},
                       {BUFFER_READ_BYTES, &Pmu::buffer_read},
                       {BUFFER_WRITE_BYTES, &Pmu::buffer_write},
                       {ARRAY_TRANSFERS, &Pmu::array},
                       {RF_ACCESSES, &Pmu::rf}},
                      PERF_CTRL, kPerfCtrlClear);
}

// ---------------------------------------------------------------------------------------------
// Statistics

double CnnEngine::utilization() const {
  return totals_.cycles ? double(totals_.macs) / (double(totals_.cycles) * double(timing_.multipliers())) : 0.0;
}

double CnnEngine::achieved_gops_busy() const {
  const double busy_ns = double(totals_.busy_cycles) * 1e3 / config_.clock_mhz;
  return busy_ns > 0 ? 2.0 * double(totals_.macs) / busy_ns : 0.0;
}

namespace {

void timing_report(nlohmann::json& out, const cnn::InstructionTiming& t, uint64_t multipliers, double clock_mhz) {
  out["cycles"] = t.cycles;
  out["busy_cycles"] = t.busy_cycles;
  out["stall_cycles"] = t.stall_cycles();
  out["fill_cycles"] = t.fill_cycles;
  out["drain_cycles"] = t.drain_cycles;
  out["weight_stall_cycles"] = t.weight_stall_cycles;
  out["input_port_stall_cycles"] = t.input_port_stall_cycles;
  out["output_port_stall_cycles"] = t.output_port_stall_cycles;
  out["postprocess_cycles"] = t.postprocess_cycles;
  out["overhead_cycles"] = t.overhead_cycles;
  out["imbalance_pe_cycles"] = t.imbalance_pe_cycles;
  out["macs"] = t.macs;
  out["time_ns"] = double(t.cycles) * 1e3 / clock_mhz;
  out["busy_fraction"] = t.cycles ? double(t.busy_cycles) / double(t.cycles) : 0.0;
  out["utilization"] = t.cycles ? double(t.macs) / (double(t.cycles) * double(multipliers)) : 0.0;
}

}  // namespace

nlohmann::json CnnEngine::layer_report(const LayerStats& layer) const {
  nlohmann::json out;
  out["tag"] = layer.tag;
  out["instructions"] = layer.instructions;
  timing_report(out, layer.timing, timing_.multipliers(), config_.clock_mhz);
  report_tag(ledger_, layer.ledger_tag, out);
  return out;
}

void CnnEngine::report(nlohmann::json& out, double /*elapsed_ns*/) const {
  out["pes"] = config_.pes;
  out["convolvers"] = config_.convolvers;
  out["kernel"] = config_.kernel;
  out["clock_MHz"] = config_.clock_mhz;
  out["multipliers"] = timing_.multipliers();
  out["peak_GOPS"] = timing_.peak_gops();
  out["instructions"] = instructions_;
  out["rejected_instructions"] = rejected_;
  out["instruction_records_not_kept"] = records_.not_kept();
  for (size_t i = 0; i < opcode_counts_.size(); ++i) out["instructions_by_opcode"][kOpcodeNames[i]] = opcode_counts_[i];
  timing_report(out, totals_, timing_.multipliers(), config_.clock_mhz);
  out["achieved_GOPS_busy"] = achieved_gops_busy();
  out["achieved_GOPS"] = totals_.cycles ? 2.0 * double(totals_.macs) * config_.clock_mhz * 1e-3 / double(totals_.cycles)
                                        : 0.0;
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& [ledger_tag, layer] : layers_.completed()) layers.push_back(layer_report(layer));
  out["layers"] = layers;
}

}  // namespace dlvp

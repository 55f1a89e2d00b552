#include "ip/lstm/lstm_engine.h"

#include "ip/common/energy_tag.h"
#include "ip/common/log.h"
#include "ip/lstm/lstm_regs.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace dlvp {

using sc_core::sc_time;

namespace {

constexpr uint32_t kAccessBits = 16;      // the technology table's RF access is 16 bits wide
constexpr uint64_t kSramWordBytes = 8;    // its SRAM access is 64 bits wide
constexpr uint64_t kPointersPerColumn = 2;  // a column's start and end pointer
// Element-wise work per cell (docs/lstm.md, "Engine: energy"): five LUT lookups (i, f, g, o,
// tanh c_t) of two samples each, each interpolated by a multiply and an add; the products f c,
// i g, o tanh(c) and the add of c_t; with peepholes three more multiplies and adds.
constexpr uint64_t kLookupsPerCell = 5, kSamplesPerLookup = 2;
constexpr uint64_t kProductsPerCell = 3, kAddsPerCell = 1, kPeepholeOpsPerCell = 3;
constexpr uint64_t kAccBytes = 8, kBiasBytes = 4, kValueBytes = 2;

// Element-wise work per unit of a GRU_GATES stage (docs/lstm.md, "GRU: energy"): each lookup
// interpolates two samples with a multiply and an add, as LSTM_GATES's.
struct GruStageWork {
  uint64_t lookups, products, adds, accumulators_read;
};
GruStageWork gru_stage_work(const isa::GruGates& g) {
  if (g.stage == 0) return {1, 1, 1, 2};  // r = sigmoid(x_r + R_r h); r . h
  if (g.header.flags & isa::kFlagLinearBeforeReset)
    return {3, 3, 5, 6};  // z, r, n; r (R_h h + Rb_h), (1 - z) n, z h; 3 gate sums, 1 - z, the mix
  return {2, 2, 4, 4};    // z, n; (1 - z) n, z h; 2 gate sums, 1 - z, the mix
}

const LstmConfig& checked(const LstmConfig& c, const std::string& module) {
  lstm::validate(c, module);
  return c;
}

SramBufferConfig buffer_config(uint64_t bytes, const LstmConfig& c) {
  SramBufferConfig b;
  b.size_bytes = bytes;
  b.port_width_bytes = c.buffer_port_bytes;
  b.clock_mhz = c.clock_mhz;
  b.ports = 1;  // the DMA side; the PEs and the element-wise unit have their own ports
  return b;
}

constexpr std::array<uint8_t, 3> kOpcodes = {isa::kOpLstmSpmv, isa::kOpLstmGates, isa::kOpGruGates};
const char* opcode_name(uint8_t opcode) {
  return opcode == isa::kOpLstmSpmv ? "spmv" : opcode == isa::kOpLstmGates ? "gates" : "gru_gates";
}
size_t opcode_slot(uint8_t opcode) {
  return static_cast<size_t>(std::find(kOpcodes.begin(), kOpcodes.end(), opcode) - kOpcodes.begin());
}

}  // namespace

LstmEngine::LstmEngine(sc_core::sc_module_name name, const LstmConfig& config, EnergyLedger& ledger,
                       uint64_t local_base)
    : EngineBase(name, ledger, local_base, lstm_regs::kWindowBytes), config_(checked(config, this->name())) {
  clock_ = ClockDomain(config_.clock_mhz);
  weight_ = &add_buffer("weight_memory", buffer_config(config_.weight_buffer_bytes(), config_));
  vector_ = &add_buffer("vector_buffer", buffer_config(config_.vector_buffer_bytes, config_));
  register_counters();
  build_registers();
}

// ---------------------------------------------------------------------------------------------
// Buffers

SramBuffer& LstmEngine::buffer(isa::Buffer b) {
  if (b == isa::kBufLstmWeight) return *weight_;
  if (b == isa::kBufLstmVector) return *vector_;
  throw std::out_of_range(std::string(name()) + " owns no buffer " + std::to_string(b));
}

// kBufLstmWeight and kBufLstmVector are EngineBase's buffers 0 and 1.
uint64_t LstmEngine::buffer_base(isa::Buffer b) const {
  return buffer_base_at(b == isa::kBufLstmVector ? 1 : 0);
}

uint64_t LstmEngine::buffer_size(isa::Buffer b) const {
  return b == isa::kBufLstmWeight || b == isa::kBufLstmVector ? buffer_size_at(b - isa::kBufLstmWeight) : 0;
}

lstm::EngineMemory LstmEngine::memory() {
  lstm::EngineMemory m;
  m.weight = weight_->data();
  m.slice_bytes = config_.weight_memory_bytes;
  m.pes = config_.pes;
  m.vector = vector_->data();
  m.vector_bytes = vector_->size();
  m.accumulator_bits = config_.accumulator_bits;
  return m;
}

// ---------------------------------------------------------------------------------------------
// Energy

void LstmEngine::register_counters() {
  const std::string module = name();
  const TechTable& tech = ledger_.tech();
  // A PE reads its own weight memory (one slice), so its accesses cost what an array of the
  // slice's size costs; the table's SRAM figure is per 64-bit access.
  const double slice_read_64b = tech.sram_access_64b(config_.weight_memory_bytes, false);
  const std::string slice_source = "tech:" + tech.name() + " sram_access_64b(" +
                                   std::to_string(config_.weight_memory_bytes) + " B) (" + tech.sram_source() + ")";
  counters_.weight_read = ledger_.add_counter(CounterSpec{module, "weight_read", Level::buffer, Action::read,
                                                          slice_read_64b * 16.0 / 64.0, "16-bit entry",
                                                          slice_source + " x 16/64"});
  counters_.pointer_read = ledger_.add_counter(CounterSpec{module, "pointer_read", Level::buffer, Action::read,
                                                           slice_read_64b * 32.0 / 64.0, "32-bit pointer",
                                                           slice_source + " x 32/64"});
  counters_.broadcast = ledger_.add_counter_from_table(module, "broadcast", Level::array, Action::update,
                                                       "array_transfer_16b");
  // An accumulator update reads and writes one accumulator of accumulator_bits.
  const double acc_words = std::ceil(double(config_.accumulator_bits) / kAccessBits);
  counters_.accumulator =
      ledger_.add_counter_from_table(module, "accumulator", Level::rf, Action::update, "rf_access_16b", 2 * acc_words);
  counters_.multiply = ledger_.add_counter_from_table(module, "mul12x16", Level::mac, Action::compute, "int12x16_mul");
  counters_.accumulate = ledger_.add_counter_from_table(module, "accumulate", Level::mac, Action::compute, "int32_add",
                                                        double(config_.accumulator_bits) / 32.0);
  // The sigmoid and tanh tables (1025 x 16 bits each) sit next to the element-wise lanes: rf level.
  counters_.lut_read = ledger_.add_counter_from_table(module, "lut_read", Level::rf, Action::read, "rf_access_16b");
  counters_.elementwise_multiply =
      ledger_.add_counter_from_table(module, "elementwise_mul16", Level::mac, Action::compute, "int16_mul");
  counters_.elementwise_add =
      ledger_.add_counter_from_table(module, "elementwise_add32", Level::mac, Action::compute, "int32_add");
}

// ---------------------------------------------------------------------------------------------
// Execution

isa::ErrorCode LstmEngine::execute(const isa::Instruction& instruction, uint32_t index, TagId ledger_tag,
                                  sc_time& delay) {
  const uint8_t opcode = instruction.header.opcode;
  const lstm::EngineMemory m = memory();
  const TagId tag = ledger_tag;
  lstm::LstmTiming timing;
  if (opcode == isa::kOpLstmSpmv) {
    lstm::Verdict verdict = lstm::check_spmv_operands(instruction.lstm_spmv, m);
    if (!verdict.ok()) return refuse(verdict, instruction, index);
    lstm::StreamFault fault;
    const CheckedSpmv* checked = checked_spmv(instruction.lstm_spmv, m, verdict, fault);
    if (verdict.code == isa::kErrBadStream) {
      stream_faults_.add(StreamFaultRecord{index, fault});
      ++pmu_.stream_errors;
      bank_.set(lstm_regs::LAST_STREAM_ERROR,
                uint64_t{fault.check.error} | (uint64_t{fault.pe} << lstm_regs::kStreamErrorPeShift));
      bank_.set(lstm_regs::LAST_STREAM_INDEX, fault.check.index);
    }
    if (!checked) return refuse(verdict, instruction, index);
    lstm::execute_spmv(instruction.lstm_spmv, m);
    timing = run_spmv(instruction.lstm_spmv, tag, *checked);
  } else if (opcode == isa::kOpLstmGates) {
    const lstm::Verdict verdict = lstm::check_gates(instruction.lstm_gates, m);
    if (!verdict.ok()) return refuse(verdict, instruction, index);
    lstm::execute_gates(instruction.lstm_gates, m);
    timing = run_gates(instruction.lstm_gates, tag);
  } else if (opcode == isa::kOpGruGates) {
    const lstm::Verdict verdict = lstm::check_gru_gates(instruction.gru_gates, m);
    if (!verdict.ok()) return refuse(verdict, instruction, index);
    lstm::execute_gru_gates(instruction.gru_gates, m);
    timing = run_gru_gates(instruction.gru_gates, tag);
  } else {
    return refuse(lstm::Verdict{isa::kErrUnknownOpcode, "not an LSTM opcode"}, instruction, index);
  }
  const auto [start, end] = occupy_datapath(timing.cycles, delay);
  record(instruction, index, tag, timing, start, end);
  return isa::kErrNone;
}

const LstmEngine::CheckedSpmv* LstmEngine::checked_spmv(const isa::LstmSpmv& s, const lstm::EngineMemory& m,
                                                        lstm::Verdict& verdict, lstm::StreamFault& fault) {
  constexpr uint16_t kFlags = isa::kFlagAccFirst | isa::kFlagAccLast | isa::kFlagNoBias;
  constexpr size_t kMaxChecked = 4096;  // distinct chunks remembered (a resident layer has a few)
  if (weight_->write_generation() != checked_generation_ || checked_spmv_.size() >= kMaxChecked) {
    checked_spmv_.clear();
    checked_generation_ = weight_->write_generation();
  }
  const SpmvKey key{s.weight_offset, s.chunk_bytes, s.rows, s.cols, s.channels, s.header.flags & kFlags};
  if (const auto hit = checked_spmv_.find(key); hit != checked_spmv_.end()) return &hit->second;
  CheckedSpmv checked;
  verdict = lstm::check_spmv_streams(s, m, checked.work, fault);
  if (!verdict.ok()) return nullptr;
  checked.timing = lstm::spmv_timing(config_, checked.work);
  return &checked_spmv_.emplace(key, std::move(checked)).first->second;
}

isa::ErrorCode LstmEngine::refuse(const lstm::Verdict& verdict, const isa::Instruction& instruction, uint32_t index) {
  ++rejected_;
  ++pmu_.errors;
  std::ostringstream line;
  line << "instruction " << index << " (opcode 0x" << std::hex << unsigned(instruction.header.opcode) << std::dec
       << ") refused with error code " << verdict.code << ": " << verdict.reason;
  // A malformed stream is data gone wrong in DDR, worth a warning; a bad field is the program's.
  if (verdict.code == isa::kErrBadStream) DLVP_LOG_WARN_LIMITED(name(), line.str());
  else DLVP_LOG_INFO_LIMITED(name(), line.str());
  return verdict.code;
}

lstm::LstmTiming LstmEngine::run_spmv(const isa::LstmSpmv& s, TagId tag, const CheckedSpmv& checked) {
  const lstm::SpmvWork& w = checked.work;
  const lstm::LstmTiming& t = checked.timing;
  const uint64_t accs = uint64_t{s.channels} * s.rows;
  ledger_.count_tagged(counters_.weight_read, t.entries, tag);
  ledger_.count_tagged(counters_.pointer_read, kPointersPerColumn * s.cols * config_.pes, tag);
  ledger_.count_tagged(counters_.broadcast, uint64_t{s.cols} * s.channels * config_.pes, tag);
  ledger_.count_tagged(counters_.accumulator, t.macs, tag);
  ledger_.count_tagged(counters_.multiply, t.macs, tag);
  ledger_.count_tagged(counters_.accumulate, t.macs, tag);
  // Vector buffer: the broadcast inputs, the accumulators' (or the bias's) way in and out.
  uint64_t read = uint64_t{s.cols} * s.channels * kValueBytes;
  read += !w.acc_first ? accs * kAccBytes : w.bias ? uint64_t{s.rows} * kBiasBytes : 0;
  const uint64_t written = w.acc_last ? accs * kValueBytes : accs * kAccBytes;
  vector_->count_reads(read, tag);
  vector_->count_writes(written, tag);
  return t;
}

lstm::LstmTiming LstmEngine::run_gates(const isa::LstmGates& g, TagId tag) {
  const lstm::LstmTiming t = lstm::gates_timing(config_, g.hidden, g.channels);
  const bool peephole = g.header.flags & isa::kFlagPeephole;
  const uint64_t cells = t.cells;
  const uint64_t peephole_ops = peephole ? kPeepholeOpsPerCell : 0;
  ledger_.count_tagged(counters_.lut_read, cells * kLookupsPerCell * kSamplesPerLookup, tag);
  ledger_.count_tagged(counters_.elementwise_multiply, cells * (kProductsPerCell + kLookupsPerCell + peephole_ops), tag);
  ledger_.count_tagged(counters_.elementwise_add, cells * (kAddsPerCell + kLookupsPerCell + peephole_ops), tag);
  uint64_t read = cells * (lstm::kGateCount * kAccBytes + kValueBytes);  // accumulators, c_{t-1}
  if (peephole) read += uint64_t{lstm::kPeepholeCount} * g.hidden * kValueBytes;
  vector_->count_reads(read, tag);
  vector_->count_writes(cells * 2 * kValueBytes, tag);  // c_t, h_t
  return t;
}

lstm::LstmTiming LstmEngine::run_gru_gates(const isa::GruGates& g, TagId tag) {
  const lstm::LstmTiming t = lstm::gates_timing(config_, g.hidden, g.channels);
  const GruStageWork w = gru_stage_work(g);
  const uint64_t units = t.cells;
  ledger_.count_tagged(counters_.lut_read, units * w.lookups * kSamplesPerLookup, tag);
  ledger_.count_tagged(counters_.elementwise_multiply, units * (w.products + w.lookups), tag);
  ledger_.count_tagged(counters_.elementwise_add, units * (w.adds + w.lookups), tag);
  vector_->count_reads(units * (w.accumulators_read * kAccBytes + kValueBytes), tag);  // sums, h_{t-1}
  vector_->count_writes(units * kValueBytes, tag);  // r . h_{t-1} or h_t
  return t;
}

void LstmEngine::record(const isa::Instruction& instruction, uint32_t index, TagId ledger_tag,
                        const lstm::LstmTiming& t, const sc_time& start, const sc_time& end) {
  const uint32_t tag = instruction.header.tag;
  records_.add(InstructionRecord{index, instruction.header.opcode, tag, ledger_tag, start, end, t});
  ++opcode_counts_[opcode_slot(instruction.header.opcode)];
  layers_.add(ledger_tag, tag, t);
  totals_ += t;
  ++instructions_;
  pmu_.cycles += t.cycles;
  pmu_.macs += t.macs;
  pmu_.nonzero_macs += t.nonzero_macs;
  pmu_.dense_macs += t.dense_macs;
  ++pmu_.instructions;
}

// ---------------------------------------------------------------------------------------------
// Registers

void LstmEngine::build_registers() {
  using namespace lstm_regs;
  bank_.add_all(kRegisters);
  bank_.set(PES, config_.pes);
  bank_.set(CLOCK_KHZ, static_cast<uint64_t>(std::llround(config_.clock_mhz * 1000.0)));
  bank_.set(WEIGHT_MEMORY_BYTES, config_.weight_memory_bytes);
  bank_.set(VECTOR_BUFFER_BYTES, config_.vector_buffer_bytes);
  bank_.set(FIFO_DEPTH, config_.fifo_depth);
  bank_.set(ACCUMULATOR_BITS, config_.accumulator_bits);
  bank_.set(MACS_PER_PE, config_.macs_per_pe);
  bank_.set(ELEMENTWISE_LANES, config_.elementwise_lanes);
  bank_.bind_counters(pmu_,
                      {{CYCLES, &Pmu::cycles},
                       {MACS, &Pmu::macs},
                       {NONZERO_MACS, &Pmu::nonzero_macs},
                       {DENSE_MACS, &Pmu::dense_macs},
                       {INSTRUCTIONS, &Pmu::instructions},
                       {ERRORS, &Pmu::errors},
                       {STREAM_ERRORS, &Pmu::stream_errors}},
                      PERF_CTRL, kPerfCtrlClear);
}

// ---------------------------------------------------------------------------------------------
// Statistics

nlohmann::json LstmEngine::timing_report(const lstm::LstmTiming& t) const {
  nlohmann::json out;
  out["cycles"] = t.cycles;
  out["column_cycles"] = t.column_cycles;
  out["fill_cycles"] = t.fill_cycles;
  out["output_cycles"] = t.output_cycles;
  out["elementwise_cycles"] = t.elementwise_cycles;
  out["broadcast_stall_cycles"] = t.broadcast_stall_cycles;
  out["pointer_pe_cycles"] = t.pointer_cycles;
  out["time_ns"] = double(t.cycles) * 1e3 / config_.clock_mhz;
  out["entries"] = t.entries;
  out["macs"] = t.macs;
  out["nonzero_macs"] = t.nonzero_macs;
  out["dense_macs"] = t.dense_macs;
  const lstm::PeLoad load = t.pe_load();
  out["pe_entries"] = {{"min", load.min}, {"mean", load.mean}, {"max", load.max}, {"imbalance", load.imbalance()}};
  out["effective_GOPS"] = t.effective_gops(config_.clock_mhz);
  out["dense_equivalent_GOPS"] = t.dense_equivalent_gops(config_.clock_mhz);
  return out;
}

nlohmann::json LstmEngine::layer_report(const LayerStats& layer) const {
  nlohmann::json out = timing_report(layer.timing);
  out["tag"] = layer.tag;
  out["instructions"] = layer.instructions;
  report_tag(ledger_, layer.ledger_tag, out);
  return out;
}

void LstmEngine::report(nlohmann::json& out, double /*elapsed_ns*/) const {
  out["pes"] = config_.pes;
  out["clock_MHz"] = config_.clock_mhz;
  out["fifo_depth"] = config_.fifo_depth;
  out["macs_per_pe"] = config_.macs_per_pe;
  out["instructions"] = instructions_;
  out["rejected_instructions"] = rejected_;
  nlohmann::json faults = nlohmann::json::array();
  for (const StreamFaultRecord& f : stream_faults_.kept())
    faults.push_back({{"instruction", f.index},
                      {"pe", f.fault.pe},
                      {"stream_error", unsigned{f.fault.check.error}},
                      {"stream_error_name", lstm::to_string(f.fault.check.error)},
                      {"index", f.fault.check.index}});
  out["stream_faults"] = faults;
  out["stream_faults_not_kept"] = stream_faults_.not_kept();
  out["instruction_records_not_kept"] = records_.not_kept();
  for (const uint8_t op : kOpcodes) out["instructions_by_opcode"][opcode_name(op)] = opcode_counts_[opcode_slot(op)];
  out["totals"] = timing_report(totals_);
  nlohmann::json layers = nlohmann::json::array();
  for (const auto& [ledger_tag, layer] : layers_.completed()) layers.push_back(layer_report(layer));
  out["layers"] = layers;
}

}  // namespace dlvp

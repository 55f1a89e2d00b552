#include "sw/driver/accel_driver.h"

#include "ip/cnn/cnn_regs.h"
#include "ip/ifu/ifu_regs.h"
#include "ip/lstm/lstm_regs.h"
#include "ip/common/soc_map.h"
#include "platform/cpu_ops.h"
#include "sw/hal/hal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

namespace drv {

using namespace dlvp;

Accelerator::~Accelerator() { free(stage_memory_); }

bool Accelerator::init(Intc* intc) {
  hal::Device ifu, cnn, lstm, ddr;
  if (!hal::find_device(soc::kDevDdr, &ddr) || !hal::find_device(soc::kDevIfu, &ifu)) return false;
  ddr_base_ = ddr.base;
  ddr_size_ = ddr.size;
  ifu_ = ifu.base;
  irq_ = ifu.irq;
  intc_ = intc;
  if (irq_ != soc::kNoIrq) intc_->enable(irq_);
  if (hal::find_device(soc::kDevLstm, &lstm)) {
    lstm_base_ = lstm.base;
    lstm_.pes = hal::read32(lstm_base_ + lstm_regs::PES);
    lstm_.clock_khz = hal::read32(lstm_base_ + lstm_regs::CLOCK_KHZ);
    lstm_.accumulator_bits = hal::read32(lstm_base_ + lstm_regs::ACCUMULATOR_BITS);
    lstm_.weight_memory_bytes = hal::read32(lstm_base_ + lstm_regs::WEIGHT_MEMORY_BYTES);
    lstm_.vector_buffer_bytes = hal::read32(lstm_base_ + lstm_regs::VECTOR_BUFFER_BYTES);
  }
  const bool version_ok = hal::read32(ifu_ + ifu::VERSION) == isa::kVersion;
  if (!hal::find_device(soc::kDevCnn, &cnn)) return version_ok && has_lstm();
  cnn_base_ = cnn.base;
  cnn_.pes = hal::read32(cnn_base_ + cnn_regs::PES);
  cnn_.convolvers = hal::read32(cnn_base_ + cnn_regs::CONVOLVERS);
  cnn_.kernel = hal::read32(cnn_base_ + cnn_regs::KERNEL);
  cnn_.clock_khz = hal::read32(cnn_base_ + cnn_regs::CLOCK_KHZ);
  cnn_.input_buffer_bytes = hal::read32(cnn_base_ + cnn_regs::INPUT_BUFFER_BYTES);
  cnn_.weight_buffer_bytes = hal::read32(cnn_base_ + cnn_regs::WEIGHT_BUFFER_BYTES);
  cnn_.output_buffer_bytes = hal::read32(cnn_base_ + cnn_regs::OUTPUT_BUFFER_BYTES);
  cnn_.accumulator_bits = hal::read32(cnn_base_ + cnn_regs::ACCUMULATOR_BITS);
  return version_ok;
}

const char* Accelerator::refuse(const char* format, ...) {
  va_list args;
  va_start(args, format);
  vsnprintf(refusal_.text, sizeof refusal_.text, format, args);
  va_end(args);
  return refusal_.text;
}

const char* Accelerator::open_package(uint64_t address) {
  package_ = address;
  header_open_ = false;
  header_ = package::PackageHeader{};
  const char* problem = check_package(address);
  if (problem && !header_open_) header_ = package::PackageHeader{};
  return problem;
}

const char* Accelerator::check_package(uint64_t address) {
  using ull = unsigned long long;
  if (address < ddr_base_ || address - ddr_base_ >= ddr_size_)
    return refuse("address 0x%llx outside DDR [0x%llx, 0x%llx)", ull(address), ull(ddr_base_), ull(ddr_end()));
  const uint64_t available = ddr_end() - address;
  if (available >= sizeof header_) hal::copy_from_soc(&header_, address, sizeof header_);
  if (package::validate_header(header_, available, &refusal_)) return refusal_.text;
  if (const char* problem = check_checksum(address)) {
    header_open_ = true;  // the header passed its checks: a self-test may still run the stream
    return problem;
  }
  const char* problem = check_layers();
  if (!problem) problem = check_stages();
  if (!problem) problem = check_input_tables();
  if (!problem) problem = check_engines();
  header_open_ = problem == nullptr;
  return problem;
}

// The checksum covers the whole package (its field taken as zero); read it in chunks.
const char* Accelerator::check_checksum(uint64_t address) {
  uint8_t chunk[1024];
  uint32_t hash = package::kChecksumBasis;
  for (uint64_t done = 0; done < header_.total_bytes;) {
    const uint64_t n = header_.total_bytes - done < sizeof chunk ? header_.total_bytes - done : sizeof chunk;
    hal::copy_from_soc(chunk, address + done, n);
    hash = package::checksum_part(chunk, done, n, hash);
    done += n;
  }
  if (hash != header_.checksum) return "checksum mismatch (corrupt or truncated package)";
  return nullptr;
}

// The layer records, then the optional sections the driver does not use (the prediction, the whole
// names): checked all the same, so that every reader accepts and refuses the same packages.
const char* Accelerator::check_layers() {
  uint64_t predicted_so_far = 0;
  for (uint32_t i = 0; i < header_.layer_count; ++i) {
    package::LayerRecord record;
    hal::copy_from_soc(&record, package_ + header_.layers_offset + uint64_t{i} * sizeof record, sizeof record);
    if (package::validate_layer(header_, record, i, &refusal_)) return refusal_.text;
    if (header_.prediction_size != 0) {
      package::LayerPrediction p;
      hal::copy_from_soc(&p, package_ + header_.prediction_offset + uint64_t{i} * sizeof p, sizeof p);
      if (package::validate_layer_prediction(header_, p, i, &predicted_so_far, &refusal_)) return refusal_.text;
    }
    if (header_.names_size != 0) {
      package::LayerNameEntry e;
      hal::copy_from_soc(&e, package_ + header_.names_offset + uint64_t{i} * sizeof e, sizeof e);
      if (package::validate_layer_name(header_, e, nullptr, i, &refusal_)) return refusal_.text;
      char name[package::kMaxLayerNameBytes];
      if (e.bytes != 0) hal::copy_from_soc(name, package_ + header_.names_offset + e.offset, e.bytes);
      if (package::validate_layer_name(header_, e, name, i, &refusal_)) return refusal_.text;
    }
  }
  return nullptr;
}

package::StageRecord Accelerator::stage(uint32_t index) const {
  package::StageRecord s;
  hal::copy_from_soc(&s, package_ + header_.stages_offset + uint64_t{index} * sizeof s, sizeof s);
  return s;
}

// The stages (version 7), each with the layer record a CPU stage names; a package with CPU stages
// needs the memory for their tensors (taken from the heap once, kept for later packages).
const char* Accelerator::check_stages() {
  for (uint32_t i = 0; i < header_.stage_count; ++i) {
    const package::StageRecord s = stage(i);
    if (package::validate_stage(header_, s, i, nullptr, &refusal_)) return refusal_.text;
    if (s.kind != package::kStageCpu) continue;
    package::LayerRecord layer;
    hal::copy_from_soc(&layer, package_ + header_.layers_offset + uint64_t{s.layer} * sizeof layer, sizeof layer);
    if (package::validate_stage(header_, s, i, &layer, &refusal_)) return refusal_.text;
    if (!stage_memory_) stage_memory_ = static_cast<uint8_t*>(malloc(kStageMemoryBytes));
    if (!stage_memory_)
      return refuse("no memory for the CPU stages' tensors (%u bytes)", unsigned(kStageMemoryBytes));
  }
  return nullptr;
}

const char* Accelerator::check_input_tables() {
  const uint32_t entries = header_.input_table_channels * package::kInputTableEntries;
  if (entries == 0) return nullptr;
  hal::copy_from_soc(input_tables_, package_ + header_.input_table_offset, entries * sizeof(int16_t));
  return package::validate_input_tables(header_, input_tables_, &refusal_) ? refusal_.text : nullptr;
}

const int16_t* Accelerator::input_table(uint32_t channel) const {
  const uint32_t tables = header_.input_table_channels;
  if (tables == 0) return nullptr;
  return input_tables_ + (tables == 1 ? 0 : channel % tables) * package::kInputTableEntries;
}

// A package names what it needs of each engine (pes 0: not used); the platform's classification
// (platform/hardware_binding.h) names the first parameter it cannot run with and both values.
const char* Accelerator::check_engines() {
  if (header_.hardware.pes != 0 && !has_cnn()) return "package needs the CNN engine, which this SoC does not have";
  if (header_.lstm.pes != 0 && !has_lstm())
    return "package needs the sparse LSTM engine, which this SoC does not have";
  package::HardwareAtHand hw;
  hw.has_cnn = has_cnn(), hw.has_lstm = has_lstm();
  hw.cnn = package::HardwareRequirements{isa::kVersion, cnn_.pes, cnn_.convolvers, cnn_.kernel,
                                         cnn_.input_buffer_bytes, cnn_.weight_buffer_bytes, cnn_.output_buffer_bytes,
                                         cnn_.accumulator_bits, 0};
  hw.lstm = package::LstmRequirements{lstm_.pes, lstm_.accumulator_bits, lstm_.weight_memory_bytes,
                                      lstm_.vector_buffer_bytes};
  package::ParameterList differences;
  package::compare_hardware(header_, hw, &differences);
  const package::ParameterDifference* d = differences.first(package::kBindRefuse);
  if (!d) return nullptr;
  using ull = unsigned long long;
  return refuse("package compiled for %s = %llu, this SoC has %llu: %s", d->key, ull(d->package_value),
                ull(d->platform_value), d->reason);
}

package::LayerRecord Accelerator::layer(uint32_t index) const {
  package::LayerRecord record{};
  if (header_open_ && index < header_.layer_count)
    hal::copy_from_soc(&record, package_ + header_.layers_offset + uint64_t{index} * sizeof record, sizeof record);
  record.name[sizeof record.name - 1] = 0;
  return record;
}

uint64_t Accelerator::window_size(uint32_t kind) const {
  uint64_t bytes = 0;
  for (const package::ArgWindow& w : header_.args)
    if (w.kind == kind) bytes += w.size;
  return bytes;
}

namespace {

uint64_t align_page(uint64_t v) { return (v + 4095) / 4096 * 4096; }

}  // namespace

const char* Accelerator::place_job_tensors(uint64_t free, bool use_test_input, JobTensors* tensors) {
  using ull = unsigned long long;
  if (!header_open_) return "no package is open";
  if (free < ddr_base_ || free > ddr_end())
    return refuse("the job's tensors would start at 0x%llx, outside DDR [0x%llx, 0x%llx)", ull(free), ull(ddr_base_),
                  ull(ddr_end()));
  // Windows are at most package::kMaxWindowBytes each (validate_header): no sum below can overflow.
  JobTensors& t = *tensors;
  const bool in_package = use_test_input && header_.test_input_size != 0;
  t.input = in_package ? package_ + header_.test_input_offset : align_page(free);
  t.output = align_page(in_package ? free : t.input + window_size(package::kArgInput));
  t.scratch = align_page(t.output + window_size(package::kArgOutput));
  t.end = align_page(t.scratch + window_size(package::kArgScratch));
  if (t.end > ddr_end())
    return refuse("the job's input, output and scratch windows (from 0x%llx to 0x%llx) do not fit in DDR (end 0x%llx)",
                  ull(free), ull(t.end), ull(ddr_end()));
  return nullptr;
}

int start_accelerator_app(const char* app, Intc& intc, Accelerator& accel, Pmu& pmu, uint64_t package) {
  if (!intc.init() || !accel.init(&intc) || !pmu.init()) {
    hal::console_printf("%s: this SoC has no interrupt controller, accelerator or PMU\n", app);
    return 1;
  }
  if (const char* problem = accel.open_package(package)) {
    hal::console_printf("%s: package at 0x%llx refused: %s\n", app, static_cast<unsigned long long>(package), problem);
    return 2;
  }
  return 0;
}

JobResult Accelerator::run(uint64_t input, uint64_t output, uint64_t scratch) {
  if (!start(input, output, scratch)) return JobResult{kErrNoPackage, 0, 0, 0, false, 0};
  return wait();
}

bool Accelerator::start(uint64_t input, uint64_t output, uint64_t scratch) {
  if (!header_open_) return false;
  for (uint32_t a = 0; a < package::kArgCount; ++a) {
    const package::ArgWindow& w = header_.args[a];
    uint64_t base = 0;
    switch (w.kind) {
      case package::kArgInPackage: base = package_ + w.offset; break;
      case package::kArgInput: base = input; break;
      case package::kArgOutput: base = output; break;
      case package::kArgScratch: base = scratch; break;
      default: break;
    }
    job_windows_[a] = base;
    hal::write64(ifu_ + ifu::arg_base_reg(a), base);
    hal::write64(ifu_ + ifu::arg_size_reg(a), w.kind == package::kArgUnused ? 0 : w.size);
  }
  job_ = JobResult{};
  job_start_ticks_ = hal::timer_ticks();
  next_stage_ = 0;
  if (header_.stage_count != 0) {
    job_warm_ = false;
    run_cpu_stages(&job_);
    return true;
  }
  const bool warm = header_.weight_load_instructions != 0 && warm_package_ == package_ &&
                    warm_checksum_ == header_.checksum && header_.weight_load_instructions < header_.instruction_count;
  const uint32_t skip = warm ? header_.weight_load_instructions : 0;
  job_warm_ = warm;
  start_instructions(skip, header_.instruction_count - skip);
  return true;
}

void Accelerator::start_instructions(uint32_t first, uint32_t count) {
  hal::write64(ifu_ + ifu::INSTR_BASE, package_ + header_.instructions_offset + uint64_t{first} * isa::kInstructionBytes);
  hal::write32(ifu_ + ifu::INSTR_COUNT, count);
  stage_first_ = first;
  accelerator_running_ = true;
  stage_start_ticks_ = hal::timer_ticks();
  hal::write32(ifu_ + ifu::CTRL, ifu::kCtrlStart | ifu::kCtrlDoneIrqEnable | ifu::kCtrlErrorIrqEnable);
}

namespace {

uint64_t tensor_bytes(const package::CpuTensor& t) { return uint64_t{t.c} * t.h * t.w * t.element_bytes; }

}  // namespace

// The stage was validated (open_package): its tensors lie inside their windows and fit the buffers.
void Accelerator::run_cpu_stage(const package::StageRecord& s) {
  uint8_t* const in[2] = {stage_memory_, stage_memory_ + package::kMaxCpuTensorBytes};
  uint8_t* const out = stage_memory_ + 2 * package::kMaxCpuTensorBytes;
  for (uint32_t i = 0; i < cpu::input_count(s.op); ++i)
    hal::copy_from_soc(in[i], job_windows_[s.inputs[i].window] + s.inputs[i].offset, tensor_bytes(s.inputs[i]));
  const uint8_t* const inputs[2] = {in[0], in[1]};
  cpu::run(s, inputs, out);
  hal::copy_to_soc(job_windows_[s.output.window] + s.output.offset, out, tensor_bytes(s.output));
}

// Runs the CPU stages from next_stage_ up to the next accelerator stage, which it starts; false when
// the job's stages have all run or one changed since open_package (a job may write into the package:
// each record is checked again before it is used, error kErrStageChanged).
bool Accelerator::run_cpu_stages(JobResult* r) {
  while (next_stage_ < header_.stage_count) {
    const uint32_t index = next_stage_++;
    const package::StageRecord s = stage(index);
    // (a CPU stage where open_package saw none has no memory for its tensors)
    const bool without_memory = s.kind == package::kStageCpu && !stage_memory_;
    if (package::validate_stage(header_, s, index, nullptr, &refusal_) || without_memory) {
      r->error = kErrStageChanged;
      r->error_index = index;
      return false;
    }
    if (s.kind == package::kStageAccelerator) {
      start_instructions(s.first_instruction, s.instruction_count);
      return true;
    }
    const uint64_t began = hal::timer_ticks();
    hal::mark_cpu_stage(package_, s.layer, true);
    run_cpu_stage(s);
    hal::mark_cpu_stage(package_, s.layer, false);
    const uint64_t ticks = hal::timer_ticks() - began;
    r->cpu_ticks += ticks;
    if (observer_) observer_(index, s, ticks, observer_context_);
  }
  return false;
}

bool Accelerator::busy() const {
  return !(hal::read32(ifu_ + ifu::STATUS) & (ifu::kStatusDone | ifu::kStatusError));
}

// Sleeps until the running accelerator stage ends; returns its error (isa::kErrNone: done).
uint32_t Accelerator::finish_instructions(JobResult* r) {
  while (busy()) intc_->wait_for(irq_);
  accelerator_running_ = false;
  const uint32_t status = hal::read32(ifu_ + ifu::STATUS);
  const uint32_t error = (status & ifu::kStatusError) ? hal::read32(ifu_ + ifu::ERROR_CODE) : isa::kErrNone;
  r->error = error;
  r->error_index = hal::read32(ifu_ + ifu::ERROR_INDEX) + stage_first_;
  r->ifu_cycles += hal::read64(ifu_ + ifu::CYCLES);
  hal::write32(ifu_ + ifu::STATUS, ifu::kStatusDone | ifu::kStatusError);  // W1C: drops the interrupt
  if (observer_ && header_.stage_count != 0) {
    const package::StageRecord s = stage(next_stage_ - 1);
    observer_(next_stage_ - 1, s, hal::timer_ticks() - stage_start_ticks_, observer_context_);
  }
  return error;
}

JobResult Accelerator::wait() {
  JobResult& r = job_;
  while (accelerator_running_ && finish_instructions(&r) == isa::kErrNone && run_cpu_stages(&r)) {
  }
  r.ticks = hal::timer_ticks() - job_start_ticks_;
  r.warm = job_warm_;
  // Only a package that ran to the end leaves its weights in the engine.
  warm_package_ = r.ok() && header_.weight_load_instructions && header_.stage_count == 0 ? package_ : 0;
  warm_checksum_ = header_.checksum;
  return r;
}

}  // namespace drv

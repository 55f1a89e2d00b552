// Driver of the accelerator (instruction fetch unit + the CNN engine and/or the sparse LSTM engine):
// validates a model package in DDR (every field, the checksum, the engines this SoC has), programs
// the IFU's argument windows, runs a job and sleeps until its DONE or ERROR interrupt.
#pragma once
#include "ip/ifu/isa.h"
#include "platform/hardware_binding.h"
#include "platform/model_package.h"
#include "platform/package_validation.h"
#include "sw/driver/intc_driver.h"
#include "sw/driver/pmu_driver.h"

#include <stdint.h>

namespace drv {

struct CnnInfo {
  uint32_t pes, convolvers, kernel, clock_khz;
  uint64_t input_buffer_bytes, weight_buffer_bytes, output_buffer_bytes;
  uint32_t accumulator_bits;
  // Peak operations per second: every multiplier does one MAC (2 operations) per cycle.
  uint64_t peak_ops_per_second() const { return 2ull * pes * convolvers * kernel * kernel * clock_khz * 1000ull; }
};

struct LstmInfo {
  uint32_t pes, clock_khz, accumulator_bits;
  uint64_t weight_memory_bytes, vector_buffer_bytes;
};

struct JobResult {
  uint32_t error;        // isa::ErrorCode
  uint32_t error_index;  // faulting instruction (of the package's stream)
  uint64_t ifu_cycles;   // IFU cycles from START to the end (a staged job: its accelerator stages')
  uint64_t ticks;        // timer ticks the job took, as software saw it
  bool warm;             // started after the package's weight loads
  uint64_t cpu_ticks;    // timer ticks of its CPU stages (version 7; 0 without)
  bool ok() const { return error == dlvp::isa::kErrNone; }
};

// Where a job's tensors go in DDR (each 4 KiB-aligned); `end` is the first byte after them.
struct JobTensors {
  uint64_t input, output, scratch, end;
};

// run()'s error when no package is open (open_package has not accepted a header).
constexpr uint32_t kErrNoPackage = 0xFFFFFFFFu;
// A staged job's error when a stage record no longer passes its checks (a job wrote into the
// package after open_package): the job ends there, `error_index` is the stage's index.
constexpr uint32_t kErrStageChanged = 0xFFFFFFFEu;

class Accelerator {
 public:
  Accelerator() = default;
  Accelerator(const Accelerator&) = delete;
  Accelerator& operator=(const Accelerator&) = delete;
  ~Accelerator();
  bool init(Intc* intc);  // false when the SoC has no DDR, no IFU (of this ISA version) or no engine
  bool has_cnn() const { return cnn_base_ != 0; }
  bool has_lstm() const { return lstm_base_ != 0; }
  const CnnInfo& cnn() const { return cnn_; }  // zeros without a CNN engine
  const LstmInfo& lstm() const { return lstm_; }  // zeros without an LSTM engine

  // Reads and checks the package at `address` in DDR: its header (package::validate_header, with
  // the DDR from `address` to its end as the bytes available), its checksum (read in chunks), its
  // layer records (package::validate_layer) and that it fits the engines it needs. Returns nullptr
  // when valid, else the reason (valid until the next call). After a refusal only for the checksum
  // the header, which passed its checks, stays open: a self-test may still run the corrupt stream
  // to see the hardware's error path. After any other refusal no package is open.
  const char* open_package(uint64_t address);
  const dlvp::package::PackageHeader& header() const { return header_; }
  uint64_t package_address() const { return package_; }
  // Layer record `index` (< header().layer_count) of the open package; its name always ends in NUL.
  dlvp::package::LayerRecord layer(uint32_t index) const;
  // Version 7: channel c's input table of the open package (256 quantized inputs, one per 8-bit
  // pixel value, validated), or nullptr when the package records no preprocessing.
  const int16_t* input_table(uint32_t channel) const;

  // Runs the package once on tensors at the given addresses (windows of kind input, output and
  // scratch); in-package windows point into the package. When the previous job ran this same
  // package successfully, it starts after the package's weight loads (the weights are still in the
  // engine: warm start); the driver assumes it is the engines' only user. Without an open package:
  // error kErrNoPackage, nothing started. A package with stages (version 7) runs them in order:
  // each accelerator stage as a job of its instructions, each CPU stage (platform/cpu_ops.h) on
  // this CPU; an accelerator error ends the job (no warm start for staged packages).
  JobResult run(uint64_t input, uint64_t output, uint64_t scratch);
  // run() in two halves, so that the CPU works while the job runs: start() programs and starts the
  // job (false: no package open), wait() sleeps until its DONE or ERROR interrupt and returns its
  // result (its `ticks` from the start). busy(): the job has not ended yet. A staged job runs its
  // CPU stages before its first accelerator stage in start(), the rest in wait().
  bool start(uint64_t input, uint64_t output, uint64_t scratch);
  JobResult wait();
  bool busy() const;
  // Called after each stage of a staged job with the stage's index, record and timer ticks
  // (null: none); how apps report CPU stages.
  using StageObserver = void (*)(uint32_t index, const dlvp::package::StageRecord& stage, uint64_t ticks, void* context);
  void set_stage_observer(StageObserver observer, void* context) { observer_ = observer, observer_context_ = context; }
  // Bytes the caller must provide at `output` and `scratch`.
  uint64_t window_size(uint32_t kind) const;
  // Input, output and scratch windows one after the other from `free`; with `use_test_input` the
  // input is the package's own test input and only output and scratch take space. nullptr when they
  // fit in DDR, else the reason.
  const char* place_job_tensors(uint64_t free, bool use_test_input, JobTensors* tensors);
  // Where DDR is: [ddr_base(), ddr_end()).
  uint64_t ddr_base() const { return ddr_base_; }
  uint64_t ddr_end() const { return ddr_base_ + ddr_size_; }

 private:
  const char* check_package(uint64_t address);
  const char* check_checksum(uint64_t address);
  const char* check_layers();
  const char* check_engines();
  const char* check_stages();
  dlvp::package::StageRecord stage(uint32_t index) const;
  void start_instructions(uint32_t first, uint32_t count);
  uint32_t finish_instructions(JobResult* r);
  bool run_cpu_stages(JobResult* r);
  void run_cpu_stage(const dlvp::package::StageRecord& s);
  const char* check_input_tables();
  const char* refuse(const char* format, ...) __attribute__((format(printf, 2, 3)));

  uint64_t ifu_ = 0, cnn_base_ = 0, lstm_base_ = 0;
  uint64_t ddr_base_ = 0, ddr_size_ = 0;
  uint32_t irq_ = 0;
  Intc* intc_ = nullptr;
  CnnInfo cnn_{};
  LstmInfo lstm_{};
  uint64_t package_ = 0;
  bool header_open_ = false;  // header_ passed validation: run() may use it
  // The package whose weights the engine holds (address and checksum; 0: none known).
  uint64_t warm_package_ = 0;
  uint32_t warm_checksum_ = 0;
  bool job_warm_ = false;          // the started job skips the weight loads
  uint64_t job_start_ticks_ = 0;
  // A staged job: the windows' addresses, the next stage, when the current stage started.
  uint64_t job_windows_[dlvp::package::kArgCount] = {};
  JobResult job_{};            // the job so far
  bool accelerator_running_ = false;
  uint32_t next_stage_ = 0;
  uint32_t stage_first_ = 0;  // the running accelerator stage's first instruction
  uint64_t stage_start_ticks_ = 0;
  // A CPU stage's two inputs and output in the CPU's own memory (the operations read and write
  // whole tensors): kMaxCpuTensorBytes each, taken from the heap for the first package with CPU stages.
  static constexpr uint64_t kStageMemoryBytes = 3 * dlvp::package::kMaxCpuTensorBytes;
  uint8_t* stage_memory_ = nullptr;
  StageObserver observer_ = nullptr;
  void* observer_context_ = nullptr;
  dlvp::package::PackageHeader header_{};
  dlvp::package::Refusal refusal_{};
  int16_t input_tables_[dlvp::package::kMaxInputTableChannels * dlvp::package::kInputTableEntries] = {};
};

// The common start of an accelerator app: finds the interrupt controller, the accelerator and the
// PMU, and validates the package at `package`. Returns 0 when ready, else prints "<app>: <why>" and
// returns the app's exit code (1: the SoC lacks a device, 2: the package is refused).
int start_accelerator_app(const char* app, Intc& intc, Accelerator& accel, Pmu& pmu, uint64_t package);

}  // namespace drv

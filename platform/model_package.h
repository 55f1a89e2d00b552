// The model package: what the compiler/builder writes and the driver loads (docs/architecture.md
// and 7; docs/package.md). One freestanding header shared by tools/, sw/ and the platform. Version 7.
//
// A package is one contiguous, little-endian blob placed in DDR:
//   PackageHeader | LayerRecord[layer_count] | instructions (64 B each) | sections ...
// All offsets are from the start of the package. A checksum (FNV-1a, 32 bit) covers every byte,
// the header's included (its checksum field taken as zero), so a corrupt or truncated package is
// refused before anything runs; package_validation.h checks every field.
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string.h>

namespace dlvp::package {

constexpr char kMagic[8] = {'D', 'L', 'V', 'P', 'P', 'K', 'G', '1'};
// 2: tensor formats and shapes in the header, shapes in LayerRecord; 3: input zero point, concat
// layers; 4: LSTM layers (the sparse LSTM engine's requirements, 16-bit tensors, sequences per job);
// 5: the checksum covers the header too (layout unchanged), every field is range-checked;
// 6: the rest of the hardware it was compiled for (DDR size, bandwidth, clocks) and where it came
// from (tool, model, hardware file, options), so that a platform can bind it (docs/package.md);
// optional sections: the compiler's predicted time per layer, the layers' whole names;
// 7: CPU stages (a job as accelerator jobs and CPU operations in order, docs/cpu_ops.md); view and
// copy layers (kLayerView, kLayerCopy); the input's preprocessing (QUANT: scale, per-channel mean
// and std, the input files' layout, and the quantization tables that apply them exactly).
constexpr uint32_t kVersion = 7;
constexpr uint32_t kArgCount = 8;  // = isa::kArgCount

// How each IFU argument window is provided when the package runs.
enum ArgKind : uint32_t {
  kArgUnused = 0,
  kArgInPackage = 1,  // a section of the package itself (weights/constants): base = package + offset
  kArgInput = 2,      // the job's input tensor, placed by the caller
  kArgOutput = 3,     // the job's output tensor, allocated by the caller
  kArgScratch = 4,    // intermediate activations, allocated by the caller
};

struct ArgWindow {
  uint32_t kind;      // ArgKind
  uint32_t reserved;
  uint64_t offset;    // kArgInPackage: offset of the section in the package
  uint64_t size;      // bytes of the window
};

// The hardware the package was compiled for: the driver refuses a package that does not fit.
struct HardwareRequirements {
  uint32_t isa_version;
  uint32_t pes, convolvers, kernel;
  uint64_t input_buffer_bytes, weight_buffer_bytes, output_buffer_bytes;
  uint32_t accumulator_bits;
  uint32_t reserved;
};

// The sparse LSTM engine a package needs (pes 0: none): the driver refuses a package whose streams
// were encoded for another PE count or accumulator width, or that needs bigger memories.
struct LstmRequirements {
  uint32_t pes;
  uint32_t accumulator_bits;
  uint64_t weight_memory_bytes;  // per PE
  uint64_t vector_buffer_bytes;
};

// The rest of the hardware the compiler read (version 6): what only sized checks or the cycle
// prediction used. 0: not known to the tool that wrote the package (then not compared).
struct PlatformRequirements {
  uint64_t ddr_size_bytes;           // the DDR the package and its tensors were checked against
  uint64_t bus_bytes_per_second;       // the system bus's peak (width x clock) of the cycle prediction
  uint64_t ddr_peak_bytes_per_second;  // the DDR's peak (all channels) of the cycle prediction
  uint32_t cnn_clock_khz;            // the engines' clocks of the cycle prediction (0: engine unused)
  uint32_t lstm_clock_khz;
};

// Where the package came from (version 6), so that a message can give the command that recompiles
// it for other hardware. Each text is UTF-8 without control characters, NUL-terminated in its field.
constexpr uint32_t kProducerBytes = 32, kFileNameBytes = 256, kOverridesBytes = 256, kOptionsBytes = 512;
struct PackageOrigin {
  char producer[kProducerBytes];          // the tool that wrote it ("dlvpc", "make_cnn_selftest")
  char model_file[kFileNameBytes];        // the source model as the tool was given it ("": none)
  char hardware_file[kFileNameBytes];     // the hardware file as given (--hw; "": the defaults)
  char hardware_overrides[kOverridesBytes];  // the --set overrides applied to it, space-separated
  char options[kOptionsBytes];            // the tool's other options that shaped the program
};

// The compiler's prediction of one layer's share of a job (version 6, optional section; docs/ifu.md,
// "Layer time"), in picoseconds: time = engine_busy + memory_stall + store_tail + other.
struct LayerPrediction {
  uint64_t time_ps, engine_busy_ps, memory_stall_ps, store_tail_ps, other_ps;
};
// A predicted job longer than this (about 13 days) is refused: sums of the fields cannot overflow.
constexpr uint64_t kMaxPredictedPs = uint64_t{1} << 60;

// A layer's whole name (version 6, optional section): LayerRecord::name keeps at most 31 bytes. The
// section is LayerNameEntry[layer_count], then the names' bytes (UTF-8 without control characters,
// no NUL), each entry's `offset` counted from the start of the section.
struct LayerNameEntry {
  uint32_t offset;
  uint32_t bytes;
};
constexpr uint32_t kMaxLayerNameBytes = 1024;
// Version 7 (QUANT): the element order of the images in an input file (IDX): [c][h][w] (ONNX's
// NCHW per image) or [h][w][c] (NHWC, as image files store pixels).
enum InputLayout : uint32_t { kLayoutChw = 0, kLayoutHwc = 1 };
// Per-channel preprocessing for at most this many input channels; one table per channel, one
// entry per 8-bit pixel value.
constexpr uint32_t kMaxInputTableChannels = 4;
constexpr uint32_t kInputTableEntries = 256;

struct PackageHeader {
  char magic[8];
  uint32_t version;
  uint32_t header_bytes;       // sizeof(PackageHeader)
  uint64_t total_bytes;        // whole package
  uint32_t checksum;           // FNV-1a over bytes [0, total_bytes), this field taken as zero
  uint32_t layer_count;
  uint32_t instruction_count;
  uint32_t reserved0;
  uint64_t layers_offset;
  uint64_t instructions_offset;
  ArgWindow args[kArgCount];
  HardwareRequirements hardware;
  // Optional test data (0 size when absent): an input tensor and the expected output.
  uint64_t test_input_offset, test_input_size;
  uint64_t test_expected_offset, test_expected_size;
  uint32_t input_arg, output_arg;  // which argument windows are the input and the output
  // The input and output tensors: int8 [c][h][w] in dynamic fixed point, real value = q x 2^-frac.
  int32_t input_frac_bits, output_frac_bits;
  uint32_t input_c, input_h, input_w;
  uint32_t output_c, output_h, output_w;
  uint32_t cpu_postprocess;  // CpuPostprocess: what the CPU applies to the output
  // Subtracted from each input element before quantizing: q = round((x - zero point) x 2^frac)
  // (an integer model's input zero point; 0 for float models).
  int32_t input_zero_point;
  // Bytes per tensor element: 1 (int8, the CNN engine's tensors) or 2 (int16, the LSTM engine's).
  uint32_t input_element_bytes, output_element_bytes;
  // Independent inputs per job (the LSTM engine's channels; 1 for CNN packages). An LSTM package's
  // input is time-major [input_h = steps][sequences][input_w = features] (input_c = 1) and its
  // output [sequences][output_c] (output_h = output_w = 1).
  uint32_t sequences;
  // The first instructions only load weights into engine memories that keep them between jobs
  // (an LSTM package's resident weights; 0: none). A job may start after them when the engine still
  // holds this package's weights (the driver's warm start).
  uint32_t weight_load_instructions;
  // Where the output tensor starts in the output window (0 for CNN packages; an LSTM package's
  // window also holds the last time step's state before it).
  uint64_t output_offset;
  LstmRequirements lstm;
  PlatformRequirements platform;  // version 6
  PackageOrigin origin;           // version 6
  // Optional sections (version 6; size 0: absent, as from tools that do not predict or name):
  uint64_t prediction_offset, prediction_size;  // LayerPrediction[layer_count], by layer index
  uint64_t predicted_job_ps;  // the predicted job, START to its end (= the layers' times summed)
  uint64_t names_offset, names_size;  // LayerNameEntry[layer_count] and the names' bytes
  // CPU stages (version 7, area CPU): the job as StageRecord[stage_count], run in order;
  // stage_count 0 (stages_offset 0): the job is the whole instruction stream on the accelerator.
  uint64_t stages_offset;
  uint32_t stage_count;
  uint32_t reserved_cpu;
  // Version 7 (QUANT): the input's preprocessing (docs/package.md, "Version 7: input
  // preprocessing"). The model's input is x[c] = (pixel x input_scale - input_mean[c]) /
  // input_std[c]; the compiler quantized it (minus the zero point, x 2^input_frac_bits, rounded
  // half up, saturated) into table c's entry for that pixel, so that a reader applies it exactly
  // by lookup. Tables absent (0 channels): no preprocessing recorded.
  uint32_t input_layout;            // InputLayout of the images of input files
  uint32_t input_table_channels;    // 0, 1 (one table for every channel) or input_c (<= 4)
  uint64_t input_table_offset;      // int16 [input_table_channels][256], each in the input element's range
  float input_scale;                // as given to the compiler (the tables are what applies)
  float input_mean[kMaxInputTableChannels], input_std[kMaxInputTableChannels];
  uint32_t input_preprocessing_reserved;
};

enum CpuPostprocess : uint32_t { kPostNone = 0, kPostSoftmax = 1 };

// kLayerConcat has no instructions: its sources wrote their channel slices of its output.
// kLayerLstm: an LSTM layer on the sparse LSTM engine; kLayerLstmLinear: a fully connected layer
// on the same engine after the last time step (a classifier head).
enum LayerKind : uint32_t {
  kLayerConv = 1,
  kLayerFc = 2,
  kLayerPool = 3,
  kLayerEltwise = 4,
  kLayerConcat = 5,
  kLayerLstm = 6,
  kLayerLstmLinear = 7,
  kLayerCpu = 8,  // cpu (area CPU): an operation the host CPU runs between accelerator jobs (a CPU stage)
  // ZOO (issue 16): kLayerView has no instructions (its readers read a channel range of its input
  // in place); kLayerCopy rewrites its input's bytes elsewhere (LOAD, 1x1 max POOL, STORE).
  kLayerView = 9,
  kLayerCopy = 10
};

struct LayerRecord {
  char name[32];
  uint32_t kind;  // LayerKind
  uint32_t tag;   // the instructions' header.tag
  uint32_t first_instruction, instruction_count;
  uint64_t macs;
  uint64_t weight_bytes;
  uint32_t in_c, in_h, in_w;
  uint32_t out_c, out_h, out_w;
  uint32_t tiles;  // compute instructions
  // LSTM layers: entries (non-zero weights and padding) of the layer's streams, which the PEs walk
  // once per time step; their macs are the dense-equivalent multiply-accumulates of a job. 0 for
  // CNN layers.
  uint32_t entries;
};

// A job's stages (version 7): accelerator jobs (a range of the instruction stream, ending with END)
// and CPU operations (platform/cpu_ops.h, docs/cpu_ops.md) on tensors in the argument windows.
enum StageKind : uint32_t { kStageAccelerator = 1, kStageCpu = 2 };

// A CPU operation's tensor: `c` x `h` x `w` elements (row-major, [c][h][w]) of `element_bytes`
// (1: int8, 2: int16 little-endian) at `offset` in argument window `window`, in dynamic fixed point
// (real = q x 2^-frac_bits). The shape is the operation's view: a reshape costs nothing.
struct CpuTensor {
  uint32_t window;
  uint32_t element_bytes;
  uint64_t offset;
  uint32_t c, h, w;
  int32_t frac_bits;
};

struct StageRecord {
  uint32_t kind;   // StageKind
  uint32_t layer;  // kStageCpu: its LayerRecord (kind cpu), which the reports show
  uint32_t first_instruction, instruction_count;  // kStageAccelerator: its instructions
  uint32_t op;          // kStageCpu: cpu::Op (platform/cpu_ops.h)
  uint32_t params[3];   // the operation's parameters (cpu_ops.h)
  CpuTensor inputs[2];  // the operation's inputs (unused ones zero)
  CpuTensor output;
};
// The largest tensor a CPU stage reads or writes: the driver holds each in its own memory.
constexpr uint64_t kMaxCpuTensorBytes = uint64_t{1} << 19;
// The CPU tensors' radix points: the compilers' range, so that no shift of an int16 overflows.
constexpr int32_t kMaxCpuFracBits = 24;

static_assert(sizeof(CpuTensor) == 32, "CpuTensor layout");
static_assert(sizeof(StageRecord) == 128, "StageRecord layout");
static_assert(sizeof(ArgWindow) == 24, "ArgWindow layout");
static_assert(sizeof(LayerRecord) == 96, "LayerRecord layout");
static_assert(sizeof(LayerPrediction) == 40, "LayerPrediction layout");
static_assert(sizeof(LayerNameEntry) == 8, "LayerNameEntry layout");
static_assert(sizeof(PackageOrigin) % 8 == 0, "PackageOrigin layout");
static_assert(sizeof(PackageHeader) % 8 == 0, "PackageHeader layout");

// The package checksum: FNV-1a (32 bit) over the whole package, the checksum field's bytes taken as
// zero. checksum_part() hashes the bytes [offset, offset + bytes) of a package held at `data`
// (data[0] is the byte at `offset`), so that a reader may feed the package in chunks, in order,
// starting at offset 0 with kChecksumBasis.
constexpr uint32_t kChecksumBasis = 2166136261u;
constexpr uint64_t kChecksumOffset = offsetof(PackageHeader, checksum);

inline uint32_t checksum_part(const uint8_t* data, uint64_t offset, uint64_t bytes, uint32_t hash) {
  for (uint64_t i = 0; i < bytes; ++i) {
    const uint8_t byte = offset + i - kChecksumOffset < sizeof(uint32_t) ? 0 : data[i];
    hash = (hash ^ byte) * 16777619u;
  }
  return hash;
}

inline uint32_t checksum(const uint8_t* package, uint64_t bytes) {
  return checksum_part(package, 0, bytes, kChecksumBasis);
}

// Writes the checksum field of a package image of `bytes` (>= sizeof(PackageHeader)) bytes: the writer,
// and tests that edit a package and re-seal it.
inline void seal(uint8_t* package, uint64_t bytes) {
  const uint32_t sum = checksum(package, bytes);
  memcpy(package + kChecksumOffset, &sum, sizeof sum);
}

// Whether the compiler pruned the model's weights: dlvpc's `--density D` with D below 1, as the
// origin's options record it (the value as given; "1", "1." and "1.0..." keep the weights). The
// float model's predictions (dlvpc --float-predictions) are then of the model before that pruning,
// another model than the package's (classify labels them so).
inline bool pruned_by_compiler(const PackageOrigin& origin) {
  static constexpr char kFlag[] = "--density ";
  constexpr uint32_t kFlagBytes = sizeof kFlag - 1;
  for (uint32_t at = 0; at + kFlagBytes < kOptionsBytes && origin.options[at]; ++at) {
    if (memcmp(origin.options + at, kFlag, kFlagBytes) != 0 || (at > 0 && origin.options[at - 1] != ' ')) continue;
    uint32_t v = at + kFlagBytes;
    if (v >= kOptionsBytes || origin.options[v] != '1') return true;
    ++v;
    if (v < kOptionsBytes && origin.options[v] == '.')
      for (++v; v < kOptionsBytes && origin.options[v] == '0';) ++v;
    return v < kOptionsBytes && origin.options[v] != ' ' && origin.options[v] != 0;
  }
  return false;
}

}  // namespace dlvp::package

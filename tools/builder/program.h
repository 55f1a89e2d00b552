// The builder: a layer list -> an instruction stream, a constants blob and a DDR memory plan for the
// CNN engine's buffer sizes (docs/builder.md). Used by the tests and the CNN self-test now, and by
// the compiler (tools/dlvpc) as its back end.
#pragma once
#include "ip/cnn/cnn_config.h"
#include "ip/common/config_error.h"
#include "ip/ifu/isa.h"
#include "tools/builder/network.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::builder {

// The job argument windows a program uses (ARG_BASE/ARG_SIZE registers of the IFU).
constexpr uint8_t kArgConstants = 0;  // weights and biases: Program::constants
constexpr uint8_t kArgInput = 1;      // the network input, int8 [c][h][w] at offset 0
constexpr uint8_t kArgOutput = 2;     // the network output, int8 [c][h][w] at offset 0
constexpr uint8_t kArgScratch = 3;    // intermediate activations
constexpr uint8_t kArgsUsed = 4;

// Alignment of tiles in DDR (the constants blob, scratch tensors) and of regions inside a buffer slot.
constexpr uint64_t kDdrAlign = 64;
constexpr uint64_t kBufferAlign = 16;

// A layer that cannot be built: the message names the layer (index, name, kind) and the reason.
class BuildError : public ConfigError {
 public:
  using ConfigError::ConfigError;
};

struct BuildOptions {
  // true: every buffer is split into two halves, so tile n+1 loads (and tile n-1 stores) while tile
  // n computes. false: one slot per buffer spanning the whole buffer; loads, compute and stores of
  // consecutive tiles serialize (bigger tiles, no overlap).
  bool double_buffer = true;
};

// Where a tensor lives: DDR = ARG_BASE[arg] + offset.
struct TensorPlacement {
  uint8_t arg = 0;
  uint64_t offset = 0;
  TensorShape shape;
  uint64_t bytes() const { return shape.elements(); }
};

struct MemoryPlan {
  std::array<uint64_t, kArgsUsed> window_bytes{};  // bytes each argument window must span (0: unused)
  TensorPlacement input;                            // network input (kArgInput, offset 0)
  TensorPlacement output;                           // network output (kArgOutput, offset 0)
  std::vector<TensorPlacement> layer_outputs;       // per layer; the last one is `output`
};

// The on-chip buffer slots (double buffering: two halves) the program's tiles use.
struct BufferSlots {
  uint32_t count = 0;                  // 2 (double buffering) or 1
  std::array<uint64_t, 2> base{};      // byte offset of each slot in the buffer
  uint64_t bytes = 0;                  // capacity of every slot
};

enum class LayerKind { kConv, kFc, kPool, kEltwise, kConcat, kView, kCopy, kCpu };  // Layer's variant order
const char* to_string(LayerKind kind);

// Loop nest of a CONV/FC layer's tiles; input-channel passes are always innermost.
enum class LoopOrder {
  kBandOuter,   // for row band: for output-channel group: for pass (input tiles reused across groups)
  kGroupOuter,  // for output-channel group: for row band: for pass (weight tiles reused across bands)
};
const char* to_string(LoopOrder order);

// How a layer was cut. CONV: row bands x output-channel groups x input-channel passes. FC: output
// groups x input passes (bands = 1). POOL: row bands x channel groups. ELTWISE: `groups` chunks of
// `group_size` elements.
struct Tiling {
  uint32_t bands = 1, band_rows = 1;       // rows of the layer's result (after pooling) per band
  uint32_t groups = 1, group_size = 1;     // output channels (FC: outputs; ELTWISE: elements) per group
  uint32_t passes = 1, pass_channels = 1;  // input channels (FC: inputs) per accumulation pass
  LoopOrder order = LoopOrder::kBandOuter;
  uint64_t input_tile_bytes = 0;   // largest input-buffer footprint of one step
  uint64_t weight_tile_bytes = 0;  // largest weight-buffer footprint (weights + bias)
  uint64_t output_tile_bytes = 0;  // largest output-buffer footprint (int32 psum + int8 result)
};

struct LayerInfo {
  std::string name;
  LayerKind kind = LayerKind::kConv;
  TensorShape input, output;
  uint64_t macs = 0;          // multiply-accumulates of the layer as specified (MAC)
  uint64_t weight_bytes = 0;  // int8 weights (B)
  uint64_t bias_bytes = 0;    // int32 biases (B), + int8 per-channel shifts (ISA v3)
  uint64_t constants_offset = 0, constants_bytes = 0;  // the layer's part of Program::constants (B)
  Tiling tiling;
  uint32_t tiles = 0;                      // compute instructions (one per tile step)
  uint32_t loads = 0, stores = 0, syncs = 0;  // syncs: DDR store->load barriers (1-byte POOLs)
  uint64_t load_bytes = 0, store_bytes = 0;   // DDR traffic of the layer's LOADs / STOREs (B)
  uint32_t first_instruction = 0, end_instruction = 0;  // instruction index range [first, end)
  uint32_t instructions() const { return end_instruction - first_instruction; }
};

struct Program {
  // Ends with END; layer i's instructions carry tag i. With CPU layers: one range per accelerator
  // stage, each ending with END.
  std::vector<isa::Instruction> instructions;
  std::vector<uint8_t> constants;              // the kArgConstants window's contents
  MemoryPlan plan;
  std::vector<LayerInfo> layers;
  std::array<BufferSlots, isa::kCnnBufCount> slots{};
  BuildOptions options;
  // CPUC: the job in stages when the network has CPU layers (package format 7): accelerator ranges
  // and CPU stages (`layer`: the CpuLayer's index) in order; empty: the whole stream is one job.
  std::vector<package::StageRecord> stages;

  // The instruction stream as the IFU fetches it from DDR (little-endian, 64 B each).
  std::vector<uint8_t> instruction_bytes() const;
};

// Builds the program of `network` for the engine `hw` (its buffer sizes and its PE/convolver counts,
// which the tiler aligns channel groups to). Throws BuildError naming the layer at fault.
Program build(const Network& network, const CnnConfig& hw, const BuildOptions& options = {});

}  // namespace dlvp::builder

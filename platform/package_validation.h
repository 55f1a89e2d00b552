// The checks every reader of a model package makes before it uses a field (docs/package.md,
// "Validation"): the driver (sw/driver/accel_driver) and the host-side readers
// (platform/package_file) alike. Freestanding (no STL, no exceptions): built into sw/ too.
//
// validate_header() checks, overflow-safe, that every offset and size of the header stays inside
// the package and the package inside the bytes available, that the tensors' shapes and formats
// fit their argument windows, and that every enumerated field is known; after it, a reader may
// index anything the header describes. validate_layer() checks one layer record the same way.
// Neither reads the checksum: that needs the package's bytes (model_package.h, checksum_part()).
#pragma once
#include "platform/model_package.h"

#include <stdint.h>

namespace dlvp::package {

// Why a package is refused: one sentence naming the field, its value and the limit it broke.
struct Refusal {
  char text[192];
};

// An argument window larger than this is refused: far beyond any DDR (16 GiB at most), and small
// enough that sums of windows and addresses cannot overflow.
constexpr uint64_t kMaxWindowBytes = uint64_t{1} << 40;
// The tensors' radix points (real = q x 2^-frac): the compilers stay within +-24; beyond +-31 a
// reader's shifts would overflow.
constexpr int32_t kMaxFracBits = 31;

// nullptr when the header of a package of which `available_bytes` bytes are readable (the file's
// size, or DDR from the package to its end) is sound; else the reason, in `why`.
const char* validate_header(const PackageHeader& h, uint64_t available_bytes, Refusal* why);

// nullptr when layer record `index` of a package with a valid header `h` is sound (its
// instructions inside the package's, a known kind, a NUL within its name); else the reason.
const char* validate_layer(const PackageHeader& h, const LayerRecord& r, uint32_t index, Refusal* why);

// Stage record `index` (version 7): an accelerator stage's instructions inside the package's; a
// CPU stage's known operation, its tensors inside their windows (an output only in an output or
// scratch window), their shapes and formats as the operation needs (docs/cpu_ops.md), its layer
// below layer_count; then (unless `layer` is nullptr) that its layer record, `layer`, is of kind cpu.
const char* validate_stage(const PackageHeader& h, const StageRecord& s, uint32_t index, const LayerRecord* layer,
                           Refusal* why);

// The optional sections (validate_header checked their places and sizes). Prediction record
// `index` (called for every layer in order, `time_so_far` starting at 0): each time at most the
// predicted job, the parts adding up to the layer's time, the layers' times to the job's.
const char* validate_layer_prediction(const PackageHeader& h, const LayerPrediction& p, uint32_t index,
                                      uint64_t* time_so_far, Refusal* why);
// Name entry `index`: inside the names' bytes, at most kMaxLayerNameBytes; then (unless `text` is
// nullptr) its e.bytes bytes at `text`: UTF-8 without control characters.
const char* validate_layer_name(const PackageHeader& h, const LayerNameEntry& e, const char* text, uint32_t index,
                                Refusal* why);

// Version 7: the input tables' entries (input_table_channels x 256 int16 at `table`, as
// validate_header placed them) within the input element's range: int8 -128..127, int16 any.
const char* validate_input_tables(const PackageHeader& h, const int16_t* table, Refusal* why);

}  // namespace dlvp::package

// Tile choice for the buffer slots (docs/builder.md, "Tiling rules"). Pure functions of shapes and
// budgets: no instructions, no data.
#pragma once
#include "tools/builder/program.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dlvp::builder {

// Estimated cost of one instruction in DDR-byte equivalents (fetch, issue and DMA set-up), so that
// the tiler prefers fewer, larger tiles when traffic is equal.
constexpr uint64_t kInstructionCostBytes = 256;
// Partial-sum bytes moved through the output buffer's port per DDR byte of equal cost: the port
// (16 B/cycle by default) is about twice as wide as the DDR share of one engine (~8 B/cycle).
constexpr uint64_t kPsumBytesPerDdrByte = 2;

// A window swept down the rows of a map (CONV kernel or POOL window), optionally followed by a
// fused max pooling (CONV only).
struct RowSweep {
  uint32_t in_h = 1;
  uint32_t window = 1, stride = 1, pad_top = 0, pad_bottom = 0;
  uint32_t pool_size = 0, pool_stride = 0;  // fused pooling; 0 = none
  uint32_t out_h() const;                   // rows of the sweep
  uint32_t result_h() const;                // rows after the fused pooling
};

// One row band: result rows [first, first + rows), the sweep rows it computes, the input rows it
// reads and the padding at its edges (non-zero only at the map's edges).
struct Band {
  uint32_t first = 0, rows = 0;
  uint32_t sweep_first = 0, sweep_rows = 0;
  uint32_t in_first = 0, in_rows = 0;
  uint32_t pad_top = 0, pad_bottom = 0;
};

// `count` bands of (nearly) equal height covering all result rows. A last band too short to hold a
// pooling stride (pool_stride > pool_size) takes a row from its neighbour.
std::vector<Band> make_bands(const RowSweep& sweep, uint32_t count);

// Budgets: the capacity of one slot of each buffer and how many slots each buffer has.
struct TileBudget {
  uint64_t input = 0, weight = 0, output = 0;
  uint32_t slots = 2;
  uint32_t channel_align = 1;  // preferred multiple of input channels per pass (convolvers)
  uint32_t group_align = 1;    // preferred multiple of output channels per group (PEs)
};

// CONV (and FC as a 1x1 CONV on a 1x1 map).
struct ConvProblem {
  RowSweep rows;
  uint32_t in_c = 1, in_w = 1, out_c = 1;
  uint32_t groups = 1;  // grouped CONV (DW): output tiles hold whole groups (docs/builder.md)
  uint32_t kernel_h = 1, kernel_w = 1;
  uint32_t sweep_w = 1, result_w = 1;  // convolution / pooled output width
  bool channel_shifts = false;         // each weight tile also holds its outputs' int8 shifts
};

// A tiling with its row bands (what the emitter walks).
struct BandedTiling {
  Tiling tiling;
  std::vector<Band> bands;
};

// The cheapest tiling that fits, or nullopt with `why` explaining what does not fit even at the
// smallest tile (one result row, one output channel, one input channel). For a grouped CONV,
// group_size counts output channels (whole groups) and pass_channels the input channels of each
// group per pass; several passes only with one group per tile.
std::optional<BandedTiling> choose_conv_tiling(const ConvProblem& p, const TileBudget& budget, std::string& why);

// FC: output groups x input passes; `groups_per_store` output groups share one STORE.
struct FcTiling {
  Tiling tiling;
  uint32_t groups_per_store = 1;
};
std::optional<FcTiling> choose_fc_tiling(uint32_t n_in, uint32_t n_out, const TileBudget& budget, std::string& why,
                                         bool channel_shifts = false);

// POOL: row bands x channel groups.
std::optional<BandedTiling> choose_pool_tiling(const RowSweep& rows, uint32_t c, uint32_t in_w, uint32_t out_w,
                                         const TileBudget& budget, std::string& why);

// ELTWISE: chunks of elements (both operands in one input slot).
std::optional<Tiling> choose_eltwise_tiling(uint64_t elements, const TileBudget& budget, std::string& why);

// Footprints of one step (bytes in a slot).
// A weight tile: the weights (aligned), then per output its int32 bias and, with per-channel
// shifts, its int8 shift.
uint64_t conv_weight_tile_bytes(uint32_t group, uint32_t pass, uint32_t kernel_h, uint32_t kernel_w,
                                bool channel_shifts = false);
uint64_t conv_psum_bytes(uint32_t group, uint32_t sweep_rows, uint32_t sweep_w);  // aligned, int32

}  // namespace dlvp::builder

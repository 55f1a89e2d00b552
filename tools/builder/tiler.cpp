#include "tools/builder/tiler.h"

#include <algorithm>
#include <set>

namespace dlvp::builder {

namespace {

uint64_t ceil_div(uint64_t a, uint64_t b) { return (a + b - 1) / b; }
uint64_t align_up(uint64_t v, uint64_t a) { return ceil_div(v, a) * a; }

// Tile extents to try for a dimension of n: ceil(n / k) for every k, rounded up to `align` (so
// tiles are balanced and, when align > 1, a multiple of the hardware's parallelism).
std::vector<uint32_t> candidates(uint32_t n, uint32_t align) {
  std::set<uint32_t> values;
  for (uint32_t k = 1; k <= n; ++k) {
    const uint64_t v = std::min<uint64_t>(n, align_up(ceil_div(n, k), std::max(align, 1u)));
    values.insert(static_cast<uint32_t>(v));
  }
  return {values.rbegin(), values.rend()};  // largest first
}

struct BandStats {
  uint32_t max_rows = 0, max_sweep_rows = 0, max_in_rows = 0;
  uint64_t total_in_rows = 0;     // input rows loaded over all bands (halos counted again)
  uint64_t total_sweep_rows = 0;  // convolution rows computed over all bands
};

BandStats band_stats(const RowSweep& sweep, uint32_t count) {
  BandStats s;
  for (const Band& b : make_bands(sweep, count)) {
    s.max_rows = std::max(s.max_rows, b.rows);
    s.max_sweep_rows = std::max(s.max_sweep_rows, b.sweep_rows);
    s.max_in_rows = std::max(s.max_in_rows, b.in_rows);
    s.total_in_rows += b.in_rows;
    s.total_sweep_rows += b.sweep_rows;
  }
  return s;
}

// The fewest bands (largest band height) for which `fits` holds, or 0 when even one-row bands do
// not fit. Footprints shrink as the band count grows, so a binary search finds the boundary; a
// short linear check covers the pooling corner case where a last band borrows a row.
template <typename Fits>
uint32_t fewest_bands(uint32_t result_h, Fits fits) {
  if (!fits(result_h)) return 0;
  uint32_t lo = 1, hi = result_h;
  while (lo < hi) {
    const uint32_t mid = lo + (hi - lo) / 2;
    if (fits(mid))
      hi = mid;
    else
      lo = mid + 1;
  }
  while (!fits(lo)) ++lo;
  return lo;
}

std::string bytes_text(uint64_t b) { return std::to_string(b) + " B"; }

// Channel splits in order of preference; the first tier with a tile that fits wins: channel
// counts that are multiples of the convolvers (per pass) and of the PEs (per group) before any
// others. Each tier includes "all input channels in one pass".
struct Tier {
  std::vector<uint32_t> passes, groups;
};
std::vector<Tier> tiers(uint32_t in_c, uint32_t out_c, const TileBudget& budget) {
  return {{candidates(in_c, budget.channel_align), candidates(out_c, budget.group_align)},
          {candidates(in_c, 1), candidates(out_c, 1)}};
}

// On-chip partial-sum traffic of `passes` passes over `psum_elements` int32 accumulators: every
// pass but the first reads them and every pass but the last writes them back (bytes).
uint64_t psum_traffic(uint64_t passes, uint64_t psum_elements) { return 2 * (passes - 1) * 4 * psum_elements; }

}  // namespace

uint32_t RowSweep::out_h() const { return sweep_length(in_h, pad_top, pad_bottom, window, stride); }

uint32_t RowSweep::result_h() const {
  const uint32_t h = out_h();
  return pool_size ? sweep_length(h, 0, 0, pool_size, pool_stride) : h;
}

namespace {

Band band_at(const RowSweep& s, uint32_t first, uint32_t rows) {
  Band b;
  b.first = first;
  b.rows = rows;
  uint32_t sweep_end = first + rows;
  b.sweep_first = first;
  if (s.pool_size) {
    // Pooling windows of result rows [first, first + rows); at least one pooling stride of rows,
    // because the ISA requires pool_stride <= the tile's convolution rows.
    b.sweep_first = first * s.pool_stride;
    const uint64_t windows_end = uint64_t{first + rows - 1} * s.pool_stride + s.pool_size;
    const uint64_t stride_end = uint64_t{b.sweep_first} + s.pool_stride;
    sweep_end = static_cast<uint32_t>(std::min<uint64_t>(s.out_h(), std::max(windows_end, stride_end)));
  }
  b.sweep_rows = sweep_end - b.sweep_first;
  const int64_t top = int64_t{b.sweep_first} * s.stride - s.pad_top;
  const int64_t bottom = int64_t{sweep_end - 1} * s.stride - s.pad_top + s.window;  // exclusive
  const int64_t in_first = std::max<int64_t>(top, 0), in_end = std::min<int64_t>(bottom, s.in_h);
  b.in_first = static_cast<uint32_t>(in_first);
  b.in_rows = static_cast<uint32_t>(in_end - in_first);
  b.pad_top = static_cast<uint32_t>(in_first - top);
  b.pad_bottom = static_cast<uint32_t>(bottom - in_end);
  return b;
}

}  // namespace

std::vector<Band> make_bands(const RowSweep& sweep, uint32_t count) {
  const uint32_t rows = sweep.result_h();
  count = std::clamp<uint32_t>(count, 1, std::max(rows, 1u));
  std::vector<Band> bands;
  uint32_t first = 0;
  for (uint32_t k = 0; k < count; ++k) {
    const uint32_t n = rows / count + (k < rows % count ? 1 : 0);
    bands.push_back(band_at(sweep, first, n));
    first += n;
  }
  if (sweep.pool_size && bands.size() >= 2 && bands.back().sweep_rows < sweep.pool_stride) {
    Band& prev = bands[bands.size() - 2];
    const Band last = bands.back();
    const uint32_t prev_rows = prev.rows - 1;
    bands.back() = band_at(sweep, last.first - 1, last.rows + 1);
    if (prev_rows == 0)
      bands.erase(bands.end() - 2);
    else
      prev = band_at(sweep, prev.first, prev_rows);
  }
  return bands;
}

uint64_t conv_weight_tile_bytes(uint32_t group, uint32_t pass, uint32_t kernel_h, uint32_t kernel_w,
                                bool channel_shifts) {
  return align_up(uint64_t{group} * pass * kernel_h * kernel_w, kBufferAlign) +
         (4 + (channel_shifts ? 1 : 0)) * uint64_t{group};
}

uint64_t conv_psum_bytes(uint32_t group, uint32_t sweep_rows, uint32_t sweep_w) {
  return align_up(4 * uint64_t{group} * sweep_rows * sweep_w, kBufferAlign);
}

namespace {

struct ConvFootprint {
  uint64_t input = 0, output = 0;
};

ConvFootprint conv_footprint(const ConvProblem& p, const BandStats& s, uint32_t group, uint32_t pass, bool passes) {
  ConvFootprint f;
  f.input = uint64_t{pass} * s.max_in_rows * p.in_w;
  f.output = (passes ? conv_psum_bytes(group, s.max_sweep_rows, p.sweep_w) : 0) +
             uint64_t{group} * s.max_rows * p.result_w;
  return f;
}

struct Scored {
  Tiling tiling;
  uint64_t cost = UINT64_MAX;
  uint64_t instructions = 0;
};

// Loads, DDR bytes and instructions of one (bands, groups, passes, order) choice, given that the
// scheduler keeps a tile resident while its key still sits in one of the buffer's slots.
Scored score_conv(const ConvProblem& p, const TileBudget& budget, const Tiling& t, uint64_t total_in_rows,
                  uint64_t total_sweep_rows) {
  const uint64_t nb = t.bands, ng = t.groups, np = t.passes;
  const bool band_outer = t.order == LoopOrder::kBandOuter;
  // A grouped layer's output tiles read disjoint inputs: each is loaded once per band.
  const bool grouped = p.groups > 1;
  const uint64_t input_reloads = grouped || (band_outer ? np : nb * np) <= budget.slots ? 1 : ng;
  const uint64_t weight_reloads = (band_outer ? ng * np : np) <= budget.slots ? 1 : nb;
  const uint64_t input_bytes = uint64_t{p.in_c} * total_in_rows * p.in_w * input_reloads;
  const uint64_t weight_bytes =
      (uint64_t{p.out_c} * (p.in_c / p.groups) * p.kernel_h * p.kernel_w + (p.channel_shifts ? 5 : 4) * uint64_t{p.out_c}) *
      weight_reloads;
  const uint64_t output_bytes = uint64_t{p.out_c} * p.rows.result_h() * p.result_w;
  const uint64_t psum_bytes = psum_traffic(np, uint64_t{p.out_c} * total_sweep_rows * p.sweep_w);
  Scored s;
  s.tiling = t;
  const uint64_t input_loads = grouped ? nb * ng * np : nb * np * input_reloads;
  s.instructions = nb * ng * np + nb * ng + input_loads + ng * np * weight_reloads;
  s.cost = input_bytes + weight_bytes + output_bytes + psum_bytes / kPsumBytesPerDdrByte +
           s.instructions * kInstructionCostBytes;
  return s;
}

bool better(const Scored& a, const Scored& b) {
  if (a.cost != b.cost) return a.cost < b.cost;
  if (a.instructions != b.instructions) return a.instructions < b.instructions;
  return a.tiling.pass_channels > b.tiling.pass_channels;
}

std::string conv_why(const ConvProblem& p, const TileBudget& budget) {
  const uint64_t weights = conv_weight_tile_bytes(1, 1, p.kernel_h, p.kernel_w, p.channel_shifts);
  if (weights > budget.weight)
    return "the weights of one output channel for one input channel with its bias (" + bytes_text(weights) +
           ") exceed a weight-buffer slot (" + bytes_text(budget.weight) + ")";
  const BandStats s = band_stats(p.rows, p.rows.result_h());
  const ConvFootprint f = conv_footprint(p, s, 1, 1, p.in_c / p.groups > 1);
  if (f.input > budget.input)
    return "one row band of one input channel (" + std::to_string(s.max_in_rows) + " rows x " +
           std::to_string(p.in_w) + " B = " + bytes_text(f.input) + ") exceeds an input-buffer slot (" +
           bytes_text(budget.input) + ")";
  return "one result row of one output channel (int32 partial sums + int8 result: " + bytes_text(f.output) +
         ") exceeds an output-buffer slot (" + bytes_text(budget.output) + ")";
}

// The (output tile, pass) shapes a tier offers: dense, any output channels x any input channels;
// grouped, k whole groups with all their input channels, or one group in passes of its channels.
struct ConvShapeChoice {
  uint32_t group = 1;  // output channels per tile
  uint32_t pass = 1;   // input channels per pass (grouped: of each group)
  uint32_t ins = 1;    // input channels one instruction reads
  uint32_t passes = 1;
  uint32_t weights_per_output = 1;  // input channels of one output channel's weights in a pass
};

std::vector<ConvShapeChoice> conv_shape_choices(const ConvProblem& p, const Tier& tier) {
  std::vector<ConvShapeChoice> v;
  if (p.groups <= 1) {
    for (const uint32_t pass : tier.passes)
      for (const uint32_t group : tier.groups)
        v.push_back({group, pass, pass, static_cast<uint32_t>(ceil_div(p.in_c, pass)), pass});
    return v;
  }
  const uint32_t group_in = p.in_c / p.groups, group_out = p.out_c / p.groups;
  for (const uint32_t k : candidates(p.groups, 1)) v.push_back({k * group_out, group_in, k * group_in, 1, group_in});
  for (const uint32_t pass : candidates(group_in, 1))
    if (pass < group_in) v.push_back({group_out, pass, pass, static_cast<uint32_t>(ceil_div(group_in, pass)), pass});
  return v;
}

}  // namespace

std::optional<BandedTiling> choose_conv_tiling(const ConvProblem& p, const TileBudget& budget, std::string& why) {
  const uint32_t result_h = p.rows.result_h();
  Scored best;
  uint32_t best_bands = 0;
  // A grouped layer's tiles follow its groups: one tier, no alignment to the hardware.
  const std::vector<Tier> all_tiers = tiers(p.in_c, p.out_c, budget);
  const size_t tier_count = p.groups > 1 ? 1 : all_tiers.size();
  for (size_t tier_index = 0; tier_index < tier_count; ++tier_index) {
    for (const ConvShapeChoice& choice : conv_shape_choices(p, all_tiers[tier_index])) {
      const uint32_t group = choice.group, pass = choice.pass, passes = choice.passes;
      const uint64_t weight_tile =
          conv_weight_tile_bytes(group, choice.weights_per_output, p.kernel_h, p.kernel_w, p.channel_shifts);
      if (weight_tile > budget.weight) continue;
      auto fits = [&](uint32_t bands) {
        const ConvFootprint f = conv_footprint(p, band_stats(p.rows, bands), group, choice.ins, passes > 1);
        return f.input <= budget.input && f.output <= budget.output;
      };
      const uint32_t bands = fewest_bands(result_h, fits);
      if (bands == 0) continue;
      const BandStats stats = band_stats(p.rows, bands);
      const ConvFootprint f = conv_footprint(p, stats, group, choice.ins, passes > 1);
      Tiling t;
      t.bands = static_cast<uint32_t>(make_bands(p.rows, bands).size());
      t.band_rows = stats.max_rows;
      t.groups = static_cast<uint32_t>(ceil_div(p.out_c, group));
      t.group_size = group;
      t.passes = passes;
      t.pass_channels = pass;
      t.input_tile_bytes = f.input;
      t.weight_tile_bytes = weight_tile;
      t.output_tile_bytes = f.output;
      for (const LoopOrder order : {LoopOrder::kBandOuter, LoopOrder::kGroupOuter}) {
        t.order = order;
        const Scored s = score_conv(p, budget, t, stats.total_in_rows, stats.total_sweep_rows);
        if (better(s, best)) {
          best = s;
          best_bands = bands;
        }
      }
    }
    if (best.cost != UINT64_MAX) return BandedTiling{best.tiling, make_bands(p.rows, best_bands)};
  }
  why = conv_why(p, budget);
  return std::nullopt;
}

std::optional<FcTiling> choose_fc_tiling(uint32_t n_in, uint32_t n_out, const TileBudget& budget, std::string& why,
                                         bool channel_shifts) {
  Scored best;
  uint32_t best_per_store = 1;
  for (const Tier& tier : tiers(n_in, n_out, budget)) {
    for (const uint32_t pass : tier.passes) {
      if (pass > budget.input) continue;
      const uint64_t passes = ceil_div(n_in, pass);
      for (const uint32_t group : tier.groups) {
        const uint64_t weight_tile = conv_weight_tile_bytes(group, pass, 1, 1, channel_shifts);
        const uint64_t psum = passes > 1 ? align_up(4 * uint64_t{group}, kBufferAlign) : 0;
        if (weight_tile > budget.weight || psum + group > budget.output) continue;
        const uint64_t groups = ceil_div(n_out, group);
        const uint64_t per_store = std::min<uint64_t>(groups, (budget.output - psum) / group);
        const uint64_t input_reloads = passes <= budget.slots ? 1 : groups;
        Scored s;
        s.tiling.groups = static_cast<uint32_t>(groups);
        s.tiling.group_size = group;
        s.tiling.passes = static_cast<uint32_t>(passes);
        s.tiling.pass_channels = pass;
        s.tiling.order = LoopOrder::kGroupOuter;
        s.tiling.input_tile_bytes = pass;
        s.tiling.weight_tile_bytes = weight_tile;
        s.tiling.output_tile_bytes = psum + per_store * group;
        s.instructions = 2 * groups * passes + passes * input_reloads + ceil_div(groups, per_store);
        s.cost = uint64_t{n_out} * n_in + (channel_shifts ? 5 : 4) * uint64_t{n_out} + uint64_t{n_in} * input_reloads + n_out +
                 psum_traffic(passes, n_out) / kPsumBytesPerDdrByte + s.instructions * kInstructionCostBytes;
        if (better(s, best)) {
          best = s;
          best_per_store = static_cast<uint32_t>(per_store);
        }
      }
    }
    if (best.cost != UINT64_MAX) return FcTiling{best.tiling, best_per_store};
  }
  const uint64_t weights = conv_weight_tile_bytes(1, 1, 1, 1, channel_shifts);
  if (weights > budget.weight)
    why = "one weight with its bias (" + bytes_text(weights) + ") exceeds a weight-buffer slot (" +
          bytes_text(budget.weight) + ")";
  else
    why = "one output (int32 partial sum + int8 result) exceeds an output-buffer slot (" +
          bytes_text(budget.output) + ")";
  return std::nullopt;
}

std::optional<BandedTiling> choose_pool_tiling(const RowSweep& rows, uint32_t c, uint32_t in_w, uint32_t out_w,
                                               const TileBudget& budget, std::string& why) {
  const uint32_t result_h = rows.result_h();
  Scored best;
  uint32_t best_bands = 0;
  for (const uint32_t group : candidates(c, 1)) {
    auto footprint = [&](const BandStats& s) {
      return std::make_pair(uint64_t{group} * s.max_in_rows * in_w, uint64_t{group} * s.max_rows * out_w);
    };
    auto fits = [&](uint32_t bands) {
      const auto [in, out] = footprint(band_stats(rows, bands));
      return in <= budget.input && out <= budget.output;
    };
    const uint32_t bands = fewest_bands(result_h, fits);
    if (bands == 0) continue;
    const BandStats stats = band_stats(rows, bands);
    Scored s;
    s.tiling.bands = static_cast<uint32_t>(make_bands(rows, bands).size());
    s.tiling.band_rows = stats.max_rows;
    s.tiling.groups = static_cast<uint32_t>(ceil_div(c, group));
    s.tiling.group_size = group;
    s.tiling.input_tile_bytes = footprint(stats).first;
    s.tiling.output_tile_bytes = footprint(stats).second;
    s.instructions = 3 * uint64_t{s.tiling.bands} * s.tiling.groups;
    s.cost = uint64_t{c} * stats.total_in_rows * in_w + uint64_t{c} * result_h * out_w +
             s.instructions * kInstructionCostBytes;
    if (better(s, best)) {
      best = s;
      best_bands = bands;
    }
  }
  if (best.cost != UINT64_MAX) return BandedTiling{best.tiling, make_bands(rows, best_bands)};
  const BandStats s = band_stats(rows, result_h);
  why = "one row band of one channel (" + std::to_string(s.max_in_rows) + " rows x " + std::to_string(in_w) +
        " B in, " + std::to_string(out_w) + " B out) exceeds an input-buffer slot (" + bytes_text(budget.input) +
        ") or an output-buffer slot (" + bytes_text(budget.output) + ")";
  return std::nullopt;
}

std::optional<Tiling> choose_eltwise_tiling(uint64_t elements, const TileBudget& budget, std::string& why) {
  // Operand a at the slot's start, b at the next aligned offset.
  const uint64_t by_input = budget.input >= kBufferAlign ? (budget.input - kBufferAlign) / 2 : 0;
  const uint64_t chunk_max = std::min({elements, by_input, budget.output});
  if (chunk_max == 0) {
    why = "two operand elements do not fit an input-buffer slot (" + bytes_text(budget.input) + ")";
    return std::nullopt;
  }
  const uint64_t chunks = ceil_div(elements, chunk_max);
  Tiling t;
  t.groups = static_cast<uint32_t>(chunks);
  t.group_size = static_cast<uint32_t>(ceil_div(elements, chunks));
  t.input_tile_bytes = align_up(t.group_size, kBufferAlign) + t.group_size;
  t.output_tile_bytes = t.group_size;
  return t;
}

}  // namespace dlvp::builder

// The cost of a configuration, known before any simulation: FPGA resources and whether they fit
// the configured device, ASIC area and leakage at the technology table's node (docs/cost.md).
// `dlvp run` prints and reports these figures; `dlvp sweep` records them as columns and checks
// constraints on them before running a point.
//
// One structural inventory per block (multipliers by operand width, adders, registers,
// multiplexers, memories by size and width, control) is mapped twice: to FPGA primitives (DSP
// slices, BRAM36 blocks, LUTs, flip-flops) and to NAND2-equivalent gates and SRAM macros.
#pragma once
#include "platform/fpga_device.h"
#include "platform/platform_config.h"

#include <string>
#include <vector>

namespace dlvp {

struct CostFigure {
  std::string name;  // a dotted column name: "fpga.dsp", "fpga.fits", "asic.area_mm2", ...
  double value = 0;
  std::string unit;  // "" for counts and flags
  std::string description;
};

// What one block of the accelerator costs.
struct CostComponent {
  std::string name;    // "cnn.convolvers", "lstm.pes", "dma", ...
  double dsp = 0;      // DSP slices
  double bram36 = 0;   // 36 Kb block RAMs (an 18 Kb half counts 0.5)
  double lut = 0, ff = 0;
  double gates = 0;    // ASIC logic in NAND2 equivalents (SRAM macros not included)
  uint64_t sram_bytes = 0;    // memories that are SRAM macros on an ASIC
  double sram_um2 = 0;        // their area, by macro size (0 without the technology's area data)
};

struct CostEstimate {
  std::vector<CostComponent> components;
  FpgaDevice device;
  bool has_area = false;             // the technology table has area data
  std::string technology;            // its name
  double node_nm = 0;
  double asic_overhead = 1, nand2_um2 = 0, leakage_gate_nw = 0, leakage_sram_uw_per_kb = 0;
};

// Leakage power of one block on an ASIC at the technology table's node, logic and SRAM apart.
struct BlockLeakage {
  std::string name;  // the CostComponent's
  double logic_mw = 0, sram_mw = 0;
};
// Per block, with the technology table's leakage coefficients (`asic.leakage_mw` is their sum);
// empty when the table has no area data. The SoC charges them as static energy over simulated
// time (docs/energy.md, "Leakage").
std::vector<BlockLeakage> leakage_by_block(const CostEstimate& estimate);

// The structural estimate of the configuration (reads the device file and the technology table).
// Throws ConfigError when either is malformed or the configuration names no device file.
CostEstimate estimate_structure(const PlatformConfig& config);
// Every figure of the cost model for this configuration, in a fixed order.
std::vector<CostFigure> cost_figures(const CostEstimate& estimate);
std::vector<CostFigure> estimate_cost(const PlatformConfig& config);

namespace cost {
// 36 Kb block RAMs (in halves: an 18 Kb block is 0.5) for a memory of `bytes` read `width_bits`
// at a time: the cheapest of the block's aspect ratios (32K x 1 .. 512 x 64 data bits).
double bram36_blocks(uint64_t bytes, uint32_t width_bits);
// DSP slices for `products` a x b multiplications of which `shared_pairs` pairs share an operand:
// a pair packs into one slice when both products fit side by side in its A x B multiplier.
uint64_t dsp_slices(uint64_t products, uint64_t shared_pairs, uint32_t a_bits, uint32_t b_bits, const FpgaDevice& device);
// Whether two a x b products sharing the b operand pack into one slice of `device`.
bool products_pack(uint32_t a_bits, uint32_t b_bits, const FpgaDevice& device);
}  // namespace cost

}  // namespace dlvp

// The cost model (docs/cost.md): block RAM rounding and DSP packing from hand-derived cases, the
// fit check, the ASIC figures' composition, report.json's cost object and the summary, and the
// validation against the paper's Aristotle and Descartes implementations ([Guo17]).
#include "platform/cost_model.h"
#include "platform/report.h"
#include "platform/scenario.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

namespace {

using namespace dlvp;

PlatformConfig config_of(const std::string& hw, const std::vector<std::string>& overrides = {}) {
  return load_platform_config(Scenario::load(DLVP_SOURCE_DIR "/scenarios/hw/" + hw + ".yaml", overrides), "");
}

std::map<std::string, double> figures_of(const CostEstimate& estimate) {
  std::map<std::string, double> out;
  for (const CostFigure& f : cost_figures(estimate)) out[f.name] = f.value;
  return out;
}

std::map<std::string, double> figures_of(const PlatformConfig& config) { return figures_of(estimate_structure(config)); }

FpgaDevice device(uint32_t a_bits, uint32_t b_bits) {
  FpgaDevice d;
  d.dsp_a_bits = a_bits;
  d.dsp_b_bits = b_bits;
  return d;
}

// Hand-derived: words = bytes x 8 / width; the cheapest aspect ratio of a 36 Kb block (4 KB of
// data: 4K x 8, 2K x 16, 1K x 32, 512 x 64, ...), a last partial row in an 18 Kb half.
TEST(CostModel, BlockRamRoundsToTheBlocksGeometry) {
  EXPECT_EQ(cost::bram36_blocks(4096, 8), 1.0);       // 4K x 8: one block
  EXPECT_EQ(cost::bram36_blocks(2048, 8), 0.5);       // 2K x 8: an 18 Kb half
  EXPECT_EQ(cost::bram36_blocks(5000, 8), 1.5);       // 4K x 8 + 904 words in a 2K x 8 half
  EXPECT_EQ(cost::bram36_blocks(4097, 8), 1.5);
  EXPECT_EQ(cost::bram36_blocks(96 * 1024, 128), 24.0);  // 6144 x 128: 2 x 12 of 512 x 64, or 4 x 6 of 1K x 32
  EXPECT_EQ(cost::bram36_blocks(100, 128), 2.0);      // 7 words of 128 bits: the width costs, not the depth
  EXPECT_EQ(cost::bram36_blocks(32 * 1024, 16), 8.0);  // 16K x 16: 8 rows of 2K x 16
  EXPECT_EQ(cost::bram36_blocks(4096, 1), 1.0);       // 32K x 1
  EXPECT_EQ(cost::bram36_blocks(4096, 72), 1.5);      // 456 words of 72 bits: 3 columns of 512 x 32 halves
  EXPECT_EQ(cost::bram36_blocks(0, 8), 0.0);
}

// Two a x b products sharing b pack when the lower product (a + b bits) and the upper a operand fit
// the A port: 8 x 8 needs 16 + 8 = 24 bits (DSP48E1: 25), 9 x 9 needs 27 (DSP48E2 only).
TEST(CostModel, DspPackingFollowsTheSliceWidths) {
  const FpgaDevice e1 = device(25, 18), e2 = device(27, 18);
  EXPECT_TRUE(cost::products_pack(8, 8, e1));
  EXPECT_FALSE(cost::products_pack(9, 9, e1));
  EXPECT_TRUE(cost::products_pack(9, 9, e2));
  EXPECT_FALSE(cost::products_pack(16, 12, e2));  // the LSTM PE: 12-bit weight x 16-bit activations
  EXPECT_FALSE(cost::products_pack(8, 20, e2));   // the shared operand is wider than B
  // Aristotle: 2 PEs x 16 convolvers x 9, the PEs' products paired on the broadcast pixel.
  EXPECT_EQ(cost::dsp_slices(288, 144, 8, 8, e1), 144u);
  EXPECT_EQ(cost::dsp_slices(3, 1, 8, 8, e1), 2u);      // a pair and a single
  EXPECT_EQ(cost::dsp_slices(288, 144, 9, 9, e1), 288u);  // no packing: one each
  EXPECT_EQ(cost::dsp_slices(10, 5, 16, 12, e2), 10u);
  EXPECT_EQ(cost::dsp_slices(1, 0, 32, 32, e1), 4u);    // 32 x 32 tiled: ceil(32/25) x ceil(32/18)
  EXPECT_EQ(cost::dsp_slices(1, 0, 18, 27, e2), 1u);    // operands swap to fit 27 x 18
}

TEST(CostModel, TheAristotleConfigurationFitsTheXc7z020AndFourPesDoNot) {
  const auto two = figures_of(config_of("zynq7020", {"lstm.enabled=false"}));
  EXPECT_EQ(two.at("fpga.fits"), 1.0);
  EXPECT_LE(two.at("fpga.dsp_utilization"), 1.0);
  // 4 PEs: 4 x 16 x 9 / 2 = 288 slices for the multipliers alone, more than the 220 of the device.
  const auto four = figures_of(config_of("zynq7020", {"lstm.enabled=false", "cnn.pes=4"}));
  EXPECT_EQ(four.at("fpga.fits"), 0.0);
  EXPECT_GT(four.at("fpga.dsp"), 220.0);
  EXPECT_GT(four.at("fpga.dsp_utilization"), 1.0);
  // The same configuration fits the larger XCZU9EG (2,520 slices).
  const auto zu9 = figures_of(config_of("zynq7020", {"lstm.enabled=false", "cnn.pes=4", "cost.fpga_device=xczu9eg"}));
  EXPECT_EQ(zu9.at("fpga.fits"), 1.0);
  EXPECT_EQ(zu9.at("fpga.dsp"), four.at("fpga.dsp"));  // 8 x 8 pairs pack on DSP48E2 too
  EXPECT_NEAR(zu9.at("fpga.dsp_utilization"), zu9.at("fpga.dsp") / 2520.0, 1e-12);
}

TEST(CostModel, AsicAreaIsLogicPlusSramTimesTheOverheadAndLeakageFollowsThem) {
  const auto base = figures_of(config_of("zynq7020"));
  const auto doubled = figures_of(config_of("zynq7020", {"cost.asic_overhead=2.86"}));
  EXPECT_NEAR(base.at("asic.area_mm2"), (base.at("asic.logic_mm2") + base.at("asic.sram_mm2")) * 1.43, 1e-9);
  EXPECT_NEAR(doubled.at("asic.area_mm2"), 2 * base.at("asic.area_mm2"), 1e-9);
  const TechTable tech = TechTable::load(DLVP_SOURCE_DIR "/scenarios/tech/horowitz-45nm.yaml");
  EXPECT_NEAR(base.at("asic.logic_mm2"), base.at("asic.gates") * tech.area("nand2").value * 1e-6, 1e-9);
  EXPECT_NEAR(base.at("asic.leakage_mw"),
              base.at("asic.gates") * tech.area("leakage_gate").value * 1e-6 +
                  base.at("asic.sram_kb") * tech.area("leakage_sram").value * 1e-3,
              1e-9);
  // A bigger SRAM macro is cheaper per byte (periphery shared by more bits).
  EXPECT_LT(tech.sram_um2_per_byte(1 << 20), tech.sram_um2_per_byte(8192));
  // A technology table without area data gives the FPGA figures only.
  const auto normalized = figures_of(config_of("zynq7020", {"energy.tech=normalized-eyeriss"}));
  EXPECT_EQ(normalized.count("asic.area_mm2"), 0u);
  EXPECT_EQ(normalized.at("fpga.dsp"), base.at("fpga.dsp"));
}

// Loading the zynq7020 board with `key` set to a file holding `text` is refused with a message
// naming the file and containing `what`.
void expect_refused(const std::string& key, const std::string& text, const std::string& what) {
  const auto dir = std::filesystem::temp_directory_path() / "dlvp_cost_model_test";
  std::filesystem::create_directories(dir);
  const auto file = dir / "bad.yaml";
  std::ofstream(file) << text;
  try {
    config_of("zynq7020", {key + "=" + file.string()});
    ADD_FAILURE() << key << ": accepted " << text;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

TEST(CostModel, BadDeviceFilesAndAreaDataAreErrorsWhenTheConfigurationLoads) {
  expect_refused("cost.fpga_device",
                 "name: bad\nfamily: x\nluts: 0\nflip_flops: 1\nbram36: 1\ndsp_slices: 1\n"
                 "dsp_multiplier_bits: [25, 18]\nsource: none\n",
                 "'luts'");
  expect_refused("cost.fpga_device",
                 "name: bad\nfamily: x\nluts: 1\nflip_flops: 1\nbram36: 1\ndsp_slices: 1\nsource: none\n",
                 "'dsp_multiplier_bits'");
  // A technology table whose area section lacks a coefficient the model needs.
  expect_refused("energy.tech",
                 "name: t\nunit: pJ\nentries: {}\narea:\n  nand2: {value: 1, unit: um2, source: s}\n"
                 "sram_area: {source: s, points: [{bytes: 8, um2_per_byte: 1}]}\n",
                 "area entry");
}

TEST(CostModel, TheReportHasEveryFigureAndTheSummaryACostBlock) {
  const PlatformConfig config = config_of("zynq7020", {"cnn.pes=4", "lstm.enabled=false"});
  EnergyLedger ledger(TechTable::load(config.tech_path));
  const nlohmann::json r = build_report(config, RunOutcome{}, ledger, {});
  ASSERT_TRUE(r.contains("cost"));
  EXPECT_EQ(r["cost"]["device"]["name"], "xc7z020");
  EXPECT_EQ(r["cost"]["device"]["dsp_slices"], 220);
  for (const CostFigure& f : estimate_cost(config)) {
    ASSERT_TRUE(r["cost"]["figures"].contains(f.name)) << f.name;
    EXPECT_EQ(r["cost"]["figures"][f.name]["value"].get<double>(), f.value) << f.name;
    EXPECT_EQ(r["cost"]["figures"][f.name]["unit"], f.unit) << f.name;
  }
  double dsp = 0;
  for (const auto& c : r["cost"]["components"]) dsp += c["dsp"].get<double>();
  EXPECT_EQ(dsp, r["cost"]["figures"]["fpga.dsp"]["value"].get<double>());
  std::ostringstream os;
  print_summary(os, r);
  EXPECT_NE(os.str().find("cost (xc7z020)   DSP "), std::string::npos) << os.str();
  EXPECT_NE(os.str().find("/220 ("), std::string::npos) << os.str();
  EXPECT_NE(os.str().find("DOES NOT FIT"), std::string::npos) << os.str();
  EXPECT_NE(os.str().find("ASIC at 45 nm"), std::string::npos) << os.str();
}

// ---------------------------------------------------------------------------------------------
// Validation against [Guo17] (docs/cost.md, "Validation"). The paper's figures; the model's
// relative deviation must stay in the band docs/cost.md states and explains for each figure.

struct Target {
  const char* figure;
  double paper;
  double low, high;  // allowed (model - paper) / paper
};

void validate(const char* design, const CostEstimate& estimate, std::initializer_list<Target> targets) {
  const auto figures = figures_of(estimate);
  for (const Target& t : targets) {
    const double model = figures.at(t.figure), deviation = (model - t.paper) / t.paper;
    std::printf("%-22s %-14s model %12.1f paper %12.1f  %+6.1f %%\n", design, t.figure, model, t.paper, 100 * deviation);
    EXPECT_GE(deviation, t.low) << design << " " << t.figure << ": model " << model << ", paper " << t.paper;
    EXPECT_LE(deviation, t.high) << design << " " << t.figure << ": model " << model << ", paper " << t.paper;
  }
}

// Only the blocks the paper's design has: `drop` names prefixes of components it lacks.
CostEstimate without(CostEstimate e, std::initializer_list<const char*> drop) {
  std::vector<CostComponent> kept;
  for (const CostComponent& c : e.components) {
    bool keep = true;
    for (const char* prefix : drop) keep = keep && c.name.rfind(prefix, 0) != 0;
    if (keep) kept.push_back(c);
  }
  e.components = std::move(kept);
  return e;
}

TEST(CostModel, AristotleMatchesThePaperOnTheXc7z020) {
  // scenarios/hw/zynq7020.yaml without the blocks Aristotle does not have: the LSTM engine and the
  // DMA test scratchpad.
  const CostEstimate e = estimate_structure(config_of("zynq7020", {"lstm.enabled=false", "scratchpad.size_bytes=0"}));
  validate("Aristotle", e,
           {{"fpga.dsp", 198, -0.15, 0.15},
            {"fpga.bram_kb", 272, -0.15, 0.15},
            {"asic.gates", 413000, -0.15, 0.15},
            {"fpga.lut", 27000, -0.31, -0.21}});  // explained in docs/cost.md
}

TEST(CostModel, DescartesAgainstThePaperOnTheXcku060) {
  // scenarios/hw/ese_ku060.yaml (the engine the LSTM tests simulate: 32 PEs x 1 multiplier) without
  // the CNN engine and the scratchpad; then with the multipliers the paper's 282 GOPS at 200 MHz
  // imply (705 per cycle: 22 per PE). 4.18 MB read as MiB (947 blocks of 36 Kb in [Han17]).
  // Far outside 15 %: docs/cost.md explains each gap; the bands catch drift.
  const double paper_kib = 4.18 * 1024;
  const PlatformConfig ese = config_of("ese_ku060", {"scratchpad.size_bytes=0"});
  validate("Descartes", without(estimate_structure(ese), {"cnn."}),
           {{"fpga.dsp", 1505, -0.80, -0.70},
            {"fpga.bram_kb", paper_kib, -0.62, -0.52},
            {"fpga.lut", 294000, -0.92, -0.85},
            {"asic.gates", 5080000, -0.85, -0.75}});
  const PlatformConfig paper_rate = config_of("ese_ku060", {"scratchpad.size_bytes=0", "lstm.macs_per_pe=22"});
  validate("Descartes at 282 GOPS", without(estimate_structure(paper_rate), {"cnn."}),
           {{"fpga.dsp", 1505, -0.35, -0.25},
            {"fpga.bram_kb", paper_kib, -0.62, -0.52},
            {"fpga.lut", 294000, -0.90, -0.82},
            {"asic.gates", 5080000, -0.60, -0.50}});
}

}  // namespace

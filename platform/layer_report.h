// The per-layer report of a run on the accelerator (docs/report.md, "Per-layer report"): one table
// per package (a program: the IFU's INSTR_BASE, mapped to the model package loaded at that DDR
// range), over completed jobs only. Per layer: its time as attributed by the IFU (ip/ifu/
// layer_timeline.h: engine busy, memory stall, store tail, other; span and overlap; the layers add
// up to the job), its engine's figures (MACs, engine busy cycles, the CNN engine's MAC utilization,
// the LSTM engine's PE load), DRAM traffic and energy per level through the layer's ledger tag, the
// resource that bounds it and roofline data, joined with the layer names, shapes and MACs of the
// package; per package what the [Sze17] survey (Section VIII) asks a report to state: batch size
// (images per job), precision, off-chip bytes and energy per inference (= per image).
#pragma once
#include "platform/platform_config.h"

#include <nlohmann/json.hpp>

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

namespace dlvp {

struct LoadedPackage;

// Layer names of the model packages among software.load, by program (the IFU's INSTR_BASE: the
// package loaded last over that address) and Header.tag, as the layer report names them.
class LayerNames {
 public:
  explicit LayerNames(const PlatformConfig& config);
  ~LayerNames();
  // The package's name of the layer; "layer<tag>" when the program lies in no package or the
  // package has no such layer (or was refused).
  std::string name(uint64_t instr_base, uint32_t tag) const;
  // The name of the layer table (accelerator.packages[].name) that holds the program's jobs: the
  // package file's stem, or "program@0x<base>" for a program in no package.
  std::string package_name(uint64_t instr_base) const;

 private:
  std::vector<LoadedPackage> packages_;
};

// report["accelerator"] from a finished run's report; null when the IFU ran no job.
nlohmann::json build_layer_report(const PlatformConfig& config, const nlohmann::json& report);

// layers.csv: per package, one row per layer (per-inference values, full precision), then the
// package's "total" row; energies in the report's unit; a column of the other engine is empty.
void write_layers_csv(std::ostream& os, const nlohmann::json& accelerator);
// The readable tables of the summary, one per package.
void print_layer_report(std::ostream& os, const nlohmann::json& accelerator);

}  // namespace dlvp

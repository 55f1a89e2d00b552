// The per-layer report of a run on the accelerator (docs/report.md, "Per-layer report"): the CNN
// and the sparse LSTM engines' per-layer time and energy (every level, DRAM included, through the
// layer's ledger tag) and DRAM traffic, each engine's own figures (the CNN engine's utilization;
// the LSTM engine's PE load, effective and dense-equivalent GOPS), joined with the layer names,
// shapes and MACs of the model package the scenario loaded, plus what the [Sze17] survey
// (Section VIII) asks a report to state: batch size, precision, off-chip bytes and energy per
// inference.
#pragma once
#include "platform/platform_config.h"

#include <nlohmann/json.hpp>

#include <ostream>
#include <string>

namespace dlvp {

// report["accelerator"] from a finished run's report; null when no compute engine ran a layer.
// Layer names come from the first model package among software.load (unnamed: "layer<tag>").
nlohmann::json build_layer_report(const PlatformConfig& config, const nlohmann::json& report);

// layers.csv: one row per layer (in tag order, either engine), then a "total" row; energies in the
// report's unit; a column of the other engine is empty.
void write_layers_csv(std::ostream& os, const nlohmann::json& accelerator);
// The readable table of the summary.
void print_layer_report(std::ostream& os, const nlohmann::json& accelerator);

}  // namespace dlvp

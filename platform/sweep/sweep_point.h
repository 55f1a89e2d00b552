// One sweep point in its own process (`dlvp sweep-point DIR INDEX`; SystemC elaborates once per
// process): check the constraints known before the run, compile the model for the point's
// hardware (or take the package a point with the same shaping hardware compiled), run the
// scenario in DIR/points/<INDEX>/, and write the row to DIR/rows/<INDEX>.json, whole or not at all.
#pragma once
#include "platform/sweep/sweep_plan.h"

#include <nlohmann/json.hpp>

#include <string>

namespace dlvp::sweep {

// Runs the point and writes its row, whatever its status (ok, failed, refused). Returns 0 when the
// row was written, exit_status::kOutputWriteFailed when it could not be, kBadInput when DIR holds
// no plan or INDEX is not one of its points.
int run_point(const std::string& dir, size_t index, const std::string& app_dir);

// A row of point `index` with every column of the plan null but the point, its axis values, the
// status, exit status and error.
nlohmann::json empty_row(const Plan& plan, size_t index, const std::string& status, int exit_status, const std::string& error);

// Writes DIR/rows/<index>.json atomically; "" on success, else the reason.
std::string write_row(const SweepFolder& folder, size_t index, const nlohmann::json& row);

}  // namespace dlvp::sweep

// LSTM compression for the sparse LSTM engine (docs/lstm.md, "Compression"): magnitude pruning
// to a target density (global, or load-balance-aware as in ESE: every PE's row slice keeps the
// same number of weights), 12-bit quantization (lstm_quantize.h), CSC encoding of each matrix into
// the PEs' streams with padding entries (ip/lstm/lstm_format.h), and the report of what that costs:
// density before and after padding, non-zeros per PE and their imbalance, bytes.
#pragma once
#include "tests/reference/lstm_reference.h"
#include "tools/dlvpc/lstm_quantize.h"

#include <cstdint>
#include <string>
#include <vector>

namespace dlvp::dlvpc {

enum class Pruning { kGlobal, kBalanced };
const char* to_string(Pruning mode);

struct PruneOptions {
  double density = 0.1;  // fraction of each matrix's weights kept (W, R and the projection)
  Pruning mode = Pruning::kBalanced;
  uint32_t pes = lstm::kDefaultPes;
};

// The matrix [rows][cols] with all but its largest magnitudes set to 0. It keeps
// n = round(density x rows x cols) weights: kGlobal the n largest of the matrix; kBalanced the
// largest of each PE's row slice (rows r with r mod pes = p), n / pes each (within 1), except
// that a slice with fewer non-zeros keeps them all and the others share the rest. Ties go to the
// lower index; weights that are already 0 are never kept (a matrix with fewer non-zeros than n
// keeps them all).
// Throws std::invalid_argument for a density outside [0, 1], 0 PEs or a size mismatch.
std::vector<double> prune_matrix(const std::vector<double>& values, uint32_t rows, uint32_t cols,
                                 const PruneOptions& options);
// W, R and the projection pruned (bias and peepholes are kept).
lstm_ref::FloatLstm prune_lstm(const lstm_ref::FloatLstm& model, const PruneOptions& options);

// The per-PE CSC streams of a quantized matrix: its non-zero 12-bit weights, padding entries for
// gaps longer than 15 rows (lstm_format.h). With store_zeros, every weight is an entry, zeros
// included: the engine's dense mode (the same matrix, every multiply-accumulate done).
lstm_ref::CscMatrix encode_csc(const lstm_ref::FixedMatrix& matrix, uint32_t pes, bool store_zeros = false);
lstm_ref::SparseLstm encode_lstm(const lstm_ref::FixedLstm& model, uint32_t pes, bool store_zeros = false);
// The matrix's memory image: each PE's stream (pointers, entries, padded to 4 bytes) in PE order,
// little-endian (lstm::stream_image_bytes).
std::vector<uint8_t> matrix_image(const lstm_ref::CscMatrix& matrix);

// min / mean / max over the PEs.
struct PeLoad {
  uint64_t min = 0, max = 0;
  double mean = 0;
  double imbalance() const { return mean > 0 ? static_cast<double>(max) / mean : 1.0; }  // max / mean
  static PeLoad of(const std::vector<uint64_t>& per_pe);
};

struct MatrixReport {
  std::string name;
  uint64_t rows = 0, cols = 0;
  uint64_t nonzeros = 0;  // entries with a non-zero weight
  uint64_t padding = 0;   // padding entries (weight 0)
  std::vector<uint64_t> nonzeros_per_pe, entries_per_pe;
  uint64_t weight_bytes = 0;   // entries x 2
  uint64_t pointer_bytes = 0;  // pes x (cols + 1) x 4
  double density() const;         // nonzeros / (rows x cols)
  double padded_density() const;  // (nonzeros + padding) / (rows x cols)
  PeLoad nonzero_load() const { return PeLoad::of(nonzeros_per_pe); }
  PeLoad entry_load() const { return PeLoad::of(entries_per_pe); }
};

struct CompressionReport {
  Pruning mode = Pruning::kBalanced;
  double target_density = 0;
  uint32_t pes = 0;
  std::vector<MatrixReport> matrices;  // W, R (and the projection)
  MatrixReport total;                  // the matrices together: rows = their elements, cols = 1,
                                       // per-PE counts summed
};

MatrixReport matrix_report(const lstm_ref::CscMatrix& matrix, const std::string& name);
CompressionReport compression_report(const lstm_ref::SparseLstm& sparse, Pruning mode, double target_density);
// The same for any matrices (a GRU's W, R_zr, R_h) encoded over `pes` PEs.
CompressionReport compression_report(std::vector<MatrixReport> matrices, uint32_t pes, Pruning mode, double target_density);
// One line per matrix and the total: shape, density before / after padding, non-zeros per PE
// (min / mean / max, imbalance), bytes of entries and pointers.
std::string format_report(const CompressionReport& report);

struct CompressOptions {
  PruneOptions prune;
  LstmQuantizeOptions quantize;
  bool store_zeros = false;  // dense mode (encode_csc)
};

struct CompressedLstm {
  lstm_ref::FloatLstm pruned;  // the float model after pruning (what calibration ran)
  LstmRanges ranges;
  lstm_ref::FixedLstm fixed;   // quantized, dense
  lstm_ref::SparseLstm sparse; // the same, encoded
  CompressionReport report;
};

// Prune, calibrate on `calibration` ([T][I] sequences, from zero states), quantize, encode. With
// `ranges` (the calibration cache's, of the same pruned model and sequences) the float runs are
// skipped.
CompressedLstm compress_lstm(const lstm_ref::FloatLstm& model, const std::vector<std::vector<double>>& calibration,
                             const CompressOptions& options, const LstmRanges* ranges = nullptr);

// The reports of both pruning modes (load-balanced first, then global) with the other options
// unchanged: what load-balance-aware pruning buys.
std::vector<CompressionReport> pruning_reports(const lstm_ref::FloatLstm& model,
                                               const std::vector<std::vector<double>>& calibration,
                                               CompressOptions options);

}  // namespace dlvp::dlvpc

#include "tools/dlvpc/lstm_compress.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>

namespace dlvp::dlvpc {

const char* to_string(Pruning mode) { return mode == Pruning::kGlobal ? "global" : "load-balanced"; }

namespace {

// Keeps the `count` largest magnitudes among `candidates` (indices into values; ties: lower index).
void keep_largest(const std::vector<double>& values, std::vector<uint64_t> candidates, uint64_t count,
                  std::vector<double>& out) {
  candidates.erase(std::remove_if(candidates.begin(), candidates.end(), [&](uint64_t i) { return values[i] == 0; }),
                   candidates.end());
  count = std::min<uint64_t>(count, candidates.size());
  if (count == 0) return;
  const auto larger = [&](uint64_t a, uint64_t b) {
    const double ma = std::fabs(values[a]), mb = std::fabs(values[b]);
    return ma > mb || (ma == mb && a < b);
  };
  std::nth_element(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(count - 1), candidates.end(), larger);
  for (uint64_t k = 0; k < count; ++k) out[candidates[k]] = values[candidates[k]];
}

}  // namespace

std::vector<double> prune_matrix(const std::vector<double>& values, uint32_t rows, uint32_t cols,
                                 const PruneOptions& options) {
  if (!(options.density >= 0 && options.density <= 1))
    throw std::invalid_argument("prune: density " + std::to_string(options.density) + " is outside [0, 1]");
  if (options.pes == 0) throw std::invalid_argument("prune: 0 PEs");
  if (values.size() != uint64_t{rows} * cols) throw std::invalid_argument("prune: matrix size does not match its shape");
  const uint64_t keep = static_cast<uint64_t>(std::llround(options.density * static_cast<double>(values.size())));
  std::vector<double> out(values.size(), 0.0);
  if (options.mode == Pruning::kGlobal) {
    std::vector<uint64_t> all(values.size());
    std::iota(all.begin(), all.end(), uint64_t{0});
    keep_largest(values, std::move(all), keep, out);
    return out;
  }
  // Load-balance-aware: every PE that holds rows gets the same share (within 1). A PE whose slice
  // has fewer non-zeros than its share keeps them all and the rest is shared by the others: PEs
  // are served in ascending order of their non-zeros, each taking ceil(remaining / PEs left).
  const uint32_t active = std::min(options.pes, rows);
  std::vector<std::vector<uint64_t>> slices(active);
  std::vector<uint64_t> available(active, 0);
  for (uint32_t pe = 0; pe < active; ++pe)
    for (uint32_t r = pe; r < rows; r += options.pes)
      for (uint32_t j = 0; j < cols; ++j) {
        slices[pe].push_back(uint64_t{r} * cols + j);
        available[pe] += values[uint64_t{r} * cols + j] != 0;
      }
  std::vector<uint32_t> order(active);
  std::iota(order.begin(), order.end(), 0u);
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return available[a] < available[b]; });
  uint64_t remaining = keep;
  for (uint32_t i = 0; i < active; ++i) {
    const uint32_t pe = order[i], left = active - i;
    const uint64_t share = std::min(available[pe], (remaining + left - 1) / left);
    keep_largest(values, std::move(slices[pe]), share, out);
    remaining -= share;
  }
  return out;
}

lstm_ref::FloatLstm prune_lstm(const lstm_ref::FloatLstm& model, const PruneOptions& options) {
  model.check();
  lstm_ref::FloatLstm p = model;
  p.w = prune_matrix(model.w, model.gate_rows(), model.input_size, options);
  p.r = prune_matrix(model.r, model.gate_rows(), model.recurrent_size(), options);
  if (model.projection_size) p.projection = prune_matrix(model.projection, model.projection_size, model.hidden_size, options);
  return p;
}

lstm_ref::CscMatrix encode_csc(const lstm_ref::FixedMatrix& m, uint32_t pes, bool store_zeros) {
  if (pes == 0) throw std::invalid_argument("encode_csc: 0 PEs");
  if (m.q.size() != uint64_t{m.rows} * m.cols) throw std::invalid_argument("encode_csc: matrix size does not match its shape");
  lstm_ref::CscMatrix c;
  c.rows = m.rows, c.cols = m.cols, c.pes = pes, c.frac = m.frac;
  c.streams.resize(pes);
  for (uint32_t pe = 0; pe < pes; ++pe) {
    lstm_ref::CscStream& s = c.streams[pe];
    s.pointers.assign(uint64_t{m.cols} + 1, 0);
    const uint32_t slice = lstm::slice_rows(m.rows, pes, pe);
    for (uint32_t j = 0; j < m.cols; ++j) {
      int64_t previous = -1;  // the local row of the column's last entry
      for (uint32_t local = 0; local < slice; ++local) {
        const int16_t w = m.q[uint64_t{lstm::global_row(pe, local, pes)} * m.cols + j];
        if (w == 0 && !store_zeros) continue;
        int64_t gap = local - previous - 1;
        for (; gap > lstm::kMaxSkip; gap -= lstm::kMaxSkip + 1) s.entries.push_back(lstm::kPaddingEntry);
        s.entries.push_back(lstm::make_entry(w, static_cast<uint32_t>(gap)));
        previous = local;
      }
      s.pointers[j + 1] = static_cast<uint32_t>(s.entries.size());
    }
  }
  return c;
}

lstm_ref::SparseLstm encode_lstm(const lstm_ref::FixedLstm& model, uint32_t pes, bool store_zeros) {
  lstm_ref::SparseLstm s;
  s.w = encode_csc(model.w, pes, store_zeros);
  s.r = encode_csc(model.r, pes, store_zeros);
  if (model.projection_size) s.projection = encode_csc(model.projection, pes, store_zeros);
  return s;
}

std::vector<uint8_t> matrix_image(const lstm_ref::CscMatrix& m) {
  std::vector<uint8_t> image;
  const auto put = [&](uint64_t v, int bytes) {
    for (int b = 0; b < bytes; ++b) image.push_back(static_cast<uint8_t>(v >> (8 * b)));
  };
  for (const lstm_ref::CscStream& s : m.streams) {
    const size_t start = image.size();
    for (const uint32_t p : s.pointers) put(p, lstm::kPointerBytes);
    for (const uint16_t e : s.entries) put(e, lstm::kEntryBytes);
    image.resize(start + lstm::stream_image_bytes(m.cols, static_cast<uint32_t>(s.entries.size())), 0);
  }
  return image;
}

PeLoad PeLoad::of(const std::vector<uint64_t>& per_pe) {
  PeLoad l;
  if (per_pe.empty()) return l;
  l.min = *std::min_element(per_pe.begin(), per_pe.end());
  l.max = *std::max_element(per_pe.begin(), per_pe.end());
  l.mean = static_cast<double>(std::accumulate(per_pe.begin(), per_pe.end(), uint64_t{0})) / static_cast<double>(per_pe.size());
  return l;
}

double MatrixReport::density() const {
  return rows && cols ? static_cast<double>(nonzeros) / static_cast<double>(rows * cols) : 0.0;
}

double MatrixReport::padded_density() const {
  return rows && cols ? static_cast<double>(nonzeros + padding) / static_cast<double>(rows * cols) : 0.0;
}

MatrixReport matrix_report(const lstm_ref::CscMatrix& m, const std::string& name) {
  MatrixReport r;
  r.name = name;
  r.rows = m.rows, r.cols = m.cols;
  for (const lstm_ref::CscStream& s : m.streams) {
    // An entry with weight 0 is padding whatever its skip (kPaddingEntry, or a stored zero in dense mode).
    uint64_t zeros = 0;
    for (const uint16_t e : s.entries) zeros += lstm::entry_weight(e) == 0;
    r.padding += zeros;
    r.nonzeros += s.entries.size() - zeros;
    r.nonzeros_per_pe.push_back(s.entries.size() - zeros);
    r.entries_per_pe.push_back(s.entries.size());
    r.weight_bytes += s.entries.size() * lstm::kEntryBytes;
    r.pointer_bytes += s.pointers.size() * lstm::kPointerBytes;
  }
  return r;
}

CompressionReport compression_report(const lstm_ref::SparseLstm& sparse, Pruning mode, double target_density) {
  std::vector<MatrixReport> matrices{matrix_report(sparse.w, "W"), matrix_report(sparse.r, "R")};
  if (sparse.projection.rows) matrices.push_back(matrix_report(sparse.projection, "projection"));
  return compression_report(std::move(matrices), sparse.w.pes, mode, target_density);
}

CompressionReport compression_report(std::vector<MatrixReport> matrices, uint32_t pes, Pruning mode, double target_density) {
  CompressionReport report;
  report.mode = mode;
  report.target_density = target_density;
  report.pes = pes;
  report.matrices = std::move(matrices);
  MatrixReport& t = report.total;
  t.name = "total";
  t.nonzeros_per_pe.assign(report.pes, 0);
  t.entries_per_pe.assign(report.pes, 0);
  for (const MatrixReport& m : report.matrices) {
    t.rows += m.rows * m.cols;  // the total's "shape" is its element count x 1
    t.nonzeros += m.nonzeros;
    t.padding += m.padding;
    t.weight_bytes += m.weight_bytes;
    t.pointer_bytes += m.pointer_bytes;
    for (uint32_t p = 0; p < report.pes && p < m.nonzeros_per_pe.size(); ++p) {
      t.nonzeros_per_pe[p] += m.nonzeros_per_pe[p];
      t.entries_per_pe[p] += m.entries_per_pe[p];
    }
  }
  t.cols = 1;
  return report;
}

std::string format_report(const CompressionReport& report) {
  char line[320];
  std::snprintf(line, sizeof line, "%s pruning to %.1f%% over %u PEs\n", to_string(report.mode),
                100.0 * report.target_density, report.pes);
  std::string text = line;
  std::snprintf(line, sizeof line, "  %-10s %11s %9s %9s %28s %9s %10s %9s\n", "matrix", "shape", "density", "padded",
                "non-zeros/PE min/mean/max", "imbalance", "weights B", "ptrs B");
  text += line;
  std::vector<const MatrixReport*> rows;
  for (const MatrixReport& m : report.matrices) rows.push_back(&m);
  rows.push_back(&report.total);
  for (const MatrixReport* m : rows) {
    const std::string shape = m == &report.total ? std::to_string(m->rows)
                                                 : std::to_string(m->rows) + "x" + std::to_string(m->cols);
    const PeLoad load = m->nonzero_load();
    char per_pe[64];
    std::snprintf(per_pe, sizeof per_pe, "%llu / %.1f / %llu", static_cast<unsigned long long>(load.min), load.mean,
                  static_cast<unsigned long long>(load.max));
    std::snprintf(line, sizeof line, "  %-10s %11s %8.2f%% %8.2f%% %28s %9.3f %10llu %9llu\n", m->name.c_str(),
                  shape.c_str(), 100.0 * m->density(), 100.0 * m->padded_density(), per_pe, load.imbalance(),
                  static_cast<unsigned long long>(m->weight_bytes), static_cast<unsigned long long>(m->pointer_bytes));
    text += line;
  }
  return text;
}

CompressedLstm compress_lstm(const lstm_ref::FloatLstm& model, const std::vector<std::vector<double>>& calibration,
                             const CompressOptions& options, const LstmRanges* ranges) {
  CompressedLstm c;
  c.pruned = prune_lstm(model, options.prune);
  c.ranges = ranges ? *ranges : calibrate_lstm(c.pruned, calibration);
  c.fixed = quantize_lstm(c.pruned, c.ranges, options.quantize);
  c.sparse = encode_lstm(c.fixed, options.prune.pes, options.store_zeros);
  c.report = compression_report(c.sparse, options.prune.mode, options.prune.density);
  return c;
}

std::vector<CompressionReport> pruning_reports(const lstm_ref::FloatLstm& model,
                                               const std::vector<std::vector<double>>& calibration,
                                               CompressOptions options) {
  std::vector<CompressionReport> reports;
  for (const Pruning mode : {Pruning::kBalanced, Pruning::kGlobal}) {
    options.prune.mode = mode;
    reports.push_back(compress_lstm(model, calibration, options).report);
  }
  return reports;
}

}  // namespace dlvp::dlvpc

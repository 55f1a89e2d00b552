#include "span_series.h"

namespace dlvp {

SpanSeries::SpanSeries(size_t quantities) : quantities_(quantities) { pending_.amounts.assign(quantities, 0.0); }

// Adds `from` (the later span or point) to `into`: its end, its duration and its amounts.
void SpanSeries::accumulate(Point& into, const Point& from) const {
  into.end_ns = from.end_ns;
  into.duration_ns += from.duration_ns;
  for (size_t q = 0; q < quantities_; ++q) into.amounts[q] += from.amounts[q];
}

void SpanSeries::add(double end_ns, double duration_ns, const std::vector<double>& amounts) {
  accumulate(pending_, Point{end_ns, duration_ns, amounts});
  if (++pending_spans_ < spans_per_point_) return;
  stored_.push_back(pending_);
  pending_ = Point{0, 0, std::vector<double>(quantities_, 0.0)};
  pending_spans_ = 0;
  if (stored_.size() < kMaxPoints) return;
  // Full: merge neighbours, so every stored point spans twice as many spans from now on.
  for (size_t i = 0; i < stored_.size() / 2; ++i) {
    Point merged = stored_[2 * i + 1];
    merged.duration_ns += stored_[2 * i].duration_ns;
    for (size_t q = 0; q < quantities_; ++q) merged.amounts[q] += stored_[2 * i].amounts[q];
    stored_[i] = merged;
  }
  stored_.resize(stored_.size() / 2);
  spans_per_point_ *= 2;
}

std::vector<SpanSeries::Point> SpanSeries::points() const {
  std::vector<Point> all = stored_;
  if (pending_spans_ > 0) all.push_back(pending_);
  return all;
}

}  // namespace dlvp

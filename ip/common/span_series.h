// A bounded series over simulated time (docs/energy.md, "Power over time"; docs/report.md): spans
// of time, each with the amounts of some quantities spent in it (energy per level, bytes moved).
// When full it merges neighbours pairwise (their amounts summed), so it holds kMaxPoints / 2 to
// kMaxPoints points, each spanning 2^k of the spans given. Monitors sampled at the same times keep
// series of the same points.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace dlvp {

class SpanSeries {
 public:
  static constexpr size_t kMaxPoints = 1024;

  struct Point {
    double end_ns = 0, duration_ns = 0;
    std::vector<double> amounts;  // one per quantity
  };

  explicit SpanSeries(size_t quantities);

  // The span ending at end_ns after duration_ns, with its amounts (one per quantity).
  void add(double end_ns, double duration_ns, const std::vector<double>& amounts);

  // The stored points, then the one still filling (fewer spans than the others), if any.
  std::vector<Point> points() const;
  // The spans a stored point sums.
  uint64_t spans_per_point() const { return spans_per_point_; }

 private:
  void accumulate(Point& into, const Point& from) const;

  size_t quantities_;
  std::vector<Point> stored_;
  Point pending_;  // spans summed until they make one stored point
  uint64_t pending_spans_ = 0, spans_per_point_ = 1;
};

}  // namespace dlvp

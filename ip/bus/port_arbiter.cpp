#include "port_arbiter.h"

#include <algorithm>

namespace dlvp {

using sc_core::sc_time;
using sc_core::SC_ZERO_TIME;

void InitiatorProgress::note(size_t initiator, const sc_time& arrival) {
  if (initiator >= reached_.size()) reached_.resize(initiator + 1);
  reached_[initiator] = std::max(reached_[initiator], arrival);
}

sc_time InitiatorProgress::reached(size_t initiator) const {
  return initiator < reached_.size() ? reached_[initiator] : SC_ZERO_TIME;
}

PortArbiter::PortArbiter(sc_time window) { set_window(window); }

void PortArbiter::set_window(const sc_time& window) {
  // A zero window would divide by zero; one resolution step is the shortest meaningful period.
  window_ = window > SC_ZERO_TIME ? window : sc_core::sc_get_time_resolution();
}

PortArbiter::Lane& PortArbiter::lane(size_t initiator) {
  if (initiator >= lanes_.size()) lanes_.resize(initiator + 1);
  return lanes_[initiator];
}

uint64_t PortArbiter::window_of(const sc_time& t) const { return t.value() / window_.value(); }

sc_time PortArbiter::busy_until() const {
  uint64_t end = 0;
  for (const Booking& b : booked_) end = std::max(end, b.end);
  return sc_time::from_value(end);
}

sc_time PortArbiter::last_end(size_t initiator) const {
  return initiator < lanes_.size() ? lanes_[initiator].last_end : SC_ZERO_TIME;
}

sc_time PortArbiter::book(size_t initiator, const sc_time& arrival, const sc_time& occupancy, const sc_time& turn) {
  // No initiator arrives before the present (a time-ordered caller says when itself).
  if (!time_ordered_) forget_before_units(sc_core::sc_time_stamp().value());
  lane(initiator);  // grow first: the waits below read all lanes
  // Room for the predicted traffic of late runners first, then the first gap in the calendar.
  const sc_time shared = share_wait(initiator, arrival, occupancy);
  const sc_time wait = shared + queue_wait(initiator, arrival, arrival + shared, occupancy);
  const sc_time start = arrival + wait;
  book_interval(Booking{start.value(), (start + occupancy).value(), arrival.value()});
  record(lanes_[initiator], start, occupancy, turn, wait);
  return wait;
}

// Port share an initiator that has not booked up to `arrival` is expected to take during the rest
// of the window: what it used in the previous window, less what it has already booked in this one.
// True when `initiator` has booked everything it does on this port before `arrival`: its latest
// transaction here ends after it, or it has presented one at or after it on another port (a CPU
// that started a job and sleeps until its interrupt is not late, it is ahead).
bool PortArbiter::has_run_past(size_t initiator, const sc_time& arrival) const {
  return lanes_[initiator].last_end > arrival || (progress_ && progress_->reached(initiator) >= arrival);
}

double PortArbiter::expected_rate(size_t initiator, const sc_time& arrival, uint64_t window) const {
  if (has_run_past(initiator, arrival)) return 0;  // its traffic up to here is in the calendar
  const Lane& other = lanes_[initiator];
  const double expected = stats_before(other, window).busy;
  const double seen = other.window_index == window ? other.current.busy : 0;
  const double left = static_cast<double>(window + 1) * window_.to_seconds() - arrival.to_seconds();
  if (expected <= seen || left <= 0) return 0;
  // Never faster than its average: the remainder is not crammed into the end of the window.
  return std::min(expected / window_.to_seconds(), (expected - seen) / left);
}

sc_time PortArbiter::share_wait(size_t initiator, const sc_time& arrival, const sc_time& occupancy) const {
  if (time_ordered_) return SC_ZERO_TIME;
  const uint64_t window = window_of(arrival);
  double predicted = 0;
  for (size_t j = 0; j < lanes_.size(); ++j)
    if (j != initiator) predicted += expected_rate(j, arrival, window);
  if (predicted <= 0) return SC_ZERO_TIME;

  // Stretch that brings this initiator's demand down to the room the late runners leave.
  const double room = 1 - predicted;
  const double demand = demand_before(lanes_[initiator], window);
  if (room >= demand) return SC_ZERO_TIME;
  const bool saturated = room <= 0;
  const sc_time stretch = saturated ? SC_ZERO_TIME : occupancy * (1 / room - 1 / demand);

  sc_time wait;
  for (size_t j = 0; j < lanes_.size(); ++j) {
    const double rate = j == initiator ? 0 : expected_rate(j, arrival, window);
    if (rate <= 0) continue;
    const sc_time round_robin = lanes_[j].last_turn;  // at most one turn of it per round
    wait += saturated ? round_robin : std::min(round_robin, stretch * (rate / predicted));
  }
  return wait;
}

sc_time PortArbiter::queue_wait(size_t initiator, const sc_time& arrival, const sc_time& from,
                                const sc_time& occupancy) const {
  const uint64_t fit = first_fit(from.value(), occupancy.value(), arrival.value());
  if (fit == from.value()) return SC_ZERO_TIME;
  // In time order the calendar holds only earlier requests, each already answered: served first
  // come, first served (what the SoC's figures agree with, docs/dlvpc.md "Predict").
  if (time_ordered_) return sc_time::from_value(fit - from.value());
  return std::min(sc_time::from_value(fit - from.value()), round_robin_bound(initiator, from));
}

// Longest a round-robin arbiter makes a request wait: its own earlier transactions, plus one
// transaction of each other initiator active within the window.
sc_time PortArbiter::round_robin_bound(size_t initiator, const sc_time& from) const {
  const Lane& own = lanes_[initiator];
  sc_time bound = own.last_end > from ? own.last_end - from : SC_ZERO_TIME;
  for (size_t j = 0; j < lanes_.size(); ++j) {
    const Lane& other = lanes_[j];
    if (j != initiator && other.last_turn > SC_ZERO_TIME && other.last_end + window_ > from)
      bound += other.last_turn;
  }
  return bound;
}

// First booking that may end after `time`: none before it reaches that far.
std::vector<PortArbiter::Booking>::const_iterator PortArbiter::first_reaching(uint64_t time) const {
  const uint64_t earliest = time > longest_ ? time - longest_ : 0;
  return std::lower_bound(booked_.begin(), booked_.end(), earliest,
                          [](const Booking& b, uint64_t t) { return b.start < t; });
}

// Start of the first gap at or after `from` that fits `length`, among the bookings of transactions
// that arrived no later than `arrival`: an arbiter grants the port in request order, so a request
// made later, even if booked first, does not hold this one back.
uint64_t PortArbiter::first_fit(uint64_t from, uint64_t length, uint64_t arrival) const {
  for (auto it = first_reaching(from); it != booked_.end() && it->start < from + length; ++it)
    if (it->arrival <= arrival && it->end > from) from = it->end;
  return from;
}

// Enters a booking and pushes the bookings of later arrivals it overlaps behind it (and behind
// each other, in their order), so that the port's time is not counted twice.
void PortArbiter::book_interval(const Booking& booking) {
  if (booking.end <= booking.start) return;
  longest_ = std::max(longest_, booking.end - booking.start);
  auto at = std::upper_bound(booked_.begin(), booked_.end(), booking.start,
                             [](uint64_t t, const Booking& b) { return t < b.start; });
  if (at == booked_.end() && (booked_.empty() || booked_.back().end <= booking.start)) {
    booked_.push_back(booking);  // the common case: after everything booked
    return;
  }
  at = booked_.insert(at, booking);
  const auto own = at - booked_.begin();
  uint64_t frontier = booking.end;
  bool moved = false;
  for (auto it = booked_.begin() + (first_reaching(booking.start) - booked_.cbegin()); it != booked_.end(); ++it) {
    if (it - booked_.begin() == own || it->end <= booking.start) continue;
    if (it->start >= frontier) break;
    if (it->arrival > booking.arrival) {
      const uint64_t length = it->end - it->start;
      it->start = frontier;
      it->end = frontier + length;
      moved = true;
    }
    frontier = std::max(frontier, it->end);
  }
  if (moved) std::sort(booked_.begin(), booked_.end(), [](const Booking& a, const Booking& b) { return a.start < b.start; });
}

void PortArbiter::forget_before_units(uint64_t now) {
  // Sorted by start: only bookings that started before now can have ended.
  const auto started = std::lower_bound(booked_.begin(), booked_.end(), now,
                                        [](const Booking& b, uint64_t t) { return b.start < t; });
  booked_.erase(std::remove_if(booked_.begin(), started, [now](const Booking& b) { return b.end <= now; }), started);
  if (booked_.empty()) longest_ = 0;
}

// A lane's statistics of the last complete window before `window`.
PortArbiter::WindowStats PortArbiter::stats_before(const Lane& lane, uint64_t window) const {
  if (lane.window_index + 1 == window) return lane.current;
  if (lane.window_index >= window) return lane.previous;  // same window, or it runs ahead
  return WindowStats{};
}

// Share of the port the initiator would use unimpeded: its port time over the time it was not
// waiting. Without history it is assumed to stream (1), the case that needs arbitration.
double PortArbiter::demand_before(const Lane& lane, uint64_t window) const {
  const WindowStats s = stats_before(lane, window);
  if (s.busy <= 0) return 1.0;
  return std::min(1.0, s.busy / std::max(window_.to_seconds() - s.wait, s.busy));
}

void PortArbiter::record(Lane& lane, const sc_time& start, const sc_time& occupancy, const sc_time& turn,
                         const sc_time& wait) {
  const uint64_t window = window_of(start);
  if (window > lane.window_index) {
    lane.previous = window == lane.window_index + 1 ? lane.current : WindowStats{};
    lane.current = WindowStats{};
    lane.window_index = window;
  }
  lane.current.busy += occupancy.to_seconds();
  lane.current.wait += wait.to_seconds();
  lane.last_end = std::max(lane.last_end, start + occupancy);
  lane.last_turn = turn;
}

}  // namespace dlvp

// Contention on one bus target port among initiators that run temporally decoupled (docs/architecture.md
// section 3). The port keeps a busy-until calendar: the intervals already booked on it. A
// transaction starts in the first gap at or after its arrival that fits it. That alone is exact
// when initiators synchronize after every transaction, but with a quantum the initiator that the
// kernel happens to run first books the whole quantum and the others queue behind it: whoever ran
// first would take all the bandwidth. A round-robin arbiter interleaves instead, so:
//   - share wait: the initiators that have not yet booked up to this arrival (they run later in
//     the quantum; not those known to have run past it on another port) are expected to use, in the rest of the window, what they used in the previous
//     window less what they already booked in this one: a port rate R. With d this initiator's own
//     demand (its port time over the time it was not waiting), when d + R > 1 the port is
//     oversubscribed and this transaction is stretched to the room left, occupancy x (1/(1-R) -
//     1/d), at most one turn of each of them (round robin). The late runners' transactions
//     then fit into the gaps so left;
//   - queue wait, from the calendar, is bounded by one turn of each other initiator active within
//     the window (round robin again): nobody waits for a quantum of someone else's traffic. A turn
//     is one transaction, or one single access of a DMI block;
//   - time order: a transaction is placed among the bookings of transactions that arrived no later
//     than it. One that arrived later but was booked first (its initiator ran further ahead) is
//     pushed back behind it in the calendar: its initiator already has its time, but whoever comes
//     next finds the port busy for both, so the port's time is not handed out twice.
// Two saturating initiators settle at half the port each; light traffic costs a stream about its
// own occupancy; streams that fit together do not slow each other; a lone initiator never waits.
#pragma once
#include <systemc>

#include <cstdint>
#include <vector>

namespace dlvp {

// How far each initiator is known to have run: its latest arrival on any port of the bus. An LT
// initiator presents its transactions in its own time order, so one that has reached time t has
// booked everything it does before t, on every port. One per bus, shared by its port arbiters.
class InitiatorProgress {
 public:
  void note(size_t initiator, const sc_core::sc_time& arrival);
  sc_core::sc_time reached(size_t initiator) const;

 private:
  std::vector<sc_core::sc_time> reached_;
};

class PortArbiter {
 public:
  // Shortest statistics window, in bus cycles: long enough to smooth per-transaction steps.
  static constexpr uint64_t kMinimumWindowCycles = 256;

  // `window`: the statistics period; whole quanta, so that every initiator has run through the
  // previous window when another one looks at it.
  explicit PortArbiter(sc_core::sc_time window = sc_core::sc_time(1, sc_core::SC_US));
  void set_window(const sc_core::sc_time& window);
  const sc_core::sc_time& window() const { return window_; }
  // The bus's record of its initiators' progress; without one, only this port's bookings count.
  void share_progress(const InitiatorProgress* progress) { progress_ = progress; }
  // For a caller that presents every initiator's transactions in global time order (dlvpc's
  // replay of a job, outside a simulation): nobody runs late, so no room is left for anyone; the
  // requests already booked all arrived earlier and are served first (no round-robin cut, which
  // would overlap bookings whose times were already given out); the caller says when the past can
  // be forgotten (forget_before).
  void set_time_ordered(bool ordered) { time_ordered_ = ordered; }
  // Forgets the bookings that ended by `now`: no transaction arrives earlier any more. book()
  // does this itself at the simulation time.
  void forget_before(const sc_core::sc_time& now) { forget_before_units(now.value()); }

  // Books `occupancy` of port time for `initiator`'s transaction arriving at `arrival` (absolute
  // simulated time) and returns how long it waits before it starts. `turn`: the longest it holds
  // the port before the arbiter may grant another initiator; the occupancy for one transaction, a
  // single beat's for a DMI block, which stands for a run of the initiator's own accesses.
  sc_core::sc_time book(size_t initiator, const sc_core::sc_time& arrival, const sc_core::sc_time& occupancy,
                        const sc_core::sc_time& turn);
  sc_core::sc_time book(size_t initiator, const sc_core::sc_time& arrival, const sc_core::sc_time& occupancy) {
    return book(initiator, arrival, occupancy, occupancy);
  }

  // End of the last booked interval.
  sc_core::sc_time busy_until() const;
  // End of `initiator`'s latest transaction on this port (zero before its first).
  sc_core::sc_time last_end(size_t initiator) const;

 private:
  // Port time used and waited for by one initiator in one window (seconds).
  struct WindowStats {
    double busy = 0;
    double wait = 0;
  };
  // One initiator's recent use of the port.
  struct Lane {
    sc_core::sc_time last_end;        // end of its latest transaction
    sc_core::sc_time last_turn;       // turn of its latest transaction (zero: never used)
    uint64_t window_index = 0;        // the window `current` belongs to
    WindowStats current, previous;    // `previous`: the window just before `current`
  };

  Lane& lane(size_t initiator);
  uint64_t window_of(const sc_core::sc_time& t) const;
  WindowStats stats_before(const Lane& lane, uint64_t window) const;
  bool has_run_past(size_t initiator, const sc_core::sc_time& arrival) const;
  double expected_rate(size_t other, const sc_core::sc_time& arrival, uint64_t window) const;
  double demand_before(const Lane& lane, uint64_t window) const;
  sc_core::sc_time share_wait(size_t initiator, const sc_core::sc_time& arrival,
                              const sc_core::sc_time& occupancy) const;
  sc_core::sc_time queue_wait(size_t initiator, const sc_core::sc_time& arrival, const sc_core::sc_time& from,
                              const sc_core::sc_time& occupancy) const;
  sc_core::sc_time round_robin_bound(size_t initiator, const sc_core::sc_time& from) const;
  void record(Lane& lane, const sc_core::sc_time& start, const sc_core::sc_time& occupancy,
              const sc_core::sc_time& turn, const sc_core::sc_time& wait);

  // One booked transaction, in time-resolution units: it occupies [start, end) and arrived at
  // `arrival`.
  struct Booking {
    uint64_t start, end, arrival;
  };
  // The calendar: bookings sorted by start. They may overlap where the round-robin bound cut a
  // wait short (and behind a transaction that took a later arrival's place).
  uint64_t first_fit(uint64_t from, uint64_t length, uint64_t arrival) const;
  std::vector<Booking>::const_iterator first_reaching(uint64_t time) const;
  void book_interval(const Booking& booking);
  void forget_before_units(uint64_t now);  // in time-resolution units

  sc_core::sc_time window_;
  std::vector<Booking> booked_;
  uint64_t longest_ = 0;  // longest booking in the calendar: how far back one can reach
  std::vector<Lane> lanes_;
  const InitiatorProgress* progress_ = nullptr;
  bool time_ordered_ = false;
};

}  // namespace dlvp

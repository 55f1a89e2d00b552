// The port arbiter on its own: no simulation runs, so "now" stays at 0 and every booking is kept.
#include "ip/bus/port_arbiter.h"

#include <gtest/gtest.h>

using dlvp::PortArbiter;
using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

namespace {
const sc_time kWindow(1000, SC_NS);
const sc_time kOccupancy(10, SC_NS);
}  // namespace

TEST(BusPortArbiter, ALoneInitiatorNeverWaits) {
  PortArbiter port(kWindow);
  sc_time arrival;
  for (int i = 0; i < 500; ++i) {  // several windows of back-to-back traffic
    ASSERT_EQ(port.book(0, arrival, kOccupancy), SC_ZERO_TIME) << "transaction " << i;
    arrival += kOccupancy;
  }
  EXPECT_EQ(port.busy_until(), arrival);
}

TEST(BusPortArbiter, AnInitiatorQueuesBehindItsOwnEarlierTransaction) {
  PortArbiter port(kWindow);
  EXPECT_EQ(port.book(0, SC_ZERO_TIME, kOccupancy), SC_ZERO_TIME);
  EXPECT_EQ(port.book(0, SC_ZERO_TIME, kOccupancy), kOccupancy);
  EXPECT_EQ(port.busy_until(), 2 * kOccupancy);
}

TEST(BusPortArbiter, ALateArrivalTakesTheFirstGapThatFits) {
  PortArbiter port(kWindow);
  port.book(0, SC_ZERO_TIME, kOccupancy);           // [0, 10)
  port.book(0, 3 * kOccupancy, kOccupancy);         // [30, 40)
  // Initiator 1 arrives at 5 ns: the gap [10, 30) fits it.
  EXPECT_EQ(port.book(1, sc_time(5, SC_NS), kOccupancy), sc_time(5, SC_NS));
  // Another one at 12 ns: [20, 30) is left.
  EXPECT_EQ(port.book(1, sc_time(12, SC_NS), kOccupancy), sc_time(8, SC_NS));
  // One arriving inside a gap that is free starts at once.
  EXPECT_EQ(port.book(2, sc_time(45, SC_NS), kOccupancy), SC_ZERO_TIME);
}

TEST(BusPortArbiter, RoundRobinBoundsTheWaitBehindAnotherInitiatorsBacklog) {
  PortArbiter port(kWindow);
  // Initiator 0 ran first in the quantum and booked 100 transactions back to back.
  sc_time arrival;
  for (int i = 0; i < 100; ++i) {
    port.book(0, arrival, kOccupancy);
    arrival += kOccupancy;
  }
  // Initiator 1 arrives at the start: a round-robin arbiter grants it after one of initiator 0's
  // transactions, not after all of them.
  EXPECT_EQ(port.book(1, SC_ZERO_TIME, kOccupancy), kOccupancy);
}

TEST(BusPortArbiter, AnInitiatorRunningAheadLeavesRoomForOneThatUsedThePortBefore) {
  PortArbiter port(kWindow);
  // Window 0: initiators 0 and 1 both stream, synchronized, and alternate on the port.
  sc_time next[2];
  while (next[0] < kWindow) {
    for (size_t i = 0; i < 2; ++i) next[i] += port.book(i, next[i], kOccupancy) + kOccupancy;
  }
  // Window 1: initiator 0 runs ahead of initiator 1, which has not booked there yet. Each of its
  // transactions leaves about one transaction of room for initiator 1, which used half the port.
  const double wait_ns = port.book(0, next[0], kOccupancy).to_seconds() * 1e9;
  EXPECT_NEAR(wait_ns, kOccupancy.to_seconds() * 1e9, 0.5);
  // Initiator 1, running late, finds that room instead of queueing behind the whole run ahead.
  EXPECT_LE(port.book(1, next[1], kOccupancy), kOccupancy);
}

// Initiator 0 ran ahead and booked its transaction at 100 ns before initiator 1 presented one
// that arrived at 95 ns: the arbiter grants in request order, so initiator 1 goes first and the
// port time of both stays booked (initiator 0's next transaction finds the port busy behind them).
TEST(BusPortArbiter, AnEarlierArrivalBookedLaterIsServedFirst) {
  PortArbiter port(kWindow);
  EXPECT_EQ(port.book(0, sc_time(100, SC_NS), kOccupancy), SC_ZERO_TIME);  // [100, 110)
  EXPECT_EQ(port.book(1, sc_time(95, SC_NS), kOccupancy), SC_ZERO_TIME);   // [95, 105), before it
  EXPECT_EQ(port.busy_until(), sc_time(115, SC_NS)) << "the later arrival is pushed behind, not dropped";
  EXPECT_EQ(port.book(0, sc_time(110, SC_NS), kOccupancy), sc_time(5, SC_NS));
}

// The counterpart, so that the rule above is not "ignore the others": a request that arrived after
// one already booked still queues behind it.
TEST(BusPortArbiter, ALaterArrivalStillQueuesBehindAnEarlierBooking) {
  PortArbiter port(kWindow);
  EXPECT_EQ(port.book(0, sc_time(100, SC_NS), kOccupancy), SC_ZERO_TIME);   // [100, 110)
  EXPECT_EQ(port.book(1, sc_time(105, SC_NS), kOccupancy), sc_time(5, SC_NS));  // [110, 120)
  EXPECT_EQ(port.busy_until(), sc_time(120, SC_NS));
}

// A DMI block is one booking but a run of single accesses on the bus: whoever arrives during it
// waits for one such access (round robin), not for the whole block.
TEST(BusPortArbiter, ADmiBlockHoldsOthersForOneTurnOnly) {
  PortArbiter port(kWindow);
  const sc_time block(900, SC_NS), turn(10, SC_NS);
  EXPECT_EQ(port.book(0, SC_ZERO_TIME, block, turn), SC_ZERO_TIME);
  EXPECT_EQ(port.book(1, SC_ZERO_TIME, kOccupancy), turn);
  // The same block booked as one transaction holds the other for all of it.
  PortArbiter whole(kWindow);
  whole.book(0, SC_ZERO_TIME, block);
  EXPECT_EQ(whole.book(1, SC_ZERO_TIME, kOccupancy), block);
}

// Initiator 0 used half the port in window 0. In window 1 it is known (from another port of the
// bus) to have run past initiator 1's arrival without booking here: it is not a late runner, so
// initiator 1 leaves no room for it. Without that knowledge it does (the test above).
TEST(BusPortArbiter, AnInitiatorKnownToHaveRunPastGetsNoRoom) {
  dlvp::InitiatorProgress progress;
  PortArbiter port(kWindow);
  port.share_progress(&progress);
  sc_time next[2];
  while (next[0] < kWindow) {
    for (size_t i = 0; i < 2; ++i) next[i] += port.book(i, next[i], kOccupancy) + kOccupancy;
  }
  PortArbiter unaware = port;
  unaware.share_progress(nullptr);
  EXPECT_GT(unaware.book(1, next[1], kOccupancy), SC_ZERO_TIME) << "room for initiator 0's expected traffic";
  progress.note(0, next[1] + kOccupancy);
  EXPECT_EQ(port.book(1, next[1], kOccupancy), SC_ZERO_TIME);
}

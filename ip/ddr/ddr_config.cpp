#include "ddr_config.h"

#include "ip/common/config_error.h"

namespace dlvp {

namespace {
[[noreturn]] void fail(const ParamBinder& b, const char* name, const std::string& what) {
  throw ConfigError(b.origin()(b.key(name)) + ": key '" + b.key(name) + "' " + what);
}
}  // namespace

void DdrConfig::bind(ParamBinder& b, DdrConfig& c) {
  b.text("preset", c.preset, "DDR device preset (scenarios/hw/ddr/<preset>.yaml)");
  b.integer("size_bytes", c.size_bytes, "bytes", "addressable DDR size (a multiple of 4 KiB)", uint64_t(1) << 20,
            uint64_t(16) << 30);
  if (c.size_bytes % 4096 != 0) fail(b, "size_bytes", "= " + std::to_string(c.size_bytes) + " is not a multiple of 4 KiB");
  b.integer("channels", c.channels, "", "independent DDR channels, each with its own data bus", 1, 4);
  b.integer("channel_interleave_bytes", c.channel_interleave_bytes, "bytes",
            "consecutive bytes mapped to one channel before the next (a power of two)", 64, uint64_t(1) << 20);
  if ((c.channel_interleave_bytes & (c.channel_interleave_bytes - 1)) != 0)
    fail(b, "channel_interleave_bytes", "= " + std::to_string(c.channel_interleave_bytes) + " is not a power of two");
  b.integer("ranks", c.ranks, "", "ranks per channel", 1, 4);
  b.choice("page_policy", c.page_policy, {"open", "closed"},
           "open: rows stay open for later hits; closed: auto-precharge after each transaction");
  b.choice("address_mapping", c.address_mapping, {"row_bank_col", "bank_row_col"},
           "address bits from high to low: row_bank_col keeps a sequential stream in open rows "
           "(bank groups interleaved per burst); bank_row_col fills one bank before the next");
  b.integer("controller_latency_cycles", c.controller_latency_cycles, "cycles",
            "controller front-end latency (queueing, scheduling) added once per transaction, in tCK", 0, 1000);
  b.flag("refresh", c.refresh,
         "model refresh: every tREFI a rank precharges its open rows (tRP) and is busy for tRFC");
  b.choice("scheduler", c.scheduler, {"fcfs", "frfcfs"},
           "fcfs: transactions in arrival order; frfcfs: row hits first, then oldest, reads and writes grouped");
  b.integer("read_queue_depth", c.read_queue_depth, "transactions",
            "read queue per channel; an initiator waits while it is full", 1, 256);
  b.integer("write_queue_depth", c.write_queue_depth, "transactions",
            "write queue per channel; an initiator waits while it is full", 1, 256);
  b.integer("write_high_watermark", c.write_high_watermark, "transactions",
            "queued writes at which the scheduler stops serving reads and drains writes", 1, 256);
  b.integer("write_low_watermark", c.write_low_watermark, "transactions",
            "a write drain ends at this many queued writes when reads are waiting", 0, 256);
  b.integer("starvation_cap", c.starvation_cap, "bursts",
            "a request that younger requests have bypassed this many times (one per burst served) goes next", 1,
            1000000);
  b.choice("power_down", c.power_down, {"none", "precharge", "active_and_precharge"},
           "idle rank: none stays in standby; precharge closes its rows and enters precharge power-down; "
           "active_and_precharge enters active power-down with rows open, precharge power-down without");
  b.integer("power_down_idle_cycles", c.power_down_idle_cycles, "cycles",
            "idle DDR clocks before a rank enters power-down", 1, 1000000);
  b.choice("power_down_exit", c.power_down_exit, {"fast", "slow"},
           "precharge power-down with the DLL on (fast: tXP, IDD2P1) or off (slow: tXPDLL to a read, IDD2P0)");
  b.flag("self_refresh", c.self_refresh, "an idle rank enters self-refresh after self_refresh_idle_ns");
  b.integer("self_refresh_idle_ns", c.self_refresh_idle_ns, "ns", "idle time before a rank enters self-refresh",
            1, uint64_t(10) * 1000 * 1000 * 1000);
  if (c.write_high_watermark > c.write_queue_depth)
    fail(b, "write_high_watermark", "= " + std::to_string(c.write_high_watermark) + " exceeds write_queue_depth " +
                                        std::to_string(c.write_queue_depth));
  if (c.write_low_watermark >= c.write_high_watermark)
    fail(b, "write_low_watermark", "= " + std::to_string(c.write_low_watermark) +
                                       " is not below write_high_watermark " + std::to_string(c.write_high_watermark));
}

}  // namespace dlvp

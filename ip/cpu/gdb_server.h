// A GDB remote-serial-protocol server for the RV32 hart (cpu.gdb_port; docs/cpu.md, "Debugging
// with gdb"): registers, memory, breakpoints, watchpoints (write, read, access), single step,
// continue, Ctrl-C, kill and detach over one loopback TCP connection (127.0.0.1 only).
//
// The server does not run the hart: it answers gdb's requests while the hart is stopped and tells
// the CPU host (cpu_iss) how to resume — step one instruction, continue, detach or kill. The host
// keeps the breakpoints in mind (breakpoint_at) while it runs the hart, and asks at quantum
// boundaries whether gdb has sent Ctrl-C (interrupt_requested). Breakpoints are a set of
// addresses, never ebreak patched into memory, so the program's bytes and the decode cache stay
// what the program wrote.
#pragma once
#include "ip/cpu/gdb_rsp.h"
#include "ip/cpu/rv32_hart.h"

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace dlvp::gdb {

// Signal numbers of stop replies (gdb's own numbering).
constexpr int kSigInt = 2;   // Ctrl-C
constexpr int kSigTrap = 5;  // breakpoint, step, attach
constexpr int kSigAlrm = 14; // the simulation ended without an exit status (run.max_time_ms)

// Why the hart stopped, for the stop reply: a signal, and the watchpoint that stopped it if any.
struct StopReason {
  int signal = kSigTrap;
  std::optional<rv32::WatchHit> watch;
};

// The memory as a debugger sees it (the platform's debug transport): false if any byte of the
// range is not there.
class DebugMemory {
 public:
  virtual ~DebugMemory() = default;
  virtual bool debug_read(uint32_t address, uint8_t* data, uint32_t size) = 0;
  virtual bool debug_write(uint32_t address, const uint8_t* data, uint32_t size) = 0;
};

class GdbServer {
 public:
  enum class Resume { step, go, detach, kill };
  static constexpr uint32_t kPacketSize = 0x1000;  // advertised; m replies stay below it

  GdbServer(rv32::Hart& hart, DebugMemory& memory);
  ~GdbServer();
  GdbServer(const GdbServer&) = delete;
  GdbServer& operator=(const GdbServer&) = delete;

  // Listens on 127.0.0.1:port (0: any free port); throws ConfigError when it cannot.
  void listen(uint16_t port);
  uint16_t port() const { return port_; }
  // Blocks until gdb connects (prints "gdb: waiting on 127.0.0.1:PORT" to stderr first).
  void accept();
  // Reports a stop (a stop reply; none before gdb's first request), then answers gdb's packets
  // until one resumes the hart. A lost connection counts as a detach.
  Resume serve(std::optional<StopReason> stop);
  // Ctrl-C received since the hart was resumed (a non-blocking look at the socket).
  bool interrupt_requested();
  // The program has ended: W<status> (exited) or X<signal> (terminated); the connection closes.
  void exited(uint32_t status);
  void terminated(int signal);
  bool connected() const { return fd_ >= 0; }

  bool has_breakpoints() const { return !breakpoints_.empty(); }
  bool breakpoint_at(uint32_t pc) const { return breakpoints_.count(pc) != 0; }

  // One packet's answer (the packet layer is around it). Sets *resume for c, s, D and k (then
  // the answer is the one to send before resuming, possibly none: `no_reply`).
  std::string handle(const std::string& packet, std::optional<Resume>* resume);
  static const std::string& no_reply();
  // S<signal>, or T<signal>watch:<address>; (rwatch, awatch) after a watchpoint.
  static std::string stop_reply(const StopReason& stop);

 private:
  std::string read_registers() const;
  std::string write_registers(const std::string& args);
  std::string read_register(const std::string& args) const;
  std::string write_register(const std::string& args);
  std::string read_memory(const std::string& args);
  std::string write_memory(const std::string& args, bool binary);
  std::string breakpoint(const std::string& packet);
  std::string query(const std::string& packet);

  // Socket.
  void send_packet(const std::string& payload);
  void send_raw(const std::string& bytes);
  bool receive(bool block);  // appends events; false when the connection is gone
  void close_connection();

  rv32::Hart& hart_;
  DebugMemory& memory_;
  std::unordered_set<uint32_t> breakpoints_;
  StopReason last_stop_;
  bool ack_mode_ = true;
  bool interrupted_ = false;
  std::string last_packet_;  // framed, for a resend after '-'

  int listen_fd_ = -1, fd_ = -1;
  uint16_t port_ = 0;
  PacketDecoder decoder_;
  std::vector<PacketDecoder::Event> events_;
};

}  // namespace dlvp::gdb

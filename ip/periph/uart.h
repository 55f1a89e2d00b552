// UART: the platform's console. Characters written to TXDATA are collected into lines; each
// complete line goes to stdout (raw program output) and to a log file, and the last
// `transcript_bytes` written are kept as a transcript. Nothing a program prints grows without
// bound: the log and the echo stop at `log_max_bytes`, a line is cut every kMaxLineBytes. With a
// baud rate, every character occupies the line for 10 bit times (start, 8 data, stop): STATUS
// shows the transmitter busy and a full TX FIFO drops characters. The receiver reads the scenario's
// input (uart.input: a file, stdin, or none) one character at a time as the line delivers it,
// holding at most rx_fifo_depth characters: the sender waits while the RX FIFO is full.
#pragma once
#include "ip/common/output_file.h"
#include "ip/common/params.h"
#include "ip/common/register_bank.h"
#include "ip/common/reportable.h"
#include "ip/common/register_window.h"

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>

namespace dlvp {

struct UartConfig {
  uint32_t baud_rate = 0;       // bits/s; 0 = infinitely fast virtual console
  uint32_t tx_fifo_depth = 16;  // characters waiting behind the one being shifted out
  bool echo = true;             // print complete lines on stdout
  uint64_t transcript_bytes = 64 * 1024;   // the console's tail kept for the report
  uint64_t log_max_bytes = 64ull << 20;    // bytes of lines written to the log (and echoed), then cut
  std::string input = "none";   // receiver's source: "none", "stdin" or a file (resolved by the platform)
  uint32_t rx_fifo_depth = 16;  // received characters held until software reads them
  RegisterTiming timing;

  static void bind(ParamBinder& b, UartConfig& c);
};

class Uart : public sc_core::sc_module, public Reportable {
 public:
  tlm_utils::simple_target_socket<Uart> socket;

  Uart(sc_core::sc_module_name name, const UartConfig& config);
  ~Uart() override;
  Uart(const Uart&) = delete;
  Uart& operator=(const Uart&) = delete;

  // A line longer than this is emitted in pieces of this size.
  static constexpr size_t kMaxLineBytes = 4096;

  // Opens (truncates) the log file complete lines are appended to. Call before the simulation
  // starts. A file that cannot be opened or written is not an error of the simulation: it is
  // recorded in log_error() and the run goes on.
  void set_log_path(const std::string& path);
  // Called before a line is echoed on stdout (the run's progress line erases itself there).
  void set_before_echo(std::function<void()> hook) { before_echo_ = std::move(hook); }
  // "" or why the log file is incomplete (the OS's reason for the first failed open or write).
  const std::string& log_error() const { return log_.error(); }
  // The last `transcript_bytes` characters written (complete lines and the partial line alike),
  // and how many were written before them.
  std::string transcript() const;
  uint64_t transcript_dropped_bytes() const { return characters_ - transcript_kept(); }
  // Emits the partial line, if any (also done at the end of the simulation).
  void flush();

  uint64_t characters_dropped() const { return dropped_; }
  uint64_t characters_received() const { return received_; }
  const UartConfig& config() const { return config_; }

  std::string report_name() const override { return name(); }
  void report(nlohmann::json& out, double elapsed_ns) const override;

 private:
  void b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay);
  unsigned int transport_dbg(tlm::tlm_generic_payload& trans);
  void end_of_simulation() override;

  void on_txdata(uint64_t value);
  uint64_t status();
  // Receiver: the input's characters that the line has delivered by `t` enter the RX FIFO.
  void receive_until(const sc_core::sc_time& t);
  int next_input_byte();  // 0..255, or -1: nothing available now (kRxEnded once the input ended)
  uint64_t on_rxdata();
  // Baud-rate model: characters whose transmission starts after `t` are still in the FIFO.
  uint32_t fifo_occupancy(const sc_core::sc_time& t) const;
  bool accept_character(const sc_core::sc_time& t);
  void output(char c);
  void emit_line(const std::string& line);
  std::string cut_note() const;  // the line that ends a cut log or echo
  uint64_t transcript_kept() const { return std::min<uint64_t>(transcript_.size(), config_.transcript_bytes); }

  UartConfig config_;
  std::function<void()> before_echo_;
  RegisterBank bank_;
  sc_core::sc_time char_time_;      // 10 bit times; zero when baud_rate is 0
  sc_core::sc_time access_time_;    // initiator's local time of the access being served
  std::deque<sc_core::sc_time> tx_starts_;  // start times of characters not yet known to be shifting
  sc_core::sc_time tx_idle_at_;     // when the last accepted character has been shifted out
  std::string line_;                // current partial line, at most kMaxLineBytes
  std::string transcript_;          // the tail of the output, at most 2 x transcript_bytes
  StreamedFile log_;
  uint64_t echoed_bytes_ = 0;       // bytes of lines printed on stdout

  struct Received {
    uint8_t character;
    sc_core::sc_time arrival;  // when its stop bit has been received
  };
  int input_fd_ = -1;               // -1: no input (none, or ended)
  bool input_owned_ = false;        // a file opened here (stdin is not closed)
  std::deque<Received> rx_fifo_;    // at most rx_fifo_depth
  sc_core::sc_time rx_line_free_;   // when the sender may start the next character
  bool debug_access_ = false;       // a debugger's read: RXDATA shows, does not take

  RegisterAccessStats access_stats_;
  uint64_t characters_ = 0;
  uint64_t lines_ = 0;
  uint64_t dropped_ = 0;
  uint64_t received_ = 0;           // characters software took from RXDATA
};

}  // namespace dlvp

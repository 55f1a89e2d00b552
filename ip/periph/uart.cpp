#include "uart.h"

#include "ip/common/log.h"
#include "ip/periph/uart_regs.h"
#include "ip/common/soc_map.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <iostream>

namespace dlvp {

void UartConfig::bind(ParamBinder& b, UartConfig& c) {
  b.integer("baud_rate", c.baud_rate, "bit/s", "line rate; 0 = infinitely fast virtual console", 0u, 100000000u);
  b.integer("tx_fifo_depth", c.tx_fifo_depth, "characters",
            "TX FIFO depth behind the shift register (only matters with a baud rate)", 1u, 65536u);
  b.flag("echo", c.echo, "print each complete line of program output on stdout");
  b.integer("transcript_bytes", c.transcript_bytes, "B",
            "the last bytes of program output kept for report.json (software.console)", 0, 1ull << 30);
  b.integer("log_max_bytes", c.log_max_bytes, "B",
            "program output written to uart.log and echoed on stdout; past it one line says the rest was cut", 0,
            ~uint64_t{0});
  b.text("input", c.input,
         "the receiver's source: none (RXDATA stays empty), stdin, or a file (relative to the scenario), "
         "delivered at baud_rate with the sender waiting while the RX FIFO is full");
  b.integer("rx_fifo_depth", c.rx_fifo_depth, "characters",
            "received characters held until software reads RXDATA (the input is read no further ahead)", 1u, 65536u);
  RegisterTiming::bind(b, c.timing);
}

namespace {
constexpr double kBitsPerCharacter = 10.0;  // start bit, 8 data bits, stop bit
}

Uart::Uart(sc_core::sc_module_name name, const UartConfig& config)
    : sc_module(name), socket("socket"), config_(config), bank_(this->name(), soc::kRegisterWindowBytes) {
  if (config_.tx_fifo_depth == 0) throw ConfigError(std::string(this->name()) + ": tx_fifo_depth must be at least 1");
  if (config_.rx_fifo_depth == 0) throw ConfigError(std::string(this->name()) + ": rx_fifo_depth must be at least 1");
  if (config_.input == "stdin") {
    input_fd_ = STDIN_FILENO;
  } else if (config_.input != "none" && !config_.input.empty()) {
    input_fd_ = ::open(config_.input.c_str(), O_RDONLY | O_CLOEXEC);
    if (input_fd_ < 0)
      throw ConfigError(std::string(this->name()) + ": cannot open the input file " + config_.input + " (uart.input): " +
                        std::strerror(errno));
    input_owned_ = true;
  }
  if (config_.baud_rate > 0) char_time_ = sc_core::sc_time(kBitsPerCharacter / config_.baud_rate, sc_core::SC_SEC);
  socket.register_b_transport(this, &Uart::b_transport);
  socket.register_transport_dbg(this, &Uart::transport_dbg);
  bank_.add_all(uart::kRegisters);
  bank_.on_write(uart::TXDATA, [this](uint64_t, uint64_t value) { on_txdata(value); });
  bank_.on_read(uart::STATUS, [this](uint64_t) { return status(); });
  bank_.on_read(uart::RXDATA, [this](uint64_t) { return on_rxdata(); });
  bank_.on_read(uart::TX_DROPPED, [this](uint64_t) { return dropped_ & 0xffffffffu; });
}

Uart::~Uart() {
  if (input_owned_ && input_fd_ >= 0) ::close(input_fd_);
}

void Uart::set_log_path(const std::string& path) { log_.open(path, config_.log_max_bytes, cut_note()); }

std::string Uart::cut_note() const {
  return "[dlvp: the rest of the program's output is cut here: uart.log_max_bytes = " +
         std::to_string(config_.log_max_bytes) + "]\n";
}

void Uart::b_transport(tlm::tlm_generic_payload& trans, sc_core::sc_time& delay) {
  // Register effects happen at the initiator's local time; the access itself then takes a while.
  access_time_ = sc_core::sc_time_stamp() + delay;
  bank_.b_transport(trans, delay);
  delay += config_.timing.access_delay();
  access_stats_.count(trans);
}

unsigned int Uart::transport_dbg(tlm::tlm_generic_payload& trans) {
  access_time_ = sc_core::sc_time_stamp();
  debug_access_ = true;
  const unsigned int bytes = bank_.transport_dbg(trans);  // debug writes run no hooks: nothing is transmitted
  debug_access_ = false;
  return bytes;
}

uint64_t Uart::status() {
  uint64_t bits = 0;
  if (config_.baud_rate == 0 || fifo_occupancy(access_time_) < config_.tx_fifo_depth) bits |= uart::kStatusTxReady;
  if (access_time_ >= tx_idle_at_) bits |= uart::kStatusTxEmpty;
  receive_until(access_time_);
  if (!rx_fifo_.empty() && rx_fifo_.front().arrival <= access_time_) bits |= uart::kStatusRxValid;
  if (rx_fifo_.empty() && input_fd_ < 0) bits |= uart::kStatusRxEnded;
  return bits;
}

int Uart::next_input_byte() {
  if (input_fd_ < 0) return -1;
  // Only what the source has now: an interactive stdin is not waited for (the character arrives
  // later in simulated time); a file is always ready.
  pollfd ready{input_fd_, POLLIN, 0};
  if (::poll(&ready, 1, 0) == 0) return -1;
  unsigned char c = 0;
  ssize_t got = 0;
  do got = ::read(input_fd_, &c, 1);
  while (got < 0 && errno == EINTR);
  if (got == 1) return c;
  if (got < 0) DLVP_LOG_WARN(name(), "reading uart.input " << config_.input << " failed: " << std::strerror(errno)
                                     << "; the input ends here");
  if (input_owned_) ::close(input_fd_);
  input_fd_ = -1;
  return -1;
}

void Uart::receive_until(const sc_core::sc_time& t) {
  // The sender starts a character when the line is free and the RX FIFO has room for it.
  while (rx_fifo_.size() < config_.rx_fifo_depth) {
    const sc_core::sc_time arrival = rx_line_free_ + char_time_;
    if (arrival > t) return;
    const int c = next_input_byte();
    if (c < 0) return;
    rx_fifo_.push_back({static_cast<uint8_t>(c), arrival});
    rx_line_free_ = arrival;
  }
}

uint64_t Uart::on_rxdata() {
  receive_until(access_time_);
  if (rx_fifo_.empty() || rx_fifo_.front().arrival > access_time_) return uart::kRxEmpty;
  const uint8_t c = rx_fifo_.front().character;
  if (debug_access_) return c;
  // A full FIFO held the sender back since its last character: it resumes now.
  if (rx_fifo_.size() == config_.rx_fifo_depth) rx_line_free_ = std::max(rx_line_free_, access_time_);
  rx_fifo_.pop_front();
  ++received_;
  return c;
}

uint32_t Uart::fifo_occupancy(const sc_core::sc_time& t) const {
  // tx_starts_ is sorted: each character starts when its predecessor has been shifted out.
  const auto first_waiting = std::upper_bound(tx_starts_.begin(), tx_starts_.end(), t);
  return static_cast<uint32_t>(tx_starts_.end() - first_waiting);
}

bool Uart::accept_character(const sc_core::sc_time& t) {
  if (config_.baud_rate == 0) return true;
  // No initiator's local time lies before the kernel's time, so older starts can be forgotten.
  while (!tx_starts_.empty() && tx_starts_.front() <= sc_core::sc_time_stamp()) tx_starts_.pop_front();
  if (fifo_occupancy(t) >= config_.tx_fifo_depth) return false;
  const sc_core::sc_time start = std::max(t, tx_idle_at_);
  tx_starts_.push_back(start);
  // An initiator far ahead of the kernel could pile up starts; only the last tx_fifo_depth can
  // decide whether the FIFO is full (an older start counts only while these all count too).
  if (tx_starts_.size() > config_.tx_fifo_depth) tx_starts_.pop_front();
  tx_idle_at_ = start + char_time_;
  return true;
}

void Uart::on_txdata(uint64_t value) {
  if (!accept_character(access_time_)) {
    ++dropped_;
    DLVP_LOG_DEBUG(name(), "TX FIFO full: character 0x" << std::hex << (value & uart::kRxDataMask) << " dropped");
    return;
  }
  output(static_cast<char>(value & 0xff));
}

std::string Uart::transcript() const { return transcript_.substr(transcript_.size() - transcript_kept()); }

void Uart::output(char c) {
  ++characters_;
  transcript_ += c;
  // Trimmed in steps of transcript_bytes: amortized constant time per character.
  if (transcript_.size() > 2 * config_.transcript_bytes) transcript_.erase(0, transcript_.size() - config_.transcript_bytes);
  if (c != '\n') {
    line_ += c;
    if (line_.size() >= kMaxLineBytes) flush();
    return;
  }
  emit_line(line_);
  line_.clear();
}

void Uart::emit_line(const std::string& line) {
  ++lines_;
  if (config_.echo && echoed_bytes_ <= config_.log_max_bytes) {
    echoed_bytes_ += line.size() + 1;
    if (before_echo_) before_echo_();
    if (echoed_bytes_ <= config_.log_max_bytes) std::cout << line << '\n' << std::flush;
    else std::cout << cut_note() << std::flush;
  }
  log_.write(line + '\n');  // one write per line: the log is complete even if the simulator is killed
}

void Uart::flush() {
  if (line_.empty()) return;
  emit_line(line_);
  line_.clear();
}

void Uart::end_of_simulation() { flush(); }

void Uart::report(nlohmann::json& out, double elapsed_ns) const {
  out["characters"] = characters_;
  out["lines"] = lines_;
  out["characters_dropped"] = dropped_;
  out["characters_received"] = received_;
  out["baud_rate_bps"] = config_.baud_rate;
  if (config_.baud_rate > 0 && elapsed_ns > 0) {
    const double busy_ns = static_cast<double>(characters_) * char_time_.to_seconds() * 1e9;
    out["tx_line_utilization"] = std::min(1.0, busy_ns / elapsed_ns);
  }
  out["transcript_dropped_bytes"] = transcript_dropped_bytes();
  if (!log_.path().empty()) {
    out["log_path"] = log_.path();
    out["log_bytes"] = log_.bytes_written();
    out["log_cut"] = log_.cut();
  }
  access_stats_.report(out);
}

}  // namespace dlvp

#include "gdb_server.h"

#include "ip/common/config_error.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>

namespace dlvp::gdb {
namespace {

constexpr unsigned kPcRegister = 32;
constexpr unsigned kFirstCsrRegister = 65;  // gdb's RISC-V numbering: x0-x31, pc, f0-f31, then CSRs
constexpr unsigned kCsrCount = 4096;

// The machine-mode CSRs gdb shows (info registers csr, $mstatus, ...): read with `p`.
struct CsrName {
  uint16_t number;
  const char* name;
};
constexpr CsrName kShownCsrs[] = {
    {rv32::kMstatus, "mstatus"}, {rv32::kMisa, "misa"},       {rv32::kMie, "mie"},       {rv32::kMtvec, "mtvec"},
    {rv32::kMscratch, "mscratch"}, {rv32::kMepc, "mepc"},     {rv32::kMcause, "mcause"}, {rv32::kMtval, "mtval"},
    {rv32::kMip, "mip"},         {rv32::kMcycle, "mcycle"},   {rv32::kMinstret, "minstret"}};

// The target description: lets gdb pick riscv:rv32 by itself and ask only for x0-x31, pc and
// the CSRs above (no F registers).
std::string target_xml() {
  static const char* const kNames[32] = {"zero", "ra", "sp", "gp", "tp",  "t0",  "t1", "t2", "fp", "s1", "a0",
                                         "a1",   "a2", "a3", "a4", "a5",  "a6",  "a7", "s2", "s3", "s4", "s5",
                                         "s6",   "s7", "s8", "s9", "s10", "s11", "t3", "t4", "t5", "t6"};
  std::string xml =
      "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n"
      "<architecture>riscv:rv32</architecture>\n<feature name=\"org.gnu.gdb.riscv.cpu\">\n";
  for (unsigned i = 0; i < 32; ++i) {
    const char* type = i == 2 ? "data_ptr" : (i == 1 ? "code_ptr" : "int");
    xml += "<reg name=\"" + std::string(kNames[i]) + "\" bitsize=\"32\" type=\"" + type + "\" regnum=\"" +
           std::to_string(i) + "\"/>\n";
  }
  xml += "<reg name=\"pc\" bitsize=\"32\" type=\"code_ptr\" regnum=\"32\"/>\n</feature>\n";
  xml += "<feature name=\"org.gnu.gdb.riscv.csr\">\n";
  for (const CsrName& csr : kShownCsrs)
    xml += "<reg name=\"" + std::string(csr.name) + "\" bitsize=\"32\" type=\"int\" group=\"csr\" regnum=\"" +
           std::to_string(kFirstCsrRegister + csr.number) + "\"/>\n";
  return xml + "</feature>\n</target>\n";
}

// "addr,length" -> both numbers.
bool parse_range(const std::string& text, uint32_t& address, uint32_t& length) {
  const size_t comma = text.find(',');
  if (comma == std::string::npos) return false;
  return parse_hex(std::string_view(text).substr(0, comma), address) &&
         parse_hex(std::string_view(text).substr(comma + 1), length);
}

bool starts_with(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

const std::string kError = "E01";
const std::string kOk = "OK";

}  // namespace

GdbServer::GdbServer(rv32::Hart& hart, DebugMemory& memory) : hart_(hart), memory_(memory) {}

GdbServer::~GdbServer() {
  close_connection();
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

const std::string& GdbServer::no_reply() {
  static const std::string kNone = "\x01none";  // never a real reply: every reply is printable ASCII
  return kNone;
}

// --- socket ---------------------------------------------------------------------------------

void GdbServer::listen(uint16_t port) {
  port_ = port;
  auto fail = [&](const char* what) {
    const std::string reason = std::strerror(errno);
    if (listen_fd_ >= 0) ::close(listen_fd_);
    listen_fd_ = -1;
    throw ConfigError("cpu.gdb_port: cannot " + std::string(what) + " 127.0.0.1:" + std::to_string(port) + ": " + reason);
  };
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) fail("open a socket for");
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // never reachable from other machines
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) < 0) fail("listen on");
  if (::listen(listen_fd_, 1) < 0) fail("listen on");
  socklen_t length = sizeof address;
  if (::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) port_ = ntohs(address.sin_port);
}

void GdbServer::accept() {
  if (listen_fd_ < 0) return;
  std::cerr << "gdb: waiting on 127.0.0.1:" << port_ << std::endl;
  do fd_ = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
  while (fd_ < 0 && errno == EINTR);
  ::close(listen_fd_);  // one debugger per run
  listen_fd_ = -1;
  if (fd_ < 0) {
    std::cerr << "gdb: accept failed (" << std::strerror(errno) << "): the program runs without gdb" << std::endl;
    return;
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // replies are small and awaited
  std::cerr << "gdb: connected" << std::endl;
}

void GdbServer::close_connection() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  breakpoints_.clear();
  hart_.clear_watchpoints();  // the program runs on at full speed without the debugger
}

void GdbServer::send_raw(const std::string& bytes) {
  size_t sent = 0;
  while (fd_ >= 0 && sent < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close_connection();
      return;
    }
    sent += static_cast<size_t>(n);
  }
}

void GdbServer::send_packet(const std::string& payload) {
  last_packet_ = frame(payload);
  send_raw(last_packet_);
}

bool GdbServer::receive(bool block) {
  if (fd_ < 0) return false;
  pollfd p{fd_, POLLIN, 0};
  int ready;
  do ready = ::poll(&p, 1, block ? -1 : 0);
  while (ready < 0 && errno == EINTR);
  if (ready <= 0) return ready == 0;
  char buffer[4096];
  ssize_t n;
  do n = ::recv(fd_, buffer, sizeof buffer, 0);
  while (n < 0 && errno == EINTR);
  if (n <= 0) {
    close_connection();
    return false;
  }
  decoder_.feed(buffer, static_cast<size_t>(n), events_);
  return true;
}

GdbServer::Resume GdbServer::serve(std::optional<StopReason> stop) {
  if (stop) {
    last_stop_ = *stop;
    send_packet(stop_reply(last_stop_));
  }
  for (;;) {
    while (events_.empty())
      if (!receive(true)) return Resume::detach;  // gdb is gone: the program runs on
    const PacketDecoder::Event event = std::move(events_.front());
    events_.erase(events_.begin());
    using Kind = PacketDecoder::Event::Kind;
    switch (event.kind) {
      case Kind::ack: break;
      case Kind::nack: send_raw(last_packet_); break;
      case Kind::interrupt: break;  // already stopped
      case Kind::bad_packet:
        if (ack_mode_) send_raw("-");
        break;
      case Kind::packet: {
        if (ack_mode_) send_raw("+");
        std::optional<Resume> resume;
        const std::string reply = handle(event.payload, &resume);
        if (reply != no_reply()) send_packet(reply);
        if (resume) {
          interrupted_ = false;
          if (*resume == Resume::detach || *resume == Resume::kill) close_connection();
          return *resume;
        }
        break;
      }
    }
  }
}

bool GdbServer::interrupt_requested() {
  if (interrupted_) return true;
  if (!receive(false)) return false;
  for (const PacketDecoder::Event& event : events_)
    if (event.kind == PacketDecoder::Event::Kind::interrupt) interrupted_ = true;
  // While the hart runs gdb only sends Ctrl-C; anything else waits for the next stop.
  events_.erase(std::remove_if(events_.begin(), events_.end(),
                               [](const PacketDecoder::Event& e) { return e.kind == PacketDecoder::Event::Kind::interrupt; }),
                events_.end());
  return interrupted_;
}

void GdbServer::exited(uint32_t status) {
  char reply[8];
  std::snprintf(reply, sizeof reply, "W%02x", status & 0xFF);
  send_packet(reply);
  close_connection();
}

void GdbServer::terminated(int signal) {
  char reply[8];
  std::snprintf(reply, sizeof reply, "X%02x", signal & 0xFF);
  send_packet(reply);
  close_connection();
}

// --- packets --------------------------------------------------------------------------------

// After a watchpoint the T form names it by kind and address: gdb then knows which triggered.
std::string GdbServer::stop_reply(const StopReason& stop) {
  char reply[40];
  if (!stop.watch) {
    std::snprintf(reply, sizeof reply, "S%02x", stop.signal & 0xFF);
    return reply;
  }
  const rv32::WatchHit& hit = *stop.watch;
  const char* kind = hit.kind == rv32::WatchKind::write ? "watch" : hit.kind == rv32::WatchKind::read ? "rwatch" : "awatch";
  std::snprintf(reply, sizeof reply, "T%02x%s:%x;", stop.signal & 0xFF, kind, hit.address);
  return reply;
}

std::string GdbServer::handle(const std::string& packet, std::optional<Resume>* resume) {
  if (packet.empty()) return "";
  const std::string args = packet.substr(1);
  switch (packet[0]) {
    case '?': return stop_reply(last_stop_);
    case 'g': return read_registers();
    case 'G': return write_registers(args);
    case 'p': return read_register(args);
    case 'P': return write_register(args);
    case 'm': return read_memory(args);
    case 'M': return write_memory(args, false);
    case 'X': return write_memory(args, true);
    case 'Z':
    case 'z': return breakpoint(packet);
    case 'c':
    case 'C':
    case 's':
    case 'S': {
      // An address after c/s resumes there; a signal (C/S) is ignored: M-mode has no signals.
      const bool with_signal = packet[0] == 'C' || packet[0] == 'S';
      std::string address = args;
      if (with_signal) {
        const size_t semicolon = args.find(';');
        address = semicolon == std::string::npos ? "" : args.substr(semicolon + 1);
      }
      uint32_t pc = 0;
      if (!address.empty()) {
        if (!parse_hex(address, pc)) return kError;
        hart_.set_pc(pc);
      }
      *resume = packet[0] == 'c' || packet[0] == 'C' ? Resume::go : Resume::step;
      return no_reply();  // the stop reply comes when the hart stops
    }
    case 'D':
      *resume = Resume::detach;
      return kOk;
    case 'k':
      *resume = Resume::kill;
      return no_reply();
    case 'H': return kOk;   // one thread: any thread selection is it
    case 'T': return kOk;   // thread alive
    case 'q':
    case 'Q': return query(packet);
    default: return "";     // unsupported (including vCont?, vMustReplyEmpty): the empty reply
  }
}

std::string GdbServer::query(const std::string& packet) {
  if (starts_with(packet, "qSupported")) {
    char reply[80];
    std::snprintf(reply, sizeof reply, "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+", kPacketSize);
    return reply;
  }
  if (packet == "QStartNoAckMode") {
    ack_mode_ = false;  // the '+' of this packet has been sent already, as the protocol wants
    return kOk;
  }
  if (packet == "qAttached") return "1";  // attached to a running target: kill is not implied
  if (packet == "qC") return "QC1";
  if (packet == "qfThreadInfo") return "m1";
  if (packet == "qsThreadInfo") return "l";
  static const std::string kXfer = "qXfer:features:read:target.xml:";
  if (starts_with(packet, kXfer.c_str())) {
    uint32_t offset = 0, length = 0;
    if (!parse_range(packet.substr(kXfer.size()), offset, length)) return kError;
    static const std::string xml = target_xml();
    if (offset >= xml.size()) return "l";
    const std::string chunk = xml.substr(offset, std::min<size_t>(length, kPacketSize - 16));
    return (offset + chunk.size() >= xml.size() ? "l" : "m") + chunk;
  }
  if (starts_with(packet, "qXfer:")) return kError;
  return "";
}

std::string GdbServer::read_registers() const {
  std::string text;
  for (unsigned i = 0; i < 32; ++i) text += to_hex_le32(hart_.reg(i));
  return text + to_hex_le32(hart_.pc());
}

std::string GdbServer::write_registers(const std::string& args) {
  uint8_t bytes[33 * 4];
  if (!from_hex(args, bytes, sizeof bytes)) return kError;
  for (unsigned i = 0; i < 33; ++i) {
    uint32_t value;
    std::memcpy(&value, bytes + 4 * i, 4);  // little-endian host and target
    if (i == kPcRegister) hart_.set_pc(value);
    else hart_.set_reg(i, value);
  }
  return kOk;
}

std::string GdbServer::read_register(const std::string& args) const {
  uint32_t n = 0;
  if (!parse_hex(args, n)) return kError;
  if (n < 32) return to_hex_le32(hart_.reg(n));
  if (n == kPcRegister) return to_hex_le32(hart_.pc());
  uint32_t value = 0;
  if (n >= kFirstCsrRegister && n - kFirstCsrRegister < kCsrCount &&
      hart_.read_csr(static_cast<uint16_t>(n - kFirstCsrRegister), value))
    return to_hex_le32(value);
  return kError;  // no such register (f0-f31: no F extension; absent CSRs)
}

std::string GdbServer::write_register(const std::string& args) {
  const size_t equals = args.find('=');
  uint32_t n = 0;
  uint8_t bytes[4];
  if (equals == std::string::npos || !parse_hex(args.substr(0, equals), n) ||
      !from_hex(std::string_view(args).substr(equals + 1), bytes, 4))
    return kError;
  uint32_t value;
  std::memcpy(&value, bytes, 4);
  if (n < 32) hart_.set_reg(n, value);
  else if (n == kPcRegister) hart_.set_pc(value);
  else return kError;  // CSRs are read-only for the debugger
  return kOk;
}

// As the protocol allows, the reply may be shorter than asked: the bytes up to the first one
// that cannot be read (an unmapped address or register offset). E01 only when the first cannot.
std::string GdbServer::read_memory(const std::string& args) {
  uint32_t address = 0, length = 0;
  if (!parse_range(args, address, length)) return kError;
  length = std::min(length, kPacketSize / 2 - 8);  // a shorter reply is allowed: gdb asks for the rest
  std::vector<uint8_t> data(length);
  if (length == 0 || memory_.debug_read(address, data.data(), length)) return to_hex(data.data(), length);
  // The readable prefix, by bisection (a prefix of a readable range is readable).
  uint32_t readable = 0, unreadable = length;
  while (unreadable - readable > 1) {
    const uint32_t middle = readable + (unreadable - readable) / 2;
    if (memory_.debug_read(address, data.data(), middle)) readable = middle;
    else unreadable = middle;
  }
  if (readable == 0) return kError;
  memory_.debug_read(address, data.data(), readable);
  return to_hex(data.data(), readable);
}

// M addr,length:hex and X addr,length:binary (the packet layer has already unescaped X's data).
std::string GdbServer::write_memory(const std::string& args, bool binary) {
  const size_t colon = args.find(':');
  uint32_t address = 0, length = 0;
  if (colon == std::string::npos || !parse_range(args.substr(0, colon), address, length)) return kError;
  const std::string_view data = std::string_view(args).substr(colon + 1);
  // The length is gdb's: it must match the data the packet carries before anything is allocated.
  if (data.size() != (binary ? size_t{length} : 2 * size_t{length})) return kError;
  std::vector<uint8_t> bytes(length);
  if (binary) std::memcpy(bytes.data(), data.data(), length);
  else if (!from_hex(data, bytes.data(), length)) return kError;
  if (length == 0) return kOk;
  if (!memory_.debug_write(address, bytes.data(), length)) return kError;
  hart_.invalidate_code(address, length);  // the decode cache forgets what was there
  return kOk;
}

// Z0/Z1 (software and hardware breakpoints are the same to the simulator: a set of addresses);
// Z2/Z3/Z4 (write, read, access watchpoints: `kind` is the watched length in bytes) go to the
// hart. Inserting a watchpoint beyond the hart's limit is an error (gdb says it cannot insert it);
// removing one that is not there is fine (gdb may remove twice).
std::string GdbServer::breakpoint(const std::string& packet) {
  if (packet.size() < 2 || packet[1] < '0' || packet[1] > '4') return "";
  uint32_t address = 0, kind = 0;
  const std::string rest = packet.size() > 3 && packet[2] == ',' ? packet.substr(3) : "";
  const std::string range = rest.substr(0, rest.find(';'));  // conditions after ';' are ignored
  if (!parse_range(range, address, kind)) return kError;
  const bool insert = packet[0] == 'Z';
  if (packet[1] <= '1') {
    if (insert) breakpoints_.insert(address);
    else breakpoints_.erase(address);
    return kOk;
  }
  const rv32::Watchpoint watchpoint{static_cast<rv32::WatchKind>(packet[1] - '0'), address, kind};
  if (!insert) {
    hart_.remove_watchpoint(watchpoint);
    return kOk;
  }
  return hart_.add_watchpoint(watchpoint) ? kOk : kError;
}

}  // namespace dlvp::gdb
